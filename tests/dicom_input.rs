//! DICOM input against IBSI's own NIfTI files of the CT radiomics phantom (external data):
//! the DICOM series reads as IBSI's image — equal voxel values, the same grid (spacing and
//! origin to the NIfTI header's float32 precision, direction exactly) — and the RTSTRUCT's
//! GTV, rasterised on that grid, overlaps IBSI's mask with a Dice coefficient ≥ 0.98.

mod common;

use common::*;
use gpurad::io::dicom::{read_rtstruct, read_series, rtstruct_roi_names};
use gpurad::io::image_file::{read_mask, read_volume};

#[test]
fn ct_phantom_series_and_rtstruct_equal_ibsi_nifti() {
    let Some((image, mask)) = ibsi_ct_phantom() else {
        return;
    };
    let dicom = shared_data_path().join("ibsi/ct_radiomics_phantom/dicom");
    let series = read_series(&dicom.join("image")).unwrap();
    let g = series.geometry.clone();
    let got = series.into_volume().unwrap();
    let want = read_volume(&image).unwrap();
    let w = &want.geometry;
    assert_eq!(g.size, w.size);
    for k in 0..3 {
        assert!(
            (g.spacing[k] - w.spacing[k]).abs() <= 1e-5 * w.spacing[k],
            "spacing {g:?} vs {w:?}"
        );
        assert!(
            (g.origin[k] - w.origin[k]).abs() <= 1e-3,
            "origin {g:?} vs {w:?}"
        );
        for i in 0..3 {
            assert!(
                (g.direction[i][k] - w.direction[i][k]).abs() <= 1e-6,
                "direction {g:?} vs {w:?}"
            );
        }
    }
    assert_eq!(got.data, want.data, "voxel values");

    let rts = std::fs::read_dir(dicom.join("mask"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let names = rtstruct_roi_names(&rts).unwrap();
    assert!(!names.is_empty());
    let roi = names
        .iter()
        .find(|n| n.to_lowercase().contains("gtv"))
        .unwrap_or(&names[0]);
    let ours = read_rtstruct(&rts, &g, Some(roi)).unwrap();
    let ibsi = read_mask(&mask, 1).unwrap();
    let a = ours.data.iter().filter(|&&v| v).count();
    let b = ibsi.data.iter().filter(|&&v| v).count();
    let both = ours
        .data
        .iter()
        .zip(&ibsi.data)
        .filter(|(x, y)| **x && **y)
        .count();
    let dice = 2.0 * both as f64 / (a + b) as f64;
    eprintln!("RTSTRUCT '{roi}': {a} voxels, IBSI mask {b}, Dice {dice:.4}");
    assert!(
        dice >= 0.98,
        "Dice {dice} ({a} vs {b} voxels, {both} shared)"
    );
    let e = read_rtstruct(&rts, &g, Some("no such ROI"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no such ROI") && e.contains(roi.as_str()), "{e}");
}

#[test]
fn extraction_from_dicom_equals_extraction_from_ibsi_nifti() {
    let Some((image, mask)) = ibsi_ct_phantom() else {
        return;
    };
    let dicom = shared_data_path().join("ibsi/ct_radiomics_phantom/dicom");
    let rts = std::fs::read_dir(dicom.join("mask"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let params = gpurad::Params::default();
    let a = gpurad::extract::extract_case(&dicom.join("image"), &rts, &params).unwrap();
    let b = gpurad::extract::extract_case(&image, &mask, &params).unwrap();
    let mut compared = 0;
    for ((ka, va), (kb, vb)) in a.iter().zip(&b) {
        assert_eq!(ka, kb);
        if let (gpurad::row::Value::Number(x), gpurad::row::Value::Number(y)) = (va, vb) {
            if ka.starts_with("diagnostics_") {
                continue;
            }
            // The NIfTI header holds the grid in float32; the DICOM series in decimals.
            let tol = if ka.contains("_shape_") || ka.ends_with("TotalEnergy") {
                1e-6
            } else {
                0.0
            };
            assert!(
                (x - y).abs() <= tol * y.abs(),
                "{ka}: DICOM {x} vs NIfTI {y}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 107, "{compared}");
}

#[test]
fn dicom_folders_without_a_series_and_single_files_as_images_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not DICOM").unwrap();
    let e = read_series(dir.path()).err().unwrap().to_string();
    assert!(e.contains("no DICOM image"), "{e}");
    let single = dir.path().join("x.dcm");
    std::fs::write(&single, b"DICM").unwrap();
    let e = gpurad::io::image_file::read_volume(&single)
        .unwrap_err()
        .to_string();
    assert!(e.contains("x.dcm") && e.contains("folder"), "{e}");
    let e = rtstruct_roi_names(&single).unwrap_err().to_string();
    assert!(e.contains("x.dcm"), "{e}");
}

#[test]
fn a_dicom_seg_written_from_ibsis_mask_reads_back_equal() {
    let Some((_, mask)) = ibsi_ct_phantom() else {
        return;
    };
    let series_dir = shared_data_path().join("ibsi/ct_radiomics_phantom/dicom/image");
    // Written by highdicom from IBSI's mask (tests/fixtures/dicom_seg/make_fixtures.py).
    let seg = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dicom_seg/gtv_seg.dcm");
    let g = read_series(&series_dir).unwrap().geometry;
    let ibsi = read_mask(&mask, 1).unwrap();
    let same = |a: &[bool], b: &[bool]| -> (usize, usize, usize) {
        let count = |v: &[bool]| v.iter().filter(|&&x| x).count();
        let both = a.iter().zip(b).filter(|(x, y)| **x && **y).count();
        (count(a), count(b), both)
    };
    for name in [Some("GTV"), Some("1"), None] {
        let m = gpurad::io::dicom::read_seg(&seg, &g, name).unwrap();
        let (a, b, both) = same(&m.data, &ibsi.data);
        assert!(
            a == b && both == b,
            "segment {name:?}: {a} voxels, IBSI {b}, shared {both}"
        );
    }
    let e = gpurad::io::dicom::read_seg(&seg, &g, Some("liver"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("liver") && e.contains("GTV"), "{e}");
    // As an extraction's mask: the same ROI as IBSI's NIfTI mask.
    let via_seg = gpurad::io::image_file::read_mask_for(&series_dir, &seg, 1).unwrap();
    let (a, b, both) = same(&via_seg.data, &ibsi.data);
    assert!(a == b && both == b, "{a} voxels, IBSI {b}, shared {both}");
    // A grid the SEG's frames do not lie on is refused.
    let mut shifted = g.clone();
    shifted.origin[0] += 0.37;
    let e = gpurad::io::dicom::read_seg(&seg, &shifted, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not lie on a slice"), "{e}");
}

#[test]
fn mutated_dicom_files_never_panic() {
    let seg = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dicom_seg/gtv_seg.dcm");
    let original = std::fs::read(&seg).unwrap();
    let g = gpurad::image::Geometry::with_spacing([204, 201, 60], [1.0, 1.0, 1.0]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mutant.dcm");
    let mut state = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut refused = 0;
    for round in 0..150 {
        let mut bytes = original.clone();
        // Mutate the header region (the first 4 KiB hold the data elements), or truncate.
        if round % 3 == 2 {
            bytes.truncate((next() % bytes.len() as u64) as usize);
        } else {
            for _ in 0..1 + next() % 6 {
                let k = (next() % 4096) as usize;
                bytes[k] = (next() & 0xff) as u8;
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        let series = dir.path().join("series");
        let _ = std::fs::create_dir_all(&series);
        std::fs::write(series.join("slice.dcm"), &bytes).unwrap();
        let a = gpurad::io::dicom::read_mask_file(&path, &g, None);
        let _ = gpurad::io::dicom::read_series(&series);
        if let Err(e) = a {
            assert!(e.to_string().contains("mutant.dcm"), "round {round}: {e}");
            refused += 1;
        }
    }
    assert!(refused > 25, "{refused} of 150 refused");
}
