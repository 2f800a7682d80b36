//! First-order and shape features against PyRadiomics on its own test cases.
//!
//! Two references, neither written by us:
//! * `tests/fixtures/pyradiomics/expected_firstorder_shape.csv`: PyRadiomics 3.1 (the
//!   maintained `pyradiomics-bhklab` 3.1.4 build) run on the same NIfTI files by
//!   `make_expected.py` beside it, for the configurations in [`configs`].
//! * PyRadiomics' baseline tables (`../shared/data/pyradiomics/baseline/`), made by an older
//!   PyRadiomics on the original NRRD files, with voxelArrayShift 2000 in the default config.
//!
//! Tolerances (relative, on `|a − b| / max(|a|, |b|)`):
//! * 1e-6 for every feature without resampling, 1e-5 for mesh-based shape features —
//!   the values are the same double-precision formulas, so only summation order differs;
//! * 1e-3 with resampling, where SimpleITK's float round-off in the grid transform can move
//!   a mask voxel on an exact nearest-neighbour tie;
//! * 1e-3 against the baseline tables, which were printed with 12 significant digits by an
//!   older version.

mod common;

use std::collections::BTreeMap;

use common::*;
use gpurad::extract::{extract_case, Value};
use gpurad::features::registry::FeatureClass;
use gpurad::Params;

/// PyRadiomics settings of each configuration in the fixture (mirrors `CONFIGS` in
/// `make_expected.py`), as gpurad `NAME:VALUE` overrides.
fn configs() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("default", vec![]),
        (
            "normalization",
            vec!["normalize:true", "normalizeScale:100", "binWidth:5"],
        ),
        (
            "resampling",
            vec!["resampledPixelSpacing:[2,2,2]", "interpolator:sitkBSpline"],
        ),
        (
            "resampling_linear",
            vec!["resampledPixelSpacing:[1,1,1]", "interpolator:sitkLinear"],
        ),
        (
            "resampling_nearest",
            vec![
                "resampledPixelSpacing:[1,1,1]",
                "interpolator:sitkNearestNeighbor",
            ],
        ),
        (
            "mr",
            vec![
                "normalize:true",
                "normalizeScale:100",
                "binWidth:5",
                "resampledPixelSpacing:[1,1,1]",
                "interpolator:sitkBSpline",
            ],
        ),
        (
            "resegment",
            vec!["resegmentRange:[-3,3]", "resegmentMode:sigma"],
        ),
        ("shift2000", vec!["voxelArrayShift:2000"]),
        ("bincount", vec!["binCount:32"]),
        (
            "outliers",
            vec!["normalize:true", "removeOutliers:3", "normalizeScale:100"],
        ),
    ]
}

fn params_for(overrides: &[&str]) -> Params {
    let mut p = Params::from_yaml("featureClass:\n  firstorder: []\n  shape:\n").unwrap();
    // The fixture enables every first-order feature, StandardDeviation included.
    p.feature_classes.insert(
        FeatureClass::FirstOrder,
        gpurad::features::registry::FIRSTORDER
            .features
            .iter()
            .map(|f| f.name.to_string())
            .collect(),
    );
    for o in overrides {
        p.settings.apply_override(o).unwrap();
    }
    p
}

type Expected = BTreeMap<(String, String), BTreeMap<String, String>>;

fn load_expected() -> Expected {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pyradiomics/expected_firstorder_shape.csv"
    );
    let mut r = csv::Reader::from_path(path).unwrap();
    let mut out: Expected = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        out.entry((rec[0].to_string(), rec[1].to_string()))
            .or_default()
            .insert(rec[2].to_string(), rec[3].to_string());
    }
    out
}

fn is_mesh(feature: &str) -> bool {
    [
        "MeshVolume",
        "SurfaceArea",
        "SurfaceVolumeRatio",
        "Sphericity",
        "Maximum",
        "Compactness",
        "Spherical",
    ]
    .iter()
    .any(|k| feature.starts_with(&format!("original_shape_{k}")))
}

/// Compares one extracted row with the reference values; returns (compared, failures,
/// largest relative difference).
fn compare(
    label: &str,
    row: &[(String, Value)],
    expected: &BTreeMap<String, String>,
    tol: impl Fn(&str) -> f64,
) -> (usize, Vec<String>, f64) {
    let mut worst = 0.0f64;
    let mut n = 0;
    let mut bad = Vec::new();
    for (k, v) in expected {
        if !k.starts_with("original_") {
            continue;
        }
        let e: f64 = v
            .parse()
            .unwrap_or_else(|_| panic!("{label} {k}: bad reference '{v}'"));
        let got = row.iter().find(|(c, _)| c == k);
        match got {
            Some((_, Value::Number(g))) => {
                n += 1;
                let d = rel_diff(*g, e);
                worst = worst.max(d);
                // NaN differences fail too.
                if d.is_nan() || d > tol(k) {
                    bad.push(format!(
                        "{label} {k}: gpurad {g} vs {e} (rel {d:.2e}, tol {:.0e})",
                        tol(k)
                    ));
                }
            }
            _ => bad.push(format!("{label} {k}: missing in gpurad output")),
        }
    }
    (n, bad, worst)
}

#[test]
fn matches_pyradiomics_3_on_all_cases_and_configs() {
    let expected = load_expected();
    let mut compared = 0;
    let mut failures = Vec::new();
    let mut runs = 0;
    let (mut worst_plain, mut worst_resampled) = (0.0f64, 0.0f64);
    let cases = available_cases(&PYRADIOMICS_CASES);
    for &case in &cases {
        let (img, mask) = pyradiomics_case(case);
        for (config, overrides) in configs() {
            let Some(exp) = expected.get(&(case.to_string(), config.to_string())) else {
                panic!("fixture has no rows for {case}/{config}");
            };
            let label = format!("{case}/{config}");
            if let Some(err) = exp.get("error") {
                // PyRadiomics refused this case; gpurad must refuse it too.
                assert!(
                    extract_case(&img, &mask, &params_for(&overrides)).is_err(),
                    "{label}: PyRadiomics failed ({err}) but gpurad did not"
                );
                continue;
            }
            let row = extract_case(&img, &mask, &params_for(&overrides))
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            let resampled = overrides
                .iter()
                .any(|o| o.starts_with("resampledPixelSpacing"));
            let tol = |k: &str| {
                if resampled {
                    1e-3
                } else if is_mesh(k) {
                    1e-5
                } else {
                    1e-6
                }
            };
            let (n, bad, worst) = compare(&label, &row, exp, tol);
            let slot = if resampled {
                &mut worst_resampled
            } else {
                &mut worst_plain
            };
            *slot = slot.max(worst);
            compared += n;
            runs += 1;
            failures.extend(bad);
        }
    }
    println!(
        "compared {compared} feature values over {runs} case/config runs; largest relative difference {worst_plain:.1e} without resampling, {worst_resampled:.1e} with"
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // At least 250 values per case (the six cases give over 1,500).
    assert!(
        compared > 250 * cases.len(),
        "too few comparisons: {compared}"
    );
}

/// Reads a baseline table into `column -> feature -> value`.
fn baseline(shared: &std::path::Path, class: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let path = shared.join(format!("pyradiomics/baseline/baseline_{class}.csv"));
    let mut r = csv::Reader::from_path(&path).unwrap();
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
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

#[test]
fn matches_pyradiomics_baseline_tables() {
    let Some(shared) = shared_data() else { return };
    let mut worst = 0.0f64;
    let mut compared = 0;
    let mut failures = Vec::new();
    for class in ["firstorder", "shape"] {
        for (column, values) in baseline(&shared, class) {
            let (case, config) = column.split_once('_').unwrap_or((column.as_str(), ""));
            let overrides: Vec<&str> = match config {
                "" if class == "firstorder" => vec!["voxelArrayShift:2000"],
                "" => vec![],
                "normalization" => vec!["normalize:true", "normalizeScale:100", "binWidth:5"],
                "resampling" => vec!["resampledPixelSpacing:[2,2,2]", "interpolator:sitkBSpline"],
                "resegmentation" => vec!["resegmentRange:[-3,3]", "resegmentMode:sigma"],
                other => panic!("unexpected baseline configuration '{other}'"),
            };
            let (img, mask) = pyradiomics_case(case);
            let mut p = params_for(&overrides);
            p.feature_classes.retain(|c, _| c.name() == class);
            let row = extract_case(&img, &mask, &p).unwrap_or_else(|e| panic!("{column}: {e}"));
            let (n, bad, w) = compare(&format!("baseline {class} {column}"), &row, &values, |_| {
                1e-3
            });
            worst = worst.max(w);
            compared += n;
            failures.extend(bad);
        }
    }
    println!("compared {compared} baseline values; largest relative difference {worst:.1e}");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(compared > 400, "too few comparisons: {compared}");
}
