//! Broken inputs give clear errors that name the file and the cause, never a panic.

mod common;

use common::*;
use gpurad::extract::extract_case;
use gpurad::io::nifti::read_volume;
use gpurad::Params;

fn phantom() -> (std::path::PathBuf, std::path::PathBuf) {
    ibsi_phantom()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn truncated_gzip_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(phantom().0).unwrap();
    let p = write(&dir, "cut.nii.gz", &raw[..raw.len() / 2]);
    let e = read_volume(&p).unwrap_err().to_string();
    assert!(
        e.contains("cut.nii.gz") && e.contains("corrupt or truncated"),
        "{e}"
    );
}

#[test]
fn truncated_voxel_data_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let b = gunzip(&phantom().0);
    let p = write(&dir, "short.nii", &b[..b.len() - 10]);
    let e = read_volume(&p).unwrap_err().to_string();
    assert!(e.contains("short.nii") && e.contains("truncated"), "{e}");
}

#[test]
fn wrong_magic_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = gunzip(&phantom().0);
    b[off::MAGIC..off::MAGIC + 4].copy_from_slice(b"xyz\0");
    let p = write(&dir, "magic.nii", &b);
    let e = read_volume(&p).unwrap_err().to_string();
    assert!(
        e.contains("magic.nii") && e.contains("not a readable NIfTI"),
        "{e}"
    );
}

#[test]
fn non_nifti_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "notes.nii",
        b"ID,Image,Mask\nthis is not an image at all, just text\n",
    );
    let e = read_volume(&p).unwrap_err().to_string();
    assert!(e.contains("not a NIfTI file"), "{e}");
    let e = read_volume(&dir.path().join("missing.nii.gz"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("missing.nii.gz") && e.contains("cannot read"),
        "{e}"
    );
}

#[test]
fn mask_of_other_dimensions_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (img, mask) = phantom();
    let mut b = gunzip(&mask);
    // 5x4x4 int16 -> 4x4x4: drop the data of one x column per row.
    put_i16(&mut b, off::DIM + 2, 4);
    b.truncate(off::DATA + 4 * 4 * 4 * 2);
    let m = write(&dir, "mask4.nii", &b);
    let e = extract_case(&img, &m, &Params::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("image.nii.gz") && e.contains("mask4.nii") && e.contains("size"),
        "{e}"
    );
}

#[test]
fn mask_with_shifted_origin_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (img, mask) = phantom();
    let mut b = gunzip(&mask);
    let qx = get_f32(&b, off::QOFFSET_X);
    put_f32(&mut b, off::QOFFSET_X, qx + 3.0);
    let sx = get_f32(&b, off::SROW_X + 12);
    put_f32(&mut b, off::SROW_X + 12, sx + 3.0);
    let m = write(&dir, "shifted.nii", &b);
    let e = extract_case(&img, &m, &Params::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("shifted.nii") && e.contains("origin"), "{e}");
    // Within a generous tolerance the pair is accepted.
    let mut p = Params::default();
    p.settings.apply_override("geometryTolerance:2").unwrap();
    assert!(extract_case(&img, &m, &p).is_ok());
}

#[test]
fn empty_label_is_reported() {
    let (img, mask) = phantom();
    let mut p = Params::default();
    p.settings.label = 7;
    let e = extract_case(&img, &mask, &p).unwrap_err().to_string();
    assert!(
        e.contains("label 7 is not present") && e.contains("mask.nii.gz"),
        "{e}"
    );
}

#[test]
fn nan_inside_roi_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (img, mask) = phantom();
    let b = gunzip(&img);
    assert_eq!(get_i16(&b, off::DATATYPE), 4, "phantom image is int16");
    // Re-encode as float32 with one NaN in the ROI.
    let mut f = b[..off::DATA].to_vec();
    put_i16(&mut f, off::DATATYPE, 16);
    put_i16(&mut f, off::BITPIX, 32);
    let voxels: Vec<i16> = b[off::DATA..]
        .chunks(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    let m = read_volume(&mask).unwrap();
    let first_roi = m.data.iter().position(|&v| v == 1.0).unwrap();
    for (i, v) in voxels.iter().enumerate() {
        let x = if i == first_roi { f32::NAN } else { *v as f32 };
        f.extend_from_slice(&x.to_le_bytes());
    }
    let p = write(&dir, "nan.nii", &f);
    let e = extract_case(&p, &mask, &Params::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("nan.nii") && e.contains("1 non-finite"), "{e}");
}

#[test]
fn unknown_setting_is_reported() {
    let e = Params::from_yaml("setting:\n  binWidht: 25\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown setting 'binWidht'"), "{e}");
}

#[test]
fn nifti2_reads_like_nifti1() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = phantom();
    let b = gunzip(&img);
    // Build the NIfTI-2 (540-byte header) equivalent of the NIfTI-1 file.
    let mut h = vec![0u8; 544];
    let i64le = |h: &mut Vec<u8>, o: usize, v: i64| h[o..o + 8].copy_from_slice(&v.to_le_bytes());
    let f64le = |h: &mut Vec<u8>, o: usize, v: f64| h[o..o + 8].copy_from_slice(&v.to_le_bytes());
    h[0..4].copy_from_slice(&540i32.to_le_bytes());
    h[4..12].copy_from_slice(b"n+2\0\r\n\x1a\n");
    h[12..14].copy_from_slice(&get_i16(&b, off::DATATYPE).to_le_bytes());
    h[14..16].copy_from_slice(&get_i16(&b, off::BITPIX).to_le_bytes());
    for i in 0..8 {
        i64le(&mut h, 16 + 8 * i, get_i16(&b, off::DIM + 2 * i) as i64);
        f64le(&mut h, 104 + 8 * i, get_f32(&b, off::PIXDIM + 4 * i) as f64);
    }
    i64le(&mut h, 168, 544);
    f64le(&mut h, 176, 1.0);
    let sform_code = get_i16(&b, 254);
    h[348..352].copy_from_slice(&(sform_code as i32).to_le_bytes());
    for r in 0..3 {
        for c in 0..4 {
            f64le(
                &mut h,
                400 + 32 * r + 8 * c,
                get_f32(&b, off::SROW_X + 16 * r + 4 * c) as f64,
            );
        }
    }
    h.extend_from_slice(&b[off::DATA..]);
    let p = write(&dir, "n2.nii", &h);
    let v2 = read_volume(&p).unwrap();
    let v1 = read_volume(&img).unwrap();
    assert_eq!(v1.data, v2.data);
    assert_eq!(v1.geometry, v2.geometry);
}
