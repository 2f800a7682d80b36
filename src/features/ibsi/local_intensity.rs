//! Local intensity features (IBSI family 9ST6): means over a 1 cm³ sphere.
//!
//! The sphere around a voxel holds every image voxel whose centre lies within
//! r = (3 / (4π))^{1/3} cm ≈ 6.20 mm of that voxel's centre (world distances), inside the ROI
//! or not; voxels beyond the image's edge are absent and not counted.
//!
//! | IBSI | feature | definition |
//! |---|---|---|
//! | VJGA | local intensity peak | the sphere mean around the ROI's maximum-intensity voxel (of several, the largest mean) |
//! | 0F91 | global intensity peak | the largest sphere mean around any ROI voxel |
//!
//! The image must reach at least r beyond the ROI wherever the image does (callers pass the
//! whole image or the ROI box grown by r).

use rayon::prelude::*;

use crate::image::{Mask, Volume};

/// Radius in mm of a sphere of 1 cm³.
pub fn sphere_radius_mm() -> f64 {
    10.0 * (3.0 / (4.0 * std::f64::consts::PI)).cbrt()
}

/// Index offsets of the voxels whose centres lie within `radius` mm of a voxel's centre.
fn sphere_offsets(spacing: [f64; 3], radius: f64) -> Vec<[i64; 3]> {
    let reach = spacing.map(|s| (radius / s).floor() as i64);
    let mut out = Vec::new();
    for dz in -reach[2]..=reach[2] {
        for dy in -reach[1]..=reach[1] {
            for dx in -reach[0]..=reach[0] {
                let d2 = (dx as f64 * spacing[0]).powi(2)
                    + (dy as f64 * spacing[1]).powi(2)
                    + (dz as f64 * spacing[2]).powi(2);
                if d2 <= radius * radius {
                    out.push([dx, dy, dz]);
                }
            }
        }
    }
    out
}

/// The mean of the image's voxels in the sphere around voxel `c`.
fn sphere_mean(image: &Volume, offsets: &[[i64; 3]], c: [usize; 3]) -> f64 {
    let size = image.geometry.size;
    let (mut sum, mut n) = (0.0, 0usize);
    for o in offsets {
        let p = [c[0] as i64 + o[0], c[1] as i64 + o[1], c[2] as i64 + o[2]];
        if (0..3).all(|k| p[k] >= 0 && (p[k] as usize) < size[k]) {
            sum += image.data[image
                .geometry
                .index(p[0] as usize, p[1] as usize, p[2] as usize)];
            n += 1;
        }
    }
    sum / n as f64
}

/// The local and global intensity peaks of the ROI `mask` (on `image`'s grid, at least one
/// voxel), as `(IBSI id, value)`.
pub fn features(image: &Volume, mask: &Mask) -> Vec<(&'static str, f64)> {
    assert_eq!(image.geometry.size, mask.geometry.size, "one grid");
    let offsets = sphere_offsets(image.geometry.spacing, sphere_radius_mm());
    let roi: Vec<usize> = (0..mask.data.len()).filter(|&i| mask.data[i]).collect();
    assert!(!roi.is_empty(), "a ROI has at least one voxel");
    let means: Vec<f64> = roi
        .par_iter()
        .map(|&i| sphere_mean(image, &offsets, image.geometry.coords(i)))
        .collect();
    let top = roi
        .iter()
        .map(|&i| image.data[i])
        .fold(f64::NEG_INFINITY, f64::max);
    let local = roi
        .iter()
        .zip(&means)
        .filter(|(&i, _)| image.data[i] == top)
        .map(|(_, &m)| m)
        .fold(f64::NEG_INFINITY, f64::max);
    let global = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    vec![("VJGA", local), ("0F91", global)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;

    #[test]
    fn sphere_of_one_cubic_centimetre() {
        // 1 mm voxels: the voxel centres within 6.2035 mm number 1,000 give or take the
        // sphere's surface (4/3·π·6.2035³ = 1000 mm³).
        let n = sphere_offsets([1.0; 3], sphere_radius_mm()).len();
        assert!((900..1100).contains(&n), "{n}");
        // 4 mm in-plane, 5 mm slices: (0,0,±1) at 5 mm is inside, (1,1,0) at 5.66 mm inside,
        // (1,1,1) at 7.5 mm outside.
        let o = sphere_offsets([4.0, 4.0, 5.0], sphere_radius_mm());
        assert!(o.contains(&[0, 0, 1]) && o.contains(&[1, 1, 0]) && !o.contains(&[1, 1, 1]));
    }

    #[test]
    fn peaks_of_a_small_image() {
        // A line of five 5 mm voxels: each sphere holds the voxel and its neighbours.
        let g = Geometry::with_spacing([5, 1, 1], [5.0, 5.0, 5.0]);
        let image = Volume {
            geometry: g.clone(),
            data: vec![0.0, 9.0, 1.0, 8.0, 8.0],
            pixel_type: crate::image::PixelType::F64,
        };
        let mask = Mask {
            geometry: g,
            data: vec![false, true, true, true, true],
        };
        let f = features(&image, &mask);
        // Max 9 at x = 1: mean of 0, 9, 1 (the outside voxel counts) = 10/3. Global: at
        // x = 4, (8 + 8) / 2 = 8.
        assert_eq!(f[0], ("VJGA", 10.0 / 3.0));
        assert_eq!(f[1], ("0F91", 8.0));
    }
}
