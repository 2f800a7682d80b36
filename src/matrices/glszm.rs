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
    /// Columns: the largest zone found (at least 1). Larger sizes would only add columns of
    /// zeros, which change no feature.
    pub ns: usize,
    /// Counts `[i − 1][s − 1]`.
    pub counts: Vec<u64>,
}

impl Glszm {
    /// Count at (grey level i, zone size s), 1-based (0 for sizes above the largest zone).
    pub fn get(&self, i: usize, s: usize) -> u64 {
        if s > self.ns {
            return 0;
        }
        self.counts[(i - 1) * self.ns + s - 1]
    }
}

/// Builds the GLSZM on the CPU with an explicit-stack flood fill.
pub fn build(img: &GreyImage, angles: &[Offset]) -> Glszm {
    let ng = img.ng as usize;
    let s = img.size;
    // (level, size) of every zone; the matrix is sized by the largest once all are found.
    let mut zones: Vec<(u32, usize)> = Vec::new();
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
                zones.push((l, size));
            }
        }
    }
    let ns = zones.iter().map(|&(_, s)| s).max().unwrap_or(1);
    let mut counts = vec![0u64; ng * ns];
    for (l, size) in zones {
        counts[(l as usize - 1) * ns + size - 1] += 1;
    }
    Glszm { ng, ns, counts }
}
