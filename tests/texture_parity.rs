//! Texture features (GLCM, GLRLM, GLSZM, GLDM, NGTDM) against PyRadiomics 3.1.
//!
//! Reference: `tests/fixtures/pyradiomics/expected_texture.csv`, made by
//! `make_expected_texture.py` beside it (PyRadiomics 3.1, the maintained
//! `pyradiomics-bhklab` 3.1.4 build) on the same NIfTI files, for the configurations in
//! [`configs`] on the six PyRadiomics cases and the IBSI digital phantom.
//!
//! Tolerances (relative, on `|a − b| / max(|a|, |b|)`):
//! * 1e-6 without resampling: the matrices are integer counts, identical to PyRadiomics', and
//!   the features the same double-precision formulas, so only summation order differs (MCC
//!   goes through an eigen-solver, still far inside 1e-6);
//! * 1e-3 with resampling, where SimpleITK's float round-off can move a voxel across a bin
//!   edge or a mask voxel on an exact nearest-neighbour tie.

mod common;

use std::collections::BTreeMap;

use common::*;
use gpurad::extract::{extract_case, Value};
use gpurad::Params;

/// Settings of each configuration (mirrors `CONFIGS` in `make_expected_texture.py`).
fn configs() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        ("default", vec![]),
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
            "mr_noresample",
            vec!["normalize:true", "normalizeScale:100", "binWidth:5"],
        ),
        ("bincount", vec!["binCount:32"]),
        ("merged", vec!["weightingNorm:no_weighting"]),
        ("euclidean", vec!["weightingNorm:euclidean"]),
        ("distances12", vec!["distances:[1,2]"]),
        ("force2d", vec!["force2D:true"]),
        ("gldm_a1", vec!["gldm_a:1"]),
        ("asym", vec!["symmetricalGLCM:false"]),
        ("FBN", vec!["binCount:64"]),
        ("combined", vec!["weightingNorm:no_weighting"]),
        ("flatregion", vec!["binWidth:5000", "resegmentRange:[0]"]),
        ("binwidth1", vec!["binWidth:1"]),
    ])
}

type Expected = BTreeMap<(String, String), BTreeMap<String, f64>>;

fn load_expected() -> Expected {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pyradiomics/expected_texture.csv"
    );
    let mut r = csv::Reader::from_path(path).unwrap();
    let mut out: Expected = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        assert_ne!(&rec[2], "error", "fixture has an error row: {:?}", rec);
        out.entry((rec[0].to_string(), rec[1].to_string()))
            .or_default()
            .insert(rec[2].to_string(), rec[3].parse().unwrap());
    }
    out
}

/// Params enabling the classes that appear in `features` (all their default features).
fn params_for(overrides: &[&str], features: &BTreeMap<String, f64>) -> Params {
    let mut yaml = String::from("featureClass:\n");
    let mut classes: Vec<&str> = features
        .keys()
        .map(|k| k.split('_').nth(1).unwrap())
        .collect();
    classes.dedup();
    for c in classes {
        yaml.push_str(&format!("  {c}:\n"));
    }
    let mut p = Params::from_yaml(&yaml).unwrap();
    for o in overrides {
        p.settings.apply_override(o).unwrap();
    }
    p
}

fn case_paths(case: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    if case == "ibsi_phantom" {
        ibsi_phantom()
    } else {
        pyradiomics_case(case)
    }
}

#[test]
fn texture_features_match_pyradiomics() {
    let expected = load_expected();
    let configs = configs();
    let mut failures = Vec::new();
    let (mut compared, mut runs) = (0, 0);
    let (mut worst_plain, mut worst_resampled) = (0.0f64, 0.0f64);
    let mut cases: Vec<&str> = expected
        .keys()
        .map(|(c, _)| c.as_str())
        .filter(|c| *c != "ibsi_phantom")
        .collect();
    cases.dedup();
    let available = available_cases(&cases);
    for ((case, config), exp) in &expected {
        if case != "ibsi_phantom" && !available.contains(&case.as_str()) {
            continue;
        }
        let overrides = configs
            .get(config.as_str())
            .unwrap_or_else(|| panic!("unknown fixture configuration {config}"));
        let (img, mask) = case_paths(case);
        let label = format!("{case}/{config}");
        let row = extract_case(&img, &mask, &params_for(overrides, exp))
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let resampled = overrides
            .iter()
            .any(|o| o.starts_with("resampledPixelSpacing"));
        let tol = if resampled { 1e-3 } else { 1e-6 };
        runs += 1;
        for (k, &e) in exp {
            let got = row.iter().find(|(c, _)| c == k);
            let Some((_, Value::Number(g))) = got else {
                failures.push(format!("{label} {k}: missing in gpurad output"));
                continue;
            };
            compared += 1;
            let d = rel_diff(*g, e);
            let worst = if resampled {
                &mut worst_resampled
            } else {
                &mut worst_plain
            };
            *worst = worst.max(d);
            if d.is_nan() || d > tol {
                failures.push(format!(
                    "{label} {k}: gpurad {g} vs PyRadiomics {e} (rel {d:.2e}, tol {tol:.0e})"
                ));
            }
        }
    }
    println!(
        "compared {compared} texture feature values over {runs} case/config runs; largest relative difference {worst_plain:.1e} without resampling, {worst_resampled:.1e} with"
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Over 4,000 values from all cases: at least that share of them from the cases run.
    assert!(
        compared * expected.len() > 4000 * runs,
        "too few comparisons: {compared} in {runs} of {} runs",
        expected.len()
    );
}

/// Features PyRadiomics deprecated as duplicates are computed, when named, as the features
/// they equal (PyRadiomics itself returns nothing for them).
#[test]
fn deprecated_features_equal_their_counterparts() {
    let (img, mask) = pyradiomics_case("brain2");
    let p = Params::from_yaml(
        "featureClass:\n  firstorder: [Uniformity]\n  glcm: [Dissimilarity, DifferenceAverage, Homogeneity1, Id, Homogeneity2, Idm, SumVariance, ClusterTendency]\n  gldm: [GrayLevelNonUniformityNormalized]\n",
    )
    .unwrap();
    let row = extract_case(&img, &mask, &p).unwrap();
    let get = |k: &str| match row.iter().find(|(c, _)| c == &format!("original_{k}")) {
        Some((_, Value::Number(v))) => *v,
        other => panic!("{k}: {other:?}"),
    };
    for (old, new) in [
        ("glcm_Dissimilarity", "glcm_DifferenceAverage"),
        ("glcm_Homogeneity1", "glcm_Id"),
        ("glcm_Homogeneity2", "glcm_Idm"),
        ("glcm_SumVariance", "glcm_ClusterTendency"),
    ] {
        assert_eq!(get(old), get(new), "{old} vs {new}");
    }
    // Same sum of squared grey-level frequencies, accumulated in another order.
    let (a, b) = (
        get("gldm_GrayLevelNonUniformityNormalized"),
        get("firstorder_Uniformity"),
    );
    assert!(rel_diff(a, b) < 1e-12, "{a} vs {b}");
}
