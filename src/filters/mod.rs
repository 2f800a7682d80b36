//! Filtered images (PyRadiomics image types): the images derived from the preprocessed image
//! before features are computed on them.
//!
//! As PyRadiomics, a filter sees the whole *filtered region* — the preprocessed image:
//! after resampling, the resampled grid (the ROI box grown by `padDistance`); with `preCrop`,
//! the ROI box grown by `padDistance`; otherwise the whole image — and its result is then
//! cut to the final ROI's bounding box. Each image type gives one or more named images
//! (`squareroot`, `wavelet-LLH`, …) whose features are named after them
//! (`wavelet-LLH_glcm_Contrast`).

pub mod cubic_spline;
pub mod gradient;
pub mod icosphere;
pub mod lbp2d;
pub mod lbp3d;
pub mod log;
pub mod recursive_gaussian;
pub mod simple;
pub mod wavelet;
mod wavelet_coefficients;

use crate::error::{Error, Result};
use crate::image::{crop_geometry, BoundingBox, Mask, PixelType, Volume};
use crate::settings::{ImageTypeKind, Params, Settings};

/// Names of the images `kind` gives under `settings` (features are named
/// `<image>_<class>_<feature>`), in PyRadiomics' order.
pub fn image_names(kind: ImageTypeKind, settings: &Settings) -> Vec<String> {
    match kind {
        ImageTypeKind::Original => vec!["original".into()],
        ImageTypeKind::Wavelet => wavelet::image_names(settings),
        ImageTypeKind::Square => vec!["square".into()],
        ImageTypeKind::SquareRoot => vec!["squareroot".into()],
        ImageTypeKind::Logarithm => vec!["logarithm".into()],
        ImageTypeKind::Exponential => vec!["exponential".into()],
        ImageTypeKind::LoG => settings
            .sigma
            .iter()
            .map(|s| log::image_name(&s.text))
            .collect(),
        ImageTypeKind::Gradient => vec!["gradient".into()],
        ImageTypeKind::LBP2D => vec!["lbp-2D".into()],
        ImageTypeKind::LBP3D => lbp3d::image_names(settings.lbp3d_levels),
    }
}

/// Whether `params` enable an image type other than the original, whose filter needs the
/// whole filtered region rather than the ROI box.
pub fn need_region(params: &Params) -> bool {
    params
        .image_types
        .iter()
        .any(|t| t.kind != ImageTypeKind::Original)
}

/// Checks the filter settings of every enabled image type (the wavelet's name), so that a
/// cohort run stops before its first case rather than failing every case alike.
pub fn check(params: &Params) -> Result<()> {
    params.check_ibsi_names()?;
    for t in &params.image_types {
        let s = params.settings_for(t)?;
        if t.kind == ImageTypeKind::LoG && s.sigma.is_empty() {
            return Err(Error::Settings(
                "image type 'LoG' needs setting 'sigma': the Gaussian widths in mm (e.g. sigma: [1.0, 2.0, 3.0])".into(),
            ));
        }
        if t.kind == ImageTypeKind::Wavelet && wavelet::filters(&s.wavelet).is_none() {
            return Err(Error::Settings(format!(
                "setting 'wavelet': unknown wavelet '{}' (known: {})",
                s.wavelet,
                wavelet::names().join(", ")
            )));
        }
    }
    Ok(())
}

/// The images of `kind` (other than the original) derived from `region`, the preprocessed
/// image, each cut to `bb` (the final ROI box, in `region`'s indices): (name, image) in
/// [`image_names`]' order. `roi` is the final ROI on `bb` (the filters that compute only
/// the ROI's voxels read it).
pub fn derive(
    kind: ImageTypeKind,
    region: &Volume,
    bb: &BoundingBox,
    roi: &Mask,
    settings: &Settings,
) -> Result<Vec<(String, Volume)>> {
    match kind {
        ImageTypeKind::LBP3D => return lbp3d::images(region, bb, roi, settings),
        ImageTypeKind::Wavelet => return wavelet::images(region, bb, settings),
        ImageTypeKind::LoG => {
            let g = &region.geometry;
            return settings
                .sigma
                .iter()
                .map(|s| {
                    let name = log::image_name(&s.text);
                    log::check_size(g.size, g.spacing, s.mm, &name)?;
                    crate::limits::check(
                        || format!("image type {name} over a region of {}×{}×{} voxels", g.size[0], g.size[1], g.size[2]),
                        (g.len() as u128 * 8).saturating_add(log::scratch_bytes(g.size, bb)),
                        "use preCrop or resampling (the filters then see the ROI box and padDistance), or raise --max-memory",
                    )?;
                    let image = log::image(region, bb, s.mm);
                    Ok((name, image))
                })
                .collect();
        }
        ImageTypeKind::LBP2D => {
            return Ok(vec![("lbp-2D".into(), lbp2d::image(region, bb, settings)?)])
        }
        ImageTypeKind::Gradient => {
            return Ok(vec![(
                "gradient".into(),
                gradient::image(region, bb, settings.gradient_use_spacing),
            )])
        }
        _ => {}
    }
    // The voxel-wise filters scale by max |x| over the whole region, then map each voxel.
    let m = simple::max_abs(region.data.iter().copied());
    let g_max = if kind == ImageTypeKind::Logarithm {
        simple::max_abs(region.data.iter().map(|&x| simple::log_unscaled(x)))
    } else {
        0.0
    };
    let f: &dyn Fn(f64) -> f64 = match kind {
        ImageTypeKind::Square => &|x| simple::square(x, m),
        ImageTypeKind::SquareRoot => &|x| simple::square_root(x, m),
        ImageTypeKind::Logarithm => &|x| simple::logarithm(x, m, g_max),
        ImageTypeKind::Exponential => &|x| simple::exponential(x, m),
        other => unreachable!("image type {} has no voxel-wise filter", other.name()),
    };
    let (geometry, data) = crate::image::crop(&region.geometry, &region.data, bb);
    debug_assert_eq!(geometry, crop_geometry(&region.geometry, bb));
    let name = image_names(kind, settings).remove(0);
    Ok(vec![(
        name,
        Volume {
            geometry,
            data: data.into_iter().map(f).collect(),
            pixel_type: PixelType::F64,
        },
    )])
}
