//! Validation of an image/mask pair before extraction: matching geometry, a usable ROI,
//! finite intensities. Mirrors PyRadiomics `imageoperations.checkMask`, with clearer errors.

use std::path::Path;

use crate::error::{Error, Result};
use crate::image::{BoundingBox, Geometry, Mask, Volume};

/// Checks that image and mask share size, spacing, origin and direction.
///
/// As ITK's `VerifyInputInformation` (used by PyRadiomics through SimpleITK): origin and
/// spacing may differ by at most `tolerance × image spacing[0]`, direction cosines by at most
/// `tolerance`.
pub fn check_geometry(
    image: &Geometry,
    mask: &Geometry,
    tolerance: f64,
    image_path: &Path,
    mask_path: &Path,
) -> Result<()> {
    let err = |detail: String| Error::Geometry {
        image: image_path.to_path_buf(),
        mask: mask_path.to_path_buf(),
        detail,
    };
    if image.size != mask.size {
        return Err(err(format!(
            "image size {:?} differs from mask size {:?}",
            image.size, mask.size
        )));
    }
    let coord_tol = tolerance * image.spacing[0].abs();
    let close =
        |a: &[f64; 3], b: &[f64; 3], tol: f64| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol);
    if !close(&image.spacing, &mask.spacing, coord_tol) {
        return Err(err(format!(
            "image spacing {:?} differs from mask spacing {:?} (tolerance {coord_tol:e} mm; raise geometryTolerance if this is round-off)",
            image.spacing, mask.spacing
        )));
    }
    if !close(&image.origin, &mask.origin, coord_tol) {
        return Err(err(format!(
            "image origin {:?} differs from mask origin {:?} (tolerance {coord_tol:e} mm; raise geometryTolerance if this is round-off)",
            image.origin, mask.origin
        )));
    }
    for c in 0..3 {
        let (a, b) = (
            [
                image.direction[0][c],
                image.direction[1][c],
                image.direction[2][c],
            ],
            [
                mask.direction[0][c],
                mask.direction[1][c],
                mask.direction[2][c],
            ],
        );
        if !close(&a, &b, tolerance) {
            return Err(err(format!(
                "image direction of axis {c} {a:?} differs from mask direction {b:?} (tolerance {tolerance:e})"
            )));
        }
    }
    Ok(())
}

/// Checks the ROI's size and dimensionality and returns its bounding box.
///
/// Errors, as PyRadiomics: an empty ROI; a single voxel; fewer than `min_dims` axes with more
/// than one voxel; not more than `min_size` voxels.
pub fn check_roi(
    mask: &Mask,
    label: i64,
    min_dims: usize,
    min_size: Option<usize>,
    mask_path: &Path,
) -> Result<BoundingBox> {
    let err = |detail: String| Error::Roi {
        mask: mask_path.to_path_buf(),
        detail,
    };
    let bb = mask.bounding_box().ok_or_else(|| {
        err(format!(
            "label {label} is not present in the mask (empty ROI)"
        ))
    })?;
    let ndims = bb.extent().iter().filter(|&&e| e > 1).count();
    if ndims == 0 {
        return Err(err(format!(
            "label {label} covers a single voxel; features need a larger ROI"
        )));
    }
    if ndims < min_dims {
        return Err(err(format!(
            "ROI of label {label} spans {ndims} dimension(s) (extent {:?}); minimumROIDimensions is {min_dims}",
            bb.extent()
        )));
    }
    if let Some(min) = min_size {
        let n = mask.count();
        if n <= min {
            return Err(err(format!(
                "ROI of label {label} has {n} voxels; minimumROISize requires more than {min}"
            )));
        }
    }
    Ok(bb)
}

/// Where non-finite voxels stop an extraction (see [`check_finite`]).
pub const INSIDE_ROI: &str = "inside the ROI";

/// Fails when a voxel of `image` that the extraction uses is NaN or infinite: a voxel inside
/// `mask` always; any voxel when `whole_image` names a step that reads the whole image
/// (normalisation's mean and SD, interpolation), as PyRadiomics would then carry NaN into
/// every value. Voxels outside the ROI are otherwise never read, and may be anything.
pub fn check_finite(
    image: &Volume,
    mask: &Mask,
    image_path: &Path,
    whole_image: Option<&str>,
) -> Result<()> {
    check_finite_values(image.data.iter().copied(), mask, image_path)?;
    if let Some(why) = whole_image {
        let mut bad = image
            .data
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_finite());
        if let Some((first, _)) = bad.next() {
            return Err(Error::NonFinite {
                image: image_path.to_path_buf(),
                count: 1 + bad.count(),
                first: image.geometry.coords(first),
                region: outside_roi(why),
            });
        }
    }
    Ok(())
}

/// The `region` of a [`Error::NonFinite`] outside the ROI that `why` (a setting) reads.
pub fn outside_roi(why: &str) -> String {
    format!("outside the ROI, where {why} reads them (NaN or infinity there would reach every ROI value)")
}

/// As [`check_finite`] for the ROI only, with the image's voxels given in order (x fastest)
/// on the mask's grid.
pub fn check_finite_values(
    values: impl Iterator<Item = f64>,
    mask: &Mask,
    image_path: &Path,
) -> Result<()> {
    let mut count = 0;
    let mut first = None;
    for (i, (v, &m)) in values.zip(&mask.data).enumerate() {
        if m && !v.is_finite() {
            count += 1;
            first.get_or_insert(i);
        }
    }
    match first {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite {
            image: image_path.to_path_buf(),
            count,
            first: mask.geometry.coords(i),
            region: INSIDE_ROI.into(),
        }),
    }
}

/// Fails when preprocessing (normalisation, resampling) turned finite ROI intensities into
/// NaN or infinity: values so large that double-precision arithmetic or the image's own
/// storage type overflows.
pub fn check_finite_after_preprocessing(
    image: &Volume,
    roi: &Mask,
    image_path: &Path,
    steps: &str,
) -> Result<()> {
    let bad = image
        .data
        .iter()
        .zip(&roi.data)
        .filter(|(v, &m)| m && !v.is_finite())
        .count();
    if bad == 0 {
        return Ok(());
    }
    let (lo, hi) = image
        .data
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    Err(Error::Compute(format!(
        "image '{}': after {steps}, {bad} ROI value(s) are NaN or infinite (finite values range from {lo:e} to {hi:e}): the intensities are too large for the arithmetic; check scl_slope/scl_inter and the image's values",
        image_path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_mismatches_are_named() {
        let p = Path::new("img.nii");
        let q = Path::new("mask.nii");
        let a = Geometry::with_spacing([3, 3, 3], [1.0, 1.0, 2.0]);
        let mut b = a.clone();
        assert!(check_geometry(&a, &b, 1e-6, p, q).is_ok());
        b.origin[2] = 1e-7;
        assert!(check_geometry(&a, &b, 1e-6, p, q).is_ok());
        b.origin[2] = 0.5;
        let e = check_geometry(&a, &b, 1e-6, p, q).unwrap_err().to_string();
        assert!(
            e.contains("origin") && e.contains("img.nii") && e.contains("mask.nii"),
            "{e}"
        );
        let mut c = a.clone();
        c.size = [3, 3, 4];
        assert!(check_geometry(&a, &c, 1e-6, p, q)
            .unwrap_err()
            .to_string()
            .contains("size"));
    }

    #[test]
    fn roi_rules() {
        let g = Geometry::with_spacing([3, 3, 3], [1.0; 3]);
        let mut m = Mask {
            geometry: g.clone(),
            data: vec![false; 27],
        };
        let p = Path::new("mask.nii");
        assert!(check_roi(&m, 1, 2, None, p)
            .unwrap_err()
            .to_string()
            .contains("not present"));
        m.data[0] = true;
        assert!(check_roi(&m, 1, 1, None, p)
            .unwrap_err()
            .to_string()
            .contains("single voxel"));
        m.data[1] = true;
        assert!(check_roi(&m, 1, 2, None, p)
            .unwrap_err()
            .to_string()
            .contains("minimumROIDimensions"));
        assert!(check_roi(&m, 1, 1, None, p).is_ok());
        assert!(check_roi(&m, 1, 1, Some(2), p).is_err());
        assert!(check_roi(&m, 1, 1, Some(1), p).is_ok());
    }
}
