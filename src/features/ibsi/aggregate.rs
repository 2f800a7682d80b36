//! IBSI's aggregation of texture features over slices (reference manual, "Feature
//! aggregation"): a volume as its axial slices, each a 2D image of its own, and the mean of
//! per-slice features (IBSI's 2D aggregations: BTW3 and SUJT for the GLCM and GLRLM, 8QNN for
//! the zone and neighbourhood classes).

use crate::error::Result;
use crate::features::registry::FeatureClass;
use crate::features::texture;
use crate::image::Mask;
use crate::matrices::{build_cpu, GreyImage};
use crate::settings::Settings;

/// The slices of `img` along z that hold ROI voxels, each as a one-slice grey image, with its
/// z index.
pub fn slices(img: &GreyImage) -> Vec<(usize, GreyImage)> {
    let [sx, sy, sz] = img.size;
    let plane = sx * sy;
    (0..sz)
        .filter_map(|z| {
            let levels = img.levels[z * plane..(z + 1) * plane].to_vec();
            if levels.iter().all(|&l| l == 0) {
                return None;
            }
            let slice = GreyImage {
                size: [sx, sy, 1],
                spacing: img.spacing,
                levels,
                ng: img.ng,
            };
            Some((z, slice))
        })
        .collect()
}

/// Slice `z` of `mask` (whose grid is the sliced image's).
pub fn mask_slice(mask: &Mask, z: usize) -> Vec<bool> {
    let plane = mask.geometry.size[0] * mask.geometry.size[1];
    mask.data[z * plane..(z + 1) * plane].to_vec()
}

/// The element-wise mean of per-slice feature vectors.
pub fn mean<const N: usize>(per_slice: &[[f64; N]]) -> [f64; N] {
    let mut out = [0.0; N];
    for f in per_slice {
        for (o, v) in out.iter_mut().zip(f) {
            *o += v;
        }
    }
    out.map(|s| s / per_slice.len() as f64)
}

/// The features `names` of texture class `class` computed on each slice of `img` with
/// in-plane neighbours (as their own 2D images, under `settings`: `weightingNorm` decides
/// whether a slice's directions are averaged or merged), averaged over the slices: IBSI's 2D
/// aggregations.
pub fn slice_mean_features(
    img: &GreyImage,
    class: FeatureClass,
    settings: &Settings,
    names: &[String],
) -> Result<Vec<(String, f64)>> {
    let mut sums: Vec<(String, f64)> = Vec::new();
    let slices = slices(img);
    for (_, slice) in &slices {
        let Some(request) = texture::request(class, slice, settings)? else {
            return Ok(Vec::new());
        };
        let matrix = build_cpu(slice, &request);
        let present = slice.present_levels();
        let values = texture::features(&matrix, slice, &present, settings, names);
        if sums.is_empty() {
            sums = values;
        } else {
            for ((_, s), (_, v)) in sums.iter_mut().zip(values) {
                *s += v;
            }
        }
    }
    let n = slices.len() as f64;
    Ok(sums.into_iter().map(|(k, s)| (k, s / n)).collect())
}
