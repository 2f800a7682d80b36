//! Neighbourhood grey-tone difference matrix (IBSI 3.10, IPET; PyRadiomics `ngtdm`).
//!
//! For each ROI voxel, the absolute difference between its grey level and the mean grey level
//! of its ROI neighbours (both signs of every direction) is accumulated in `s[i]`, and `n[i]`
//! counts the voxels. As PyRadiomics, a voxel without any ROI neighbour still counts in `n[i]`
//! and adds 0 to `s[i]`.

use super::angles::Offset;
use super::glcm::neighbour;
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

/// Sum of the grey levels of each voxel's ROI neighbours and their number, `[sum, count]` per
/// voxel of the box (zero outside the ROI). The GPU computes the same table.
pub fn neighbourhoods(img: &GreyImage, angles: &[Offset]) -> Vec<[u32; 2]> {
    let size = img.size;
    let mut dirs: Vec<Offset> = angles.to_vec();
    dirs.extend(angles.iter().map(|o| [-o[0], -o[1], -o[2]]));
    let mut out = vec![[0u32; 2]; img.levels.len()];
    for z in 0..size[2] {
        for y in 0..size[1] {
            for x in 0..size[0] {
                let idx = img.index(x, y, z);
                if img.levels[idx] == 0 {
                    continue;
                }
                let (mut sum, mut cnt) = (0u32, 0u32);
                for &d in &dirs {
                    if let Some((nx, ny, nz)) = neighbour(size, x, y, z, d) {
                        let m = img.levels[img.index(nx, ny, nz)];
                        if m > 0 {
                            sum += m;
                            cnt += 1;
                        }
                    }
                }
                out[idx] = [sum, cnt];
            }
        }
    }
    out
}

/// Accumulates the NGTDM from the per-voxel neighbourhood table, in voxel order (so CPU and
/// GPU tables give bit-identical sums).
pub fn accumulate(img: &GreyImage, table: &[[u32; 2]]) -> Ngtdm {
    let ng = img.ng as usize;
    let mut n = vec![0u64; ng];
    let mut s = vec![0.0f64; ng];
    for (&l, &[sum, cnt]) in img.levels.iter().zip(table) {
        if l == 0 {
            continue;
        }
        let i = l as usize - 1;
        n[i] += 1;
        if cnt > 0 {
            s[i] += (l as f64 - sum as f64 / cnt as f64).abs();
        }
    }
    Ngtdm { ng, n, s }
}

/// Builds the NGTDM on the CPU.
pub fn build(img: &GreyImage, angles: &[Offset]) -> Ngtdm {
    accumulate(img, &neighbourhoods(img, angles))
}
