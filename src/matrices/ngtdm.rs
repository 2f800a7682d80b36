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
    let dirs = super::neighbourhood::both_signs(angles);
    let ng = img.ng as usize;
    let nc = dirs.len() + 1;
    let flat = super::neighbourhood::visit(img, &dirs, 2 * ng * nc, |l, around, acc| {
        add_voxel(l, around, nc, acc)
    });
    table_from_counts(ng, nc, &flat)
}

/// Adds one ROI voxel of level `l` with neighbour levels `around` to the flat table `acc`
/// (pairs `[(i − 1)·nc + c]` of voxel count and difference sum).
#[inline]
pub(crate) fn add_voxel(l: u32, around: &[u32], nc: usize, acc: &mut [u64]) {
    let (mut sum, mut cnt) = (0u64, 0u64);
    for &m in around {
        if m > 0 {
            sum += m as u64;
            cnt += 1;
        }
    }
    let k = 2 * ((l as usize - 1) * nc + cnt as usize);
    acc[k] += 1;
    acc[k + 1] += (l as u64 * cnt).abs_diff(sum);
}

/// The [`Table`] from its flat pairs.
pub(crate) fn table_from_counts(ng: usize, nc: usize, flat: &[u64]) -> Table {
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
