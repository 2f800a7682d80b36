//! The two neighbouring grey level dependence features (IBSI family REK0) PyRadiomics' GLDM
//! lacks, from the dependence matrix s_ij ([`crate::matrices::gldm`]: voxels of grey level i
//! with j dependent neighbours, counting themselves), N_s = Σ s_ij, p_ij = s_ij / N_s, over a
//! ROI of N_v voxels.
//!
//! | IBSI | feature | formula |
//! |---|---|---|
//! | 6XV8 | dependence count percentage | N_s / N_v (1 when every voxel has a neighbourhood, as here) |
//! | CAS9 | dependence count energy | Σ p_ij² |

use crate::matrices::gldm::Gldm;

/// The IBSI identifiers of [`features`], in order.
pub const IDS: [&str; 2] = ["6XV8", "CAS9"];

/// Dependence count percentage and energy of `m`, built over a ROI of `voxels` voxels.
pub fn features(m: &Gldm, voxels: u64) -> [f64; 2] {
    let n_s: f64 = m.counts.iter().map(|&c| c as f64).sum();
    let energy = m.counts.iter().map(|&c| (c as f64 / n_s).powi(2)).sum();
    [n_s / voxels as f64, energy]
}
