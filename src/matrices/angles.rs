//! Neighbour directions for GLCM, GLRLM and NGTDM (PyRadiomics `imageoperations.generateAngles`).
//!
//! Directions are one of each ± pair of offsets (13 in 3D at distance 1) at every Chebyshev
//! distance listed in `distances`, in PyRadiomics 3's order: the representative of a pair is
//! the one whose first non-zero (z, y, x) component is positive, and the list is sorted by
//! (z, y, x) in descending lexicographic order, from (1, 1, 1) to (0, 0, 1). Directions that
//! do not fit in the ROI bounding box (|offset| ≥ box size along an axis) are dropped, and
//! with `force2D` so are those that leave the slice plane.

/// A direction as an offset (dx, dy, dz) in voxels.
pub type Offset = [i32; 3];

/// Directions for a ROI box of `size` (x, y, z).
pub fn generate(size: [usize; 3], distances: &[usize], force2d: Option<usize>) -> Vec<Offset> {
    let max_d = *distances.iter().max().unwrap_or(&1) as i32;
    let mut zyx: Vec<[i32; 3]> = Vec::new();
    for z in 1..=max_d {
        zyx.push([0, 0, z]);
        for y in -max_d..=max_d {
            zyx.push([0, z, y]);
            for x in -max_d..=max_d {
                zyx.push([z, y, x]);
            }
        }
    }
    // PyRadiomics' size is in (z, y, x) order, ours in (x, y, z).
    let size_zyx = [size[2] as i32, size[1] as i32, size[0] as i32];
    zyx.sort_by(|a, b| b.cmp(a));
    zyx.into_iter()
        .filter(|a| {
            let cheb = a.iter().map(|v| v.abs()).max().unwrap() as usize;
            distances.contains(&cheb)
        })
        .filter(|a| (0..3).all(|k| a[k].abs() < size_zyx[k]))
        .filter(|a| match force2d {
            // force2Ddimension counts axes in (z, y, x) order.
            Some(dim) => a[dim] == 0,
            None => true,
        })
        .map(|a| [a[2], a[1], a[0]])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_directions_in_3d() {
        let a = generate([5, 5, 5], &[1], None);
        assert_eq!(a.len(), 13);
        // PyRadiomics 3 order: (z, y, x) = (1, 1, 1) first, (0, 0, 1) last.
        assert_eq!(a[0], [1, 1, 1]);
        assert_eq!(a[12], [1, 0, 0]);
        // no direction is the negative of another
        for x in &a {
            assert!(!a.contains(&[-x[0], -x[1], -x[2]]));
        }
    }

    #[test]
    fn flat_box_and_force2d() {
        // A single slice (z size 1): only the 4 in-plane directions fit.
        assert_eq!(generate([5, 5, 1], &[1], None).len(), 4);
        assert_eq!(generate([5, 5, 5], &[1], Some(0)).len(), 4);
        assert_eq!(generate([5, 5, 5], &[1, 2], None).len(), 13 + 49);
    }
}
