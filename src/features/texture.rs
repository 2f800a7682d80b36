//! Helpers shared by the texture feature classes: angle aggregation and weighting.

use super::registry::FeatureClass;
use crate::error::Result;
use crate::matrices::angles::{self, Offset};
use crate::matrices::{GreyImage, Matrix, Request};
use crate::settings::Settings;

/// Machine epsilon inside logarithms, as PyRadiomics (`numpy.spacing(1)`).
pub const EPS: f64 = f64::EPSILON;

/// Weight of a direction under `weightingNorm` (PyRadiomics): `exp(−‖d‖²)` with the
/// displacement `d` in mm measured by the infinity, Euclidean or Manhattan norm; 1 for
/// `no_weighting`.
pub fn angle_weight(norm: &str, off: Offset, spacing: [f64; 3]) -> f64 {
    let d: Vec<f64> = (0..3).map(|k| (off[k].abs() as f64) * spacing[k]).collect();
    match norm {
        "infinity" => (-d.iter().copied().fold(0.0, f64::max).powi(2)).exp(),
        "euclidean" => (-d.iter().map(|v| v * v).sum::<f64>()).exp(),
        "manhattan" => (-d.iter().sum::<f64>().powi(2)).exp(),
        _ => 1.0,
    }
}

/// Mean over angles ignoring NaN (`numpy.nanmean`); NaN when every value is NaN.
pub fn nanmean(values: &[f64]) -> f64 {
    let kept: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if kept.is_empty() {
        f64::NAN
    } else {
        kept.iter().sum::<f64>() / kept.len() as f64
    }
}

/// Rows of a `[level − 1][column]` count matrix (`cols` columns) for the grey levels in
/// `present` (ascending, 1-based), as f64: PyRadiomics deletes the rows of grey levels absent
/// from the ROI before computing features.
pub fn restrict_rows(counts: &[u64], cols: usize, present: &[u32]) -> Vec<f64> {
    let mut out = Vec::with_capacity(present.len() * cols);
    for &l in present {
        let r = (l as usize - 1) * cols;
        out.extend(counts[r..r + cols].iter().map(|&v| v as f64));
    }
    out
}

/// The matrix request of texture class `class` for `img` (`None` for a class that is not a
/// texture class). Neighbour directions follow PyRadiomics: GLCM, GLDM and NGTDM use the
/// `distances` setting, GLRLM and GLSZM distance 1; `force2D` keeps the in-plane ones. The
/// number of directions is counted, and checked against the memory budget, before they are
/// listed.
pub fn request(
    class: FeatureClass,
    img: &GreyImage,
    settings: &Settings,
) -> Result<Option<Request>> {
    let force2d = settings.force2d.then_some(settings.force2d_dimension);
    let angles = |distances: &[usize]| -> Result<Vec<Offset>> {
        let n = angles::count(img.size, distances, force2d);
        crate::limits::check(
            || {
                format!(
                    "{class}: {n} neighbour directions (setting distances {distances:?} in a ROI box of {}×{}×{} voxels)",
                    img.size[0], img.size[1], img.size[2]
                )
            },
            // Each direction is listed (12 bytes) and has at least a row of counts per level.
            n.saturating_mul(12 + 8 * img.ng.max(1) as u128),
            "use smaller distances",
        )?;
        Ok(angles::generate(img.size, distances, force2d))
    };
    Ok(Some(match class {
        FeatureClass::Glcm => Request::Glcm(angles(&settings.distances)?),
        FeatureClass::Glrlm => Request::Glrlm(angles(&[1])?),
        FeatureClass::Glszm => Request::Glszm(angles(&[1])?),
        FeatureClass::Gldm => Request::Gldm(angles(&settings.distances)?, settings.gldm_a),
        FeatureClass::Ngtdm => Request::Ngtdm(angles(&settings.distances)?),
        FeatureClass::Shape | FeatureClass::FirstOrder => return Ok(None),
    }))
}

/// Computes the features `names` of a built texture matrix of `img`, whose ROI holds the grey
/// levels `present` ([`GreyImage::present_levels`]).
pub fn features(
    matrix: &Matrix,
    img: &GreyImage,
    present: &[u32],
    settings: &Settings,
    names: &[String],
) -> Vec<(String, f64)> {
    match matrix {
        Matrix::Glcm(m) => super::glcm::compute(m, present, settings, img.spacing, names),
        Matrix::Glrlm(m) => super::glrlm::compute(m, present, settings, img.spacing, names),
        Matrix::Glszm(m) => super::glszm::compute(m, present, names),
        Matrix::Gldm(m) => super::gldm::compute(m, present, names),
        Matrix::Ngtdm(m) => super::ngtdm::compute(m, names),
    }
}
