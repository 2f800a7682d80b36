//! NRRD input. The PyRadiomics cases' original NRRD files (external data) give the same
//! voxels, grid and features as their NIfTI conversions: texture and first-order features
//! bit for bit, shape features and total energy to 1e-6 relative (the NIfTI header stores
//! the spacing in float32 — 0.664062 is 0.66406202… there, 3.5e-8 away from the NRRD's — and
//! volumes scale with its cube). Synthetic files cover every encoding (raw either endianness, gzip, ascii, detached
//! header with line and byte skips) and the RAS and LAS spaces against the same image
//! written as NIfTI; broken headers and truncated data are errors naming the file.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use gpurad::extract::{extract_case, Value};
use gpurad::image::Geometry;
use gpurad::io::image_file::{read_geometry, read_mask, read_volume};
use gpurad::io::nifti_write::write_volume;
use gpurad::Params;

fn nrrd_dir() -> PathBuf {
    shared_data_path().join("pyradiomics/nrrd")
}

#[test]
fn pyradiomics_nrrd_cases_equal_their_nifti_conversions() {
    if !nrrd_dir().is_dir() {
        skipped("PyRadiomics' NRRD files");
        return;
    }
    let pairs = [
        ("brain1", "brain1_image.nrrd", "brain1_label.nrrd"),
        ("brain2", "brain2_image.nrrd", "brain2_label.nrrd"),
        ("breast1", "breast1_image.nrrd", "breast1_label.nrrd"),
        (
            "prostate",
            "prostate_phantom_subvolume.nrrd",
            "prostate_phantom_subvolume-label.nrrd",
        ),
    ];
    let params = Params::default();
    for (case, image, label) in pairs {
        let (nii_image, nii_label) = pyradiomics_case(case);
        let (image, label) = (nrrd_dir().join(image), nrrd_dir().join(label));
        let (a, b) = (
            read_volume(&image).unwrap(),
            read_volume(&nii_image).unwrap(),
        );
        assert_eq!(a.data, b.data, "{case}: voxel values");
        assert_eq!(a.pixel_type, b.pixel_type, "{case}: pixel type");
        let (ga, gb) = (&a.geometry, &b.geometry);
        assert_eq!(ga.size, gb.size);
        for k in 0..3 {
            // NIfTI stores spacing and origin in float32.
            assert!(
                (ga.spacing[k] - gb.spacing[k]).abs() <= 1e-6 * gb.spacing[k],
                "{case}"
            );
            assert!(
                (ga.origin[k] - gb.origin[k]).abs() <= 1e-4,
                "{case}: origin"
            );
            for i in 0..3 {
                assert!(
                    (ga.direction[i][k] - gb.direction[i][k]).abs() <= 1e-6,
                    "{case}"
                );
            }
        }
        assert_eq!(read_geometry(&image).unwrap(), *ga);
        let ra = extract_case(&image, &label, &params).unwrap();
        let rb = extract_case(&nii_image, &nii_label, &params).unwrap();
        let mut compared = 0;
        for ((ka, va), (kb, vb)) in ra.iter().zip(&rb) {
            assert_eq!(ka, kb);
            if let (Value::Number(x), Value::Number(y)) = (va, vb) {
                if ka.contains("_shape_") || ka.ends_with("TotalEnergy") {
                    // float32 spacing: 2⁻²⁴ ≈ 6e-8 relative per axis, cubed in volumes.
                    assert!(
                        (x - y).abs() <= 1e-6 * y.abs().max(1e-300),
                        "{case} {ka}: NRRD {x} vs NIfTI {y}"
                    );
                } else if !ka.starts_with("diagnostics_") {
                    assert_eq!(
                        x.to_bits(),
                        y.to_bits(),
                        "{case} {ka}: NRRD {x} vs NIfTI {y}"
                    );
                }
                compared += 1;
            }
        }
        assert!(compared > 100, "{case}: {compared} values");
    }
}

/// A small oblique int16 image and its NIfTI copy.
fn reference(dir: &Path) -> (Geometry, Vec<i16>, PathBuf) {
    let (c, s) = (0.6f64.cos(), 0.6f64.sin());
    let g = Geometry {
        size: [5, 4, 3],
        spacing: [0.8, 0.9, 2.5],
        origin: [-12.5, 30.25, 7.0],
        direction: [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]],
    };
    let data: Vec<i16> = (0..60).map(|i| (i * 37 % 101) as i16 - 40).collect();
    let path = dir.join("ref.nii.gz");
    write_volume(&path, &g, &data).unwrap();
    (g, data, path)
}

/// The NRRD header of `g` in `space` (LPS, RAS or LAS vectors).
fn header(g: &Geometry, space: &str, extra: &str) -> String {
    let flip = match space {
        "right-anterior-superior" => [-1.0, -1.0, 1.0],
        "left-anterior-superior" => [1.0, -1.0, 1.0],
        _ => [1.0, 1.0, 1.0],
    };
    let dirs: Vec<String> = (0..3)
        .map(|j| {
            let v: Vec<String> = (0..3)
                .map(|i| format!("{:?}", flip[i] * g.direction[i][j] * g.spacing[j]))
                .collect();
            format!("({})", v.join(","))
        })
        .collect();
    let o: Vec<String> = (0..3)
        .map(|i| format!("{:?}", flip[i] * g.origin[i]))
        .collect();
    format!(
        "NRRD0004\n# a comment\ntype: short\ndimension: 3\nspace: {space}\nsizes: {} {} {}\nspace directions: {}\nkinds: domain domain domain\nspace origin: ({})\nsome key:=some value\n{extra}",
        g.size[0],
        g.size[1],
        g.size[2],
        dirs.join(" "),
        o.join(",")
    )
}

fn le(data: &[i16]) -> Vec<u8> {
    data.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn every_encoding_and_space_reads_as_the_same_image() {
    let dir = tempfile::tempdir().unwrap();
    let (g, data, nii) = reference(dir.path());
    let want = read_volume(&nii).unwrap();
    let be: Vec<u8> = data.iter().flat_map(|v| v.to_be_bytes()).collect();
    let ascii: String = data.iter().map(|v| format!("{v} ")).collect();
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut raw = header(
        &g,
        "left-posterior-superior",
        "endian: little\nencoding: raw\n\n",
    )
    .into_bytes();
    raw.extend(le(&data));
    files.push(("raw.nrrd", raw));
    let mut big = header(
        &g,
        "left-posterior-superior",
        "endian: big\nencoding: raw\n\n",
    )
    .into_bytes();
    big.extend(&be);
    files.push(("big.nrrd", big));
    for space in ["right-anterior-superior", "left-anterior-superior"] {
        let mut z = header(&g, space, "endian: little\nencoding: gzip\n\n").into_bytes();
        z.extend(gzip(&le(&data)));
        files.push((
            if space.starts_with('r') {
                "ras.nrrd"
            } else {
                "las.nrrd"
            },
            z,
        ));
    }
    let mut text = header(&g, "left-posterior-superior", "encoding: ascii\n\n").into_bytes();
    text.extend(ascii.as_bytes());
    files.push(("ascii.nrrd", text));
    // Detached: two lines and four bytes to skip before the voxels.
    let mut detached = b"line one\nline two\nABCD".to_vec();
    detached.extend(le(&data));
    std::fs::write(dir.path().join("data.raw"), &detached).unwrap();
    files.push((
        "detached.nhdr",
        header(
            &g,
            "left-posterior-superior",
            "endian: little\nencoding: raw\nline skip: 2\nbyte skip: 4\ndata file: data.raw\n",
        )
        .into_bytes(),
    ));
    // byte skip −1: the voxels are the file's last bytes.
    let mut tail = header(
        &g,
        "left-posterior-superior",
        "endian: little\nencoding: raw\nbyte skip: -1\n\n",
    )
    .into_bytes();
    tail.extend(b"padding");
    tail.extend(le(&data));
    files.push(("tail.nrrd", tail));
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let got = read_volume(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.data, want.data, "{name}");
        assert_eq!(got.pixel_type, want.pixel_type, "{name}");
        let (a, b) = (&got.geometry, &want.geometry);
        assert_eq!(a.size, b.size, "{name}");
        for k in 0..3 {
            assert!(
                (a.spacing[k] - b.spacing[k]).abs() < 1e-6,
                "{name}: spacing {a:?} vs {b:?}"
            );
            assert!(
                (a.origin[k] - b.origin[k]).abs() < 1e-4,
                "{name}: origin {a:?} vs {b:?}"
            );
            for i in 0..3 {
                assert!(
                    (a.direction[i][k] - b.direction[i][k]).abs() < 1e-6,
                    "{name}: {a:?} vs {b:?}"
                );
            }
        }
        let m = read_mask(&path, 24).unwrap();
        assert_eq!(
            m.data.iter().filter(|&&v| v).count(),
            data.iter().filter(|&&v| v == 24).count()
        );
    }
}

#[test]
fn broken_files_are_errors_that_name_the_file_and_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let (g, data, _) = reference(dir.path());
    let ok_header = header(
        &g,
        "left-posterior-superior",
        "endian: little\nencoding: raw\n\n",
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("magic.nrrd", b"P5 not a nrrd\n".to_vec(), "magic"),
        ("empty.nrrd", Vec::new(), "empty"),
        (
            "short.nrrd",
            [ok_header.as_bytes(), &le(&data)[..50]].concat(),
            "need 120",
        ),
        (
            "dim4.nrrd",
            ok_header
                .replace("dimension: 3", "dimension: 4")
                .into_bytes(),
            "dimension 4",
        ),
        (
            "type.nrrd",
            ok_header.replace("type: short", "type: block").into_bytes(),
            "type 'block'",
        ),
        (
            "sizes.nrrd",
            ok_header
                .replace("sizes: 5 4 3", "sizes: 5 0 3")
                .into_bytes(),
            "sizes",
        ),
        (
            "nosizes.nrrd",
            ok_header.replace("sizes: 5 4 3\n", "").into_bytes(),
            "'sizes'",
        ),
        (
            "bzip.nrrd",
            ok_header
                .replace("encoding: raw", "encoding: bzip2")
                .into_bytes(),
            "bzip2",
        ),
        (
            "space.nrrd",
            ok_header
                .replace("left-posterior-superior", "scanner-xyz")
                .into_bytes(),
            "scanner-xyz",
        ),
        (
            "origin.nrrd",
            ok_header
                .replace("space origin: (", "space origin: (nan,")
                .into_bytes(),
            "space origin",
        ),
        (
            "huge.nrrd",
            ok_header
                .replace("sizes: 5 4 3", "sizes: 100000 100000 100000")
                .into_bytes(),
            "budget",
        ),
        (
            "gz.nrrd",
            [
                ok_header
                    .replace("encoding: raw", "encoding: gzip")
                    .as_bytes(),
                b"not gzip at all",
            ]
            .concat(),
            "corrupt",
        ),
        (
            "nodata.nhdr",
            ok_header
                .replace("encoding: raw\n", "encoding: raw\ndata file: missing.raw\n")
                .into_bytes(),
            "missing.raw",
        ),
    ];
    for (name, bytes, expect) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let e = read_volume(&path)
            .err()
            .unwrap_or_else(|| panic!("{name} was read"))
            .to_string();
        assert!(e.contains(name), "{name}: {e}");
        assert!(e.contains(expect), "{name}: '{e}' lacks '{expect}'");
    }
}

#[test]
fn mutated_files_never_panic_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (g, data, _) = reference(dir.path());
    let mut gz = header(
        &g,
        "left-posterior-superior",
        "endian: little\nencoding: gzip\n\n",
    )
    .into_bytes();
    gz.extend(gzip(&le(&data)));
    let mut raw = header(
        &g,
        "right-anterior-superior",
        "endian: big\nencoding: raw\n\n",
    )
    .into_bytes();
    raw.extend(le(&data));
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let path = dir.path().join("mutant.nrrd");
    let mut errors = 0;
    for round in 0..400 {
        let mut bytes = if round % 2 == 0 {
            gz.clone()
        } else {
            raw.clone()
        };
        match next() % 3 {
            // Flip bytes anywhere (header or data).
            0 => {
                for _ in 0..1 + next() % 4 {
                    let k = (next() % bytes.len() as u64) as usize;
                    bytes[k] = (next() & 0xff) as u8;
                }
            }
            // Truncate.
            1 => bytes.truncate((next() % bytes.len() as u64) as usize),
            // Insert digits into the header (sizes, vectors, skips grow).
            _ => {
                let k = (next() % 200) as usize;
                bytes.insert(k.min(bytes.len()), b'0' + (next() % 10) as u8);
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = read_volume(&path) {
            assert!(e.to_string().contains("mutant.nrrd"), "round {round}: {e}");
            errors += 1;
        }
    }
    assert!(errors > 100, "most mutants are refused ({errors} of 400)");
}
