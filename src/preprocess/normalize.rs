//! Whole-image z-score normalisation (PyRadiomics `normalizeImage`, SimpleITK `Normalize`).
//!
//! `x' = s · clip((x − μ) / σ, ±r)` with μ and σ (unbiased, `n − 1`) over all image voxels,
//! `s = normalizeScale` and `r = removeOutliers` (no clipping when unset).

use crate::image::Volume;

/// Normalises `volume` in place.
pub fn normalize(volume: &mut Volume, scale: f64, remove_outliers: Option<f64>) {
    let (mean, sd) = moments(volume.data.iter().copied());
    normalize_with(volume, mean, sd, scale, remove_outliers);
}

/// A sum with Kahan's compensation term (as ITK's `CompensatedSummation`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    /// Adds `x`, carrying the rounding error of the addition to the next one.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let y = x - self.compensation;
        let t = self.sum + y;
        self.compensation = (t - self.sum) - y;
        self.sum = t;
    }

    /// The sum so far.
    pub fn value(&self) -> f64 {
        self.sum
    }
}

/// SD as ITK's `StatisticsImageFilter` (behind SimpleITK's `Normalize`, which PyRadiomics
/// uses) computes it from the count `n` and the sums of values `s1` and of squares `s2`:
/// `sqrt((s2 − s1²/n) / (n − 1))`. The same formula with the same inputs gives the same
/// bits, which matters where normalised values fall exactly on a bin edge (integer images
/// binned with binCount). Cancellation can leave a tiny negative variance for a constant
/// image: it is taken as 0.
pub fn itk_sd(s1: f64, s2: f64, n: f64) -> f64 {
    ((s2 - s1 * s1 / n) / (n - 1.0)).max(0.0).sqrt()
}

/// Mean and unbiased SD of `values`, as ITK computes them: compensated sums of the values
/// and their squares, the mean `s1 / n`, the SD by [`itk_sd`].
pub fn moments(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut s1, mut s2, mut n) = (CompensatedSum::default(), CompensatedSum::default(), 0usize);
    for v in values {
        s1.add(v);
        s2.add(v * v);
        n += 1;
    }
    let n = n as f64;
    (s1.value() / n, itk_sd(s1.value(), s2.value(), n))
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
