//! The LBP3D filter against PyRadiomics' `getLBP3DImage`: the images of
//! `tests/fixtures/lbp3d/` (made by `make_lbp3d_images.py` beside them) are PyRadiomics 3.1's
//! `lbp-3D-m<n>` and `lbp-3D-k` images of a test image (float64 and int16, with a plateau
//! where int16 samples are flat) over an ROI that touches every face of the image, for three
//! settings. The icosphere's points must equal trimesh's and the images PyRadiomics' bit for
//! bit (NaN where PyRadiomics has NaN): every step repeats SciPy's and NumPy's operations in
//! their order (the fixture is made with NumPy's C-library arctan2 and arccos, see the
//! script).

use std::path::PathBuf;

use gpurad::filters::{icosphere, lbp3d};
use gpurad::image::{crop_mask, Volume};
use gpurad::io::nifti::{read_mask, read_volume};
use gpurad::settings::Settings;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lbp3d")
        .join(name)
}

fn volume(name: &str) -> Volume {
    read_volume(&path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn icosphere_points_equal_trimesh() {
    let text = std::fs::read_to_string(path("icosphere.csv")).unwrap();
    let mut spheres: Vec<(usize, f64, Vec<[f64; 3]>)> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (s, r): (usize, f64) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        let p = [3, 4, 5].map(|k| hexf(f[k]));
        match spheres.last_mut() {
            Some((ls, lr, v)) if *ls == s && *lr == r => v.push(p),
            _ => spheres.push((s, r, vec![p])),
        }
    }
    assert_eq!(spheres.len(), 5);
    for (s, r, want) in spheres {
        let got = icosphere::vertices(s, r);
        assert_eq!(got.len(), want.len(), "subdivision {s}");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(
                g.map(f64::to_bits),
                w.map(f64::to_bits),
                "subdivision {s}, radius {r}, vertex {i}: {g:?} vs {w:?}"
            );
        }
    }
}

/// Parses Python's `float.hex()` text (`-0x1.0d2ca0da1530dp-1`, `0x0.0p+0`).
fn hexf(t: &str) -> f64 {
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let t = t.strip_prefix("0x").expect("hex float");
    let (mant, exp) = t.split_once('p').expect("exponent");
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut m = u64::from_str_radix(int, 16).unwrap() as f64;
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        m += c.to_digit(16).unwrap() as f64 * scale;
        scale /= 16.0;
    }
    let v = m * 2f64.powi(exp.parse().unwrap());
    if neg {
        -v
    } else {
        v
    }
}

#[test]
fn images_equal_pyradiomics() {
    let configs = [
        ("default", 2usize, 1.0, 1usize),
        ("l3_r1.5_s2", 3, 1.5, 2),
        ("l2_r2_s0", 2, 2.0, 0),
    ];
    let mask = read_mask(&path("mask.nii.gz"), 1).unwrap();
    let bb = mask.bounding_box().expect("an ROI");
    let roi = crop_mask(&mask, &bb, 0);
    let mut compared = 0;
    for input in ["input", "input_int16"] {
        let region = volume(&format!("{input}.nii.gz"));
        for (name, levels, radius, subdivision) in configs {
            let settings = Settings {
                lbp3d_levels: levels,
                lbp3d_icosphere_radius: radius,
                lbp3d_icosphere_subdivision: subdivision,
                ..Settings::default()
            };
            let images = lbp3d::images(&region, &bb, &roi, &settings).unwrap();
            assert_eq!(images.len(), levels + 1);
            for (image, got) in images {
                let want = volume(&format!("{input}_{name}_{image}.nii.gz"));
                let s = want.geometry.size;
                let e = bb.extent();
                let mut worst = (0.0f64, [0usize; 3]);
                for z in 0..e[2] {
                    for y in 0..e[1] {
                        for x in 0..e[0] {
                            let i = x + e[0] * (y + e[1] * z);
                            if !roi.data[i] {
                                continue;
                            }
                            let (rx, ry, rz) = (x + bb.lo[0], y + bb.lo[1], z + bb.lo[2]);
                            let w = want.data[rx + s[0] * (ry + s[1] * rz)];
                            let g = got.data[i];
                            compared += 1;
                            if w.is_nan() || g.is_nan() {
                                assert!(
                                    w.is_nan() && g.is_nan(),
                                    "{input} {name} {image} at ({rx}, {ry}, {rz}): {g} vs {w}"
                                );
                                continue;
                            }
                            let d = (g - w).abs() / w.abs().max(f64::MIN_POSITIVE);
                            if d > worst.0 {
                                worst = (d, [rx, ry, rz]);
                            }
                        }
                    }
                }
                assert!(
                    worst.0 == 0.0,
                    "{input} {name} {image}: relative difference {:.2e} at {:?}",
                    worst.0,
                    worst.1
                );
            }
        }
    }
    assert!(compared > 10_000, "{compared}");
}
