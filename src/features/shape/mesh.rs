//! Triangle mesh of a binary ROI by marching cubes (Lorensen & Cline, SIGGRAPH 1987) with
//! vertices at edge midpoints, as PyRadiomics builds it for its 3D shape features
//! (IBSI 3.1: "mesh-based representation", vertices on the boundary between ROI and
//! background voxels).
//!
//! The mask is treated as padded with one voxel of background on every side, so every ROI
//! surface is closed. Volume uses the divergence theorem over the closed mesh, surface area
//! sums triangle areas; diameters are taken over all mesh vertices.

use rayon::prelude::*;

use super::mc_table::{CORNER_OFFSETS, EDGE_CORNERS, TRI_TABLE};
use crate::image::Mask;

/// Area, volume and maximum diameters of a ROI mesh (mm², mm³, mm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeshMeasures {
    /// Surface area A (IBSI C0JK).
    pub surface_area: f64,
    /// Enclosed volume V (IBSI RNU0).
    pub volume: f64,
    /// Largest vertex distance among vertices with equal z (axial plane).
    pub max_2d_slice: f64,
    /// Largest vertex distance among vertices with equal y (coronal plane).
    pub max_2d_column: f64,
    /// Largest vertex distance among vertices with equal x (sagittal plane).
    pub max_2d_row: f64,
    /// Largest vertex distance (IBSI L0JK).
    pub max_3d: f64,
}

#[inline]
fn inside(mask: &Mask, x: isize, y: isize, z: isize) -> bool {
    let s = mask.geometry.size;
    if x < 0 || y < 0 || z < 0 || x >= s[0] as isize || y >= s[1] as isize || z >= s[2] as isize {
        return false;
    }
    mask.data[mask.geometry.index(x as usize, y as usize, z as usize)]
}

type V3 = [f64; 3];

#[inline]
fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
#[inline]
fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
#[inline]
fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Surface area and volume of the marching-cubes mesh of `mask`.
pub fn area_and_volume(mask: &Mask) -> (f64, f64) {
    let s = mask.geometry.size;
    let sp = mask.geometry.spacing;
    // Cube (cx, cy, cz) has its corner 0 on voxel (cx, cy, cz); cubes start at -1 (padding).
    let zs: Vec<isize> = (-1..s[2] as isize).collect();
    let (area, volume) = zs
        .par_iter()
        .map(|&cz| {
            let (mut area, mut volume) = (0.0f64, 0.0f64);
            for cy in -1..s[1] as isize {
                for cx in -1..s[0] as isize {
                    let mut idx = 0usize;
                    for (k, o) in CORNER_OFFSETS.iter().enumerate() {
                        if inside(
                            mask,
                            cx + o[0] as isize,
                            cy + o[1] as isize,
                            cz + o[2] as isize,
                        ) {
                            idx |= 1 << k;
                        }
                    }
                    if idx == 0 || idx == 0xff {
                        continue;
                    }
                    // Configurations with corner 7 inside use the complement's triangles,
                    // whose orientation is reversed.
                    let sign = if idx & 0x80 != 0 {
                        idx ^= 0xff;
                        -1.0
                    } else {
                        1.0
                    };
                    // Coordinates are taken in the padded grid (voxel (0,0,0) of the mask at
                    // index 1), as PyRadiomics does: a mesh that does not close (the 128-case
                    // table can leave holes for scattered voxels) has an origin-dependent volume.
                    let vert = |e: i8| -> V3 {
                        let [a, b] = EDGE_CORNERS[e as usize];
                        let (oa, ob) = (CORNER_OFFSETS[a], CORNER_OFFSETS[b]);
                        [
                            ((cx + 1) as f64 + (oa[0] + ob[0]) as f64 * 0.5) * sp[0],
                            ((cy + 1) as f64 + (oa[1] + ob[1]) as f64 * 0.5) * sp[1],
                            ((cz + 1) as f64 + (oa[2] + ob[2]) as f64 * 0.5) * sp[2],
                        ]
                    };
                    for t in TRI_TABLE[idx].chunks(3) {
                        if t[0] < 0 {
                            break;
                        }
                        let (a, b, c) = (vert(t[0]), vert(t[1]), vert(t[2]));
                        let n = cross(sub(b, a), sub(c, a));
                        area += 0.5 * dot(n, n).sqrt();
                        volume += sign * dot(cross(a, b), c) / 6.0;
                    }
                }
            }
            (area, volume)
        })
        .reduce(|| (0.0, 0.0), |x, y| (x.0 + y.0, x.1 + y.1));
    (area, volume)
}

/// Mesh vertices as doubled integer grid coordinates (a midpoint between voxels `i` and `i+1`
/// is `2i+1`): one per pair of face-adjacent voxels that differ (ROI vs background).
pub fn vertices(mask: &Mask) -> Vec<[i64; 3]> {
    let s = mask.geometry.size;
    let mut out = Vec::new();
    for z in -1..s[2] as isize {
        for y in -1..s[1] as isize {
            for x in -1..s[0] as isize {
                let here = inside(mask, x, y, z);
                for (axis, (dx, dy, dz)) in
                    [(1, 0, 0), (0, 1, 0), (0, 0, 1)].into_iter().enumerate()
                {
                    let there = inside(mask, x + dx, y + dy, z + dz);
                    if here != there {
                        let mut v = [2 * x as i64, 2 * y as i64, 2 * z as i64];
                        v[axis] += 1;
                        out.push(v);
                    }
                }
            }
        }
    }
    out
}

/// Largest squared distance between two points of `a`.
///
/// Exact, with pruning: with `c` the centroid and `rᵢ = |pᵢ − c|`, every pair satisfies
/// `|pᵢ − pⱼ| ≤ rᵢ + rⱼ`, so with the points visited by decreasing `r` a pair (and every
/// later one) is skipped once `rᵢ + rⱼ` (with a 1e-9 relative margin for rounding) falls below
/// the best distance found. Skipped pairs are strictly shorter than the best, so the result
/// is the same number a search over all pairs gives.
fn max_sq_distance(a: &[V3]) -> f64 {
    let n = a.len();
    if n < 2 {
        return 0.0;
    }
    let inv = 1.0 / n as f64;
    let c = a.iter().fold([0.0; 3], |s, p| {
        [s[0] + p[0] * inv, s[1] + p[1] * inv, s[2] + p[2] * inv]
    });
    let mut by_radius: Vec<(f64, V3)> = a
        .iter()
        .map(|p| {
            let d = sub(*p, c);
            (dot(d, d).sqrt(), *p)
        })
        .collect();
    // Ties may come in any order: the pruning bound holds for each pair whatever the order.
    by_radius.sort_unstable_by(|x, y| y.0.total_cmp(&x.0));
    let margin = 1.0 + 1e-9;
    let mut best = 0.0_f64;
    for (i, &(ri, p)) in by_radius.iter().enumerate() {
        let reach = |rj: f64| ((ri + rj) * margin).powi(2);
        if reach(ri) < best {
            break;
        }
        for &(rj, q) in &by_radius[i + 1..] {
            if reach(rj) < best {
                break;
            }
            let d = sub(p, q);
            best = best.max(dot(d, d));
        }
    }
    best
}

/// Maximum 3D and 2D (per plane) diameters over the mesh vertices (IBSI L0JK for 3D;
/// PyRadiomics `Maximum2DDiameterSlice/Column/Row`).
pub fn diameters(mask: &Mask) -> [f64; 4] {
    let sp = mask.geometry.spacing;
    let verts = vertices(mask);
    let phys = |v: &[i64; 3]| -> V3 {
        [
            v[0] as f64 * 0.5 * sp[0],
            v[1] as f64 * 0.5 * sp[1],
            v[2] as f64 * 0.5 * sp[2],
        ]
    };
    let all: Vec<V3> = verts.iter().map(phys).collect();
    let d3 = max_sq_distance(&all);
    // Planar diameters: group vertices by their coordinate on the fixed axis.
    let planar = |axis: usize| -> f64 {
        // Vertices ordered by their coordinate on the fixed axis, one plane after another.
        let mut order: Vec<usize> = (0..verts.len()).collect();
        order.sort_unstable_by_key(|&k| verts[k][axis]);
        let mut plane: Vec<V3> = Vec::new();
        let mut best = 0.0f64;
        for group in order.chunk_by(|&a, &b| verts[a][axis] == verts[b][axis]) {
            plane.clear();
            plane.extend(group.iter().map(|&k| all[k]));
            best = best.max(max_sq_distance(&plane));
        }
        best
    };
    [
        planar(2).sqrt(),
        planar(1).sqrt(),
        planar(0).sqrt(),
        d3.sqrt(),
    ]
}

/// All mesh measures of a ROI.
pub fn measure(mask: &Mask) -> MeshMeasures {
    let (surface_area, volume) = area_and_volume(mask);
    let [s, c, r, d3] = diameters(mask);
    MeshMeasures {
        surface_area,
        volume,
        max_2d_slice: s,
        max_2d_column: c,
        max_2d_row: r,
        max_3d: d3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_force(a: &[V3]) -> f64 {
        let mut best = 0.0_f64;
        for i in 0..a.len() {
            for j in i + 1..a.len() {
                let d = sub(a[i], a[j]);
                best = best.max(dot(d, d));
            }
        }
        best
    }

    #[test]
    fn pruned_diameter_equals_all_pairs() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in [0, 1, 2, 3, 10, 200, 1500] {
            // A blob, a thin rod and a point cloud on a grid (many equal distances).
            let blob: Vec<V3> = (0..n)
                .map(|_| [next() * 10.0, next() * 7.0, next() * 3.0])
                .collect();
            let rod: Vec<V3> = (0..n).map(|_| [next() * 50.0, 0.3 * next(), 0.0]).collect();
            let grid: Vec<V3> = (0..n)
                .map(|i| {
                    [
                        (i % 7) as f64 * 0.35,
                        ((i / 7) % 5) as f64 * 0.35,
                        (i / 35) as f64 * 2.0,
                    ]
                })
                .collect();
            for pts in [&blob, &rod, &grid] {
                assert_eq!(max_sq_distance(pts), brute_force(pts), "n = {n}");
            }
        }
    }
}
