//! Grey-level distance-zone matrix (IBSI family VMDZ; Thibault et al., "Advanced statistical
//! matrices for texture characterization", Int. Conf. on Image Processing 2014, as the IBSI
//! reference manual redefines it).
//!
//! `d[i][j]` counts zones — connected sets of ROI voxels of grey level `i`, as for the GLSZM
//! ([`super::glszm::label_zones`]: 26-connected in 3D, 8-connected in a slice) — whose
//! distance to the ROI's edge is `j`. A voxel's distance is the fewest face-neighbour steps
//! (6-connected in 3D, 4-connected within a slice) that leave the morphological mask, 1 for a
//! voxel on its edge (the grid's own border counts as outside); a zone's distance is the least
//! of its voxels'.

use std::collections::VecDeque;

use super::angles::Offset;
use super::GreyImage;

/// Zone counts by grey level and distance.
#[derive(Debug, Clone, PartialEq)]
pub struct Gldzm {
    /// Number of grey levels (levels 1 ..= `ng`).
    pub ng: usize,
    /// The largest zone distance (at least 1): distances 1 ..= `nd`.
    pub nd: usize,
    /// Counts `[i − 1][j − 1]`.
    pub counts: Vec<u64>,
    /// ROI voxels counted (the intensity mask's): N_v.
    pub voxels: u64,
}

impl Gldzm {
    /// Count at (grey level i, distance j), 1-based.
    pub fn get(&self, i: usize, j: usize) -> u64 {
        self.counts[(i - 1) * self.nd + (j - 1)]
    }

    /// The sum of `self` and `other` (IBSI's merging of per-slice matrices: zone counts and
    /// voxel counts added).
    pub fn merged(&self, other: &Gldzm) -> Gldzm {
        let (ng, nd) = (self.ng.max(other.ng), self.nd.max(other.nd));
        let mut counts = vec![0u64; ng * nd];
        for m in [self, other] {
            for i in 1..=m.ng {
                for j in 1..=m.nd {
                    counts[(i - 1) * nd + (j - 1)] += m.get(i, j);
                }
            }
        }
        Gldzm {
            ng,
            nd,
            counts,
            voxels: self.voxels + other.voxels,
        }
    }
}

/// Each voxel's distance to the edge of `mask` (on a grid of `size`, x fastest): the fewest
/// steps along x, y (and z unless `in_plane`) that leave it, 1 on its edge; 0 outside.
pub fn distance_map(mask: &[bool], size: [usize; 3], in_plane: bool) -> Vec<u32> {
    let [sx, sy, sz] = size;
    let idx = |x: usize, y: usize, z: usize| x + sx * (y + sy * z);
    let axes = if in_plane { 2 } else { 3 };
    let neighbours = |x: usize, y: usize, z: usize| {
        let mut out: [Option<usize>; 6] = [None; 6];
        let c = [x, y, z];
        let mut k = 0;
        for axis in 0..axes {
            for up in [false, true] {
                let mut n = c;
                let inside = if up {
                    n[axis] += 1;
                    n[axis] < size[axis]
                } else if n[axis] > 0 {
                    n[axis] -= 1;
                    true
                } else {
                    false
                };
                out[k] = inside.then(|| idx(n[0], n[1], n[2]));
                k += 1;
            }
        }
        (out, k)
    };
    let mut dist = vec![0u32; mask.len()];
    let mut queue = VecDeque::new();
    for z in 0..sz {
        for y in 0..sy {
            for x in 0..sx {
                let i = idx(x, y, z);
                if !mask[i] {
                    continue;
                }
                let (n, k) = neighbours(x, y, z);
                if n[..k].iter().any(|q| q.is_none_or(|q| !mask[q])) {
                    dist[i] = 1;
                    queue.push_back((x, y, z));
                }
            }
        }
    }
    while let Some((x, y, z)) = queue.pop_front() {
        let d = dist[idx(x, y, z)];
        let (n, k) = neighbours(x, y, z);
        for q in n[..k].iter().flatten() {
            if mask[*q] && dist[*q] == 0 {
                dist[*q] = d + 1;
                let (qx, qyz) = (q % sx, q / sx);
                queue.push_back((qx, qyz % sy, qyz / sy));
            }
        }
    }
    dist
}

/// Builds the GLDZM of `img` with zones linked along `angles` (and their opposites), distances
/// taken in `morphology` (a mask on `img`'s grid, holding every ROI voxel of `img`) along the
/// grid's axes, or only x and y when `in_plane`.
pub fn build(img: &GreyImage, angles: &[Offset], morphology: &[bool], in_plane: bool) -> Gldzm {
    assert_eq!(morphology.len(), img.levels.len(), "one grid");
    let zones = super::glszm::label_zones(img, angles);
    let dist = distance_map(morphology, img.size, in_plane);
    let mut zone_distance = vec![u32::MAX; zones.levels.len()];
    let mut voxels = 0u64;
    for (i, &z) in zones.zone_of.iter().enumerate() {
        if z != u32::MAX {
            debug_assert!(morphology[i], "ROI voxels lie in the morphological mask");
            let d = &mut zone_distance[z as usize];
            *d = (*d).min(dist[i].max(1));
            voxels += 1;
        }
    }
    let ng = img.ng as usize;
    let nd = zone_distance.iter().copied().max().unwrap_or(1).max(1) as usize;
    let mut counts = vec![0u64; ng * nd];
    for (&level, &d) in zones.levels.iter().zip(&zone_distance) {
        counts[(level as usize - 1) * nd + (d as usize - 1)] += 1;
    }
    Gldzm {
        ng,
        nd,
        counts,
        voxels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distances by brute force: the least L1 distance to a voxel outside the mask or beyond
    /// the grid.
    fn brute(mask: &[bool], size: [usize; 3], in_plane: bool) -> Vec<u32> {
        let [sx, sy, sz] = size.map(|v| v as i64);
        let inside = |x: i64, y: i64, z: i64| {
            x >= 0
                && y >= 0
                && z >= 0
                && x < sx
                && y < sy
                && z < sz
                && mask[(x + sx * (y + sy * z)) as usize]
        };
        let mut out = vec![0; mask.len()];
        for z in 0..sz {
            for y in 0..sy {
                for x in 0..sx {
                    if !inside(x, y, z) {
                        continue;
                    }
                    let mut best = i64::MAX;
                    let r = sx + sy + sz + 2;
                    for dz in if in_plane { 0..=0 } else { -r..=r } {
                        for dy in -r..=r {
                            for dx in -r..=r {
                                if !inside(x + dx, y + dy, z + dz) {
                                    best = best.min(dx.abs() + dy.abs() + dz.abs());
                                }
                            }
                        }
                    }
                    out[(x + sx * (y + sy * z)) as usize] = best as u32;
                }
            }
        }
        out
    }

    #[test]
    fn distances_equal_brute_force() {
        let mut step = crate::rng::lcg(24680);
        for size in [[5, 4, 3], [7, 7, 1], [1, 6, 6], [9, 8, 7]] {
            for density in [5u64, 8, 10] {
                let mask: Vec<bool> = (0..size.iter().product::<usize>())
                    .map(|_| (step() >> 33) % 10 < density)
                    .collect();
                for in_plane in [false, true] {
                    assert_eq!(
                        distance_map(&mask, size, in_plane),
                        brute(&mask, size, in_plane),
                        "size {size:?} density {density} in-plane {in_plane}"
                    );
                }
            }
        }
    }

    #[test]
    fn zone_distances_of_a_small_slice() {
        // A 4 × 4 slice filled with the ROI: levels 1 around a 2 × 2 core of level 2. The
        // border ring (12 voxels, level 1) is one zone at distance 1; the core is one zone at
        // distance 2.
        let mut levels = vec![1u32; 16];
        for (x, y) in [(1, 1), (2, 1), (1, 2), (2, 2)] {
            levels[x + 4 * y] = 2;
        }
        let img = GreyImage {
            size: [4, 4, 1],
            spacing: [1.0; 3],
            levels,
            ng: 2,
        };
        let angles = crate::matrices::angles::generate(img.size, &[1], Some(0));
        let m = build(&img, &angles, &[true; 16], true);
        assert_eq!((m.ng, m.nd, m.voxels), (2, 2, 16));
        assert_eq!(
            (m.get(1, 1), m.get(1, 2), m.get(2, 1), m.get(2, 2)),
            (1, 0, 0, 1)
        );
        let twice = m.merged(&m);
        assert_eq!((twice.get(2, 2), twice.voxels), (2, 32));
    }
}
