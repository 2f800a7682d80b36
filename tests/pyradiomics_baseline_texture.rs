//! Texture matrices and features against PyRadiomics' own baseline
//! (`../shared/data/pyradiomics/baseline/`, from the PyRadiomics repository, not made by us).
//!
//! * `matrices/<case>_<class>.npy` (brain1, brain2, breast1, lung1, lung2 × GLCM, GLRLM, GLSZM,
//!   GLDM, NGTDM): little-endian f64 (C order; Fortran order for the GLSZM and GLDM files),
//!   parsed by hand below. Each holds PyRadiomics' `P_<class>` for one case with default
//!   settings (binWidth 25, distance 1, 3D) on the ROI bounding box, after PyRadiomics'
//!   post-processing, i.e. the state after `_initCalculation()`: rows of grey levels absent
//!   from the ROI deleted; GLCM symmetrised and normalised per direction, shape (Ng, Ng, 13);
//!   GLRLM (Ng, run lengths, 13), GLSZM (Ng, zone sizes), GLDM (Ng, dependence counts) with the
//!   run-length / zone-size / dependence columns that are empty over the whole matrix deleted;
//!   NGTDM (Ng, 3) with columns n_i, s_i and the grey level i; the 13 directions in
//!   PyRadiomics 3's order (see [`pyradiomics3_order`]; gpurad's own order differs, which
//!   features do not depend on). Checked with PyRadiomics 3.1.4 on the same NIfTI files: its
//!   `P_<class>[0]` equals every file exactly. gpurad's matrices are built with its public CPU
//!   builders on the ROI grid as `extract_case` prepares it, post-processed the same way, and
//!   must agree to 1e-9 (absolute, or relative to the larger magnitude): the counts are
//!   integers, the GLCM a ratio of integers, NGTDM's s_i a sum of f64 whose order may differ.
//! * `baseline_<class>.csv`: feature tables with one column per case and configuration
//!   (`<case>`, `_2d`, `_FBN`, `_combined`, `_flatRegion`, `_normalization`, `_resampling`,
//!   `_resegmentation`; settings in the `diagnostics_Configuration_Settings` row, which the test
//!   checks against its mapping). Compared within 1e-3 relative, as the first-order/shape
//!   baseline test in `tests/pyradiomics_parity.rs`: the tables were printed by older
//!   PyRadiomics versions (1.3 for the default column, 2.0.1 for the others) from the original
//!   NRRD files, with ~12 significant digits for some values.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use gpurad::extract::{crop_mask, crop_volume, extract_case, Value};
use gpurad::matrices::{angles, glcm, gldm, glrlm, glszm, grey_image, ngtdm, GreyImage};
use gpurad::settings::Settings;
use gpurad::Params;

/// The cases that have baseline matrices and tables.
const CASES: [&str; 5] = ["brain1", "brain2", "breast1", "lung1", "lung2"];
const CLASSES: [&str; 5] = ["glcm", "glrlm", "glszm", "gldm", "ngtdm"];

// ---------------------------------------------------------------------------------------------
// .npy reading

/// A dense row-major f64 array.
#[derive(Debug, Clone, PartialEq)]
struct Array {
    shape: Vec<usize>,
    data: Vec<f64>,
}

impl Array {
    fn new(shape: Vec<usize>, data: Vec<f64>) -> Array {
        assert_eq!(shape.iter().product::<usize>(), data.len());
        Array { shape, data }
    }

    /// Strides (in elements) of the row-major layout.
    fn strides(&self) -> Vec<usize> {
        let mut s = vec![1; self.shape.len()];
        for k in (0..self.shape.len().saturating_sub(1)).rev() {
            s[k] = s[k + 1] * self.shape[k + 1];
        }
        s
    }

    /// Multi-index of linear position `i`.
    fn unravel(&self, mut i: usize) -> Vec<usize> {
        let st = self.strides();
        st.iter()
            .map(|&s| {
                let v = i / s;
                i %= s;
                v
            })
            .collect()
    }

    /// Keeps only the indices of `axis` where the array has a nonzero value (numpy.delete of
    /// the empty slices along that axis).
    fn drop_empty(&self, axis: usize) -> Array {
        let mut nonzero = vec![false; self.shape[axis]];
        for (i, &v) in self.data.iter().enumerate() {
            if v != 0.0 {
                nonzero[self.unravel(i)[axis]] = true;
            }
        }
        let mut shape = self.shape.clone();
        shape[axis] = nonzero.iter().filter(|&&k| k).count();
        let data = self
            .data
            .iter()
            .enumerate()
            .filter(|(i, _)| nonzero[self.unravel(*i)[axis]])
            .map(|(_, &v)| v)
            .collect();
        Array::new(shape, data)
    }
}

/// Reads a `.npy` file (format versions 1–3) holding a little-endian f64 array in C order.
fn read_npy(path: &Path) -> Array {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&b[..6], b"\x93NUMPY", "{}: not a .npy file", path.display());
    let (header_len, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 => (
            u32::from_le_bytes(b[8..12].try_into().unwrap()) as usize,
            12,
        ),
        v => panic!("{}: unsupported .npy version {v}", path.display()),
    };
    let header = std::str::from_utf8(&b[start..start + header_len]).unwrap();
    // The header is a Python dict literal: {'descr': '<f8', 'fortran_order': False, 'shape': (..), }
    let value_after = |key: &str| -> &str {
        let k = format!("'{key}':");
        let at = header
            .find(&k)
            .unwrap_or_else(|| panic!("{}: no {key} in header {header}", path.display()));
        header[at + k.len()..].trim_start()
    };
    let descr = value_after("descr");
    assert!(
        descr.starts_with("'<f8'"),
        "{}: expected little-endian f64, header {header}",
        path.display()
    );
    let fortran = value_after("fortran_order").starts_with("True");
    let shape_text = value_after("shape");
    let close = shape_text.find(')').unwrap();
    let shape: Vec<usize> = shape_text[1..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let body = &b[start + header_len..];
    let n: usize = shape.iter().product();
    assert_eq!(body.len(), 8 * n, "{}: data size mismatch", path.display());
    let raw: Vec<f64> = body
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    if !fortran {
        return Array::new(shape, raw);
    }
    // Fortran (column-major) order: the first index varies fastest. Reorder to row-major.
    let mut out = Array::new(shape.clone(), vec![0.0; n]);
    for i in 0..n {
        let idx = out.unravel(i);
        let (mut at, mut stride) = (0, 1);
        for (k, &v) in idx.iter().enumerate() {
            at += v * stride;
            stride *= shape[k];
        }
        out.data[i] = raw[at];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// gpurad matrices, post-processed as PyRadiomics

/// The discretised ROI of a case with default settings, prepared as `extract_case` does without
/// resampling or resegmentation: the image and mask cut to the ROI's bounding box (no padding).
fn grey(case: &str, settings: &Settings) -> GreyImage {
    let (img_path, mask_path) = pyradiomics_case(case);
    let image = gpurad::io::nifti::read_volume(&img_path).unwrap();
    let mask = gpurad::io::nifti::read_mask(&mask_path, settings.label).unwrap();
    let bb = gpurad::checks::check_roi(
        &mask,
        settings.label,
        settings.minimum_roi_dimensions,
        settings.minimum_roi_size,
        &mask_path,
    )
    .unwrap();
    let image = crop_volume(&image, &bb, 0);
    let roi = crop_mask(&mask, &bb, 0);
    grey_image(&image, &roi, settings).unwrap()
}

/// Indices of `dirs` in the order PyRadiomics 3's C extension lists directions: (z, y, x)
/// offsets whose first nonzero component is positive, in descending lexicographic order
/// ((1,1,1), (1,1,0), (1,1,−1), (1,0,1), … (0,0,1) at distance 1). gpurad lists the same 13
/// directions in the order of PyRadiomics 2's Python `generateAngles` instead; features average
/// or sum over directions, so the order does not change them.
fn pyradiomics3_order(dirs: &[angles::Offset]) -> Vec<usize> {
    let key = |o: &angles::Offset| {
        let zyx = [o[2], o[1], o[0]];
        let first = zyx.iter().copied().find(|&v| v != 0).unwrap();
        assert!(
            first > 0,
            "direction {o:?} is not PyRadiomics' representative"
        );
        zyx
    };
    let mut idx: Vec<usize> = (0..dirs.len()).collect();
    idx.sort_by_key(|&a| std::cmp::Reverse(key(&dirs[a])));
    idx
}

/// gpurad's matrix of `class` in the layout and post-processing of PyRadiomics' `P_<class>`
/// (directions in PyRadiomics 3's order, see [`pyradiomics3_order`]).
fn gpurad_matrix(class: &str, img: &GreyImage, s: &Settings) -> Array {
    let present = img.present_levels();
    let np = present.len();
    let dirs = |d: &[usize]| angles::generate(img.size, d, None);
    match class {
        "glcm" => {
            let mut g = glcm::build(img, &dirs(&s.distances));
            glcm::symmetrize(&mut g);
            let na = g.angles.len();
            let order = pyradiomics3_order(&g.angles);
            let mut data = vec![0.0; np * np * na];
            for (out, &a) in order.iter().enumerate() {
                let mut sum = 0.0;
                for &i in &present {
                    for &j in &present {
                        sum += g.get(a, i as usize, j as usize) as f64;
                    }
                }
                for (r, &i) in present.iter().enumerate() {
                    for (c, &j) in present.iter().enumerate() {
                        // An empty direction gives NaN, as PyRadiomics; drop_empty removes it.
                        data[(r * np + c) * na + out] =
                            g.get(a, i as usize, j as usize) as f64 / sum;
                    }
                }
            }
            let mut m = Array::new(vec![np, np, na], data);
            m.data.iter_mut().for_each(|v| {
                if v.is_nan() {
                    *v = 0.0;
                }
            });
            m.drop_empty(2)
        }
        "glrlm" => {
            let g = glrlm::build(img, &dirs(&[1]));
            let na = g.angles.len();
            let order = pyradiomics3_order(&g.angles);
            let mut data = vec![0.0; np * g.nr * na];
            for (r, &i) in present.iter().enumerate() {
                for len in 1..=g.nr {
                    for (out, &a) in order.iter().enumerate() {
                        data[(r * g.nr + len - 1) * na + out] = g.get(a, i as usize, len) as f64;
                    }
                }
            }
            Array::new(vec![np, g.nr, na], data)
                .drop_empty(2)
                .drop_empty(1)
        }
        "glszm" => {
            let g = glszm::build(img, &dirs(&[1]));
            let mut data = vec![0.0; np * g.ns];
            for (r, &i) in present.iter().enumerate() {
                for size in 1..=g.ns {
                    data[r * g.ns + size - 1] = g.get(i as usize, size) as f64;
                }
            }
            Array::new(vec![np, g.ns], data).drop_empty(1)
        }
        "gldm" => {
            let g = gldm::build(img, &dirs(&s.distances), s.gldm_a);
            let mut data = vec![0.0; np * g.nd];
            for (r, &i) in present.iter().enumerate() {
                for d in 1..=g.nd {
                    data[r * g.nd + d - 1] = g.get(i as usize, d) as f64;
                }
            }
            Array::new(vec![np, g.nd], data).drop_empty(1)
        }
        "ngtdm" => {
            let g = ngtdm::build(img, &dirs(&s.distances));
            let mut data = Vec::new();
            for l in 0..g.ng {
                if g.n[l] > 0 {
                    data.extend([g.n[l] as f64, g.s[l], (l + 1) as f64]);
                }
            }
            let rows = data.len() / 3;
            Array::new(vec![rows, 3], data)
        }
        other => panic!("unknown class {other}"),
    }
}

fn close_1e9(a: f64, b: f64) -> bool {
    let d = (a - b).abs();
    d <= 1e-9 || d <= 1e-9 * a.abs().max(b.abs())
}

#[test]
fn matrices_match_pyradiomics_baseline() {
    let Some(shared) = shared_data() else { return };
    let settings = Settings::default();
    let dir = shared.join("pyradiomics/baseline/matrices");
    let mut failures = Vec::new();
    let (mut files, mut values, mut worst) = (0, 0, 0.0f64);
    for case in CASES {
        let img = grey(case, &settings);
        for class in CLASSES {
            let expected = read_npy(&dir.join(format!("{case}_{class}.npy")));
            let got = gpurad_matrix(class, &img, &settings);
            files += 1;
            let label = format!("{case}_{class}");
            if got.shape != expected.shape {
                failures.push(format!(
                    "{label}: shape {:?}, PyRadiomics {:?}",
                    got.shape, expected.shape
                ));
                continue;
            }
            let mut bad = 0;
            for (i, (&g, &e)) in got.data.iter().zip(&expected.data).enumerate() {
                values += 1;
                worst = worst.max((g - e).abs() / e.abs().max(g.abs()).max(1.0));
                if !close_1e9(g, e) {
                    bad += 1;
                    if bad <= 5 {
                        failures.push(format!(
                            "{label}{:?}: gpurad {g} vs PyRadiomics {e}",
                            got.unravel(i)
                        ));
                    }
                }
            }
            if bad > 5 {
                failures.push(format!("{label}: {bad} differing values in all"));
            }
            println!("{label}: shape {:?}, {bad} differing values", got.shape);
        }
    }
    println!(
        "compared {values} matrix entries in {files} baseline matrices; largest difference {worst:.1e} (relative to max(1, |value|))"
    );
    assert_eq!(files, 25);
    assert!(values > 50_000, "too few matrix entries compared: {values}");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Baseline feature tables

/// Baseline configuration → gpurad overrides, and fragments its
/// `diagnostics_Configuration_Settings` must contain (checks the mapping).
fn config(name: &str) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
    Some(match name {
        // voxelArrayShift only affects first-order energy features.
        "" => (
            vec!["minimumROIDimensions:1"],
            vec![
                "'binWidth': 25",
                "'weightingNorm': None",
                "'force2D': False",
                "'resampledPixelSpacing': None",
                "'distances': [1]",
                "'gldm_a': 0",
            ],
        ),
        "2d" => (
            vec!["force2D:true", "force2Ddimension:0"],
            vec!["'force2D': True", "'force2Ddimension': 0"],
        ),
        "FBN" => (vec!["binCount:64"], vec!["'binCount': 64"]),
        "combined" => (
            vec!["weightingNorm:no_weighting"],
            vec!["'weightingNorm': 'no_weighting'"],
        ),
        "flatRegion" => (
            vec!["binWidth:5000", "resegmentRange:[0]"],
            vec!["'binWidth': 5000", "'resegmentRange': [0]"],
        ),
        "normalization" => (
            vec!["normalize:true", "normalizeScale:100", "binWidth:5"],
            vec![
                "'normalize': True",
                "'normalizeScale': 100",
                "'binWidth': 5,",
            ],
        ),
        "resampling" => (
            vec!["resampledPixelSpacing:[2,2,2]", "interpolator:sitkBSpline"],
            vec![
                "'resampledPixelSpacing': [2, 2, 2]",
                "'interpolator': 'sitkBSpline'",
            ],
        ),
        "resegmentation" => (
            vec!["resegmentRange:[-3,3]", "resegmentMode:sigma"],
            vec!["'resegmentRange': [-3, 3]", "'resegmentMode': 'sigma'"],
        ),
        _ => return None,
    })
}

/// One table column: row name (feature or diagnostic) → value as printed.
type Values = BTreeMap<String, String>;

/// Reads a baseline table into `column -> row name -> value`.
fn baseline(shared: &Path, class: &str) -> BTreeMap<String, Values> {
    let path = shared.join(format!("pyradiomics/baseline/baseline_{class}.csv"));
    let mut r = csv::Reader::from_path(&path).unwrap();
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut out: BTreeMap<String, Values> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        for (i, h) in headers.iter().enumerate().skip(1) {
            out.entry(h.clone())
                .or_default()
                .insert(rec[0].to_string(), rec[i].to_string());
        }
    }
    out
}

fn case_of(column: &str) -> (&str, &str) {
    column.split_once('_').unwrap_or((column, ""))
}

#[test]
fn features_match_pyradiomics_baseline_tables() {
    const TOL: f64 = 1e-3;
    let Some(shared) = shared_data() else { return };
    // column -> [(class, values)]: one gpurad run per column computes every class that has it.
    let mut columns: BTreeMap<String, Vec<(&str, Values)>> = BTreeMap::new();
    for class in CLASSES {
        for (column, values) in baseline(&shared, class) {
            columns.entry(column).or_default().push((class, values));
        }
    }
    let mut failures = Vec::new();
    let mut per_config: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut skipped = Vec::new();
    let (mut compared, mut worst) = (0, 0.0f64);
    for (column, tables) in &columns {
        let (case, cfg) = case_of(column);
        let Some((overrides, fragments)) = config(cfg) else {
            skipped.push(format!("{column}: unknown configuration"));
            continue;
        };
        let mut yaml = String::from("featureClass:\n");
        for (class, values) in tables {
            let stored = &values["diagnostics_Configuration_Settings"];
            for f in &fragments {
                assert!(
                    stored.contains(f),
                    "{class} {column}: settings {stored} lack {f}; the mapping is wrong"
                );
            }
            yaml.push_str(&format!("  {class}:\n"));
        }
        let mut p = Params::from_yaml(&yaml).unwrap();
        for o in &overrides {
            p.settings.apply_override(o).unwrap();
        }
        let (img, mask) = pyradiomics_case(case);
        let row = extract_case(&img, &mask, &p).unwrap_or_else(|e| panic!("{column}: {e}"));
        for (class, values) in tables {
            let stat = per_config.entry(format!("{class} {cfg}")).or_default();
            for (k, v) in values {
                if !k.starts_with("original_") {
                    continue;
                }
                let e: f64 = v
                    .parse()
                    .unwrap_or_else(|_| panic!("{column} {k}: bad value '{v}'"));
                let Some((_, Value::Number(g))) = row.iter().find(|(c, _)| c == k) else {
                    failures.push(format!("{column} {k}: missing in gpurad output"));
                    continue;
                };
                let d = rel_diff(*g, e);
                compared += 1;
                stat.0 += 1;
                if !d.is_nan() {
                    worst = worst.max(d);
                }
                if d.is_nan() || d > TOL {
                    stat.1 += 1;
                    failures.push(format!(
                        "{column} {k}: gpurad {g} vs baseline {e} (rel {d:.2e})"
                    ));
                }
            }
        }
    }
    println!("baseline table comparisons (class configuration: values over 5 cases, failures):");
    for (k, (n, bad)) in &per_config {
        println!("  {k:<28} {n:>4} values, {bad} failed");
    }
    for s in &skipped {
        println!("skipped: {s}");
    }
    println!("compared {compared} baseline values; largest relative difference {worst:.1e}");
    assert!(skipped.is_empty(), "unmapped baseline columns: {skipped:?}");
    assert!(compared > 2800, "too few comparisons: {compared}");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// gpurad lists the directions in the order of PyRadiomics 3's C extension (which produced
/// the baseline matrices' angle axis), so per-direction matrices line up with PyRadiomics'.
#[test]
fn direction_order_is_pyradiomics_3() {
    let dirs = angles::generate([10, 10, 10], &[1], None);
    let order = pyradiomics3_order(&dirs);
    assert_eq!(
        order,
        (0..dirs.len()).collect::<Vec<_>>(),
        "directions {dirs:?}"
    );
}
