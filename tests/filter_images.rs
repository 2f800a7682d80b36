//! The LoG and gradient filters against SimpleITK, bit for bit: the images of
//! `tests/fixtures/simpleitk/` (made by `make_filter_images.py` beside them) are SimpleITK's
//! float32 outputs for a test image on anisotropic voxels, from double and from int16 input.
//! gpurad must give the same float32 values, over the whole image and over sub-boxes (where
//! it computes only what the box sees).

use std::path::PathBuf;

use gpurad::filters::{gradient, log};
use gpurad::image::{BoundingBox, Volume};
use gpurad::io::nifti::read_volume;

fn fixture(name: &str) -> Volume {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/simpleitk")
        .join(name);
    read_volume(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn whole(v: &Volume) -> BoundingBox {
    let s = v.geometry.size;
    BoundingBox {
        lo: [0; 3],
        hi: [s[0] - 1, s[1] - 1, s[2] - 1],
    }
}

/// Boxes to compute: the whole image, an inner box, boxes touching each face, one voxel.
fn boxes(v: &Volume) -> Vec<BoundingBox> {
    let s = v.geometry.size;
    vec![
        whole(v),
        BoundingBox {
            lo: [3, 4, 2],
            hi: [15, 11, 7],
        },
        BoundingBox {
            lo: [0, 0, 0],
            hi: [5, 3, 1],
        },
        BoundingBox {
            lo: [s[0] - 4, s[1] - 7, s[2] - 3],
            hi: [s[0] - 1, s[1] - 1, s[2] - 1],
        },
        BoundingBox {
            lo: [11, 9, 5],
            hi: [11, 9, 5],
        },
    ]
}

/// Asserts that `got` (cut to `bb`) holds exactly the values of `want` in `bb`.
fn assert_identical(got: &Volume, want: &Volume, bb: &BoundingBox, what: &str) {
    let e = bb.extent();
    let s = want.geometry.size;
    assert_eq!(got.geometry.size, e, "{what}");
    let mut differ = 0;
    let mut first = None;
    for z in 0..e[2] {
        for y in 0..e[1] {
            for x in 0..e[0] {
                let g = got.data[x + e[0] * (y + e[1] * z)];
                let (wx, wy, wz) = (bb.lo[0] + x, bb.lo[1] + y, bb.lo[2] + z);
                let w = want.data[wx + s[0] * (wy + s[1] * wz)];
                // Both are float32 values held in f64.
                assert_eq!(g as f32 as f64, g, "{what}: not a float32 value");
                if g.to_bits() != w.to_bits() {
                    differ += 1;
                    first.get_or_insert((wx, wy, wz, g, w));
                }
            }
        }
    }
    assert_eq!(differ, 0, "{what}: {differ} voxels differ, first {first:?}");
}

#[test]
fn log_equals_simpleitk_bit_for_bit() {
    for (input, prefix) in [("input.nii.gz", "log"), ("input_int16.nii.gz", "log_int16")] {
        let image = fixture(input);
        for sigma in ["0.5", "1.0", "2.5", "6.0"] {
            let want = fixture(&format!("{prefix}_{sigma}.nii.gz"));
            let s: f64 = sigma.parse().unwrap();
            for bb in boxes(&image) {
                let got = log::image(&image, &bb, s);
                assert_identical(&got, &want, &bb, &format!("{prefix} σ {sigma} box {bb:?}"));
            }
        }
    }
}

#[test]
fn gradient_equals_simpleitk_bit_for_bit() {
    let image = fixture("input.nii.gz");
    for (name, spacing) in [("gradient", true), ("gradient_nospacing", false)] {
        let want = fixture(&format!("{name}.nii.gz"));
        for bb in boxes(&image) {
            let got = gradient::image(&image, &bb, spacing);
            assert_identical(&got, &want, &bb, &format!("{name} box {bb:?}"));
        }
    }
}

#[test]
fn log_sizes_are_checked_as_pyradiomics_checks_them() {
    // Four voxels along every axis at least; size ≥ ⌈σ/spacing⌉ + 1 along each.
    assert!(log::check_size([4, 4, 4], [1.0; 3], 3.0, "x").is_ok());
    assert!(log::check_size([4, 4, 3], [1.0; 3], 1.0, "x").is_err());
    let e = log::check_size([40, 40, 5], [1.0, 1.0, 1.0], 4.5, "log-sigma-4-5-mm-3D")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("log-sigma-4-5-mm-3D") && e.contains("axis z"),
        "{e}"
    );
    assert!(log::check_size([40, 40, 6], [1.0, 1.0, 1.0], 4.5, "x").is_ok());
    // A σ far below the spacing overflows the filter's coefficients.
    let e = log::check_size([40, 40, 40], [1.0, 1.0, 1.0], 1e-300, "x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("too small"), "{e}");
}
