//! The catalogue a user reads: every image type (its column prefix, definition and settings)
//! and every feature (class, PyRadiomics name, default, IBSI identifier, formula, note), from
//! the one registry ([`crate::features::registry`]) and [`ImageTypeKind`]. `gpurad features`
//! prints it; `docs/features.md` is its Markdown form.

use serde::Serialize;

use crate::features::registry::{ClassSpec, FeatureClass};
use crate::settings::ImageTypeKind;

/// What an image type is: the column prefix of its images, its definition and its settings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ImageTypeSpec {
    /// Name in a parameter file (`LoG`).
    pub name: &'static str,
    /// Column prefix of its images (`log-sigma-2-0-mm-3D`).
    pub prefix: &'static str,
    /// The filter, as computed.
    pub definition: &'static str,
    /// Its own settings (beside the global ones, which a per-type mapping may override).
    pub settings: &'static str,
}

/// The catalogue entry of an image type.
pub fn image_type(kind: ImageTypeKind) -> ImageTypeSpec {
    let (prefix, definition, settings) = match kind {
        ImageTypeKind::Original => (
            "original",
            "The preprocessed image (resampled, normalised, resegmented as set).",
            "",
        ),
        ImageTypeKind::Wavelet => (
            "wavelet-LLH, …, wavelet-HHH, wavelet-LLL (wavelet2-… from level 2)",
            "Undilated stationary wavelet transform (one level-1 pywt.swtn step per level, applied to the previous level's LLL), periodic boundaries, an odd axis padded by one wrap-around sample; letters L (low-pass) and H (high-pass) in axis order x, y, z; only the last level's LLL is kept. Every discrete PyWavelets family.",
            "wavelet (default coif1), start_level (0), level (1)",
        ),
        ImageTypeKind::LoG => (
            "log-sigma-<σ>-mm-3D",
            "Laplacian of Gaussian by ITK's recursive Gaussian (LaplacianRecursiveGaussianImageFilter, normalised across scale), σ in mm, float32 values.",
            "sigma (list, mm; required)",
        ),
        ImageTypeKind::Square => (
            "square",
            "x² / M, M = max |x| over the filtered region.",
            "",
        ),
        ImageTypeKind::SquareRoot => (
            "squareroot",
            "sign(x)·√(|x|·M), M = max |x| over the filtered region.",
            "",
        ),
        ImageTypeKind::Logarithm => (
            "logarithm",
            "sign(x)·ln(|x| + 1), rescaled so that its largest magnitude is M = max |x| over the filtered region.",
            "",
        ),
        ImageTypeKind::Exponential => (
            "exponential",
            "exp(x·ln(M)/M), M = max |x| over the filtered region.",
            "",
        ),
        ImageTypeKind::Gradient => (
            "gradient",
            "Gradient magnitude √(g_x² + g_y² + g_z²) by central differences (ITK GradientMagnitudeImageFilter, zero-flux boundary), float32 values.",
            "gradientUseSpacing (true)",
        ),
        ImageTypeKind::LBP2D => (
            "lbp-2D",
            "Local binary pattern of each slice (Ojala et al. 2002, as scikit-image's local_binary_pattern), on P points of a circle of radius R.",
            "lbp2DRadius (1), lbp2DSamples (8), lbp2DMethod (uniform), force2Ddimension",
        ),
        ImageTypeKind::LBP3D => (
            "lbp-3D-m1, lbp-3D-m2, …, lbp-3D-k",
            "Spherical-harmonics local binary pattern on an icosphere (Banerjee et al. 2012): the rotation-invariant level images and the kurtosis image; only ROI voxels are filled.",
            "lbp3DLevels (2), lbp3DIcosphereRadius (1), lbp3DIcosphereSubdivision (1)",
        ),
    };
    ImageTypeSpec {
        name: kind.name(),
        prefix,
        definition,
        settings,
    }
}

/// Escapes `|` so that a cell stays one Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The classes to list: `only`, or every class.
fn selected(only: Option<FeatureClass>) -> Vec<&'static ClassSpec> {
    match only {
        Some(c) => vec![c.spec()],
        None => FeatureClass::ALL.iter().map(|c| c.spec()).collect(),
    }
}

/// The catalogue in Markdown: image types, then each class with its notation and a table of
/// its features.
pub fn markdown(only: Option<FeatureClass>) -> String {
    let mut md = String::from(
        "# Features and image types\n\n\
         Written by `gpurad features --format md` from gpurad's feature registry. Names, \
         defaults and values are PyRadiomics 3.1's; IBSI identifiers refer to the Image \
         Biomarker Standardisation Initiative reference manual (Zwanenburg et al., Radiology \
         2020; arXiv:1612.07003), given where IBSI defines the same quantity. A column is named \
         `<image type>_<class>_<feature>` (in a cohort, `<sequence>_` first).\n\n",
    );
    if only.is_none() {
        md.push_str("## Image types\n\n| Image type | Columns | Definition | Settings |\n|---|---|---|---|\n");
        for kind in ImageTypeKind::ALL {
            let t = image_type(kind);
            md.push_str(&format!(
                "| `{}` | `{}` | {} | {} |\n",
                t.name,
                t.prefix,
                cell(t.definition),
                cell(t.settings)
            ));
        }
        md.push('\n');
    }
    for c in selected(only) {
        md.push_str(&format!(
            "## `{}`: {} (IBSI {})\n\n{}\n\n| Feature | Default | IBSI | Formula | Note |\n|---|---|---|---|---|\n",
            c.name, c.title, c.ibsi, c.notation
        ));
        for f in c.features {
            md.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                f.name,
                if f.default { "yes" } else { "no" },
                if f.ibsi.is_empty() { "—" } else { f.ibsi },
                cell(f.formula),
                cell(f.note)
            ));
        }
        md.push('\n');
    }
    md
}

/// Quotes a CSV field when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The features as CSV: `class,feature,default,ibsi,formula,note`.
pub fn csv(only: Option<FeatureClass>) -> String {
    let mut out = String::from("class,feature,default,ibsi,formula,note\n");
    for c in selected(only) {
        for f in c.features {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                c.name,
                f.name,
                f.default,
                f.ibsi,
                csv_field(f.formula),
                csv_field(f.note)
            ));
        }
    }
    out
}

/// The catalogue as JSON: `{"image_types": [...], "classes": [...]}`.
pub fn json(only: Option<FeatureClass>) -> String {
    #[derive(Serialize)]
    struct Catalogue {
        image_types: Vec<ImageTypeSpec>,
        classes: Vec<&'static ClassSpec>,
    }
    let image_types = if only.is_none() {
        ImageTypeKind::ALL.into_iter().map(image_type).collect()
    } else {
        Vec::new()
    };
    serde_json::to_string_pretty(&Catalogue {
        image_types,
        classes: selected(only),
    })
    .expect("the catalogue serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_has_a_formula_and_a_well_formed_ibsi_code() {
        for c in FeatureClass::ALL.map(FeatureClass::spec) {
            assert!(!c.title.is_empty() && !c.notation.is_empty(), "{}", c.name);
            assert_eq!(c.ibsi.len(), 4, "{}", c.name);
            let mut names: Vec<&str> = c.features.iter().map(|f| f.name).collect();
            names.dedup();
            assert_eq!(names.len(), c.features.len(), "{}: a name twice", c.name);
            for f in c.features {
                assert!(!f.formula.is_empty(), "{}_{}: no formula", c.name, f.name);
                assert!(
                    f.ibsi.is_empty()
                        || (f.ibsi.len() == 4
                            && f.ibsi
                                .chars()
                                .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())),
                    "{}_{}: IBSI code '{}'",
                    c.name,
                    f.name,
                    f.ibsi
                );
                // A feature without an IBSI code says why in its note.
                assert!(
                    !f.ibsi.is_empty() || f.note.contains("IBSI"),
                    "{}_{}: no IBSI code and no note saying why",
                    c.name,
                    f.name
                );
            }
        }
    }

    #[test]
    fn renderings_list_every_feature_once() {
        let md = markdown(None);
        let csv = csv(None);
        let json: serde_json::Value = serde_json::from_str(&json(None)).unwrap();
        let total: usize = FeatureClass::ALL
            .map(|c| c.spec().features.len())
            .iter()
            .sum();
        assert_eq!(csv.lines().count(), 1 + total);
        assert_eq!(
            md.lines().filter(|l| l.starts_with("| `")).count(),
            total + 10
        );
        assert_eq!(json["classes"].as_array().unwrap().len(), 7);
        assert_eq!(json["image_types"].as_array().unwrap().len(), 10);
        assert!(csv.contains("glcm,JointEnergy,true,8ZQL,"));
        let one = csv_only_glcm();
        assert!(one.lines().skip(1).all(|l| l.starts_with("glcm,")));
    }

    fn csv_only_glcm() -> String {
        csv(Some(FeatureClass::Glcm))
    }
}
