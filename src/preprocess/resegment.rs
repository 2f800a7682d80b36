//! Intensity resegmentation of the ROI (PyRadiomics `resegmentMask`, IBSI 2.6 "range
//! re-segmentation"): ROI voxels outside `[lower, upper]` are removed from the mask.

use crate::error::{Error, Result};
use crate::image::{Mask, Volume};
use crate::settings::ResegmentMode;

/// Returns the resegmented mask. Bounds are absolute, relative to the ROI maximum, or
/// `mean + k·sd` (population sd) of the ROI, by `mode`; bounds are inclusive.
pub fn resegment(
    image: &Volume,
    mask: &Mask,
    range: (f64, Option<f64>),
    mode: ResegmentMode,
    mask_name: &std::path::Path,
) -> Result<Mask> {
    let roi: Vec<f64> = image
        .data
        .iter()
        .zip(&mask.data)
        .filter(|(_, &m)| m)
        .map(|(&v, _)| v)
        .collect();
    let map = |t: f64| -> f64 {
        match mode {
            ResegmentMode::Absolute => t,
            ResegmentMode::Relative => roi.iter().copied().fold(f64::NEG_INFINITY, f64::max) * t,
            ResegmentMode::Sigma => {
                let n = roi.len() as f64;
                let mean = roi.iter().sum::<f64>() / n;
                let sd = (roi.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
                mean + sd * t
            }
        }
    };
    let lo = map(range.0);
    let hi = range.1.map(map);
    let data: Vec<bool> = image
        .data
        .iter()
        .zip(&mask.data)
        .map(|(&v, &m)| m && v >= lo && hi.is_none_or(|h| v <= h))
        .collect();
    let kept = data.iter().filter(|&&m| m).count();
    if kept <= 1 {
        return Err(Error::Roi {
            mask: mask_name.to_path_buf(),
            detail: format!(
                "resegmentation to [{lo}, {}] kept {kept} of {} voxel(s); at least 2 are needed",
                hi.map_or("inf".to_string(), |h| h.to_string()),
                roi.len()
            ),
        });
    }
    Ok(Mask {
        geometry: mask.geometry.clone(),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;

    #[test]
    fn absolute_relative_sigma() {
        let g = Geometry::with_spacing([5, 1, 1], [1.0; 3]);
        let img = Volume::new(g.clone(), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        let m = Mask {
            geometry: g,
            data: vec![true, true, true, true, false],
        };
        let p = std::path::Path::new("m.nii");
        let r = resegment(&img, &m, (10.0, Some(20.0)), ResegmentMode::Absolute, p).unwrap();
        assert_eq!(r.data, vec![false, true, true, false, false]);
        let r = resegment(&img, &m, (0.5, None), ResegmentMode::Relative, p).unwrap();
        assert_eq!(r.data, vec![false, false, true, true, false]);
        // mean 15, sd sqrt(125) ≈ 11.18: [3.8, 26.2]
        let r = resegment(&img, &m, (-1.0, Some(1.0)), ResegmentMode::Sigma, p).unwrap();
        assert_eq!(r.data, vec![false, true, true, false, false]);
        assert!(resegment(&img, &m, (35.0, None), ResegmentMode::Absolute, p).is_err());
    }
}
