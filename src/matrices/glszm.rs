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
    /// The largest zone found (at least 1): the matrix's size axis is 1..=`ns`.
    pub ns: usize,
    /// The zone sizes that occur, ascending: the stored columns. Sizes that never occur only
    /// add columns of zeros, which change no feature; leaving them out bounds the matrix by
    /// Ng × √(2·ROI voxels) cells (distinct sizes of zones that together hold at most every
    /// ROI voxel), where a dense one could take Ng × ROI voxels.
    pub sizes: Vec<usize>,
    /// Counts `[i − 1][column]`, one column per entry of `sizes`.
    pub counts: Vec<u64>,
}

impl Glszm {
    /// Count at (grey level i, zone size s), 1-based (0 for sizes that no zone has).
    pub fn get(&self, i: usize, s: usize) -> u64 {
        match self.sizes.binary_search(&s) {
            Ok(c) => self.counts[(i - 1) * self.sizes.len() + c],
            Err(_) => 0,
        }
    }
}

/// Connected zones of equal grey level, found by union-find in one raster pass (each ROI
/// voxel joins the already-visited neighbours of its level: the half of the directions with a
/// negative linear step). Indices are those of a padded copy of the image.
struct ZoneForest {
    pad: super::padded::Padded,
    /// `parent[p]` for ROI voxels after full path compression: each voxel's zone root (the
    /// zone's smallest index); unused elsewhere.
    parent: Vec<usize>,
    /// The ROI voxels in raster order.
    voxels: Vec<usize>,
}

fn zone_forest(img: &GreyImage, angles: &[Offset]) -> ZoneForest {
    let s = img.size;
    let mut dirs: Vec<Offset> = angles.to_vec();
    dirs.extend(angles.iter().map(|o| [-o[0], -o[1], -o[2]]));
    let pad = super::padded::Padded::new(img, super::padded::reach(&dirs));
    let back: Vec<isize> = dirs
        .iter()
        .map(|&o| pad.step(o))
        .filter(|&d| d < 0)
        .collect();
    let mut parent: Vec<usize> = vec![usize::MAX; pad.levels.len()];
    fn root(parent: &mut [usize], mut p: usize) -> usize {
        while parent[p] != p {
            parent[p] = parent[parent[p]];
            p = parent[p];
        }
        p
    }
    let mut voxels: Vec<usize> = Vec::new();
    for z in 0..s[2] {
        for y in 0..s[1] {
            let row = pad.index(0, y, z);
            for p in row..row + s[0] {
                let l = pad.levels[p];
                if l == 0 {
                    continue;
                }
                parent[p] = p;
                voxels.push(p);
                // The root of p's zone, kept up to date across the unions below (every root
                // points to the smallest index of its zone, so only a smaller root replaces it).
                let mut rp = p;
                // Which earlier neighbours hold the same level, as a bit mask built without
                // branches; then only those are joined.
                for part in back.chunks(64) {
                    let mut same = pad.mask_of(p, part, |m| m == l);
                    while same != 0 {
                        let k = same.trailing_zeros() as usize;
                        same &= same - 1;
                        let rq = root(&mut parent, p.wrapping_add_signed(part[k]));
                        if rq != rp {
                            parent[rp.max(rq)] = rp.min(rq);
                            rp = rp.min(rq);
                        }
                    }
                }
            }
        }
    }
    for &p in &voxels {
        parent[p] = root(&mut parent, p);
    }
    ZoneForest {
        pad,
        parent,
        voxels,
    }
}

/// The zones of equal grey level of an image: each ROI voxel's zone, and each zone's level.
#[derive(Debug, Clone, PartialEq)]
pub struct Zones {
    /// Zone number of each voxel of the image (x fastest), `u32::MAX` outside the ROI.
    pub zone_of: Vec<u32>,
    /// Grey level of each zone.
    pub levels: Vec<u32>,
}

/// Labels the zones of `img`: connected sets of ROI voxels of one grey level, neighbours
/// given by `angles` and their opposites (26-connected in 3D, 8-connected in-plane).
pub fn label_zones(img: &GreyImage, angles: &[Offset]) -> Zones {
    let f = zone_forest(img, angles);
    let mut number = vec![u32::MAX; f.pad.levels.len()];
    let mut zone_of = vec![u32::MAX; img.levels.len()];
    let mut levels = Vec::new();
    let s = img.size;
    for z in 0..s[2] {
        for y in 0..s[1] {
            for x in 0..s[0] {
                let p = f.pad.index(x, y, z);
                if f.pad.levels[p] == 0 {
                    continue;
                }
                let r = f.parent[p];
                if number[r] == u32::MAX {
                    number[r] = levels.len() as u32;
                    levels.push(f.pad.levels[r]);
                }
                zone_of[img.index(x, y, z)] = number[r];
            }
        }
    }
    Zones { zone_of, levels }
}

/// Builds the GLSZM on the CPU: the zones of [`zone_forest`], then one count per zone.
pub fn build(img: &GreyImage, angles: &[Offset]) -> Glszm {
    let ng = img.ng as usize;
    let ZoneForest {
        pad,
        parent,
        voxels,
    } = zone_forest(img, angles);
    // Zone sizes, kept on each zone's root.
    let mut size = vec![0usize; pad.levels.len()];
    for &p in &voxels {
        size[parent[p]] += 1;
    }
    let mut sizes: Vec<usize> = voxels
        .iter()
        .filter(|&&p| parent[p] == p)
        .map(|&p| size[p])
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    let ns = sizes.last().copied().unwrap_or(1);
    let m = sizes.len();
    let mut counts = vec![0u64; ng * m];
    for &p in &voxels {
        if parent[p] == p {
            let column = sizes
                .binary_search(&size[p])
                .expect("every zone size is listed");
            counts[(pad.levels[p] as usize - 1) * m + column] += 1;
        }
    }
    Glszm {
        ng,
        ns,
        sizes,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrices::angles::generate;

    /// Zone sizes per level by a plain breadth-first search with bounds checks.
    fn reference(img: &GreyImage, angles: &[Offset]) -> Vec<(u32, usize)> {
        let s = img.size;
        let mut dirs: Vec<Offset> = angles.to_vec();
        dirs.extend(angles.iter().map(|o| [-o[0], -o[1], -o[2]]));
        let mut seen = vec![false; img.levels.len()];
        let mut zones = Vec::new();
        for start in 0..img.levels.len() {
            let l = img.levels[start];
            if l == 0 || seen[start] {
                continue;
            }
            seen[start] = true;
            let mut queue = std::collections::VecDeque::from([start]);
            let mut size = 0;
            while let Some(p) = queue.pop_front() {
                size += 1;
                let (x, y, z) = (p % s[0], (p / s[0]) % s[1], p / (s[0] * s[1]));
                for d in &dirs {
                    let q = [
                        x as i64 + d[0] as i64,
                        y as i64 + d[1] as i64,
                        z as i64 + d[2] as i64,
                    ];
                    if (0..3).any(|k| q[k] < 0 || q[k] >= s[k] as i64) {
                        continue;
                    }
                    let n = img.index(q[0] as usize, q[1] as usize, q[2] as usize);
                    if !seen[n] && img.levels[n] == l {
                        seen[n] = true;
                        queue.push_back(n);
                    }
                }
            }
            zones.push((l, size));
        }
        zones
    }

    #[test]
    fn union_find_zones_match_a_breadth_first_search() {
        let mut step = crate::rng::lcg(11);
        let mut next = |n: u32| ((step() >> 33) % n as u64) as u32;
        for (size, ng, fill) in [
            ([9, 7, 5], 3, 80),
            ([16, 12, 6], 2, 95),
            ([11, 1, 8], 4, 60),
        ] {
            let n: usize = size.iter().product();
            let levels: Vec<u32> = (0..n)
                .map(|_| if next(100) < fill { 1 + next(ng) } else { 0 })
                .collect();
            let img = GreyImage {
                size,
                spacing: [1.0; 3],
                levels,
                ng,
            };
            // Distance 3 gives 171 earlier neighbours in 3D, more than one 64-bit mask.
            for (force2d, dist) in [(None, 1), (Some(2), 1), (None, 3)] {
                let angles = generate(size, &[dist], force2d);
                let m = build(&img, &angles);
                let zones = reference(&img, &angles);
                let ns = zones.iter().map(|z| z.1).max().unwrap_or(1);
                let mut want = vec![0u64; ng as usize * ns];
                for (l, sz) in zones {
                    want[(l as usize - 1) * ns + sz - 1] += 1;
                }
                assert_eq!(m.ns, ns, "{size:?} {force2d:?}");
                let mut got = vec![0u64; ng as usize * ns];
                for i in 1..=ng as usize {
                    for s in 1..=ns {
                        got[(i - 1) * ns + s - 1] = m.get(i, s);
                    }
                }
                assert_eq!(got, want, "{size:?} {force2d:?}");
                // Only sizes that occur are stored, each once, ascending.
                assert!(m.sizes.windows(2).all(|w| w[0] < w[1]));
                assert_eq!(m.counts.len(), ng as usize * m.sizes.len());
            }
        }
    }
}
