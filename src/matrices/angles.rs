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

/// Directions for a ROI box of `size` (x, y, z). Only offsets that fit the box are ever
/// listed, so a large distance costs no more than the box allows ([`count`] gives the
/// number without listing them).
pub fn generate(size: [usize; 3], distances: &[usize], force2d: Option<usize>) -> Vec<Offset> {
    let max_d = distances.iter().copied().max().unwrap_or(1);
    // PyRadiomics' size is in (z, y, x) order, ours in (x, y, z); |offset| < box size.
    let reach = |k: usize| -> i64 {
        let axis = [2, 1, 0][k];
        if force2d == Some(k) {
            0
        } else {
            max_d.min(size[axis].saturating_sub(1)) as i64
        }
    };
    let (rz, ry, rx) = (reach(0), reach(1), reach(2));
    let mut zyx: Vec<[i32; 3]> = Vec::new();
    for z in -rz..=rz {
        for y in -ry..=ry {
            for x in -rx..=rx {
                let a = [z as i32, y as i32, x as i32];
                // One of each ± pair: the first non-zero (z, y, x) component is positive.
                let first = a.iter().copied().find(|&v| v != 0);
                if first.is_none_or(|v| v < 0) {
                    continue;
                }
                let cheb = a.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0) as usize;
                if distances.contains(&cheb) {
                    zyx.push(a);
                }
            }
        }
    }
    zyx.sort_by(|a, b| b.cmp(a));
    zyx.into_iter().map(|a| [a[2], a[1], a[0]]).collect()
}

/// Number of directions [`generate`] returns, without listing them: per distance `d`, the
/// offsets of Chebyshev length exactly `d` that fit the box, halved (± pairs).
pub fn count(size: [usize; 3], distances: &[usize], force2d: Option<usize>) -> u128 {
    // Offsets with every |component| ≤ d that fit the box (the zero offset included).
    let within = |d: usize| -> u128 {
        (0..3)
            .map(|k| {
                let axis = [2, 1, 0][k];
                let m = if force2d == Some(k) {
                    0
                } else {
                    d.min(size[axis].saturating_sub(1))
                };
                2 * m as u128 + 1
            })
            .product()
    };
    let mut seen = Vec::new();
    let mut n = 0u128;
    for &d in distances {
        if d == 0 || seen.contains(&d) {
            continue;
        }
        seen.push(d);
        n += (within(d) - within(d - 1)) / 2;
    }
    n
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

    /// The pre-bounded listing: every offset within the largest distance, filtered.
    fn listed_then_filtered(
        size: [usize; 3],
        distances: &[usize],
        force2d: Option<usize>,
    ) -> Vec<Offset> {
        let max_d = *distances.iter().max().unwrap() as i32;
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
        let size_zyx = [size[2] as i32, size[1] as i32, size[0] as i32];
        zyx.sort_by(|a, b| b.cmp(a));
        zyx.into_iter()
            .filter(|a| distances.contains(&(a.iter().map(|v| v.abs()).max().unwrap() as usize)))
            .filter(|a| (0..3).all(|k| a[k].abs() < size_zyx[k]))
            .filter(|a| force2d.is_none_or(|dim| a[dim] == 0))
            .map(|a| [a[2], a[1], a[0]])
            .collect()
    }

    #[test]
    fn bounded_listing_equals_the_filtered_full_listing() {
        for size in [[5, 5, 5], [1, 7, 3], [9, 2, 4], [3, 3, 1]] {
            for distances in [vec![1], vec![2], vec![1, 3], vec![4, 2, 2], vec![6]] {
                for force2d in [None, Some(0), Some(1), Some(2)] {
                    let want = listed_then_filtered(size, &distances, force2d);
                    assert_eq!(
                        generate(size, &distances, force2d),
                        want,
                        "{size:?} {distances:?} {force2d:?}"
                    );
                    assert_eq!(count(size, &distances, force2d), want.len() as u128);
                }
            }
        }
    }

    #[test]
    fn a_huge_distance_costs_only_what_the_box_allows() {
        // Distance 1000 in a 5×5×5 box: no offset fits.
        assert!(generate([5, 5, 5], &[1000], None).is_empty());
        assert_eq!(count([5, 5, 5], &[1000], None), 0);
        assert_eq!(
            count([3000, 3000, 3000], &[1000], None),
            (2001u128.pow(3) - 1999u128.pow(3)) / 2
        );
    }
}
