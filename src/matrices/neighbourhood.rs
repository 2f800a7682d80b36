//! The 26-neighbourhood pass shared by GLDM and NGTDM: every ROI voxel is visited with the
//! grey levels of its neighbours, so that one pass can fill both matrices when a case asks
//! for both with the same directions.

use super::angles::Offset;
use super::padded::{reach, Padded};
use super::{gldm, ngtdm, GreyImage};

/// The directions `angles` and their opposites, the neighbourhood of GLDM and NGTDM.
pub fn both_signs(angles: &[Offset]) -> Vec<Offset> {
    let mut dirs: Vec<Offset> = angles.to_vec();
    dirs.extend(angles.iter().map(|o| [-o[0], -o[1], -o[2]]));
    dirs
}

/// Calls `f(level, neighbour levels, accumulator)` for every ROI voxel of `img`, with the
/// levels at `dirs` from it (0 outside the ROI or the box), z-slices in parallel, each part
/// summing into its own zeroed accumulator of `len` counts; returns their sum.
pub fn visit(
    img: &GreyImage,
    dirs: &[Offset],
    len: usize,
    f: impl Fn(u32, &[u32], &mut [u64]) + Sync,
) -> Vec<u64> {
    let s = img.size;
    let pad = Padded::new(img, reach(dirs));
    let steps: Vec<isize> = dirs.iter().map(|&o| pad.step(o)).collect();
    super::par_slices(s[2], len, |z, acc| {
        let mut around = vec![0u32; steps.len()];
        for y in 0..s[1] {
            let row = pad.index(0, y, z);
            for p in row..row + s[0] {
                let l = pad.levels[p];
                if l == 0 {
                    continue;
                }
                for (m, &d) in around.iter_mut().zip(&steps) {
                    *m = pad.at(p, d);
                }
                f(l, &around, acc);
            }
        }
    })
}

/// The GLDM and the NGTDM table of `img` for the same directions, in one pass.
pub fn gldm_and_ngtdm(
    img: &GreyImage,
    angles: &[Offset],
    alpha: f64,
) -> (gldm::Gldm, ngtdm::Table) {
    let dirs = both_signs(angles);
    let ng = img.ng as usize;
    let nd = dirs.len() + 1;
    let split = ng * nd;
    let within = gldm::within(alpha);
    let mut acc = visit(img, &dirs, split + 2 * ng * nd, |l, around, acc| {
        let (g, t) = acc.split_at_mut(split);
        gldm::add_voxel(l, around, within, nd, g);
        ngtdm::add_voxel(l, around, nd, t);
    });
    let table = acc.split_off(split);
    (
        gldm::Gldm {
            ng,
            nd,
            counts: acc,
        },
        ngtdm::table_from_counts(ng, nd, &table),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrices::{build_cpu, build_cpu_all, Request};

    #[test]
    fn shared_pass_equals_separate_builds() {
        let size = [9, 8, 5];
        let n: usize = size.iter().product();
        let levels: Vec<u32> = (0..n)
            .map(|i| {
                if i % 7 == 3 {
                    0
                } else {
                    1 + (i * 31 % 5) as u32
                }
            })
            .collect();
        let img = GreyImage {
            size,
            spacing: [1.0; 3],
            levels,
            ng: 5,
        };
        let angles = crate::matrices::angles::generate(size, &[1], None);
        for alpha in [0.0, 1.0, 2.5] {
            let reqs = vec![
                Request::Ngtdm(angles.clone()),
                Request::Glcm(angles.clone()),
                Request::Gldm(angles.clone(), alpha),
            ];
            let separate: Vec<_> = reqs.iter().map(|r| build_cpu(&img, r)).collect();
            assert_eq!(build_cpu_all(&img, &reqs), separate, "alpha {alpha}");
        }
    }
}
