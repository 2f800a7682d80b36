//! Every common NIfTI datatype reads to the same values, with scl_slope/scl_inter applied.

mod common;

use common::*;
use gpurad::image::PixelType;
use gpurad::io::nifti::read_volume;

/// Re-encodes the IBSI phantom image (int16, values 1–6) with another datatype.
fn encode(datatype: i16, bitpix: i16, enc: fn(f64) -> Vec<u8>, slope: f32, inter: f32) -> Vec<u8> {
    let b = gunzip(&ibsi_phantom().0);
    let mut out = b[..off::DATA].to_vec();
    put_i16(&mut out, off::DATATYPE, datatype);
    put_i16(&mut out, off::BITPIX, bitpix);
    put_f32(&mut out, 112, slope);
    put_f32(&mut out, 116, inter);
    for c in b[off::DATA..].chunks(2) {
        let v = i16::from_le_bytes([c[0], c[1]]) as f64;
        out.extend(enc(v));
    }
    out
}

#[test]
fn all_datatypes_and_scaling() {
    let dir = tempfile::tempdir().unwrap();
    let reference = read_volume(&ibsi_phantom().0).unwrap();
    type Encoding = (&'static str, i16, i16, fn(f64) -> Vec<u8>, PixelType);
    let cases: Vec<Encoding> = vec![
        ("u8", 2, 8, |v| vec![v as u8], PixelType::U8),
        ("i8", 256, 8, |v| vec![v as i8 as u8], PixelType::I8),
        (
            "u16",
            512,
            16,
            |v| (v as u16).to_le_bytes().to_vec(),
            PixelType::U16,
        ),
        (
            "i32",
            8,
            32,
            |v| (v as i32).to_le_bytes().to_vec(),
            PixelType::I32,
        ),
        (
            "u32",
            768,
            32,
            |v| (v as u32).to_le_bytes().to_vec(),
            PixelType::U32,
        ),
        (
            "f32",
            16,
            32,
            |v| (v as f32).to_le_bytes().to_vec(),
            PixelType::F32,
        ),
        ("f64", 64, 64, |v| v.to_le_bytes().to_vec(), PixelType::F64),
    ];
    for (name, dt, bp, enc, pt) in cases {
        let p = dir.path().join(format!("{name}.nii"));
        std::fs::write(&p, encode(dt, bp, enc, 1.0, 0.0)).unwrap();
        let v = read_volume(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.data, reference.data, "{name}");
        assert_eq!(v.pixel_type, pt, "{name}");
        assert_eq!(v.geometry, reference.geometry, "{name}");
    }
    // Scaled data: stored u8 value s maps to 0.5 * s - 10.
    let p = dir.path().join("scaled.nii");
    std::fs::write(&p, encode(2, 8, |v| vec![v as u8], 0.5, -10.0)).unwrap();
    let v = read_volume(&p).unwrap();
    let expected: Vec<f64> = reference.data.iter().map(|x| 0.5 * x - 10.0).collect();
    assert_eq!(v.data, expected);
    assert_eq!(
        v.pixel_type,
        PixelType::F32,
        "scaled integers read as float, as SimpleITK"
    );
}

/// Parses a Python tuple such as "(1.5, -2.0, 3.25)".
fn tuple(s: &str) -> Vec<f64> {
    s.trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(|x| x.trim().parse().unwrap())
        .collect()
}

#[test]
fn geometry_matches_simpleitk() {
    // The fixture holds SimpleITK's ROI centre of mass, as voxel index and as physical point
    // (LPS). Mapping the index through gpurad's geometry must give the same point: this checks
    // origin, spacing and direction together.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pyradiomics/expected_firstorder_shape.csv"
    );
    let mut r = csv::Reader::from_path(path).unwrap();
    let mut checked = 0;
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let cases = available_cases(&PYRADIOMICS_CASES);
    for &case in &cases {
        let get = |f: &str| {
            rows.iter()
                .find(|x| &x[0] == case && &x[1] == "default" && &x[2] == f)
                .map(|x| x[3].to_string())
                .unwrap_or_else(|| panic!("{case}: no {f}"))
        };
        let idx = tuple(&get("diagnostics_Mask-original_CenterOfMassIndex"));
        let phys = tuple(&get("diagnostics_Mask-original_CenterOfMass"));
        let (img, mask) = pyradiomics_case(case);
        let g = read_volume(&img).unwrap().geometry;
        assert_eq!(g, read_volume(&mask).unwrap().geometry);
        let p = g.index_to_physical([idx[0], idx[1], idx[2]]);
        for a in 0..3 {
            // 1e-4 mm: NIfTI stores the affine in float32, and SimpleITK rounds through its own
            // float path; a real geometry error is of the order of a voxel (≥ 0.5 mm here).
            assert!(
                (p[a] - phys[a]).abs() < 1e-4,
                "{case}: axis {a}: gpurad {p:?} vs SimpleITK {phys:?}"
            );
        }
        assert_eq!(
            tuple(&get("diagnostics_Image-original_Spacing")),
            g.spacing.to_vec(),
            "{case}"
        );
        checked += 1;
    }
    assert_eq!(checked, cases.len());
}
