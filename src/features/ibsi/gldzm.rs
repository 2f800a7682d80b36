//! Grey level distance zone features (IBSI family VMDZ) of a GLDZM `d_ij`
//! ([`crate::matrices::gldzm`]): zones of grey level i at distance j from the ROI's edge,
//! N_s = Σ d_ij zones, N_v voxels, p_ij = d_ij / N_s, d_i. and d_.j the marginal sums.
//!
//! | IBSI | feature | formula |
//! |---|---|---|
//! | 0GBI | small distance emphasis | Σ d_ij / j² / N_s |
//! | MB4I | large distance emphasis | Σ d_ij j² / N_s |
//! | S1RA | low grey level zone emphasis | Σ d_ij / i² / N_s |
//! | K26C | high grey level zone emphasis | Σ d_ij i² / N_s |
//! | RUVG | small distance low grey level emphasis | Σ d_ij / (i² j²) / N_s |
//! | DKNJ | small distance high grey level emphasis | Σ d_ij i² / j² / N_s |
//! | A7WM | large distance low grey level emphasis | Σ d_ij j² / i² / N_s |
//! | KLTH | large distance high grey level emphasis | Σ d_ij i² j² / N_s |
//! | VFT7 | grey level non-uniformity | Σ_i d_i.² / N_s |
//! | 7HP3 | normalised grey level non-uniformity | Σ_i d_i.² / N_s² |
//! | V294 | zone distance non-uniformity | Σ_j d_.j² / N_s |
//! | IATH | normalised zone distance non-uniformity | Σ_j d_.j² / N_s² |
//! | VIWW | zone percentage | N_s / N_v |
//! | QK93 | grey level variance | Σ (i − μ_i)² p_ij, μ_i = Σ i p_ij |
//! | 7WT1 | zone distance variance | Σ (j − μ_j)² p_ij, μ_j = Σ j p_ij |
//! | GBDU | zone distance entropy | −Σ p_ij log₂ p_ij |
//!
//! Aggregations (IBSI): 3D (KOBO) from the volume's matrix; 2.5D (62GR) from the slices'
//! matrices summed ([`Gldzm::merged`]); 2D (8QNN) as the mean over slices of each slice's
//! features ([`crate::features::ibsi::aggregate`]).

use crate::matrices::gldzm::Gldzm;

/// The IBSI identifiers of [`features`], in order.
pub const IDS: [&str; 16] = [
    "0GBI", "MB4I", "S1RA", "K26C", "RUVG", "DKNJ", "A7WM", "KLTH", "VFT7", "7HP3", "V294", "IATH",
    "VIWW", "QK93", "7WT1", "GBDU",
];

/// The 16 IBSI distance-zone features of `m` (at least one zone), in the order of [`IDS`].
pub fn features(m: &Gldzm) -> [f64; 16] {
    let mut f = [0.0f64; 16];
    let mut by_level = vec![0.0f64; m.ng];
    let mut by_distance = vec![0.0f64; m.nd];
    let mut n_s = 0.0;
    for i in 1..=m.ng {
        for j in 1..=m.nd {
            let c = m.get(i, j) as f64;
            if c == 0.0 {
                continue;
            }
            let (i2, j2) = ((i * i) as f64, (j * j) as f64);
            f[0] += c / j2;
            f[1] += c * j2;
            f[2] += c / i2;
            f[3] += c * i2;
            f[4] += c / (i2 * j2);
            f[5] += c * i2 / j2;
            f[6] += c * j2 / i2;
            f[7] += c * i2 * j2;
            by_level[i - 1] += c;
            by_distance[j - 1] += c;
            n_s += c;
        }
    }
    for v in f.iter_mut().take(8) {
        *v /= n_s;
    }
    let level_sq: f64 = by_level.iter().map(|c| c * c).sum();
    let distance_sq: f64 = by_distance.iter().map(|c| c * c).sum();
    f[8] = level_sq / n_s;
    f[9] = level_sq / (n_s * n_s);
    f[10] = distance_sq / n_s;
    f[11] = distance_sq / (n_s * n_s);
    f[12] = n_s / m.voxels as f64;
    let (mut mu_i, mut mu_j) = (0.0, 0.0);
    for i in 1..=m.ng {
        for j in 1..=m.nd {
            let p = m.get(i, j) as f64 / n_s;
            mu_i += i as f64 * p;
            mu_j += j as f64 * p;
        }
    }
    for i in 1..=m.ng {
        for j in 1..=m.nd {
            let p = m.get(i, j) as f64 / n_s;
            if p > 0.0 {
                f[13] += (i as f64 - mu_i).powi(2) * p;
                f[14] += (j as f64 - mu_j).powi(2) * p;
                f[15] -= p * p.log2();
            }
        }
    }
    f
}
