//! The convex hull of a ROI's mesh vertices, for IBSI's convex-hull densities (R3ER, 7T7F):
//! its volume and surface area.
//!
//! Vertices come as doubled integer grid coordinates ([`super::mesh::hull_candidates`]), so
//! the hull is built with exact integer orientation tests, by quickhull's conflict lists
//! (Barber, Dobkin & Huhdanpaa, ACM TOMS 1996): each point waits on one face it sees; the
//! farthest point of a face replaces the faces it sees by a cone from their horizon, and only
//! the points of the removed faces are placed again. Coplanar points are not added, so faces
//! are never degenerate. The grid's spacing is an
//! axis scaling, which maps a convex hull onto the convex hull of the scaled points: volume
//! and area are measured on the hull's triangles in millimetres.

use crate::image::Mask;

type P = [i64; 3];

fn sub(a: P, b: P) -> P {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// Six times the signed volume of tetrahedron (a, b, c, d): positive when d lies on the side
/// of plane (a, b, c) its normal (b − a) × (c − a) points to. Exact in i128.
fn orient(a: P, b: P, c: P, d: P) -> i128 {
    let (u, v, w) = (sub(b, a), sub(c, a), sub(d, a));
    let [u0, u1, u2] = u.map(i128::from);
    let [v0, v1, v2] = v.map(i128::from);
    let [w0, w1, w2] = w.map(i128::from);
    u0 * (v1 * w2 - v2 * w1) - u1 * (v0 * w2 - v2 * w0) + u2 * (v0 * w1 - v1 * w0)
}

/// The triangles of the convex hull of `points`, each with its vertices ordered so that its
/// normal points outward; empty when the points span no volume.
pub fn hull_triangles(points: &[P]) -> Vec<[P; 3]> {
    let mut pts: Vec<P> = points.to_vec();
    pts.sort_unstable();
    pts.dedup();
    // A first tetrahedron: two distinct points, a third off their line, a fourth off their
    // plane.
    let Some(&a) = pts.first() else {
        return Vec::new();
    };
    let Some(&b) = pts.iter().find(|&&p| p != a) else {
        return Vec::new();
    };
    let cross = |u: P, v: P| {
        [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ]
    };
    let Some(&c) = pts
        .iter()
        .find(|&&p| cross(sub(b, a), sub(p, a)) != [0, 0, 0])
    else {
        return Vec::new();
    };
    let Some(&d) = pts.iter().find(|&&p| orient(a, b, c, p) != 0) else {
        return Vec::new();
    };
    let first: Vec<[P; 3]> = if orient(a, b, c, d) < 0 {
        vec![[a, b, c], [a, d, b], [b, d, c], [c, d, a]]
    } else {
        vec![[a, c, b], [a, b, d], [b, c, d], [c, a, d]]
    };
    let mut hull = Hull::default();
    for f in first {
        hull.add(f);
    }
    // Each point waits on one face it sees (its conflict face), or is inside and dropped.
    let others: Vec<usize> = (0..pts.len()).collect();
    hull.assign(&pts, others, 0..4);
    while let Some(f) =
        (0..hull.faces.len()).find(|&f| hull.alive[f] && !hull.outside[f].is_empty())
    {
        // The point farthest beyond the face (largest orientation) is on the hull.
        let face = hull.faces[f];
        let &p = hull.outside[f]
            .iter()
            .max_by_key(|&&i| orient(face[0], face[1], face[2], pts[i]))
            .expect("a non-empty conflict list");
        let apex = pts[p];
        // The faces the apex sees form one connected region around f (exact predicates).
        let mut visible = vec![f];
        let mut seen = std::collections::HashSet::from([f]);
        let mut k = 0;
        while k < visible.len() {
            let g = hull.faces[visible[k]];
            for e in 0..3 {
                let twin = hull.edges[&(g[(e + 1) % 3], g[e])];
                if !seen.contains(&twin) {
                    let t = hull.faces[twin];
                    if orient(t[0], t[1], t[2], apex) > 0 {
                        seen.insert(twin);
                        visible.push(twin);
                    }
                }
            }
            k += 1;
        }
        // The horizon: edges of visible faces whose twin is hidden.
        let mut horizon = Vec::new();
        for &g in &visible {
            let t = hull.faces[g];
            for e in 0..3 {
                let (u, w) = (t[e], t[(e + 1) % 3]);
                if !seen.contains(&hull.edges[&(w, u)]) {
                    horizon.push((u, w));
                }
            }
        }
        let mut orphans = Vec::new();
        for &g in &visible {
            orphans.extend(hull.remove(g));
        }
        orphans.retain(|&i| i != p);
        let start = hull.faces.len();
        for (u, w) in horizon {
            hull.add([u, w, apex]);
        }
        let end = hull.faces.len();
        hull.assign(&pts, orphans, start..end);
    }
    (0..hull.faces.len())
        .filter(|&f| hull.alive[f])
        .map(|f| hull.faces[f])
        .collect()
}

/// A convex hull under construction: triangles (dead ones kept in place), each directed edge's
/// face, and each face's conflict list (the points outside it, by index).
#[derive(Default)]
struct Hull {
    faces: Vec<[P; 3]>,
    alive: Vec<bool>,
    outside: Vec<Vec<usize>>,
    edges: std::collections::HashMap<(P, P), usize>,
}

impl Hull {
    fn add(&mut self, f: [P; 3]) {
        let id = self.faces.len();
        for e in 0..3 {
            self.edges.insert((f[e], f[(e + 1) % 3]), id);
        }
        self.faces.push(f);
        self.alive.push(true);
        self.outside.push(Vec::new());
    }

    /// Removes face `f` (its edges are taken over by the faces added next); returns its
    /// conflict list.
    fn remove(&mut self, f: usize) -> Vec<usize> {
        let t = self.faces[f];
        for e in 0..3 {
            let key = (t[e], t[(e + 1) % 3]);
            if self.edges.get(&key) == Some(&f) {
                self.edges.remove(&key);
            }
        }
        self.alive[f] = false;
        std::mem::take(&mut self.outside[f])
    }

    /// Puts each point of `points` (indices into `pts`) on the first face of `faces` it sees.
    fn assign(&mut self, pts: &[P], points: Vec<usize>, faces: std::ops::Range<usize>) {
        for i in points {
            if let Some(f) = faces.clone().find(|&f| {
                let t = self.faces[f];
                self.alive[f] && orient(t[0], t[1], t[2], pts[i]) > 0
            }) {
                self.outside[f].push(i);
            }
        }
    }
}

/// Volume (mm³) and surface area (mm²) of the convex hull of `mask`'s marching-cubes mesh.
pub fn hull_volume_area(mask: &Mask) -> (f64, f64) {
    let triangles = hull_triangles(&super::mesh::hull_candidates(mask));
    let s = mask.geometry.spacing;
    volume_area(&triangles, |p| {
        [
            0.5 * p[0] as f64 * s[0],
            0.5 * p[1] as f64 * s[1],
            0.5 * p[2] as f64 * s[2],
        ]
    })
}

/// Volume and area of the closed surface of outward `triangles`, their vertices mapped to
/// space by `to_space`: areas summed, volume by the divergence theorem (Σ a · (u × v) / 6).
fn volume_area(triangles: &[[P; 3]], to_space: impl Fn(P) -> [f64; 3]) -> (f64, f64) {
    let (mut volume, mut area) = (0.0, 0.0);
    for t in triangles {
        let [a, b, c] = t.map(&to_space);
        let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
        let n = [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ];
        area += 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        volume += (a[0] * n[0] + a[1] * n[1] + a[2] * n[2]) / 6.0;
    }
    (volume, area)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;

    #[test]
    fn hull_of_a_cube_with_inner_and_face_points() {
        let mut pts = Vec::new();
        for x in 0..=2 {
            for y in 0..=2 {
                for z in 0..=2 {
                    pts.push([x * 3, y * 3, z * 3]);
                }
            }
        }
        let t = hull_triangles(&pts);
        // A cube of side 6 (doubled units): its hull is the cube.
        let (vol, area) = volume_area(&t, |p| p.map(|v| v as f64));
        assert!((vol - 216.0).abs() < 1e-9, "{vol}");
        assert!((area - 216.0).abs() < 1e-9, "{area}");
        assert!(hull_triangles(&[[0, 0, 0], [1, 1, 1], [2, 2, 2]]).is_empty());
    }

    #[test]
    fn hull_of_a_single_voxel_mesh_is_its_octahedron() {
        // One voxel of 2 mm: mesh vertices at the six face centres, ±1 mm from the centre:
        // an octahedron of volume (4/3)·1³ and area 8 · (√3/2) · (√2)² / 2 = 4√3.
        let mask = Mask {
            geometry: Geometry::with_spacing([1, 1, 1], [2.0, 2.0, 2.0]),
            data: vec![true],
        };
        let (v, a) = hull_volume_area(&mask);
        assert!((v - 4.0 / 3.0).abs() < 1e-12, "{v}");
        assert!((a - 4.0 * 3f64.sqrt()).abs() < 1e-12, "{a}");
    }
}
