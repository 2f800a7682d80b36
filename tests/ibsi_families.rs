//! IBSI-1 digital phantom: the IBSI feature families gpurad computes by IBSI's definitions
//! (`gpurad::features::ibsi`) against the reference values
//! (`tests/fixtures/ibsi/reference_values.csv`, IBSI reference manual): every intensity
//! statistic, intensity histogram, intensity–volume histogram and local intensity feature,
//! and the morphological features PyRadiomics lacks.
//!
//! The phantom's intensities are already discrete (IBSI: no discretisation for the digital
//! phantom): the histogram bins are the intensities 1 … 6 and the IVH grid is
//! G = [min, max] with step 1. A value passes within its tolerance or, where the tolerance is
//! below the published precision, when it rounds to the published value (half a unit of its
//! last digit).

mod common;

use common::*;
use gpurad::features::ibsi::{histogram, ivh, local_intensity, morphology, statistics};
use gpurad::features::shape::{mesh, principal_variances};
use gpurad::io::image_file::{read_mask, read_volume};
use gpurad::settings::ShapeCovariance;

/// The reference rows of the digital phantom for `families`, keyed by gpurad's id (the IBSI
/// id, with the IVH parameter where IBSI's id is shared): (id, published value, tolerance).
fn references(families: &[&str]) -> Vec<(String, String, f64)> {
    csv_rows(&ibsi_reference_values())
        .into_iter()
        .filter(|r| {
            r["dataset"] == "digital_phantom" && families.contains(&r["family_code"].as_str())
        })
        .map(|r| {
            let id = &r["feature_ibsi_id"];
            let caption = &r["table_caption"];
            let key = match id.as_str() {
                "BC2M" | "GBPN" => {
                    let x = if caption.contains("10%") { "10" } else { "90" };
                    let kind = if id == "BC2M" { "V" } else { "I" };
                    format!("{id}_{kind}{x}")
                }
                _ => id.clone(),
            };
            (
                key,
                r["value"].clone(),
                r["tolerance"].parse().unwrap_or(0.0),
            )
        })
        .collect()
}

#[test]
fn digital_phantom_ibsi_families() {
    let (image_path, mask_path) = ibsi_phantom();
    let image = read_volume(&image_path).unwrap();
    let mask = read_mask(&mask_path, 1).unwrap();
    let values: Vec<f64> = (0..mask.data.len())
        .filter(|&i| mask.data[i])
        .map(|i| image.data[i])
        .collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });

    let mut got: Vec<(&str, f64)> = Vec::new();
    got.extend(statistics::features(&values));
    got.extend(histogram::features(&values, hi as usize));
    got.extend(ivh::features(&values, ivh::IvhGrid::Discrete { range: (lo, hi) }).unwrap());
    got.extend(local_intensity::features(&image, &mask).unwrap());
    got.extend(
        morphology::features(&morphology::MorphologyInput {
            morphology: &mask,
            image: &image,
            intensity: &mask,
            area_volume: mesh::area_and_volume(&mask),
            variances: principal_variances(&mask, ShapeCovariance::Ibsi),
        })
        .unwrap(),
    );

    let refs = references(&["stat", "ih", "ivh", "loc", "morph"]);
    let mut failures = Vec::new();
    let mut compared = 0;
    for (id, value) in &got {
        let Some((_, published, tol)) = refs.iter().find(|(k, _, _)| k == id) else {
            failures.push(format!("{id}: no reference value"));
            continue;
        };
        let reference: f64 = published.parse().unwrap();
        let allowed = tol.max(half_unit(published));
        let ok = (value - reference).abs() <= allowed + 1e-12;
        println!(
            "{id}: gpurad {value:.6} IBSI {published} ± {allowed} {}",
            if ok { "ok" } else { "FAIL" }
        );
        if !ok {
            failures.push(format!("{id}: {value} vs {published} ± {allowed}"));
        }
        compared += 1;
    }
    // Every reference row of the first-order families has a value.
    for family in ["stat", "ih", "ivh", "loc"] {
        for (id, _, _) in references(&[family]) {
            assert!(
                got.iter().any(|(k, _)| *k == id),
                "{family} {id} not computed"
            );
        }
    }
    println!("IBSI digital phantom: {compared} values of the IBSI families compared");
    assert_eq!(compared, 18 + 23 + 6 + 2 + 11);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The phantom's ROI as grey levels (its intensities, already discrete) and its mask.
fn phantom_grey_image() -> (gpurad::matrices::GreyImage, gpurad::image::Mask) {
    let (image_path, mask_path) = ibsi_phantom();
    let image = read_volume(&image_path).unwrap();
    let mask = read_mask(&mask_path, 1).unwrap();
    let levels: Vec<u32> = image
        .data
        .iter()
        .zip(&mask.data)
        .map(|(&v, &m)| if m { v as u32 } else { 0 })
        .collect();
    let ng = *levels.iter().max().unwrap();
    let img = gpurad::matrices::GreyImage {
        size: image.geometry.size,
        spacing: image.geometry.spacing,
        levels,
        ng,
    };
    (img, mask)
}

/// Compares `(id, aggregation, value)` triples with the phantom's references.
fn check_texture(family: &str, got: &[(&str, &str, f64)]) {
    let rows: Vec<_> = csv_rows(&ibsi_reference_values())
        .into_iter()
        .filter(|r| r["dataset"] == "digital_phantom" && r["family_code"] == family)
        .collect();
    let mut failures = Vec::new();
    for &(id, aggregation, value) in got {
        let r = rows
            .iter()
            .find(|r| r["feature_ibsi_id"] == id && r["aggregation_ibsi_id"] == aggregation)
            .unwrap_or_else(|| panic!("{family} {id}_{aggregation}: no reference value"));
        let published = &r["value"];
        let reference: f64 = published.parse().unwrap();
        let allowed = r["tolerance"]
            .parse::<f64>()
            .unwrap_or(0.0)
            .max(half_unit(published));
        let ok = (value - reference).abs() <= allowed + 1e-12;
        println!(
            "{id}_{aggregation}: gpurad {value:.6} IBSI {published} ± {allowed} {}",
            if ok { "ok" } else { "FAIL" }
        );
        if !ok {
            failures.push(format!("{id}_{aggregation}: {value} vs {published}"));
        }
    }
    assert_eq!(
        got.len(),
        rows.len(),
        "every {family} reference value computed"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn digital_phantom_gldzm_in_every_aggregation() {
    use gpurad::features::ibsi::{aggregate, gldzm};
    use gpurad::matrices::{angles::generate, gldzm as matrix};
    let (img, mask) = phantom_grey_image();
    let volume = matrix::build(&img, &generate(img.size, &[1], None), &mask.data, false);
    let slices: Vec<matrix::Gldzm> = aggregate::slices(&img)
        .iter()
        .map(|(z, s)| {
            let m = aggregate::mask_slice(&mask, *z);
            matrix::build(s, &generate(s.size, &[1], None), &m, true)
        })
        .collect();
    let merged = slices[1..]
        .iter()
        .fold(slices[0].clone(), |a, b| a.merged(b));
    let per_slice: Vec<[f64; 16]> = slices.iter().map(gldzm::features).collect();
    let mut got = Vec::new();
    for (aggregation, values) in [
        ("KOBO", gldzm::features(&volume)),
        ("62GR", gldzm::features(&merged)),
        ("8QNN", aggregate::mean(&per_slice)),
    ] {
        for (id, v) in gldzm::IDS.iter().zip(values) {
            got.push((*id, aggregation, v));
        }
    }
    check_texture("dzm", &got);
}
