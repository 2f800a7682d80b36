//! `featureNames: ibsi` on the IBSI-1 digital phantom: the extraction's own IBSI columns
//! (`RNU0`, `GYBY_ITBB`, `BC2M_V10`, …) against all 482 reference values
//! (`tests/fixtures/ibsi/reference_values.csv`) — the 3D aggregations and the first-order and
//! morphology families from one run, the 2D and 2.5D aggregations from a second with
//! `force2D`. The phantom's intensities are already discrete (IBSI: no discretisation):
//! `binWidth: 1` with IBSI's bin origin keeps grey level = intensity. Tolerance as
//! `tests/ibsi_phantom.rs`: within the published tolerance, or rounding to the published value.

mod common;

use std::collections::BTreeMap;

use common::*;
use gpurad::extract::{extract_case, sequence_columns, Value};
use gpurad::Params;

/// Reference rows as (column name, published value, tolerance).
fn references() -> Vec<(String, String, f64)> {
    ibsi_reference_columns(&ibsi_reference_values(), "digital_phantom")
}

fn run(force2d: bool) -> (Vec<String>, BTreeMap<String, f64>) {
    let (image, mask) = ibsi_phantom();
    let mut p = Params::from_yaml("setting:\n  featureNames: ibsi\n  binWidth: 1\n").unwrap();
    p.settings.apply_override("binningOrigin:ibsi").unwrap();
    if force2d {
        p.settings.apply_override("force2D:true").unwrap();
    }
    let row = extract_case(&image, &mask, &p).unwrap();
    let header = sequence_columns(&p);
    let keys: Vec<String> = row.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(keys, header, "the header lists the row's columns, in order");
    let values = row
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::Number(x) => Some((k, x)),
            Value::Text(_) => None,
        })
        .collect();
    (keys, values)
}

#[test]
fn digital_phantom_all_reference_values_under_ibsi_names() {
    let (_, three_d) = run(false);
    let (_, two_d) = run(true);
    let mut failures = Vec::new();
    let mut compared = 0;
    for (column, published, tol) in references() {
        let got = three_d
            .get(&column)
            .or_else(|| two_d.get(&column))
            .unwrap_or_else(|| panic!("no column {column}"));
        let reference: f64 = published.parse().unwrap();
        let allowed = tol.max(half_unit(&published));
        if (got - reference).abs() > allowed + 1e-12 {
            failures.push(format!(
                "{column}: gpurad {got} vs IBSI {published} ± {allowed}"
            ));
        }
        compared += 1;
    }
    println!(
        "{compared} reference values compared, {} failed",
        failures.len()
    );
    assert_eq!(compared, 482);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The 3D run writes no 2D aggregation and the reverse.
    assert!(three_d.contains_key("GYBY_ITBB") && !three_d.contains_key("GYBY_BTW3"));
    assert!(two_d.contains_key("5QRC_8QNN") && !two_d.contains_key("5QRC_KOBO"));
}

#[test]
fn ibsi_names_refuse_filtered_image_types() {
    let (image, mask) = ibsi_phantom();
    let p = Params::from_yaml(
        "setting:\n  featureNames: ibsi\nimageType:\n  Original: {}\n  Square: {}\n",
    )
    .unwrap();
    let e = extract_case(&image, &mask, &p).unwrap_err().to_string();
    assert!(e.contains("Square") && e.contains("featureNames"), "{e}");
}
