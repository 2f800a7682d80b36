//! IBSI's aggregation of texture features over slices (reference manual, "Feature
//! aggregation"): a volume as its axial slices, each a 2D image of its own, and the mean of
//! per-slice features (IBSI's 2D aggregations, e.g. 8QNN and BTW3).

use crate::image::Mask;
use crate::matrices::GreyImage;

/// The slices of `img` along z that hold ROI voxels, each as a one-slice grey image, with
/// the same slice of `mask` (a mask on `img`'s grid, e.g. the morphological mask).
pub fn slices(img: &GreyImage, mask: &Mask) -> Vec<(GreyImage, Vec<bool>)> {
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
            Some((slice, mask.data[z * plane..(z + 1) * plane].to_vec()))
        })
        .collect()
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
