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

use crate::error::{Error, Result};
use crate::image::{Mask, Volume};

/// Radius in mm of a sphere of 1 cm³.
pub fn sphere_radius_mm() -> f64 {
    10.0 * (3.0 / (4.0 * std::f64::consts::PI)).cbrt()
}

/// Most sphere-mean terms (ROI voxels × sphere voxels) computed: about ten seconds on two
/// cores. Beyond it (sub-millimetre voxels with a large ROI) the features are refused.
const MAX_TERMS: f64 = 4e9;

/// Index offsets of the voxels whose centres lie within `radius` mm of a voxel's centre,
/// reaching at most `limit` voxels along each axis (offsets beyond the image never count).
fn sphere_offsets(spacing: [f64; 3], radius: f64, limit: [usize; 3]) -> Vec<[i64; 3]> {
    let reach: [i64; 3] =
        std::array::from_fn(|k| (radius / spacing[k]).floor().min(limit[k] as f64) as i64);
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
/// voxel), as `(IBSI id, value)`; an error when the sphere means would take more than
/// [`MAX_TERMS`] terms.
pub fn features(image: &Volume, mask: &Mask) -> Result<Vec<(&'static str, f64)>> {
    assert_eq!(image.geometry.size, mask.geometry.size, "one grid");
    let g = &image.geometry;
    let roi: Vec<usize> = (0..mask.data.len()).filter(|&i| mask.data[i]).collect();
    assert!(!roi.is_empty(), "a ROI has at least one voxel");
    // The sphere's voxel count, bounded before it is listed.
    let r = sphere_radius_mm();
    let per_voxel: f64 = (0..3)
        .map(|k| 2.0 * (r / g.spacing[k]).floor().min((g.size[k] - 1) as f64) + 1.0)
        .product();
    if per_voxel * roi.len() as f64 > MAX_TERMS {
        return Err(Error::Compute(format!(
            "local intensity peaks: {} ROI voxels × up to {per_voxel:.0} voxels in a 1 cm³ sphere of voxels {:?} mm is more than {MAX_TERMS:e} terms",
            roi.len(),
            g.spacing
        )));
    }
    let offsets = sphere_offsets(g.spacing, r, g.size.map(|n| n - 1));
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
    Ok(vec![("VJGA", local), ("0F91", global)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;

    #[test]
    fn sphere_of_one_cubic_centimetre() {
        // 1 mm voxels: the voxel centres within 6.2035 mm number 1,000 give or take the
        // sphere's surface (4/3·π·6.2035³ = 1000 mm³).
        let n = sphere_offsets([1.0; 3], sphere_radius_mm(), [100; 3]).len();
        assert!((900..1100).contains(&n), "{n}");
        // 4 mm in-plane, 5 mm slices: (0,0,±1) at 5 mm is inside, (1,1,0) at 5.66 mm inside,
        // (1,1,1) at 7.5 mm outside.
        let o = sphere_offsets([4.0, 4.0, 5.0], sphere_radius_mm(), [100; 3]);
        // Limited by the image: a 2-voxel-thick image reaches one voxel along z.
        assert!(sphere_offsets([1.0; 3], sphere_radius_mm(), [100, 100, 1])
            .iter()
            .all(|o| o[2].abs() <= 1));
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
        let f = features(&image, &mask).unwrap();
        // Max 9 at x = 1: mean of 0, 9, 1 (the outside voxel counts) = 10/3. Global: at
        // x = 4, (8 + 8) / 2 = 8.
        assert_eq!(f[0], ("VJGA", 10.0 / 3.0));
        assert_eq!(f[1], ("0F91", 8.0));
        // Voxels of a micrometre: the sphere would hold ~10¹² voxels per ROI voxel. Refused.
        let g = Geometry::with_spacing([200, 200, 200], [1e-3; 3]);
        let image = Volume {
            geometry: g.clone(),
            data: vec![0.0; g.len()],
            pixel_type: crate::image::PixelType::F64,
        };
        let mask = Mask {
            geometry: g,
            data: vec![true; 8_000_000],
        };
        let e = features(&image, &mask).unwrap_err().to_string();
        assert!(e.contains("local intensity"), "{e}");
    }
}
