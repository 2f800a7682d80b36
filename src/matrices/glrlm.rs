//! Grey-level run-length matrix (IBSI 3.7, TP0I; PyRadiomics `glrlm`).
//!
//! `P[a][i][r]` counts maximal runs of `r` consecutive ROI voxels of grey level `i` along
//! direction `a`; a run ends at a voxel of another level, outside the ROI, or at the box edge.
//!
//! As PyRadiomics, a direction along which no line through the box holds two or more ROI
//! voxels (the ROI is "flat" in that direction) is emptied, so that it is dropped before the
//! features are averaged.

use super::angles::Offset;
use super::GreyImage;

/// Per-direction run-length counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Glrlm {
    /// Number of grey levels.
    pub ng: usize,
    /// Longest possible run (largest box side).
    pub nr: usize,
    /// The directions.
    pub angles: Vec<Offset>,
    /// Counts `[angle][i − 1][r − 1]`.
    pub counts: Vec<u64>,
}

impl Glrlm {
    /// Count at (angle, grey level i, run length r), 1-based.
    pub fn get(&self, a: usize, i: usize, r: usize) -> u64 {
        self.counts[(a * self.ng + i - 1) * self.nr + r - 1]
    }
}

/// Builds the per-direction GLRLM on the CPU.
pub fn build(img: &GreyImage, angles: &[Offset]) -> Glrlm {
    let ng = img.ng as usize;
    let s = img.size;
    let nr = s.iter().copied().max().unwrap_or(1);
    let pad = super::padded::Padded::new(img, super::padded::reach(angles));
    let steps: Vec<isize> = angles.iter().map(|&o| pad.step(o)).collect();
    let counts = super::par_slices(s[2], angles.len() * ng * nr, |z, counts| {
        for y in 0..s[1] {
            let row = pad.index(0, y, z);
            for p in row..row + s[0] {
                let l = pad.levels[p];
                if l == 0 {
                    continue;
                }
                // Only the first voxel of a run counts it. Bit masks, built without branches
                // 64 directions at a time, say where p starts a run (its predecessor holds
                // another level) and where the run goes on; runs of one voxel are counted at
                // once, only longer runs are walked.
                for (part, first) in steps.chunks(64).zip((0..).step_by(64)) {
                    let (mut starts, mut continues) = (0u64, 0u64);
                    for (k, &d) in part.iter().enumerate() {
                        starts |= u64::from(pad.at(p, -d) != l) << k;
                        continues |= u64::from(pad.at(p, d) == l) << k;
                    }
                    let base = (first * ng + l as usize - 1) * nr;
                    let mut single = starts & !continues;
                    while single != 0 {
                        let k = single.trailing_zeros() as usize;
                        single &= single - 1;
                        counts[base + k * ng * nr] += 1;
                    }
                    let mut long = starts & continues;
                    while long != 0 {
                        let k = long.trailing_zeros() as usize;
                        long &= long - 1;
                        let d = part[k];
                        let mut len = 2;
                        let mut q = p.wrapping_add_signed(2 * d);
                        while pad.levels[q] == l {
                            len += 1;
                            q = q.wrapping_add_signed(d);
                        }
                        counts[base + k * ng * nr + len - 1] += 1;
                    }
                }
            }
        }
    });
    let mut m = Glrlm {
        ng,
        nr,
        angles: angles.to_vec(),
        counts,
    };
    empty_flat_directions(img, &mut m);
    m
}

/// Empties the directions along which no line holds two ROI voxels (PyRadiomics drops them).
pub fn empty_flat_directions(img: &GreyImage, m: &mut Glrlm) {
    let block = m.ng * m.nr;
    // The ROI's voxels, listed once for every direction: a sparse ROI spread over a large
    // box would otherwise have the whole box scanned twice per direction.
    let roi = roi_voxels(img);
    for (a, &off) in m.angles.iter().enumerate() {
        if !multi_voxel_line_among(img, &roi, off) {
            m.counts[a * block..(a + 1) * block].fill(0);
        }
    }
}

/// Box indices of the ROI's voxels, x fastest.
fn roi_voxels(img: &GreyImage) -> Vec<usize> {
    (0..img.levels.len())
        .filter(|&i| img.levels[i] != 0)
        .collect()
}

/// Whether some line along `off` through the box holds at least two ROI voxels (not
/// necessarily adjacent). Each voxel is mapped to the first grid position of its line: walk
/// back along `off` until a moving coordinate would leave the box.
pub fn has_multi_voxel_line(img: &GreyImage, off: Offset) -> bool {
    multi_voxel_line_among(img, &roi_voxels(img), off)
}

/// [`has_multi_voxel_line`] with the ROI's voxels (box indices, x fastest) given.
fn multi_voxel_line_among(img: &GreyImage, roi: &[usize], off: Offset) -> bool {
    let s = img.size;
    let coords = |i: usize| [i % s[0], (i / s[0]) % s[1], i / (s[0] * s[1])];
    // Two adjacent ROI voxels along `off` answer at once (the usual case, found within the
    // first line of a dense ROI); only ROIs without such a pair need the set below.
    for &i in roi {
        let [x, y, z] = coords(i);
        if let Some((nx, ny, nz)) = super::glcm::neighbour(s, x, y, z, off) {
            if img.levels[img.index(nx, ny, nz)] != 0 {
                return true;
            }
        }
    }
    let mut seen = std::collections::HashSet::with_capacity(roi.len());
    for &i in roi {
        let p = coords(i);
        let back = (0..3)
            .filter(|&k| off[k] != 0)
            .map(|k| {
                let step = off[k].unsigned_abs() as usize;
                if off[k] > 0 {
                    p[k] / step
                } else {
                    (s[k] - 1 - p[k]) / step
                }
            })
            .min()
            .unwrap_or(0) as i64;
        let start = |k: usize| (p[k] as i64 - back * off[k] as i64) as usize;
        if !seen.insert(img.index(start(0), start(1), start(2))) {
            return true;
        }
    }
    false
}

/// A box of line start voxels on one face of the grid: `origin` plus `extent` voxels along
/// each axis (x fastest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFace {
    /// First voxel of the face box.
    pub origin: [usize; 3],
    /// Voxels along x, y and z (a product of 0 means the face holds no new starts).
    pub extent: [usize; 3],
}

impl LineFace {
    /// Number of start voxels.
    pub fn len(&self) -> usize {
        self.extent.iter().product()
    }

    /// Whether the face holds no start voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The start voxels of the lines along `off` through a box of `size` (the voxels whose
/// predecessor `p − off` lies outside the box) as at most three disjoint face boxes, one per
/// moving axis; each start is listed once. `off` has components in {−1, 0, 1} (GLRLM
/// directions are at distance 1). The GPU finds its lines' starts from these boxes.
pub fn line_faces(size: [usize; 3], off: Offset) -> Vec<LineFace> {
    assert!(
        off.iter().all(|v| v.abs() <= 1),
        "line starts need unit offsets"
    );
    let first = |k: usize| if off[k] > 0 { 0 } else { size[k] - 1 };
    let moving: Vec<usize> = (0..3).filter(|&k| off[k] != 0).collect();
    moving
        .iter()
        .enumerate()
        .map(|(n, &k)| {
            // Starts on face k not already on an earlier face.
            let mut face = LineFace {
                origin: [0; 3],
                extent: size,
            };
            for j in 0..3 {
                if j == k {
                    face.origin[j] = first(k);
                    face.extent[j] = 1;
                } else if moving[..n].contains(&j) {
                    face.origin[j] = usize::from(off[j] > 0);
                    face.extent[j] = size[j] - 1;
                }
            }
            face
        })
        .collect()
}

/// Start voxels (linear indices) of the lines along `off`, face by face as [`line_faces`].
pub fn line_starts(size: [usize; 3], off: Offset) -> Vec<u32> {
    let mut out = Vec::new();
    for f in line_faces(size, off) {
        for z in 0..f.extent[2] {
            for y in 0..f.extent[1] {
                for x in 0..f.extent[0] {
                    let (x, y, z) = (f.origin[0] + x, f.origin[1] + y, f.origin[2] + z);
                    out.push((x + size[0] * (y + size[1] * z)) as u32);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs counted with bounds checks from each run's first voxel, for comparison.
    fn walked_runs(img: &GreyImage, angles: &[Offset]) -> Vec<u64> {
        let ng = img.ng as usize;
        let nr = img.size.iter().copied().max().unwrap_or(1);
        let s = img.size;
        let mut counts = vec![0u64; angles.len() * ng * nr];
        let at = |x: i64, y: i64, z: i64| -> u32 {
            if x < 0 || y < 0 || z < 0 || x >= s[0] as i64 || y >= s[1] as i64 || z >= s[2] as i64 {
                0
            } else {
                img.levels[img.index(x as usize, y as usize, z as usize)]
            }
        };
        for (a, o) in angles.iter().enumerate() {
            let o = [o[0] as i64, o[1] as i64, o[2] as i64];
            for z in 0..s[2] as i64 {
                for y in 0..s[1] as i64 {
                    for x in 0..s[0] as i64 {
                        let l = at(x, y, z);
                        if l == 0 || at(x - o[0], y - o[1], z - o[2]) == l {
                            continue;
                        }
                        let mut r = 1;
                        while at(x + r * o[0], y + r * o[1], z + r * o[2]) == l {
                            r += 1;
                        }
                        counts[(a * ng + l as usize - 1) * nr + r as usize - 1] += 1;
                    }
                }
            }
        }
        counts
    }

    #[test]
    fn multi_voxel_lines_are_found_as_pairs_on_one_line_are() {
        // Brute force: two ROI voxels share a line along `o` when their difference is a
        // whole multiple of `o`.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for size in [[9, 7, 5], [15, 3, 4], [6, 6, 6]] {
            let n: usize = size.iter().product();
            for roi_voxels in [0, 1, 2, 3, 5, 8] {
                for _ in 0..20 {
                    let mut levels = vec![0u32; n];
                    for _ in 0..roi_voxels {
                        levels[(next() % n as u64) as usize] = 1;
                    }
                    let img = GreyImage {
                        size,
                        spacing: [1.0; 3],
                        levels,
                        ng: 1,
                    };
                    let pts: Vec<[i64; 3]> = (0..n)
                        .filter(|&i| img.levels[i] != 0)
                        .map(|i| {
                            [
                                (i % size[0]) as i64,
                                ((i / size[0]) % size[1]) as i64,
                                (i / (size[0] * size[1])) as i64,
                            ]
                        })
                        .collect();
                    for o in crate::matrices::angles::generate(size, &[1], None) {
                        let on_line = |a: [i64; 3], b: [i64; 3]| {
                            let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
                            let k = (0..3).find(|&j| o[j] != 0).expect("a moving axis");
                            let t = d[k] / o[k] as i64;
                            d[k] % o[k] as i64 == 0 && (0..3).all(|j| d[j] == t * o[j] as i64)
                        };
                        let want = pts
                            .iter()
                            .enumerate()
                            .any(|(i, &a)| pts[i + 1..].iter().any(|&b| on_line(a, b)));
                        assert_eq!(
                            has_multi_voxel_line(&img, o),
                            want,
                            "{size:?} {o:?} {pts:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn runs_equal_runs_walked_with_bounds_checks() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for size in [
            [1, 1, 1],
            [5, 1, 1],
            [1, 4, 3],
            [7, 6, 5],
            [20, 3, 2],
            [9, 17, 7],
        ] {
            for (ng, holes) in [(1u64, 0u64), (2, 3), (3, 0), (5, 5), (32, 2)] {
                let n: usize = size.iter().product();
                let levels: Vec<u32> = (0..n)
                    .map(|_| {
                        let r = next();
                        if r % 10 < holes {
                            0
                        } else {
                            1 + ((r >> 8) % ng) as u32
                        }
                    })
                    .collect();
                let img = GreyImage {
                    size,
                    spacing: [1.0; 3],
                    levels,
                    ng: ng as u32,
                };
                // Distance 3 gives more than 64 directions in 3D (several bit masks).
                for dist in [1, 2, 3] {
                    let angles = crate::matrices::angles::generate(size, &[dist], None);
                    let mut want = Glrlm {
                        ng: ng as usize,
                        nr: size.iter().copied().max().unwrap(),
                        angles: angles.clone(),
                        counts: walked_runs(&img, &angles),
                    };
                    empty_flat_directions(&img, &mut want);
                    assert_eq!(
                        build(&img, &angles),
                        want,
                        "{size:?} ng {ng} distance {dist}"
                    );
                }
            }
        }
    }

    #[test]
    fn line_starts_cover_every_line_once() {
        let size = [4, 3, 5];
        let mut directions = crate::matrices::angles::generate(size, &[1], None);
        let opposite: Vec<Offset> = directions.iter().map(|o| [-o[0], -o[1], -o[2]]).collect();
        directions.extend(opposite);
        for off in directions {
            let starts = line_starts(size, off);
            let mut seen = vec![0u32; 60];
            for &st in &starts {
                let mut p = [st as i64 % 4, (st as i64 / 4) % 3, st as i64 / 12];
                let back = [
                    p[0] - off[0] as i64,
                    p[1] - off[1] as i64,
                    p[2] - off[2] as i64,
                ];
                assert!(
                    (0..3).any(|k| back[k] < 0 || back[k] >= size[k] as i64),
                    "{off:?}"
                );
                while (0..3).all(|k| p[k] >= 0 && p[k] < size[k] as i64) {
                    seen[(p[0] + 4 * (p[1] + 3 * p[2])) as usize] += 1;
                    for k in 0..3 {
                        p[k] += off[k] as i64;
                    }
                }
            }
            assert!(
                seen.iter().all(|&c| c == 1),
                "{off:?}: every voxel on exactly one line"
            );
        }
    }
}
