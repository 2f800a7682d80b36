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
    let s = img.size;
    let mut dirs: Vec<Offset> = angles.to_vec();
    dirs.extend(angles.iter().map(|o| [-o[0], -o[1], -o[2]]));
    let nd = dirs.len() + 1;
    let pad = super::padded::Padded::new(img, super::padded::reach(&dirs));
    let steps: Vec<isize> = dirs.iter().map(|&o| pad.step(o)).collect();
    // Levels are integers: |i − j| ≤ α exactly when |i − j| ≤ ⌊α⌋ (no neighbour when α < 0
    // or NaN).
    let within = (alpha >= 0.0).then(|| alpha.floor().min(u32::MAX as f64) as u32);
    let counts = super::par_slices(s[2], ng * nd, |z, counts| {
        for y in 0..s[1] {
            let row = pad.index(0, y, z);
            for p in row..row + s[0] {
                let l = pad.levels[p];
                if l == 0 {
                    continue;
                }
                let dep = 1 + steps
                    .iter()
                    .filter(|&&d| {
                        let m = pad.at(p, d);
                        m > 0 && within.is_some_and(|a| l.abs_diff(m) <= a)
                    })
                    .count();
                counts[(l as usize - 1) * nd + dep - 1] += 1;
            }
        }
    });
    Gldm { ng, nd, counts }
}
