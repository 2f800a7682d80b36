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

/// What the triangles of one marching-cubes configuration add to the area and, for a cube at
/// `t`, to the volume: with vertices `a + t`, `b + t`, `c + t`,
/// `det(a + t, b + t, c + t) = det(a, b, c) + t · (a × b + b × c + c × a)`, so the volume's
/// signed tetrahedra need only the per-configuration `det` and `moment` sums.
struct CubeConfiguration {
    /// Σ triangle areas.
    area: f64,
    /// Σ det(a, b, c) of the triangles, in the cube's own coordinates.
    det: f64,
    /// Σ (a × b + b × c + c × a) of the triangles, in the cube's own coordinates.
    moment: V3,
}

/// The 128 configurations of [`TRI_TABLE`] for voxel spacing `sp`.
fn cube_configurations(sp: [f64; 3]) -> Vec<CubeConfiguration> {
    let vert = |e: i8| -> V3 {
        let [a, b] = EDGE_CORNERS[e as usize];
        let (oa, ob) = (CORNER_OFFSETS[a], CORNER_OFFSETS[b]);
        [
            (oa[0] + ob[0]) as f64 * 0.5 * sp[0],
            (oa[1] + ob[1]) as f64 * 0.5 * sp[1],
            (oa[2] + ob[2]) as f64 * 0.5 * sp[2],
        ]
    };
    TRI_TABLE
        .iter()
        .map(|tris| {
            let mut c = CubeConfiguration {
                area: 0.0,
                det: 0.0,
                moment: [0.0; 3],
            };
            for t in tris.chunks(3).take_while(|t| t[0] >= 0) {
                let (a, b, v) = (vert(t[0]), vert(t[1]), vert(t[2]));
                let n = cross(sub(b, a), sub(v, a));
                c.area += 0.5 * dot(n, n).sqrt();
                c.det += dot(cross(a, b), v);
                let (ab, bv, va) = (cross(a, b), cross(b, v), cross(v, a));
                for (k, m) in c.moment.iter_mut().enumerate() {
                    *m += ab[k] + bv[k] + va[k];
                }
            }
            c
        })
        .collect()
}

/// Surface area and volume of the marching-cubes mesh of `mask`.
pub fn area_and_volume(mask: &Mask) -> (f64, f64) {
    let s = mask.geometry.size;
    let sp = mask.geometry.spacing;
    // The mask with one voxel of background on every side, so that a cube's corners are read
    // without bounds checks: voxel (x, y, z) at padded position (x + 1, y + 1, z + 1).
    let (px, py) = (s[0] + 2, s[1] + 2);
    let mut padded = vec![false; px * py * (s[2] + 2)];
    for z in 0..s[2] {
        for y in 0..s[1] {
            let src = mask.geometry.index(0, y, z);
            let dst = ((z + 1) * py + y + 1) * px + 1;
            padded[dst..dst + s[0]].copy_from_slice(&mask.data[src..src + s[0]]);
        }
    }
    let corner_at = CORNER_OFFSETS.map(|o| (o[2] * py + o[1]) * px + o[0]);
    let configs = cube_configurations(sp);
    // Cube (cx, cy, cz) has its corner 0 on voxel (cx, cy, cz); cubes start at -1 (padding).
    let zs: Vec<isize> = (-1..s[2] as isize).collect();
    let (area, volume) = zs
        .par_iter()
        .map(|&cz| {
            let (mut area, mut volume) = (0.0f64, 0.0f64);
            for cy in -1..s[1] as isize {
                for cx in -1..s[0] as isize {
                    let base =
                        (((cz + 1) as usize * py) + (cy + 1) as usize) * px + (cx + 1) as usize;
                    let mut idx = 0usize;
                    for (k, &at) in corner_at.iter().enumerate() {
                        idx |= usize::from(padded[base + at]) << k;
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
                    // The cube's corner 0 in the padded grid (voxel (0,0,0) of the mask at
                    // index 1), as PyRadiomics places it: a mesh that does not close (the
                    // 128-case table can leave holes for scattered voxels) has an
                    // origin-dependent volume.
                    let t = [
                        (cx + 1) as f64 * sp[0],
                        (cy + 1) as f64 * sp[1],
                        (cz + 1) as f64 * sp[2],
                    ];
                    let c = &configs[idx];
                    area += c.area;
                    volume += sign * (c.det + dot(t, c.moment)) / 6.0;
                }
            }
            (area, volume)
        })
        .collect::<Vec<(f64, f64)>>()
        // Slice sums added in slice order, whatever the number of threads: the same bits
        // from a one-thread cohort worker and a many-thread single extraction.
        .into_iter()
        .fold((0.0, 0.0), |x, y| (x.0 + y.0, x.1 + y.1));
    (area, volume)
}

/// Calls `f` with every mesh vertex as doubled integer grid coordinates (a midpoint between
/// voxels `i` and `i+1` is `2i+1`): one per pair of face-adjacent voxels that differ (ROI vs
/// background).
fn for_each_vertex(mask: &Mask, mut f: impl FnMut([i64; 3])) {
    let [sx, sy, sz] = mask.geometry.size;
    let row = |y: usize, z: usize| &mask.data[(z * sy + y) * sx..(z * sy + y + 1) * sx];
    let twice = |i: usize| 2 * i as i64;
    // Faces across x: within each row, including its two ends (background beyond).
    for z in 0..sz {
        for y in 0..sy {
            let r = row(y, z);
            let mut before = false;
            for (x, &here) in r.iter().enumerate() {
                if here != before {
                    f([twice(x) - 1, twice(y), twice(z)]);
                }
                before = here;
            }
            if before {
                f([twice(sx) - 1, twice(y), twice(z)]);
            }
        }
    }
    // Faces across y and across z: between consecutive rows and slices (and the background
    // beyond the first and the last).
    let empty = vec![false; sx];
    for z in 0..sz {
        for y in 0..=sy {
            let a = if y > 0 { row(y - 1, z) } else { &empty[..] };
            let b = if y < sy { row(y, z) } else { &empty[..] };
            for (x, (&u, &v)) in a.iter().zip(b).enumerate() {
                if u != v {
                    f([twice(x), twice(y) - 1, twice(z)]);
                }
            }
        }
    }
    for z in 0..=sz {
        for y in 0..sy {
            let a = if z > 0 { row(y, z - 1) } else { &empty[..] };
            let b = if z < sz { row(y, z) } else { &empty[..] };
            for (x, (&u, &v)) in a.iter().zip(b).enumerate() {
                if u != v {
                    f([twice(x), twice(y), twice(z) - 1]);
                }
            }
        }
    }
}

/// Per plane of constant coordinate on one axis, the lowest and highest vertex coordinate on
/// the plane's second axis for each value of its first: the only vertices of a row that can be
/// extreme points of the plane's vertex set (the others lie between these two).
struct RowExtremes {
    /// The two in-plane axes `(a, b)`, `a < b`.
    axes: (usize, usize),
    /// Values of the first in-plane axis (doubled coordinates are offset by 1 to index).
    width: usize,
    /// `(min b, max b)` per plane and row; `(i64::MAX, i64::MIN)` where a row has no vertex.
    cells: Vec<(i64, i64)>,
}

impl RowExtremes {
    fn new(size: [usize; 3], axis: usize) -> Self {
        let axes = match axis {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        // Doubled vertex coordinates lie in [−1, 2 sᵢ − 1].
        let width = 2 * size[axes.0] + 1;
        let planes = 2 * size[axis] + 1;
        RowExtremes {
            axes,
            width,
            cells: vec![(i64::MAX, i64::MIN); planes * width],
        }
    }

    fn add(&mut self, axis: usize, v: [i64; 3]) {
        let k = (v[axis] + 1) as usize * self.width + (v[self.axes.0] + 1) as usize;
        let c = &mut self.cells[k];
        let b = v[self.axes.1];
        c.0 = c.0.min(b);
        c.1 = c.1.max(b);
    }

    /// Calls `f(plane coordinate, points sorted by (a, b))` for every plane with a vertex.
    fn for_each_plane(&self, mut f: impl FnMut(i64, &[[i64; 2]])) {
        let mut pts: Vec<[i64; 2]> = Vec::new();
        for (plane, rows) in self.cells.chunks(self.width).enumerate() {
            pts.clear();
            for (a, &(lo, hi)) in rows.iter().enumerate() {
                if lo <= hi {
                    pts.push([a as i64 - 1, lo]);
                    if hi != lo {
                        pts.push([a as i64 - 1, hi]);
                    }
                }
            }
            if !pts.is_empty() {
                f(plane as i64 - 1, &pts);
            }
        }
    }
}

/// The extreme points of a planar set given sorted by `(a, b)`, by Andrew's monotone chain
/// in exact integer arithmetic (collinear points dropped), appended to `out`.
fn convex_hull_2d(pts: &[[i64; 2]], out: &mut Vec<[i64; 2]>) {
    if pts.len() < 3 {
        out.extend_from_slice(pts);
        return;
    }
    let turn = |o: [i64; 2], p: [i64; 2], q: [i64; 2]| {
        (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0])
    };
    let start = out.len();
    // Lower chain left to right, then upper chain right to left.
    for pass in 0..2 {
        let base = out.len();
        let chain = |p: [i64; 2], out: &mut Vec<[i64; 2]>| {
            while out.len() >= base + 2 && turn(out[out.len() - 2], out[out.len() - 1], p) <= 0 {
                out.pop();
            }
            out.push(p);
        };
        if pass == 0 {
            pts.iter().for_each(|&p| chain(p, out));
        } else {
            pts.iter().rev().for_each(|&p| chain(p, out));
        }
        // Each chain's last point is the next chain's first.
        out.pop();
    }
    // A set on one line leaves its two end points (the chains cancel the rest).
    if out.len() - start < 2 {
        out.truncate(start);
        out.extend_from_slice(&[pts[0], pts[pts.len() - 1]]);
    }
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
/// PyRadiomics `Maximum2DDiameterSlice/Column/Row`), as `[slice (equal z), column (equal y),
/// row (equal x), 3D]`.
///
/// The farthest pair of a point set is a pair of its extreme points (the squared distance
/// from a point is strictly convex along every segment), so only extreme points are compared:
/// per plane, the vertices left by [`RowExtremes`] go through an exact integer convex hull
/// ([`convex_hull_2d`]); in 3D, an extreme point is also extreme within its z-plane, so the
/// union of the z-planes' hull vertices holds every 3D candidate. Distances are then taken in
/// physical coordinates, as for all pairs, so the result is the all-pairs maximum.
pub fn diameters(mask: &Mask) -> [f64; 4] {
    let size = mask.geometry.size;
    let sp = mask.geometry.spacing;
    let mut rows: Vec<RowExtremes> = (0..3).map(|axis| RowExtremes::new(size, axis)).collect();
    for_each_vertex(mask, |v| {
        for (axis, r) in rows.iter_mut().enumerate() {
            r.add(axis, v);
        }
    });
    let mut candidates_3d: Vec<V3> = Vec::new();
    let mut planar = [0.0f64; 3];
    let mut hull: Vec<[i64; 2]> = Vec::new();
    let mut plane_pts: Vec<V3> = Vec::new();
    for (axis, r) in rows.iter().enumerate() {
        let (a, b) = r.axes;
        r.for_each_plane(|c, pts| {
            hull.clear();
            convex_hull_2d(pts, &mut hull);
            plane_pts.clear();
            plane_pts.extend(hull.iter().map(|h| {
                let mut v = [0i64; 3];
                v[axis] = c;
                v[a] = h[0];
                v[b] = h[1];
                [
                    v[0] as f64 * 0.5 * sp[0],
                    v[1] as f64 * 0.5 * sp[1],
                    v[2] as f64 * 0.5 * sp[2],
                ]
            }));
            planar[axis] = planar[axis].max(max_sq_distance(&plane_pts));
            if axis == 2 {
                candidates_3d.extend_from_slice(&plane_pts);
            }
        });
    }
    [
        planar[2].sqrt(),
        planar[1].sqrt(),
        planar[0].sqrt(),
        max_sq_distance(&candidates_3d).sqrt(),
    ]
}

/// The mesh vertices that can be vertices of the mesh's 3D convex hull, as doubled integer
/// grid coordinates (see [`for_each_vertex`]): the 2D hull vertices of each z-plane's vertex
/// set (a point extreme in 3D is extreme within its z-plane).
pub fn hull_candidates(mask: &Mask) -> Vec<[i64; 3]> {
    let mut rows = RowExtremes::new(mask.geometry.size, 2);
    for_each_vertex(mask, |v| rows.add(2, v));
    let mut out = Vec::new();
    let mut hull: Vec<[i64; 2]> = Vec::new();
    rows.for_each_plane(|z, pts| {
        hull.clear();
        convex_hull_2d(pts, &mut hull);
        out.extend(hull.iter().map(|h| [h[0], h[1], z]));
    });
    out
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
        let mut step = crate::rng::lcg(12345);
        let mut next = || (step() >> 11) as f64 / (1u64 << 53) as f64;
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

    fn inside(mask: &Mask, x: isize, y: isize, z: isize) -> bool {
        let s = mask.geometry.size;
        if x < 0 || y < 0 || z < 0 || x >= s[0] as isize || y >= s[1] as isize || z >= s[2] as isize
        {
            return false;
        }
        mask.data[mask.geometry.index(x as usize, y as usize, z as usize)]
    }

    /// Mesh vertices from every grid position and its three forward neighbours, with bounds
    /// checks, for comparison.
    fn vertices_with_bounds_checks(mask: &Mask) -> Vec<[i64; 3]> {
        let s = mask.geometry.size;
        let mut out = Vec::new();
        for z in -1..s[2] as isize {
            for y in -1..s[1] as isize {
                for x in -1..s[0] as isize {
                    let here = inside(mask, x, y, z);
                    for (axis, (dx, dy, dz)) in
                        [(1, 0, 0), (0, 1, 0), (0, 0, 1)].into_iter().enumerate()
                    {
                        if here != inside(mask, x + dx, y + dy, z + dz) {
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

    /// The diameters over all vertex pairs, for comparison.
    fn all_pairs_diameters(mask: &Mask) -> [f64; 4] {
        let sp = mask.geometry.spacing;
        let verts = vertices_with_bounds_checks(mask);
        let phys = |v: &[i64; 3]| -> V3 {
            [
                v[0] as f64 * 0.5 * sp[0],
                v[1] as f64 * 0.5 * sp[1],
                v[2] as f64 * 0.5 * sp[2],
            ]
        };
        let plane = |axis: usize| -> f64 {
            let mut best = 0.0f64;
            for (i, p) in verts.iter().enumerate() {
                for q in &verts[i + 1..] {
                    if p[axis] == q[axis] {
                        let d = sub(phys(p), phys(q));
                        best = best.max(dot(d, d));
                    }
                }
            }
            best
        };
        let all: Vec<V3> = verts.iter().map(phys).collect();
        [
            plane(2).sqrt(),
            plane(1).sqrt(),
            plane(0).sqrt(),
            brute_force(&all).sqrt(),
        ]
    }

    #[test]
    fn hull_diameters_equal_all_pairs() {
        let mut step = crate::rng::lcg(987654321);
        let mut next = || (step() >> 33) as u32;
        let shapes = [[1, 1, 1], [4, 1, 1], [1, 6, 1], [7, 6, 5], [12, 9, 4]];
        for (t, size) in shapes.into_iter().enumerate() {
            for spacing in [[1.0, 1.0, 1.0], [0.7, 0.7, 4.0], [0.43, 1.9, 0.8]] {
                // A random blob (sparse and dense), a line and a filled box.
                for density in [2u32, 5, 8, 10] {
                    let n: usize = size.iter().product();
                    let data: Vec<bool> = (0..n)
                        .map(|k| match density {
                            10 => true,
                            8 => k % size[0] == t % size[0],
                            d => next() % 10 < d,
                        })
                        .collect();
                    if !data.iter().any(|&b| b) {
                        continue;
                    }
                    let mask = Mask {
                        geometry: crate::image::Geometry::with_spacing(size, spacing),
                        data,
                    };
                    let mut want = vertices_with_bounds_checks(&mask);
                    let mut got = Vec::new();
                    for_each_vertex(&mask, |v| got.push(v));
                    want.sort();
                    got.sort();
                    assert_eq!(got, want, "vertices, size {size:?}");
                    assert_eq!(
                        diameters(&mask),
                        all_pairs_diameters(&mask),
                        "size {size:?} spacing {spacing:?} density {density}"
                    );
                    // The hull candidates span the same convex hull as every vertex.
                    let six_volume = |pts: &[[i64; 3]]| -> i128 {
                        super::super::convex_hull::hull_triangles(pts)
                            .iter()
                            .map(|[a, b, c]| {
                                let [a0, a1, a2] = a.map(i128::from);
                                let [b0, b1, b2] = b.map(i128::from);
                                let [c0, c1, c2] = c.map(i128::from);
                                a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0)
                                    + a2 * (b0 * c1 - b1 * c0)
                            })
                            .sum()
                    };
                    assert_eq!(
                        six_volume(&hull_candidates(&mask)),
                        six_volume(&got),
                        "hull volume, size {size:?} density {density}"
                    );
                }
            }
        }
    }

    #[test]
    fn hull_of_collinear_and_square_points() {
        let mut out = Vec::new();
        convex_hull_2d(&[[0, 0], [1, 1], [2, 2], [3, 3]], &mut out);
        assert_eq!(out, vec![[0, 0], [3, 3]]);
        out.clear();
        let square = [
            [0, 0],
            [0, 1],
            [0, 2],
            [1, 0],
            [1, 2],
            [2, 0],
            [2, 1],
            [2, 2],
        ];
        convex_hull_2d(&square, &mut out);
        out.sort();
        assert_eq!(out, vec![[0, 0], [0, 2], [2, 0], [2, 2]]);
    }

    /// Area and volume summed triangle by triangle in absolute coordinates, for comparison.
    fn area_and_volume_by_triangles(mask: &Mask) -> (f64, f64) {
        let s = mask.geometry.size;
        let sp = mask.geometry.spacing;
        let (mut area, mut volume) = (0.0, 0.0);
        for cz in -1..s[2] as isize {
            for cy in -1..s[1] as isize {
                for cx in -1..s[0] as isize {
                    let mut idx = 0usize;
                    for (k, o) in CORNER_OFFSETS.iter().enumerate() {
                        let (x, y, z) =
                            (cx + o[0] as isize, cy + o[1] as isize, cz + o[2] as isize);
                        if inside(mask, x, y, z) {
                            idx |= 1 << k;
                        }
                    }
                    let sign = if idx & 0x80 != 0 {
                        idx ^= 0xff;
                        -1.0
                    } else {
                        1.0
                    };
                    let vert = |e: i8| -> V3 {
                        let [a, b] = EDGE_CORNERS[e as usize];
                        let (oa, ob) = (CORNER_OFFSETS[a], CORNER_OFFSETS[b]);
                        [
                            ((cx + 1) as f64 + (oa[0] + ob[0]) as f64 * 0.5) * sp[0],
                            ((cy + 1) as f64 + (oa[1] + ob[1]) as f64 * 0.5) * sp[1],
                            ((cz + 1) as f64 + (oa[2] + ob[2]) as f64 * 0.5) * sp[2],
                        ]
                    };
                    for t in TRI_TABLE[idx].chunks(3).take_while(|t| t[0] >= 0) {
                        let (a, b, c) = (vert(t[0]), vert(t[1]), vert(t[2]));
                        let n = cross(sub(b, a), sub(c, a));
                        area += 0.5 * dot(n, n).sqrt();
                        volume += sign * dot(cross(a, b), c) / 6.0;
                    }
                }
            }
        }
        (area, volume)
    }

    #[test]
    fn configuration_sums_equal_triangle_sums() {
        let mut step = crate::rng::lcg(4242);
        let mut next = || step() >> 33;
        for size in [[1, 1, 1], [6, 5, 4], [12, 9, 3], [3, 3, 11]] {
            for spacing in [[1.0, 1.0, 1.0], [0.7, 0.7, 4.0], [0.43, 1.9, 0.8]] {
                for density in [10u64, 50, 90, 100] {
                    let g = crate::image::Geometry::with_spacing(size, spacing);
                    let mask = Mask {
                        data: (0..g.len()).map(|_| next() % 100 < density).collect(),
                        geometry: g,
                    };
                    let (a, v) = area_and_volume(&mask);
                    let (a0, v0) = area_and_volume_by_triangles(&mask);
                    // The same terms summed in another order: a few ulps of the largest.
                    let close =
                        |x: f64, y: f64| (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0);
                    assert!(
                        close(a, a0) && close(v, v0),
                        "{size:?} {spacing:?} {density}: ({a}, {v}) vs ({a0}, {v0})"
                    );
                }
            }
        }
    }

    #[test]
    fn area_and_volume_do_not_depend_on_the_thread_count() {
        let g = crate::image::Geometry::with_spacing([21, 19, 64], [0.73, 0.61, 3.7]);
        let mut step = crate::rng::lcg(99);
        let data = (0..g.len())
            .map(|_| !(step() >> 33).is_multiple_of(3))
            .collect();
        let mask = Mask { geometry: g, data };
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| area_and_volume(&mask))
        };
        let one = on(1);
        for threads in [2, 3, 8] {
            let (a, v) = on(threads);
            assert_eq!(
                (a.to_bits(), v.to_bits()),
                (one.0.to_bits(), one.1.to_bits())
            );
        }
    }
}
