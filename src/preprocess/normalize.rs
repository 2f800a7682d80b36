//! Whole-image z-score normalisation (PyRadiomics `normalizeImage`, SimpleITK `Normalize`).
//!
//! `x' = s · clip((x − μ) / σ, ±r)` with μ and σ (unbiased, `n − 1`) over all image voxels,
//! `s = normalizeScale` and `r = removeOutliers` (no clipping when unset).

use crate::image::Volume;

/// Normalises `volume` in place.
pub fn normalize(volume: &mut Volume, scale: f64, remove_outliers: Option<f64>) {
    let (mean, sd) = moments(|| volume.data.iter().copied());
    normalize_with(volume, mean, sd, scale, remove_outliers);
}

/// Mean and unbiased SD of the values `values()` yields (called twice: one pass for the
/// mean, one for the variance, in the same order, so that the result does not depend on
/// whether the values come from memory or are decoded on the fly).
pub fn moments<I: Iterator<Item = f64>>(values: impl Fn() -> I) -> (f64, f64) {
    let (sum, n) = values().fold((0.0_f64, 0usize), |(s, n), v| (s + v, n + 1));
    let n = n as f64;
    let mean = sum / n;
    let var = values().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Normalises `volume` in place with a given mean and SD (those of the whole image when
/// `volume` is a region of it).
pub fn normalize_with(
    volume: &mut Volume,
    mean: f64,
    sd: f64,
    scale: f64,
    remove_outliers: Option<f64>,
) {
    // A constant image has no spread; SimpleITK then leaves values centred but unscaled.
    let inv = if sd > 0.0 { 1.0 / sd } else { 1.0 };
    for v in volume.data.iter_mut() {
        let mut z = (*v - mean) * inv;
        if let Some(r) = remove_outliers {
            z = z.clamp(-r, r);
        }
        *v = z * scale;
    }
    volume.pixel_type = crate::image::PixelType::F64;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;

    #[test]
    fn zscore_with_unbiased_sd_and_clipping() {
        let g = Geometry::with_spacing([4, 1, 1], [1.0; 3]);
        let mut v = Volume::new(g, vec![1.0, 2.0, 3.0, 10.0]);
        normalize(&mut v, 100.0, Some(1.0));
        // mean 4, sd = sqrt((9+4+1+36)/3)
        let sd = (50.0f64 / 3.0).sqrt();
        assert!((v.data[1] - 100.0 * (-2.0 / sd)).abs() < 1e-12);
        assert_eq!(v.data[3], 100.0); // 6/sd = 1.47 clipped to 1
    }
}
