//! The feature catalogue against IBSI's own table and against its published form:
//! every IBSI identifier the registry gives is one of the IBSI-1 reference manual's, of the
//! family its class belongs to, and `docs/features.md` is what `gpurad features` prints.

mod common;

use std::collections::HashMap;

use common::*;
use gpurad::features::registry::FeatureClass;

#[test]
fn ibsi_codes_are_ibsis_and_of_the_classs_family() {
    // IBSI feature id → (family id, feature name), from the IBSI-1 reference values.
    let mut ibsi: HashMap<String, (String, String)> = HashMap::new();
    let mut r = csv::Reader::from_path(ibsi_reference_values()).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (fam, id, name) = (
        col("family_ibsi_id"),
        col("feature_ibsi_id"),
        col("feature"),
    );
    for rec in r.records() {
        let rec = rec.unwrap();
        ibsi.insert(
            rec[id].to_string(),
            (rec[fam].to_string(), rec[name].to_string()),
        );
    }
    assert!(
        ibsi.len() > 150,
        "the IBSI table lists {} features",
        ibsi.len()
    );
    let mut checked = 0;
    for class in FeatureClass::ALL {
        let spec = class.spec();
        assert!(
            ibsi.values().any(|(f, _)| *f == spec.ibsi),
            "{class}: family {} is not an IBSI family",
            spec.ibsi
        );
        for f in spec.features.iter().filter(|f| !f.ibsi.is_empty()) {
            let (family, ibsi_name) = ibsi
                .get(f.ibsi)
                .unwrap_or_else(|| panic!("{class}_{}: {} is not an IBSI id", f.name, f.ibsi));
            // PyRadiomics' first-order entropy and uniformity are IBSI's intensity-histogram
            // features (family ZVCW): they are computed on the discretised intensities.
            let histogram =
                class == FeatureClass::FirstOrder && matches!(f.name, "Entropy" | "Uniformity");
            let want = if histogram { "ZVCW" } else { spec.ibsi };
            assert_eq!(
                family, want,
                "{class}_{}: {} is IBSI's '{ibsi_name}', of family {family}",
                f.name, f.ibsi
            );
            checked += 1;
        }
    }
    // Every PyRadiomics feature has its IBSI id but kurtosis (IBSI's is the excess),
    // total energy, standard deviation, MCC and the three 2D diameters.
    let total: usize = FeatureClass::ALL
        .map(|c| c.spec().features.len())
        .iter()
        .sum();
    assert_eq!(checked, total - 7);
}

#[test]
fn docs_features_md_is_the_catalogue() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/features.md");
    let written = std::fs::read_to_string(&path).unwrap();
    let want = format!("{}\n", gpurad::catalogue::markdown(None).trim_end());
    assert!(
        written == want,
        "docs/features.md differs from the registry: run `gpurad features --format md > docs/features.md`"
    );
}
