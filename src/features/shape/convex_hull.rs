//! The convex hull of a ROI's mesh vertices, for IBSI's convex-hull densities (R3ER, 7T7F):
//! its volume and surface area.
//!
//! Vertices come as doubled integer grid coordinates ([`super::mesh::hull_candidates`]), so
//! the hull is built with exact integer orientation tests (incremental construction: each
//! point outside the current hull replaces the faces it sees by a cone from the horizon;
//! coplanar points are not added, so faces are never degenerate). The grid's spacing is an
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
    let mut faces: Vec<[P; 3]> = if orient(a, b, c, d) < 0 {
        vec![[a, b, c], [a, d, b], [b, d, c], [c, d, a]]
    } else {
        vec![[a, c, b], [a, b, d], [b, c, d], [c, a, d]]
    };
    for &p in &pts {
        let visible: Vec<bool> = faces
            .iter()
            .map(|f| orient(f[0], f[1], f[2], p) > 0)
            .collect();
        if !visible.iter().any(|&v| v) {
            continue; // inside or on the hull
        }
        // Horizon: the directed edges of visible faces whose twin belongs to a hidden face.
        let mut horizon: Vec<(P, P)> = Vec::new();
        for (f, _) in faces.iter().zip(&visible).filter(|(_, &v)| v) {
            for k in 0..3 {
                let (u, w) = (f[k], f[(k + 1) % 3]);
                let twin_hidden = faces
                    .iter()
                    .zip(&visible)
                    .any(|(g, &gv)| !gv && (0..3).any(|j| g[j] == w && g[(j + 1) % 3] == u));
                if twin_hidden {
                    horizon.push((u, w));
                }
            }
        }
        let mut kept: Vec<[P; 3]> = faces
            .iter()
            .zip(&visible)
            .filter(|(_, &v)| !v)
            .map(|(f, _)| *f)
            .collect();
        kept.extend(horizon.into_iter().map(|(u, w)| [u, w, p]));
        faces = kept;
    }
    faces
}

/// Volume (mm³) and surface area (mm²) of the convex hull of `mask`'s marching-cubes mesh.
pub fn hull_volume_area(mask: &Mask) -> (f64, f64) {
    let triangles = hull_triangles(&super::mesh::hull_candidates(mask));
    let s = mask.geometry.spacing;
    let mm = |p: P| {
        [
            0.5 * p[0] as f64 * s[0],
            0.5 * p[1] as f64 * s[1],
            0.5 * p[2] as f64 * s[2],
        ]
    };
    let (mut volume, mut area) = (0.0, 0.0);
    for t in &triangles {
        let [a, b, c] = t.map(mm);
        let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
        let n = [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ];
        area += 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        // Divergence theorem: Σ a · (u × v) / 6 over outward triangles.
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
        let (mut vol, mut area) = (0.0, 0.0);
        for tri in &t {
            let [a, b, c] = tri.map(|p| p.map(|v| v as f64));
            let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
            let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
            let n = [
                u[1] * v[2] - u[2] * v[1],
                u[2] * v[0] - u[0] * v[2],
                u[0] * v[1] - u[1] * v[0],
            ];
            area += 0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
            vol += (a[0] * n[0] + a[1] * n[1] + a[2] * n[2]) / 6.0;
        }
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
