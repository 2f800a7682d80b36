//! Whole-image z-score normalisation (PyRadiomics `normalizeImage`, SimpleITK `Normalize`).
//!
//! `x' = s · clip((x − μ) / σ, ±r)` with μ and σ (unbiased, `n − 1`) over all image voxels,
//! `s = normalizeScale` and `r = removeOutliers` (no clipping when unset).

use crate::image::Volume;

/// Normalises `volume` in place.
pub fn normalize(volume: &mut Volume, scale: f64, remove_outliers: Option<f64>) {
    let n = volume.data.len() as f64;
    let mean = volume.data.iter().sum::<f64>() / n;
    let var = volume
        .data
        .iter()
        .map(|v| (v - mean) * (v - mean))
        .sum::<f64>()
        / (n - 1.0);
    let sd = var.sqrt();
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
