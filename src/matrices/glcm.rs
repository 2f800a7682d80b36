//! Grey-level co-occurrence matrix (IBSI 3.6, LFYI; PyRadiomics `glcm`).
//!
//! `P[a][i][j]` counts ROI voxel pairs with grey levels `i` and `j` where the second voxel is
//! the first shifted by direction `a`. Both voxels must lie in the ROI. The matrix is not yet
//! symmetrised here (see [`symmetrize`]).

use super::angles::Offset;
use super::GreyImage;

/// Raw per-direction co-occurrence counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Glcm {
    /// Number of grey levels (matrix side).
    pub ng: usize,
    /// The directions, in matrix order.
    pub angles: Vec<Offset>,
    /// Counts, `[angle][i - 1][j - 1]`, row-major.
    pub counts: Vec<u64>,
}

impl Glcm {
    /// Count at (angle, i, j) with 1-based grey levels.
    pub fn get(&self, a: usize, i: usize, j: usize) -> u64 {
        self.counts[(a * self.ng + i - 1) * self.ng + j - 1]
    }
}

/// Neighbour of voxel (x, y, z) at `off`, if it lies in the grid.
#[inline]
pub(crate) fn neighbour(
    size: [usize; 3],
    x: usize,
    y: usize,
    z: usize,
    off: Offset,
) -> Option<(usize, usize, usize)> {
    let nx = x as i64 + off[0] as i64;
    let ny = y as i64 + off[1] as i64;
    let nz = z as i64 + off[2] as i64;
    if nx < 0
        || ny < 0
        || nz < 0
        || nx >= size[0] as i64
        || ny >= size[1] as i64
        || nz >= size[2] as i64
    {
        None
    } else {
        Some((nx as usize, ny as usize, nz as usize))
    }
}

/// Builds the per-direction GLCM of `img` on the CPU.
pub fn build(img: &GreyImage, angles: &[Offset]) -> Glcm {
    let ng = img.ng as usize;
    let s = img.size;
    let pad = super::padded::Padded::new(img, super::padded::reach(angles));
    let steps: Vec<isize> = angles.iter().map(|&o| pad.step(o)).collect();
    let counts = super::par_slices(s[2], angles.len() * ng * ng, |z, counts| {
        for y in 0..s[1] {
            let row = pad.index(0, y, z);
            for p in row..row + s[0] {
                let i = pad.levels[p] as usize;
                if i == 0 {
                    continue;
                }
                for (a, &d) in steps.iter().enumerate() {
                    let j = pad.at(p, d) as usize;
                    if j > 0 {
                        counts[(a * ng + i - 1) * ng + j - 1] += 1;
                    }
                }
            }
        }
    });
    Glcm {
        ng,
        angles: angles.to_vec(),
        counts,
    }
}

/// Adds each direction's transpose (`P + Pᵀ`): pairs are counted in both orders
/// (`symmetricalGLCM`, IBSI default).
pub fn symmetrize(g: &mut Glcm) {
    let ng = g.ng;
    for a in 0..g.angles.len() {
        let base = a * ng * ng;
        for i in 0..ng {
            for j in i..ng {
                let (u, v) = (base + i * ng + j, base + j * ng + i);
                let s = g.counts[u] + g.counts[v];
                g.counts[u] = s;
                g.counts[v] = s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_pairs_inside_roi_only() {
        // 3x1x1 row: levels 1, 2, 0 (third voxel outside).
        let img = GreyImage {
            size: [3, 1, 1],
            spacing: [1.0; 3],
            levels: vec![1, 2, 0],
            ng: 2,
        };
        let mut g = build(&img, &[[1, 0, 0]]);
        assert_eq!(g.counts, vec![0, 1, 0, 0]);
        symmetrize(&mut g);
        assert_eq!(g.counts, vec![0, 1, 1, 0]);
    }
}
