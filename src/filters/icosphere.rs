//! Icospheres: the sampling points of the `LBP3D` filter, as PyRadiomics obtains them from
//! trimesh (`trimesh.creation.icosphere(subdivisions, radius)`).
//!
//! Start from the regular icosahedron — its 12 vertices are the cyclic permutations of
//! `(±a, ±b, 0)` with `a = 1/√(1+φ²)`, `b = φ·a` (φ the golden ratio) — and repeat
//! `subdivisions` times: split every triangle into four at its edges' midpoints, then move
//! every vertex `v` onto the sphere, `v ← v + (v/|v|)·(radius − |v|)`. With no subdivision the
//! icosahedron's own vertices are moved so. The new vertices follow the old ones, one per
//! edge, in the order of the edges' (larger, smaller) vertex indices — the order trimesh's
//! `unique_rows` gives them; midpoints are `(p + q)/2` and `|v|` is `√((x² + z²) + y²)` (the
//! order in which NumPy's OpenBLAS `dot` adds the squares on x86-64), so the points equal
//! trimesh's bit for bit.

/// `a` and `b` of the icosahedron's vertices to 16 digits, as trimesh stores them.
const A: f64 = 0.5257311121191336;
const B: f64 = 0.85065080835204;

/// The icosahedron's vertices and faces (counter-clockwise seen from outside), in trimesh's
/// order.
fn icosahedron() -> (Vec<[f64; 3]>, Vec<[usize; 3]>) {
    let v = vec![
        [-A, B, 0.0],
        [A, B, 0.0],
        [-A, -B, 0.0],
        [A, -B, 0.0],
        [0.0, -A, B],
        [0.0, A, B],
        [0.0, -A, -B],
        [0.0, A, -B],
        [B, 0.0, -A],
        [B, 0.0, A],
        [-B, 0.0, -A],
        [-B, 0.0, A],
    ];
    let f = vec![
        [0, 11, 5],
        [0, 5, 1],
        [0, 1, 7],
        [0, 7, 10],
        [0, 10, 11],
        [1, 5, 9],
        [5, 11, 4],
        [11, 10, 2],
        [10, 7, 6],
        [7, 1, 8],
        [3, 9, 4],
        [3, 4, 2],
        [3, 2, 6],
        [3, 6, 8],
        [3, 8, 9],
        [4, 9, 5],
        [2, 4, 11],
        [6, 2, 10],
        [8, 6, 7],
        [9, 8, 1],
    ];
    (v, f)
}

/// Number of vertices after `subdivisions` subdivisions: `10·4^s + 2`.
pub fn vertex_count(subdivisions: usize) -> u128 {
    10u128
        .saturating_mul(4u128.saturating_pow(subdivisions as u32))
        .saturating_add(2)
}

/// Splits every face into four at the midpoints of its edges.
fn subdivide(v: &mut Vec<[f64; 3]>, faces: &[[usize; 3]]) -> Vec<[usize; 3]> {
    // Each face's edges (f0,f1), (f1,f2), (f2,f0), each as (smaller, larger).
    let edge = |a: usize, b: usize| if a < b { (a, b) } else { (b, a) };
    let mut unique: Vec<(usize, usize)> = faces
        .iter()
        .flat_map(|f| [edge(f[0], f[1]), edge(f[1], f[2]), edge(f[2], f[0])])
        .collect();
    unique.sort_unstable_by_key(|&(lo, hi)| (hi, lo));
    unique.dedup();
    let old = v.len();
    for &(p, q) in &unique {
        let (p, q) = (v[p], v[q]);
        v.push([
            (p[0] + q[0]) / 2.0,
            (p[1] + q[1]) / 2.0,
            (p[2] + q[2]) / 2.0,
        ]);
    }
    let mid = |a: usize, b: usize| {
        let (lo, hi) = edge(a, b);
        old + unique
            .binary_search_by_key(&(hi, lo), |&(l, h)| (h, l))
            .expect("every edge of a face has a midpoint")
    };
    faces
        .iter()
        .flat_map(|&[a, b, c]| {
            let (m0, m1, m2) = (mid(a, b), mid(b, c), mid(c, a));
            [[a, m0, m2], [m0, b, m1], [m2, m1, c], [m0, m1, m2]]
        })
        .collect()
}

/// Moves every vertex onto the sphere of `radius` about the origin.
fn project(v: &mut [[f64; 3]], radius: f64) {
    for p in v {
        let s = ((p[0] * p[0] + p[2] * p[2]) + p[1] * p[1]).sqrt();
        for c in p.iter_mut() {
            *c += *c / s * (radius - s);
        }
    }
}

/// The vertices (x, y, z) of trimesh's icosphere with `subdivisions` subdivisions and
/// `radius`, in trimesh's order. The caller bounds `subdivisions` ([`vertex_count`]).
pub fn vertices(subdivisions: usize, radius: f64) -> Vec<[f64; 3]> {
    let (mut v, mut faces) = icosahedron();
    for _ in 0..subdivisions {
        faces = subdivide(&mut v, &faces);
        project(&mut v, radius);
    }
    if subdivisions == 0 {
        project(&mut v, radius);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_euler() {
        for s in 0..4 {
            assert_eq!(vertices(s, 1.0).len() as u128, vertex_count(s));
        }
    }

    #[test]
    fn vertices_lie_on_the_sphere() {
        for p in vertices(2, 2.5) {
            let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
            assert!((r - 2.5).abs() < 1e-14, "{r}");
        }
    }
}
