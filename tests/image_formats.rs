//! MetaImage (and SimpleITK-written NRRD) against what SimpleITK itself reads from the same
//! files (`tests/fixtures/formats/make_fixtures.py`): an oblique image (rotated about two
//! axes, anisotropic spacing, origin off zero) as int16 and float32, uncompressed and
//! compressed, with attached and detached data. Size, voxels and pixel type are equal;
//! spacing, origin and direction equal to 1e-12 (the files hold 17 significant digits).
//! Broken and mutated MetaImage files are errors naming the file, never a panic.

use std::path::{Path, PathBuf};

use gpurad::image::PixelType;
use gpurad::io::image_file::{read_geometry, read_volume};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats")
}

#[test]
fn metaimage_and_nrrd_read_as_simpleitk_reads_them() {
    let text = std::fs::read_to_string(dir().join("reference.json")).unwrap();
    let reference: serde_json::Value = serde_json::from_str(&text).unwrap();
    let files = reference.as_object().unwrap();
    assert_eq!(files.len(), 8);
    let nums = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    for (name, want) in files {
        let path = dir().join(name);
        let got = read_volume(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let g = &got.geometry;
        let size: Vec<usize> = nums(&want["size"]).iter().map(|&v| v as usize).collect();
        assert_eq!(g.size.to_vec(), size, "{name}");
        let close = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{name} {what}: {a} vs SimpleITK {b}"
            );
        };
        for (k, (&a, b)) in g.spacing.iter().zip(nums(&want["spacing"])).enumerate() {
            close(a, b, &format!("spacing {k}"));
        }
        for (k, (&a, b)) in g.origin.iter().zip(nums(&want["origin"])).enumerate() {
            close(a, b, &format!("origin {k}"));
        }
        let d = nums(&want["direction"]);
        for i in 0..3 {
            for j in 0..3 {
                close(
                    g.direction[i][j],
                    d[i * 3 + j],
                    &format!("direction [{i}][{j}]"),
                );
            }
        }
        assert_eq!(got.data, nums(&want["voxels"]), "{name}: voxels");
        let pixel = match want["pixel"].as_str().unwrap() {
            "16-bit signed integer" => PixelType::I16,
            "32-bit float" => PixelType::F32,
            other => panic!("{name}: pixel {other}"),
        };
        assert_eq!(got.pixel_type, pixel, "{name}");
        assert_eq!(
            read_geometry(&path).unwrap(),
            *g,
            "{name}: header-only geometry"
        );
    }
}

/// The uncompressed int16 MetaImage's header and data.
fn mha() -> (String, Vec<u8>) {
    let bytes = std::fs::read(dir().join("oblique_i16.mha")).unwrap();
    let at = bytes
        .windows(25)
        .position(|w| {
            w == b"ElementDataFile = LOCAL\r\n" || w.starts_with(b"ElementDataFile = LOCAL\n")
        })
        .expect("a LOCAL data header");
    let end = at + bytes[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
    (
        String::from_utf8(bytes[..end].to_vec()).unwrap(),
        bytes[end..].to_vec(),
    )
}

fn write(path: &Path, header: &str, data: &[u8]) {
    std::fs::write(path, [header.as_bytes(), data].concat()).unwrap();
}

#[test]
fn broken_metaimages_are_errors_naming_the_file_and_the_cause() {
    let (h, data) = mha();
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, String, Vec<u8>, &str)> = vec![
        ("short.mha", h.clone(), data[..60].to_vec(), "needs 120"),
        (
            "ndims.mha",
            h.replace("NDims = 3", "NDims = 4"),
            data.clone(),
            "NDims 4",
        ),
        (
            "type.mha",
            h.replace("MET_SHORT", "MET_STRING"),
            data.clone(),
            "MET_STRING",
        ),
        (
            "dims.mha",
            h.replace("DimSize = 5 4 3", "DimSize = 5 4"),
            data.clone(),
            "DimSize",
        ),
        (
            "spacing.mha",
            h.replace("ElementSpacing = ", "ElementSpacing = -"),
            data.clone(),
            "positive",
        ),
        (
            "matrix.mha",
            h.replace("TransformMatrix = 0.8", "TransformMatrix = 3.8"),
            data.clone(),
            "orthonormal",
        ),
        (
            "channels.mha",
            h.replace("NDims = 3", "NDims = 3\nElementNumberOfChannels = 3"),
            data.clone(),
            "channels",
        ),
        (
            "nodata.mha",
            h.replace("ElementDataFile = LOCAL", "ElementDataFile = gone.raw"),
            Vec::new(),
            "gone.raw",
        ),
        (
            "noend.mha",
            h.replace("ElementDataFile = LOCAL", "Comment = none"),
            Vec::new(),
            "ElementDataFile",
        ),
        (
            "zlib.mha",
            h.replace("CompressedData = False", "CompressedData = True"),
            b"not zlib".to_vec(),
            "corrupt",
        ),
        (
            "huge.mha",
            h.replace("DimSize = 5 4 3", "DimSize = 100000 100000 100000"),
            data.clone(),
            "budget",
        ),
    ];
    for (name, header, bytes, expect) in cases {
        let path = tmp.path().join(name);
        write(&path, &header, &bytes);
        let e = read_volume(&path)
            .err()
            .unwrap_or_else(|| panic!("{name} was read"))
            .to_string();
        assert!(e.contains(name), "{name}: {e}");
        assert!(e.contains(expect), "{name}: '{e}' lacks '{expect}'");
    }
}

#[test]
fn mutated_metaimages_never_panic() {
    let (h, data) = mha();
    let whole = [h.as_bytes(), &data].concat();
    let zipped = std::fs::read(dir().join("oblique_i16_z.mha")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("mutant.mha");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut refused = 0;
    for round in 0..400 {
        let mut bytes = if round % 2 == 0 {
            whole.clone()
        } else {
            zipped.clone()
        };
        match next() % 3 {
            0 => {
                for _ in 0..1 + next() % 4 {
                    let k = (next() % bytes.len() as u64) as usize;
                    bytes[k] = (next() & 0xff) as u8;
                }
            }
            1 => bytes.truncate((next() % bytes.len() as u64) as usize),
            _ => {
                let k = (next() % 300) as usize;
                bytes.insert(k.min(bytes.len()), b'0' + (next() % 10) as u8);
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = read_volume(&path) {
            assert!(e.to_string().contains("mutant.mha"), "round {round}: {e}");
            refused += 1;
        }
    }
    assert!(refused > 100, "most mutants are refused ({refused} of 400)");
}
