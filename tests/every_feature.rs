//! The feature registry is the one list of names: every feature it lists, default or not, is
//! computed. With every class and every one of its features named in the parameter file, a
//! textured ROI gives one finite value per registry entry and per image type, under the name
//! PyRadiomics writes, and nothing else. A name the registry lists but no class computes
//! would show here as a NaN or a missing column; a name it does not list is refused when the
//! parameters are read.

use gpurad::features::registry::classes;
use gpurad::image::Geometry;
use gpurad::io::nifti_write::write_volume;
use gpurad::row::Value;
use gpurad::Params;

/// A 28×26×12 int16 image with texture at several scales, and an ellipsoid mask.
fn write_case(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let g = Geometry::with_spacing([28, 26, 12], [0.8, 0.8, 2.0]);
    let (mut image, mut mask) = (Vec::new(), Vec::new());
    for z in 0..12usize {
        for y in 0..26usize {
            for x in 0..28usize {
                let noise = ((x * 7919 + y * 104_729 + z * 1_299_709) % 997) as f64 / 997.0;
                let wave = ((x as f64) * 0.7).sin() * ((y as f64) * 0.45).cos() * 60.0;
                image.push((300.0 + wave + 120.0 * noise + 8.0 * z as f64) as i16);
                let (dx, dy, dz) = (
                    (x as f64 - 13.5) / 10.0,
                    (y as f64 - 12.5) / 9.0,
                    (z as f64 - 5.5) / 4.5,
                );
                mask.push(u8::from(dx * dx + dy * dy + dz * dz <= 1.0));
            }
        }
    }
    let (i, m) = (dir.join("image.nii.gz"), dir.join("mask.nii.gz"));
    write_volume(&i, &g, &image).unwrap();
    write_volume(&m, &g, &mask).unwrap();
    (i, m)
}

#[test]
fn every_registry_feature_is_computed_for_every_image_type() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = write_case(dir.path());
    let mut yaml = String::from(
        "imageType:\n  Original: {}\n  Square: {}\n  LoG: {sigma: [1.5]}\nsetting:\n  binCount: 16\nfeatureClass:\n",
    );
    for class in classes() {
        let names: Vec<&str> = class.features.iter().map(|f| f.name).collect();
        yaml.push_str(&format!("  {}: [{}]\n", class.name, names.join(", ")));
    }
    let params = Params::from_yaml(&yaml).unwrap();
    let row = gpurad::extract::extract_case(&image, &mask, &params).unwrap();
    let features: Vec<(&str, f64)> = row
        .iter()
        .filter(|(k, _)| !k.starts_with("diagnostics_"))
        .map(|(k, v)| match v {
            Value::Number(x) => (k.as_str(), *x),
            Value::Text(t) => panic!("feature {k} is text: {t}"),
        })
        .collect();
    let mut expected = Vec::new();
    for class in classes().filter(|c| c.name == "shape") {
        for f in class.features {
            expected.push(format!("original_shape_{}", f.name));
        }
    }
    for image in ["original", "square", "log-sigma-1-5-mm-3D"] {
        for class in classes().filter(|c| c.name != "shape") {
            for f in class.features {
                expected.push(format!("{image}_{}_{}", class.name, f.name));
            }
        }
    }
    let got: Vec<&str> = features.iter().map(|(k, _)| *k).collect();
    assert_eq!(got, expected, "columns differ from the registry's names");
    let not_finite: Vec<&(&str, f64)> = features.iter().filter(|(_, v)| !v.is_finite()).collect();
    assert!(not_finite.is_empty(), "not computed: {not_finite:?}");
    // Every class contributes: 107 default features plus the non-default ones.
    assert!(features.len() > 3 * 100, "{}", features.len());
}

#[test]
fn a_name_the_registry_does_not_list_is_refused_with_the_class_and_its_features() {
    for (class, bad) in [
        ("glcm", "Contrst"),
        ("firstorder", "StdDev"),
        ("shape", "Volume"),
        ("ngtdm", "busyness"),
    ] {
        let yaml = format!("featureClass:\n  {class}: [{bad}]\n");
        let e = Params::from_yaml(&yaml).unwrap_err().to_string();
        assert!(
            e.contains(&format!("class '{class}' has no feature '{bad}'")),
            "{e}"
        );
    }
}
