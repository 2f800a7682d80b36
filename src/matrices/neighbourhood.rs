//! Neighbourhood passes: [`visit`] calls a function with every ROI voxel and the grey levels
//! of its neighbours (the separate GLDM and NGTDM builders); [`shared_pass`] fills the GLCM,
//! GLDM and NGTDM together, row by row, when a case asks for two or three of them with the
//! same directions.

use super::angles::Offset;
use super::padded::{reach, Padded};
use super::{glcm, gldm, ngtdm, GreyImage};

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

/// The matrices one neighbourhood pass fills (those not asked for are `None`).
#[derive(Debug, Default)]
pub struct Shared {
    /// Co-occurrence counts (asymmetric, as [`glcm::build`] gives them).
    pub glcm: Option<glcm::Glcm>,
    /// Dependence counts.
    pub gldm: Option<gldm::Gldm>,
    /// NGTDM integer table.
    pub ngtdm: Option<ngtdm::Table>,
}

/// Any of the GLCM, the GLDM (with its `alpha`) and the NGTDM table of `img` for the same
/// directions `angles`, in one pass over the ROI: a voxel's 26 neighbour levels are read
/// once for all of them.
pub fn shared_pass(
    img: &GreyImage,
    angles: &[Offset],
    with_glcm: bool,
    gldm_alpha: Option<f64>,
    with_ngtdm: bool,
) -> Shared {
    match (with_glcm, gldm_alpha.is_some(), with_ngtdm) {
        (true, true, true) => shared_with::<true, true, true>(img, angles, gldm_alpha),
        (true, true, false) => shared_with::<true, true, false>(img, angles, gldm_alpha),
        (true, false, true) => shared_with::<true, false, true>(img, angles, gldm_alpha),
        (false, true, true) => shared_with::<false, true, true>(img, angles, gldm_alpha),
        (true, false, false) => shared_with::<true, false, false>(img, angles, gldm_alpha),
        (false, true, false) => shared_with::<false, true, false>(img, angles, gldm_alpha),
        (false, false, true) => shared_with::<false, false, true>(img, angles, gldm_alpha),
        (false, false, false) => Shared::default(),
    }
}

/// [`shared_pass`] compiled for one combination of matrices.
///
/// Row by row: the neighbour counts, sums and dependences of a whole row are accumulated one
/// direction at a time over contiguous slices (which vectorise), then each ROI voxel of the
/// row adds to the matrices.
fn shared_with<const C: bool, const D: bool, const T: bool>(
    img: &GreyImage,
    angles: &[Offset],
    gldm_alpha: Option<f64>,
) -> Shared {
    let dirs = both_signs(angles);
    let ng = img.ng as usize;
    let na = angles.len();
    let nd = dirs.len() + 1;
    let s = img.size;
    // One accumulator: [GLCM na·ng·ng | GLDM ng·nd | NGTDM 2·ng·nd], each part present or
    // of length 0.
    let len_c = if C { na * ng * ng } else { 0 };
    let len_d = if D { ng * nd } else { 0 };
    let len_t = if T { 2 * ng * nd } else { 0 };
    let within = gldm::within(gldm_alpha.unwrap_or(0.0));
    // |l − m| ≤ a as one unsigned comparison: (l − m + a) mod 2³² ≤ 2a (exact for a < 2³¹;
    // larger thresholds count every neighbour, as no level difference reaches them).
    let (a, span) = match within {
        Some(a) if a < 1 << 31 => (a, 2 * a),
        Some(_) => (0, u32::MAX),
        None => (0, 0),
    };
    let dependent = within.is_some();
    let pad = Padded::new(img, reach(&dirs));
    let steps: Vec<isize> = dirs.iter().map(|&o| pad.step(o)).collect();
    let mut acc = super::par_slices(s[2], len_c + len_d + len_t, |z, acc| {
        let (c, rest) = acc.split_at_mut(len_c);
        let (dep_counts, t) = rest.split_at_mut(len_d);
        // Per voxel of the row: neighbours in the ROI, the sum of their levels, and how
        // many of them are dependent.
        let mut count = vec![0u32; s[0]];
        let mut sum = vec![0u32; s[0]];
        let mut dep = vec![0u32; s[0]];
        for y in 0..s[1] {
            let row = pad.index(0, y, z);
            let lv = &pad.levels[row..row + s[0]];
            if lv.iter().all(|&l| l == 0) {
                continue;
            }
            if D || T {
                count.fill(0);
                sum.fill(0);
                dep.fill(0);
                for &d in &steps {
                    let at = row.wrapping_add_signed(d);
                    let nb = &pad.levels[at..at + s[0]];
                    for ((((&m, &l), n), t), e) in nb
                        .iter()
                        .zip(lv)
                        .zip(count.iter_mut())
                        .zip(sum.iter_mut())
                        .zip(dep.iter_mut())
                    {
                        let inside = u32::from(m > 0);
                        *n += inside;
                        *t += m;
                        if D {
                            *e += inside & u32::from(l.wrapping_sub(m).wrapping_add(a) <= span);
                        }
                    }
                }
            }
            for (x, &l) in lv.iter().enumerate() {
                if l == 0 {
                    continue;
                }
                let li = l as usize - 1;
                if C {
                    // The first `na` directions are `angles` themselves.
                    for (k, &d) in steps[..na].iter().enumerate() {
                        let j = pad.at(row + x, d) as usize;
                        if j > 0 {
                            c[(k * ng + li) * ng + j - 1] += 1;
                        }
                    }
                }
                if D {
                    let e = if dependent { dep[x] as usize } else { 0 };
                    dep_counts[li * nd + e] += 1;
                }
                if T {
                    let k = 2 * (li * nd + count[x] as usize);
                    t[k] += 1;
                    t[k + 1] += (u64::from(l) * u64::from(count[x])).abs_diff(u64::from(sum[x]));
                }
            }
        }
    });
    let table = acc.split_off(len_c + len_d);
    let dep = acc.split_off(len_c);
    Shared {
        glcm: C.then(|| glcm::Glcm {
            ng,
            angles: angles.to_vec(),
            counts: acc,
        }),
        gldm: D.then_some(gldm::Gldm {
            ng,
            nd,
            counts: dep,
        }),
        ngtdm: T.then(|| ngtdm::table_from_counts(ng, nd, &table)),
    }
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
        for alpha in [0.0, 1.0, 2.5, -1.0, 1e12] {
            let reqs = vec![
                Request::Ngtdm(angles.clone()),
                Request::Glcm(angles.clone()),
                Request::Gldm(angles.clone(), alpha),
            ];
            let separate: Vec<_> = reqs.iter().map(|r| build_cpu(&img, r)).collect();
            assert_eq!(build_cpu_all(&img, &reqs), separate, "alpha {alpha}");
            // Every pair of the three, and each alone.
            for k in 0..reqs.len() {
                let pair: Vec<Request> = reqs
                    .iter()
                    .skip(k)
                    .chain(&reqs[..k])
                    .take(2)
                    .cloned()
                    .collect();
                let separate: Vec<_> = pair.iter().map(|r| build_cpu(&img, r)).collect();
                assert_eq!(
                    build_cpu_all(&img, &pair),
                    separate,
                    "alpha {alpha}, pair {k}"
                );
                assert_eq!(build_cpu_all(&img, &reqs[k..k + 1]), separate[..1]);
            }
            // Different directions are not shared: each still equals its own build.
            let other = crate::matrices::angles::generate(size, &[2], None);
            let mixed = vec![Request::Glcm(other), Request::Gldm(angles.clone(), alpha)];
            let separate: Vec<_> = mixed.iter().map(|r| build_cpu(&img, r)).collect();
            assert_eq!(
                build_cpu_all(&img, &mixed),
                separate,
                "alpha {alpha}, mixed"
            );
        }
    }
}
