//! Neighbourhood grey-tone difference matrix (IBSI 3.10, IPET; PyRadiomics `ngtdm`).
//!
//! For each ROI voxel, the absolute difference between its grey level and the mean grey level
//! of its ROI neighbours (both signs of every direction) is accumulated in `s[i]`, and `n[i]`
//! counts the voxels. As PyRadiomics, a voxel without any ROI neighbour still counts in `n[i]`
//! and adds 0 to `s[i]`.

use super::angles::Offset;
use super::GreyImage;

/// Per-grey-level NGTDM columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Ngtdm {
    /// Number of grey levels.
    pub ng: usize,
    /// `n[i − 1]`: ROI voxels of level i.
    pub n: Vec<u64>,
    /// `s[i − 1]`: Σ |i − mean of neighbours| over those voxels.
    pub s: Vec<f64>,
}

/// Exact integer NGTDM table: for grey level `i` and number `c` of ROI neighbours, the
/// voxel count and `Σ |i·c − Σ neighbour levels|` (so `s_i = Σ_c table[i][c].1 / c`).
/// The GPU computes the same table; both are exact, so the f64 `s_i` formed from it by
/// [`from_table`] is bit-identical between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Number of grey levels.
    pub ng: usize,
    /// Neighbour counts per level: 0..=`nc − 1`.
    pub nc: usize,
    /// `[(i − 1)·nc + c]` → (voxels, difference sum).
    pub cells: Vec<(u64, u64)>,
}

/// Builds the exact integer table on the CPU (z-slices in parallel).
pub fn table(img: &GreyImage, angles: &[Offset]) -> Table {
    let size = img.size;
    let mut dirs: Vec<Offset> = angles.to_vec();
    dirs.extend(angles.iter().map(|o| [-o[0], -o[1], -o[2]]));
    let ng = img.ng as usize;
    let nc = dirs.len() + 1;
    let pad = super::padded::Padded::new(img, super::padded::reach(&dirs));
    let steps: Vec<isize> = dirs.iter().map(|&o| pad.step(o)).collect();
    let flat = super::par_slices(size[2], 2 * ng * nc, |z, acc| {
        for y in 0..size[1] {
            let row = pad.index(0, y, z);
            for p in row..row + size[0] {
                let l = pad.levels[p];
                if l == 0 {
                    continue;
                }
                let (mut sum, mut cnt) = (0u64, 0u64);
                for &d in &steps {
                    let m = pad.at(p, d);
                    if m > 0 {
                        sum += m as u64;
                        cnt += 1;
                    }
                }
                let k = 2 * ((l as usize - 1) * nc + cnt as usize);
                acc[k] += 1;
                acc[k + 1] += (l as u64 * cnt).abs_diff(sum);
            }
        }
    });
    Table {
        ng,
        nc,
        cells: flat.chunks_exact(2).map(|c| (c[0], c[1])).collect(),
    }
}

/// The NGTDM from its integer table: `n_i = Σ_c voxels`, `s_i = Σ_c sum / c` (c ≥ 1).
pub fn from_table(t: &Table) -> Ngtdm {
    let mut n = vec![0u64; t.ng];
    let mut s = vec![0.0f64; t.ng];
    for i in 0..t.ng {
        for c in 0..t.nc {
            let (v, d) = t.cells[i * t.nc + c];
            n[i] += v;
            if c > 0 {
                s[i] += d as f64 / c as f64;
            }
        }
    }
    Ngtdm { ng: t.ng, n, s }
}

/// Builds the NGTDM on the CPU.
pub fn build(img: &GreyImage, angles: &[Offset]) -> Ngtdm {
    from_table(&table(img, angles))
}
