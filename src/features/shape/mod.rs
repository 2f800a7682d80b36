//! 3D shape features: PyRadiomics `shape`, IBSI chapter 3.1 (morphological features).
//!
//! Mesh-based features (volume, area, diameters) come from [`mesh`]; axis lengths from the
//! eigenvalues λ_major ≥ λ_minor ≥ λ_least of the covariance of the ROI voxel centres
//! (physical coordinates, `1/N_p` normalisation), IBSI 3.1.11–3.1.17.

pub mod convex_hull;
pub mod mc_table;
pub mod mesh;

use nalgebra::{Matrix3, SymmetricEigen};

use crate::image::Mask;
use crate::settings::ShapeCovariance;

/// Computes the requested shape features on the ROI `mask` (its geometry carries the spacing).
pub fn compute(mask: &Mask, names: &[String], covariance: ShapeCovariance) -> Vec<(String, f64)> {
    let m = mesh::measure(mask);
    let np = mask.count() as f64;
    let sp = mask.geometry.spacing;
    let voxel_volume = np * sp[0] * sp[1] * sp[2];
    let [least, minor, major] = principal_variances(mask, covariance);
    let (a, v) = (m.surface_area, m.volume);
    let sphere = (36.0 * std::f64::consts::PI * v * v).cbrt();
    names
        .iter()
        .filter_map(|name| {
            let value = match name.as_str() {
                // V: volume enclosed by the mesh (IBSI RNU0).
                "MeshVolume" => v,
                // N_p · V_voxel (IBSI YEKZ).
                "VoxelVolume" => voxel_volume,
                // A: sum of triangle areas (IBSI C0JK).
                "SurfaceArea" => a,
                // A / V (IBSI 2PR5).
                "SurfaceVolumeRatio" => a / v,
                // (36 π V²)^(1/3) / A (IBSI QCFX).
                "Sphericity" => sphere / a,
                // V / sqrt(π A³) (IBSI SKGS), deprecated in PyRadiomics.
                "Compactness1" => v / (std::f64::consts::PI * a * a * a).sqrt(),
                // 36 π V² / A³ (IBSI BQWJ), deprecated in PyRadiomics.
                "Compactness2" => 36.0 * std::f64::consts::PI * v * v / (a * a * a),
                // A / (36 π V²)^(1/3) (IBSI KRCK), deprecated in PyRadiomics.
                "SphericalDisproportion" => a / sphere,
                // Largest vertex distance (IBSI L0JK).
                "Maximum3DDiameter" => m.max_3d,
                // Largest vertex distance in an axial plane (PyRadiomics).
                "Maximum2DDiameterSlice" => m.max_2d_slice,
                // Largest vertex distance in a coronal plane (PyRadiomics).
                "Maximum2DDiameterColumn" => m.max_2d_column,
                // Largest vertex distance in a sagittal plane (PyRadiomics).
                "Maximum2DDiameterRow" => m.max_2d_row,
                // 4 sqrt(λ_major) (IBSI TDIC).
                "MajorAxisLength" => 4.0 * major.sqrt(),
                // 4 sqrt(λ_minor) (IBSI P9VJ).
                "MinorAxisLength" => 4.0 * minor.sqrt(),
                // 4 sqrt(λ_least) (IBSI 7J51).
                "LeastAxisLength" => 4.0 * least.sqrt(),
                // sqrt(λ_minor / λ_major) (IBSI Q3CK).
                "Elongation" => ratio_sqrt(minor, major),
                // sqrt(λ_least / λ_major) (IBSI N17B).
                "Flatness" => ratio_sqrt(least, major),
                _ => return None,
            };
            Some((name.clone(), value))
        })
        .collect()
}

fn ratio_sqrt(num: f64, den: f64) -> f64 {
    if num < 0.0 || den < 0.0 {
        f64::NAN
    } else {
        (num / den).sqrt()
    }
}

/// Eigenvalues (ascending) of the covariance matrix of ROI voxel positions in mm, normalised
/// by `N` (PyRadiomics) or `N − 1` (IBSI).
/// Round-off negatives above −1e-10 (flat ROIs) are set to 0, as PyRadiomics does.
pub fn principal_variances(mask: &Mask, covariance: ShapeCovariance) -> [f64; 3] {
    let g = &mask.geometry;
    let mut n = 0.0;
    let mut sum = [0.0f64; 3];
    let pts: Vec<[f64; 3]> = (0..g.len())
        .filter(|&i| mask.data[i])
        .map(|i| {
            let c = g.coords(i);
            [
                c[0] as f64 * g.spacing[0],
                c[1] as f64 * g.spacing[1],
                c[2] as f64 * g.spacing[2],
            ]
        })
        .collect();
    for p in &pts {
        n += 1.0;
        for k in 0..3 {
            sum[k] += p[k];
        }
    }
    let mean = sum.map(|s| s / n);
    let mut cov = Matrix3::<f64>::zeros();
    for p in &pts {
        let d = [p[0] - mean[0], p[1] - mean[1], p[2] - mean[2]];
        for r in 0..3 {
            for c in 0..3 {
                cov[(r, c)] += d[r] * d[c];
            }
        }
    }
    cov /= match covariance {
        ShapeCovariance::Pyradiomics => n,
        ShapeCovariance::Ibsi => n - 1.0,
    };
    let mut ev: Vec<f64> = SymmetricEigen::new(cov)
        .eigenvalues
        .iter()
        .copied()
        .collect();
    for e in ev.iter_mut() {
        if *e < 0.0 && *e > -1e-10 {
            *e = 0.0;
        }
    }
    ev.sort_by(f64::total_cmp);
    [ev[0], ev[1], ev[2]]
}
