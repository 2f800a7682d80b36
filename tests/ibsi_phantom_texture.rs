//! IBSI-1 digital phantom: texture reference values (GLCM `cm`, GLRLM `rlm`, GLSZM `szm`,
//! NGTDM `ngt`, NGLDM `ngl`) from `../shared/data/ibsi/digital_phantom/reference_values.csv`
//! (IBSI reference manual tables).
//!
//! Settings: IBSI computes the phantom's texture without discretisation. The phantom holds the
//! integers 1, 3, 4 and 6, so `binWidth:1` (PyRadiomics bin origin: edges start at
//! `min − min mod 1 = 1`) gives grey level = intensity; [`binwidth_one_keeps_intensities`]
//! checks that. IBSI aggregations map to gpurad settings as follows:
//! * `3D, averaged` (ITBB) and `3D` (KOBO): the defaults;
//! * `3D, merged` (IAZD): `weightingNorm:no_weighting` (directional matrices summed);
//! * `2.5D, direction-merged` (JJUI): `force2D:true` — PyRadiomics builds each in-plane
//!   direction's matrix over all slices and averages features over the 4 directions;
//! * `2.5D, merged` (ZW7Z): `force2D:true` + `weightingNorm:no_weighting`;
//! * `2.5D` (62GR, the non-directional classes): `force2D:true`.
//!
//! IBSI slices the phantom along its third axis (z; 4 slices of 5×4 voxels), which is
//! PyRadiomics' `force2Ddimension:0` (axis 0 of the (z, y, x) array). The 2D aggregations
//! (BTW3 and SUJT for `cm` and `rlm`, 8QNN for the others: features per slice, averaged over
//! slices) compute each slice as its own 2D image
//! (`gpurad::features::ibsi::aggregate::slice_mean_features`): BTW3 and 8QNN with each
//! slice's directions averaged, SUJT merged (`weightingNorm:no_weighting`).
//!
//! The NGLDM's dependence count percentage (6XV8; PyRadiomics' deprecated
//! DependencePercentage) and dependence count energy (CAS9) come from
//! `gpurad::features::ibsi::ngldm`. The grey level distance zone family (`dzm`) is checked
//! in `tests/ibsi_families.rs`.
//!
//! Mapped to a differently named PyRadiomics feature (documented identities): Joint
//! maximum → MaximumProbability, Joint variance → SumSquares, Sum variance → ClusterTendency
//! (PyRadiomics' SumVariance was removed as identical), Dissimilarity → DifferenceAverage,
//! Angular second moment → JointEnergy, `ngl` Normalised grey level non-uniformity (5SPA) →
//! firstorder Uniformity (PyRadiomics' deprecated GLDM GrayLevelNonUniformityNormalized,
//! documented as identical to it; with `binWidth:1` both use the same grey levels).
//!
//! Tolerance: as `tests/ibsi_phantom.rs`. IBSI publishes values rounded to three significant
//! digits with a tolerance (0 for the phantom); a value passes when it is within the
//! tolerance or rounds to the published value (within half a unit of the last digit).

mod common;

use std::collections::BTreeMap;

use common::*;
use gpurad::extract::{extract_case, Value};
use gpurad::features::ibsi::aggregate::slice_mean_features;
use gpurad::features::registry::FeatureClass;
use gpurad::Params;

/// (IBSI family code, IBSI feature name) → gpurad column.
fn feature_map() -> BTreeMap<(&'static str, &'static str), &'static str> {
    let cm = [
        ("Joint maximum", "glcm_MaximumProbability"),
        ("Joint average", "glcm_JointAverage"),
        ("Joint variance", "glcm_SumSquares"),
        ("Joint entropy", "glcm_JointEntropy"),
        ("Difference average", "glcm_DifferenceAverage"),
        ("Difference variance", "glcm_DifferenceVariance"),
        ("Difference entropy", "glcm_DifferenceEntropy"),
        ("Sum average", "glcm_SumAverage"),
        ("Sum variance", "glcm_ClusterTendency"),
        ("Sum entropy", "glcm_SumEntropy"),
        ("Angular second moment", "glcm_JointEnergy"),
        ("Contrast", "glcm_Contrast"),
        ("Dissimilarity", "glcm_DifferenceAverage"),
        ("Inverse difference", "glcm_Id"),
        ("Normalised inverse difference", "glcm_Idn"),
        ("Inverse difference moment", "glcm_Idm"),
        ("Normalised inverse difference moment", "glcm_Idmn"),
        ("Inverse variance", "glcm_InverseVariance"),
        ("Correlation", "glcm_Correlation"),
        ("Autocorrelation", "glcm_Autocorrelation"),
        ("Cluster tendency", "glcm_ClusterTendency"),
        ("Cluster shade", "glcm_ClusterShade"),
        ("Cluster prominence", "glcm_ClusterProminence"),
        ("Information correlation 1", "glcm_Imc1"),
        ("Information correlation 2", "glcm_Imc2"),
    ];
    let rlm = [
        ("Short runs emphasis", "glrlm_ShortRunEmphasis"),
        ("Long runs emphasis", "glrlm_LongRunEmphasis"),
        (
            "Low grey level run emphasis",
            "glrlm_LowGrayLevelRunEmphasis",
        ),
        (
            "High grey level run emphasis",
            "glrlm_HighGrayLevelRunEmphasis",
        ),
        (
            "Short run low grey level emphasis",
            "glrlm_ShortRunLowGrayLevelEmphasis",
        ),
        (
            "Short run high grey level emphasis",
            "glrlm_ShortRunHighGrayLevelEmphasis",
        ),
        (
            "Long run low grey level emphasis",
            "glrlm_LongRunLowGrayLevelEmphasis",
        ),
        (
            "Long run high grey level emphasis",
            "glrlm_LongRunHighGrayLevelEmphasis",
        ),
        ("Grey level non-uniformity", "glrlm_GrayLevelNonUniformity"),
        (
            "Normalised grey level non-uniformity",
            "glrlm_GrayLevelNonUniformityNormalized",
        ),
        ("Run length non-uniformity", "glrlm_RunLengthNonUniformity"),
        (
            "Normalised run length non-uniformity",
            "glrlm_RunLengthNonUniformityNormalized",
        ),
        ("Run percentage", "glrlm_RunPercentage"),
        ("Grey level variance", "glrlm_GrayLevelVariance"),
        ("Run length variance", "glrlm_RunVariance"),
        ("Run entropy", "glrlm_RunEntropy"),
    ];
    let szm = [
        ("Small zone emphasis", "glszm_SmallAreaEmphasis"),
        ("Large zone emphasis", "glszm_LargeAreaEmphasis"),
        (
            "Low grey level zone emphasis",
            "glszm_LowGrayLevelZoneEmphasis",
        ),
        (
            "High grey level zone emphasis",
            "glszm_HighGrayLevelZoneEmphasis",
        ),
        (
            "Small zone low grey level emphasis",
            "glszm_SmallAreaLowGrayLevelEmphasis",
        ),
        (
            "Small zone high grey level emphasis",
            "glszm_SmallAreaHighGrayLevelEmphasis",
        ),
        (
            "Large zone low grey level emphasis",
            "glszm_LargeAreaLowGrayLevelEmphasis",
        ),
        (
            "Large zone high grey level emphasis",
            "glszm_LargeAreaHighGrayLevelEmphasis",
        ),
        ("Grey level non-uniformity", "glszm_GrayLevelNonUniformity"),
        (
            "Normalised grey level non-uniformity",
            "glszm_GrayLevelNonUniformityNormalized",
        ),
        ("Zone size non-uniformity", "glszm_SizeZoneNonUniformity"),
        (
            "Normalised zone size non-uniformity",
            "glszm_SizeZoneNonUniformityNormalized",
        ),
        ("Zone percentage", "glszm_ZonePercentage"),
        ("Grey level variance", "glszm_GrayLevelVariance"),
        ("Zone size variance", "glszm_ZoneVariance"),
        ("Zone size entropy", "glszm_ZoneEntropy"),
    ];
    let ngt = [
        ("Coarseness", "ngtdm_Coarseness"),
        ("Contrast", "ngtdm_Contrast"),
        ("Busyness", "ngtdm_Busyness"),
        ("Complexity", "ngtdm_Complexity"),
        ("Strength", "ngtdm_Strength"),
    ];
    let ngl = [
        ("Low dependence emphasis", "gldm_SmallDependenceEmphasis"),
        ("High dependence emphasis", "gldm_LargeDependenceEmphasis"),
        ("Low grey level count emphasis", "gldm_LowGrayLevelEmphasis"),
        (
            "High grey level count emphasis",
            "gldm_HighGrayLevelEmphasis",
        ),
        (
            "Low dependence low grey level emphasis",
            "gldm_SmallDependenceLowGrayLevelEmphasis",
        ),
        (
            "Low dependence high grey level emphasis",
            "gldm_SmallDependenceHighGrayLevelEmphasis",
        ),
        (
            "High dependence low grey level emphasis",
            "gldm_LargeDependenceLowGrayLevelEmphasis",
        ),
        (
            "High dependence high grey level emphasis",
            "gldm_LargeDependenceHighGrayLevelEmphasis",
        ),
        ("Grey level non-uniformity", "gldm_GrayLevelNonUniformity"),
        (
            "Normalised grey level non-uniformity",
            "firstorder_Uniformity",
        ),
        (
            "Dependence count non-uniformity",
            "gldm_DependenceNonUniformity",
        ),
        (
            "Normalised dependence count non-uniformity",
            "gldm_DependenceNonUniformityNormalized",
        ),
        ("Grey level variance", "gldm_GrayLevelVariance"),
        ("Dependence count variance", "gldm_DependenceVariance"),
        ("Dependence count entropy", "gldm_DependenceEntropy"),
    ];
    let mut m = BTreeMap::new();
    for (fam, list) in [
        ("cm", &cm[..]),
        ("rlm", &rlm[..]),
        ("szm", &szm[..]),
        ("ngt", &ngt[..]),
        ("ngl", &ngl[..]),
    ] {
        for &(ibsi, col) in list {
            m.insert((fam, ibsi), col);
        }
    }
    m
}

/// IBSI aggregation id → gpurad settings overrides (3D and 2.5D only).
fn aggregation_settings(aggregation_id: &str) -> Option<&'static [&'static str]> {
    Some(match aggregation_id {
        "ITBB" | "KOBO" => &[],
        "IAZD" => &["weightingNorm:no_weighting"],
        "JJUI" | "62GR" => &["force2D:true", "force2Ddimension:0"],
        "ZW7Z" => &[
            "force2D:true",
            "force2Ddimension:0",
            "weightingNorm:no_weighting",
        ],
        _ => return None,
    })
}

/// IBSI 2D aggregation id → gpurad settings overrides for each slice's own 2D image.
fn slice_settings(aggregation_id: &str) -> Option<&'static [&'static str]> {
    Some(match aggregation_id {
        "BTW3" | "8QNN" => &[],
        "SUJT" => &["weightingNorm:no_weighting"],
        _ => return None,
    })
}

/// A gpurad column (`glcm_JointEnergy`) as its texture class and feature name; the `ngl`
/// normalised grey level non-uniformity (mapped to firstorder Uniformity in 3D) per slice is
/// the GLDM's GrayLevelNonUniformityNormalized, its documented equal.
fn class_and_name(column: &str) -> (FeatureClass, String) {
    let column = if column == "firstorder_Uniformity" {
        "gldm_GrayLevelNonUniformityNormalized"
    } else {
        column
    };
    let (class, name) = column.split_once('_').unwrap();
    (FeatureClass::from_name(class).unwrap(), name.to_string())
}

/// The phantom's grey image (grey level = intensity with `binWidth:1`).
fn phantom_grey() -> gpurad::matrices::GreyImage {
    let (img, mask) = phantom();
    let image = gpurad::io::nifti::read_volume(&img).unwrap();
    let mask = gpurad::io::nifti::read_mask(&mask, 1).unwrap();
    gpurad::matrices::grey_image(&image, &mask, &params(&[]).settings).unwrap()
}

/// IBSI's dependence count percentage or energy (`index` 0 or 1 of
/// `gpurad::features::ibsi::ngldm::features`) of the phantom in aggregation `aggregation_id`.
fn ngldm_extra(grey: &gpurad::matrices::GreyImage, aggregation_id: &str, index: usize) -> f64 {
    use gpurad::features::ibsi::{aggregate, ngldm};
    use gpurad::matrices::{angles::generate, gldm};
    let of = |img: &gpurad::matrices::GreyImage, force2d: Option<usize>| {
        let m = gldm::build(img, &generate(img.size, &[1], force2d), 0.0);
        ngldm::features(&m, img.roi_count() as u64)[index]
    };
    match aggregation_id {
        "KOBO" => of(grey, None),
        "62GR" => of(grey, Some(0)),
        "8QNN" => {
            let slices = aggregate::slices(grey);
            slices.iter().map(|(_, s)| of(s, None)).sum::<f64>() / slices.len() as f64
        }
        other => panic!("no ngl aggregation {other}"),
    }
}

fn phantom() -> (std::path::PathBuf, std::path::PathBuf) {
    ibsi_phantom()
}

fn params(overrides: &[&str]) -> Params {
    let mut p = Params::from_yaml(
        "featureClass:\n  glcm:\n  glrlm:\n  glszm:\n  gldm:\n  ngtdm:\n  firstorder: [Uniformity]\n",
    )
    .unwrap();
    p.settings.apply_override("binWidth:1").unwrap();
    for o in overrides {
        p.settings.apply_override(o).unwrap();
    }
    p
}

/// One reference row of the table.
struct RefRow {
    family: String,
    feature: String,
    aggregation: String,
    aggregation_id: String,
    published: String,
    tolerance: f64,
}

fn reference_rows() -> Vec<RefRow> {
    let path = ibsi_reference_values();
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    let col = |n: &str| {
        headers
            .iter()
            .position(|h| h == n)
            .unwrap_or_else(|| panic!("no column {n} in reference_values.csv"))
    };
    let (fam, feat, agg, agg_id, val, tol) = (
        col("family_code"),
        col("feature"),
        col("aggregation"),
        col("aggregation_ibsi_id"),
        col("value"),
        col("tolerance"),
    );
    r.records()
        .map(|x| {
            let x = x.unwrap();
            RefRow {
                family: x[fam].to_string(),
                feature: x[feat].to_string(),
                aggregation: x[agg].to_string(),
                aggregation_id: x[agg_id].to_string(),
                published: x[val].to_string(),
                tolerance: x[tol].parse().unwrap_or(0.0),
            }
        })
        .collect()
}

/// With `binWidth:1` and PyRadiomics' bin origin, each ROI voxel's grey level is its
/// intensity: the settings reproduce IBSI's "no discretisation".
#[test]
fn binwidth_one_keeps_intensities() {
    let (img, mask) = phantom();
    let p = params(&[]);
    let image = gpurad::io::nifti::read_volume(&img).unwrap();
    let mask = gpurad::io::nifti::read_mask(&mask, 1).unwrap();
    let grey = gpurad::matrices::grey_image(&image, &mask, &p.settings).unwrap();
    let mut n = 0;
    for ((&v, &m), &l) in image.data.iter().zip(&mask.data).zip(&grey.levels) {
        if m {
            assert_eq!(l as f64, v, "grey level differs from intensity");
            n += 1;
        } else {
            assert_eq!(l, 0);
        }
    }
    assert_eq!(n, 74, "the phantom ROI has 74 voxels");
    assert_eq!(grey.present_levels(), vec![1, 3, 4, 6]);
}

#[test]
fn digital_phantom_texture_reference_values() {
    let (img, mask) = phantom();
    let map = feature_map();
    let families = ["cm", "rlm", "szm", "ngt", "ngl"];
    let grey = phantom_grey();

    // One gpurad run per distinct settings combination.
    let mut runs: BTreeMap<Vec<&str>, Vec<(String, Value)>> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut counts: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut covered = 0;
    for rec in reference_rows() {
        if !families.contains(&rec.family.as_str()) {
            continue;
        }
        let key = (rec.family.clone(), rec.aggregation.clone());
        let extra = match (rec.family.as_str(), rec.feature.as_str()) {
            ("ngl", "Dependence count percentage") => Some(0),
            ("ngl", "Dependence count energy") => Some(1),
            _ => None,
        };
        let (column, got) = if let Some(index) = extra {
            let v = ngldm_extra(&grey, &rec.aggregation_id, index);
            ("ibsi::ngldm", v)
        } else {
            let Some(&column) = map.get(&(rec.family.as_str(), rec.feature.as_str())) else {
                *skipped
                    .entry(format!(
                        "{} {} (no PyRadiomics feature)",
                        rec.family, rec.feature
                    ))
                    .or_default() += 1;
                continue;
            };
            let v = if let Some(overrides) = aggregation_settings(&rec.aggregation_id) {
                let row = runs.entry(overrides.to_vec()).or_insert_with(|| {
                    extract_case(&img, &mask, &params(overrides))
                        .unwrap_or_else(|e| panic!("{overrides:?}: {e}"))
                });
                let full = format!("original_{column}");
                match row.iter().find(|(c, _)| *c == full) {
                    Some((_, Value::Number(v))) => *v,
                    _ => panic!("{full} missing from gpurad output"),
                }
            } else {
                let overrides = slice_settings(&rec.aggregation_id)
                    .unwrap_or_else(|| panic!("aggregation {}", rec.aggregation_id));
                let (class, name) = class_and_name(column);
                let values = slice_mean_features(
                    &grey,
                    class,
                    &params(overrides).settings,
                    std::slice::from_ref(&name),
                )
                .unwrap();
                values[0].1
            };
            (column, v)
        };
        let reference: f64 = rec
            .published
            .parse()
            .unwrap_or_else(|_| panic!("bad reference value '{}'", rec.published));
        let allowed = rec.tolerance.max(half_unit(&rec.published));
        let ok = (got - reference).abs() <= allowed + 1e-12;
        println!(
            "{:<4}{:<26}{:<44}{column:<44} gpurad {got:<12.6} IBSI {} ± {allowed} {}",
            rec.family,
            rec.aggregation,
            rec.feature,
            rec.published,
            if ok { "ok" } else { "FAIL" }
        );
        let c = counts.entry(key).or_default();
        c.0 += 1;
        covered += 1;
        if !ok {
            c.1 += 1;
            failures.push(format!(
                "{} [{}] {} ({column}): gpurad {got} vs IBSI {} ± {allowed}",
                rec.family, rec.aggregation, rec.feature, rec.published
            ));
        }
    }
    println!("\nIBSI digital phantom texture rows covered (family, aggregation: rows, failures):");
    for ((fam, agg), (n, bad)) in &counts {
        println!("  {fam:<4} {agg:<26} {n:>3} rows, {bad} failed");
    }
    println!("not covered:");
    for (what, n) in &skipped {
        println!("  {what}: {n} rows");
    }
    println!("{covered} rows covered in total");

    // Every aggregation of every family: 25 cm × 6 + 16 rlm × 6 + 16 szm × 3 + 5 ngt × 3
    // + 17 ngl × 3.
    assert_eq!(counts.len(), 21, "expected 21 family/aggregation groups");
    assert!(skipped.is_empty(), "rows not covered: {skipped:?}");
    assert_eq!(covered, 150 + 96 + 48 + 15 + 51, "reference rows covered");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
