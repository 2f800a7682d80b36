//! The IBSI morphological features (family HCUG) that PyRadiomics' shape class lacks.
//!
//! `V` and `A` are the volume and surface area of the ROI's marching-cubes mesh (IBSI RNU0,
//! C0JK; [`crate::features::shape::mesh`]); λ_major ≥ λ_minor ≥ λ_least the eigenvalues of the
//! covariance of the morphological mask's voxel centres (IBSI: divided by N − 1), giving the
//! semi-axes a = 2√λ_major, b = 2√λ_minor, c = 2√λ_least; `X_gl` the intensities of the
//! intensity mask's N_{v,gl} voxels, at centres x⃗_k.
//!
//! | IBSI | feature | formula |
//! |---|---|---|
//! | 25C7 | asphericity | (A³ / (36π V²))^{1/3} − 1 |
//! | KLMA | centre of mass shift | ‖ mean of the morphological voxel centres − Σ X_gl x⃗ / Σ X_gl ‖ |
//! | PBX1 | volume density (AABB) | V / V_aabb, the mesh's axis-aligned bounding box |
//! | R59B | area density (AABB) | A / A_aabb |
//! | 6BDE | volume density (enclosing ellipsoid) | 3V / (4π a b c) |
//! | RDD2 | area density (enclosing ellipsoid) | A / A_aee, A_aee = 4πab Σ_{ν=0}^{20} (αβ)^ν / (1 − 4ν²) P_ν((α² + β²) / (2αβ)), α = √(1 − b²/a²), β = √(1 − c²/a²) |
//! | R3ER | volume density (convex hull) | V / V_convex, the convex hull of the mesh's vertices |
//! | 7T7F | area density (convex hull) | A / A_convex |
//! | 99N0 | integrated intensity | V · mean X_gl |
//! | N365 | Moran's I | N / W · Σ_{k≠l} w_kl (X_k − μ)(X_l − μ) / Σ (X_k − μ)², w_kl = 1 / ‖x⃗_k − x⃗_l‖, W = Σ_{k≠l} w_kl |
//! | NPT7 | Geary's C | (N − 1) / (2W) · Σ_{k≠l} w_kl (X_k − X_l)² / Σ (X_k − μ)² |
//!
//! Moran's I and Geary's C sum over all voxel pairs: pair by pair for small ROIs, by FFT
//! convolution for large ones ([`super::inverse_distance`]).

use crate::error::Result;
use crate::features::shape::convex_hull::hull_volume_area;
use crate::image::{Mask, Volume};

/// What the morphological features are computed from.
pub struct MorphologyInput<'a> {
    /// The morphological mask (the ROI before intensity resegmentation).
    pub morphology: &'a Mask,
    /// The image, on the morphological mask's grid.
    pub image: &'a Volume,
    /// The intensity mask (after resegmentation), on the same grid.
    pub intensity: &'a Mask,
    /// Mesh surface area A (mm²) and volume V (mm³).
    pub area_volume: (f64, f64),
    /// Covariance eigenvalues of the morphological voxel centres, ascending
    /// (λ_least, λ_minor, λ_major; divided by N − 1).
    pub variances: [f64; 3],
}

/// Voxel centre `i` of `mask`'s grid in mm (index × spacing: distances and differences are
/// those of world coordinates, the direction being a rotation).
fn centre(mask: &Mask, i: usize) -> [f64; 3] {
    let c = mask.geometry.coords(i);
    let s = mask.geometry.spacing;
    [c[0] as f64 * s[0], c[1] as f64 * s[1], c[2] as f64 * s[2]]
}

/// Surface area of the ellipsoid with semi-axes a ≥ b ≥ c by the IBSI manual's Legendre
/// series, stopped after ν = 20. The terms (αβ)^ν P_ν(x), x = (α² + β²)/(2αβ), follow from
/// Bonnet's recursion scaled by (αβ)^ν, which stays finite as αβ → 0 (a sphere).
pub fn ellipsoid_area(a: f64, b: f64, c: f64) -> f64 {
    let alpha2 = 1.0 - (b * b) / (a * a);
    let beta2 = 1.0 - (c * c) / (a * a);
    let ab2 = alpha2.max(0.0) * beta2.max(0.0); // (αβ)²
    let half = 0.5 * (alpha2 + beta2); // x·αβ
    let (mut q_prev, mut q) = (1.0, half); // Q₀, Q₁
    let mut sum = 1.0 + q / (1.0 - 4.0);
    for nu in 1..20 {
        let nu_f = nu as f64;
        let next = ((2.0 * nu_f + 1.0) * half * q - nu_f * ab2 * q_prev) / (nu_f + 1.0);
        (q_prev, q) = (q, next);
        let m = nu_f + 1.0;
        sum += q / (1.0 - 4.0 * m * m);
    }
    4.0 * std::f64::consts::PI * a * b * sum
}

/// The eleven morphological features of the table above, as `(IBSI id, value)` (an error
/// only when Moran's I and Geary's C of a large ROI exceed the memory budget).
pub fn features(input: &MorphologyInput<'_>) -> Result<Vec<(&'static str, f64)>> {
    let MorphologyInput {
        morphology,
        image,
        intensity,
        area_volume: (area, volume),
        variances,
    } = *input;
    let pi = std::f64::consts::PI;
    let asphericity = (area.powi(3) / (36.0 * pi * volume * volume)).cbrt() - 1.0;

    let mut geometric = [0.0; 3];
    let mut n_m = 0.0;
    let (mut lo, mut hi) = ([usize::MAX; 3], [0usize; 3]);
    for i in (0..morphology.data.len()).filter(|&i| morphology.data[i]) {
        let c = centre(morphology, i);
        for k in 0..3 {
            geometric[k] += c[k];
        }
        n_m += 1.0;
        let v = morphology.geometry.coords(i);
        for k in 0..3 {
            lo[k] = lo[k].min(v[k]);
            hi[k] = hi[k].max(v[k]);
        }
    }
    let geometric = geometric.map(|s| s / n_m);

    let voxels: Vec<usize> = (0..intensity.data.len())
        .filter(|&i| intensity.data[i])
        .collect();
    let points: Vec<[f64; 3]> = voxels.iter().map(|&i| centre(intensity, i)).collect();
    let values: Vec<f64> = voxels.iter().map(|&i| image.data[i]).collect();
    let n = values.len() as f64;
    let total: f64 = values.iter().sum();
    let mean = total / n;
    let mut weighted = [0.0; 3];
    for (p, &x) in points.iter().zip(&values) {
        for k in 0..3 {
            weighted[k] += x * p[k];
        }
    }
    let weighted = weighted.map(|s| s / total);
    let shift = (0..3)
        .map(|k| (geometric[k] - weighted[k]).powi(2))
        .sum::<f64>()
        .sqrt();

    // The mesh's vertices lie half a voxel outside the outermost ROI voxel centres.
    let s = morphology.geometry.spacing;
    let e: [f64; 3] = std::array::from_fn(|k| (hi[k] - lo[k] + 1) as f64 * s[k]);
    let aabb_volume = e[0] * e[1] * e[2];
    let aabb_area = 2.0 * (e[0] * e[1] + e[1] * e[2] + e[2] * e[0]);

    let [least, minor, major] = variances;
    let (a, b, c) = (2.0 * major.sqrt(), 2.0 * minor.sqrt(), 2.0 * least.sqrt());

    let (hull_volume, hull_area) = hull_volume_area(morphology);

    let centred: Vec<f64> = values.iter().map(|x| x - mean).collect();
    let spread: f64 = centred.iter().map(|a| a * a).sum();
    let (w, moran, geary) = super::inverse_distance::pair_sums(
        intensity.geometry.size,
        intensity.geometry.spacing,
        &voxels,
        &centred,
    )?;
    Ok(vec![
        ("25C7", asphericity),
        ("KLMA", shift),
        ("PBX1", volume / aabb_volume),
        ("R59B", area / aabb_area),
        ("6BDE", 3.0 * volume / (4.0 * pi * a * b * c)),
        ("RDD2", area / ellipsoid_area(a, b, c)),
        ("R3ER", volume / hull_volume),
        ("7T7F", area / hull_area),
        ("99N0", volume * mean),
        ("N365", n / w * moran / spread),
        ("NPT7", (n - 1.0) / (2.0 * w) * geary / spread),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsoid_area_is_the_manuals_series() {
        // A sphere: 4πr² exactly (every term past ν = 0 vanishes).
        let r = 3.0;
        let sphere = ellipsoid_area(r, r, r);
        assert!((sphere - 4.0 * std::f64::consts::PI * r * r).abs() < 1e-12 * sphere);
        // A general ellipsoid: the series summed with the Legendre polynomials evaluated
        // directly (Bonnet's recursion at x, unscaled).
        let (a, b, c) = (5.0f64, 4.0f64, 3.0f64);
        let (al, be) = (
            (1.0 - b * b / (a * a)).sqrt(),
            (1.0 - c * c / (a * a)).sqrt(),
        );
        let x = (al * al + be * be) / (2.0 * al * be);
        let (mut p_prev, mut p) = (1.0, x);
        let mut sum = 1.0 + al * be * x / (1.0 - 4.0);
        for nu in 1..20 {
            let nu_f = nu as f64;
            let next = ((2.0 * nu_f + 1.0) * x * p - nu_f * p_prev) / (nu_f + 1.0);
            (p_prev, p) = (p, next);
            let m = nu_f + 1.0;
            sum += (al * be).powi(m as i32) * p / (1.0 - 4.0 * m * m);
        }
        let want = 4.0 * std::f64::consts::PI * a * b * sum;
        let got = ellipsoid_area(a, b, c);
        assert!((got - want).abs() < 1e-12 * want, "{got} vs {want}");
    }
}
