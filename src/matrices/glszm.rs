//! Grey-level size-zone matrix (IBSI 3.8, 9SAK; PyRadiomics `glszm`).
//!
//! `P[i][s]` counts zones — connected sets of ROI voxels of grey level `i` — of `s` voxels.
//! Connectivity is given by the neighbour directions (both signs): 26-connected in 3D,
//! 8-connected in-plane with `force2D`.

use super::angles::Offset;
use super::GreyImage;

/// Zone-size counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Glszm {
    /// Number of grey levels.
    pub ng: usize,
    /// Largest possible zone (number of ROI voxels).
    pub ns: usize,
    /// Counts `[i − 1][s − 1]`.
    pub counts: Vec<u64>,
}

impl Glszm {
    /// Count at (grey level i, zone size s), 1-based.
    pub fn get(&self, i: usize, s: usize) -> u64 {
        self.counts[(i - 1) * self.ns + s - 1]
    }
}

/// Builds the GLSZM on the CPU with an explicit-stack flood fill.
pub fn build(img: &GreyImage, angles: &[Offset]) -> Glszm {
    let ng = img.ng as usize;
    let s = img.size;
    let ns = img.roi_count().max(1);
    let mut counts = vec![0u64; ng * ns];
    let mut dirs: Vec<Offset> = angles.to_vec();
    dirs.extend(angles.iter().map(|o| [-o[0], -o[1], -o[2]]));
    let pad = super::padded::Padded::new(img, super::padded::reach(&dirs));
    let steps: Vec<isize> = dirs.iter().map(|&o| pad.step(o)).collect();
    let mut seen = vec![false; pad.levels.len()];
    let mut stack = Vec::new();
    for z in 0..s[2] {
        for y in 0..s[1] {
            let row = pad.index(0, y, z);
            for start in row..row + s[0] {
                let l = pad.levels[start];
                if l == 0 || seen[start] {
                    continue;
                }
                seen[start] = true;
                stack.push(start);
                let mut size = 0;
                while let Some(p) = stack.pop() {
                    size += 1;
                    for &d in &steps {
                        let n = p.wrapping_add_signed(d);
                        if !seen[n] && pad.levels[n] == l {
                            seen[n] = true;
                            stack.push(n);
                        }
                    }
                }
                counts[(l as usize - 1) * ns + size - 1] += 1;
            }
        }
    }
    Glszm { ng, ns, counts }
}
