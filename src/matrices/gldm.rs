//! Grey-level dependence matrix (IBSI 3.11 NGLDM, REK0; PyRadiomics `gldm`).
//!
//! For each ROI voxel of grey level `i`, its dependence `d` is 1 plus the number of ROI
//! neighbours (both signs of every direction) whose grey level differs by at most `a`
//! (`gldm_a`); `P[i][d]` counts voxels.

use super::angles::Offset;
use super::GreyImage;

/// Dependence counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Gldm {
    /// Number of grey levels.
    pub ng: usize,
    /// Largest possible dependence (neighbours + 1).
    pub nd: usize,
    /// Counts `[i − 1][d − 1]`.
    pub counts: Vec<u64>,
}

impl Gldm {
    /// Count at (grey level i, dependence d), 1-based.
    pub fn get(&self, i: usize, d: usize) -> u64 {
        self.counts[(i - 1) * self.nd + d - 1]
    }
}

/// Builds the GLDM on the CPU.
pub fn build(img: &GreyImage, angles: &[Offset], alpha: f64) -> Gldm {
    let ng = img.ng as usize;
    let dirs = super::neighbourhood::both_signs(angles);
    let nd = dirs.len() + 1;
    let within = within(alpha);
    let counts = super::neighbourhood::visit(img, &dirs, ng * nd, |l, around, acc| {
        add_voxel(l, around, within, nd, acc)
    });
    Gldm { ng, nd, counts }
}

/// The largest level difference `⌊α⌋` that counts as dependent: levels are integers, so
/// |i − j| ≤ α exactly when |i − j| ≤ ⌊α⌋ (none when α < 0 or NaN).
pub(crate) fn within(alpha: f64) -> Option<u32> {
    (alpha >= 0.0).then(|| alpha.floor().min(u32::MAX as f64) as u32)
}

/// Counts one ROI voxel of level `l` with neighbour levels `around` into `counts`
/// (`[i − 1][d − 1]`, `nd` dependences per level).
#[inline]
pub(crate) fn add_voxel(
    l: u32,
    around: &[u32],
    within: Option<u32>,
    nd: usize,
    counts: &mut [u64],
) {
    let dep = 1 + around
        .iter()
        .filter(|&&m| m > 0 && within.is_some_and(|a| l.abs_diff(m) <= a))
        .count();
    counts[(l as usize - 1) * nd + dep - 1] += 1;
}
