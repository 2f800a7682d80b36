//! Intensity–volume histogram features (IBSI family P88C).
//!
//! The ROI's intensities are first made discrete, `X_{d,gl}`, on a grid of intensities
//! `G = [min G, max G]` with step `w_d` ([`IvhGrid`]). For each grid intensity i the volume
//! fraction is ν_i = 1 − #{X_{d,gl} < i} / N_v and the intensity fraction
//! γ_i = (i − min G) / (max G − min G); intensities absent from the ROI count too.
//!
//! | IBSI | feature | definition |
//! |---|---|---|
//! | BC2M_V10, BC2M_V90 | volume at intensity fraction x | V_x = the largest ν_i with γ_i ≥ x |
//! | GBPN_I10, GBPN_I90 | intensity at volume fraction x | I_x = the smallest grid intensity i with ν_i ≤ x |
//! | DDTU | volume fraction difference | V₁₀ − V₉₀ |
//! | CNV2 | intensity fraction difference | I₁₀ − I₉₀ |
//!
//! When no grid intensity has ν_i ≤ x (every voxel holds the top intensity), I_x is the
//! next intensity past the grid, max G + w_d, where the volume fraction is 0.

use crate::error::{Error, Result};

/// How the intensities are made discrete for the intensity–volume histogram (IBSI manual,
/// "Intensity-volume histogram features").
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IvhGrid {
    /// Calibrated discrete intensities (CT): used as they are, step 1, over `range` (the
    /// resegmentation range, else the ROI's minimum and maximum).
    Discrete {
        /// (min G, max G).
        range: (f64, f64),
    },
    /// Calibrated continuous intensities (PET): fixed bins of `width` from `range.0` to
    /// `range.1`, each voxel replaced by its bin's centre; G runs over the bin centres.
    BinWidth {
        /// Bin width w_b.
        width: f64,
        /// (X_min, X_max): the resegmentation range, else the ROI's extremes.
        range: (f64, f64),
    },
    /// Arbitrary units (MR): `count` fixed bins over the ROI's range, voxels replaced by their
    /// bin numbers 1 … count; G = [1, count], step 1.
    BinCount {
        /// Number of bins N_g.
        count: usize,
    },
}

/// The voxels made discrete on `grid`, with the grid's (min G, max G, w_d).
fn discretise(values: &[f64], grid: IvhGrid) -> (Vec<f64>, f64, f64, f64) {
    match grid {
        IvhGrid::Discrete { range } => (values.to_vec(), range.0, range.1, 1.0),
        IvhGrid::BinWidth { width, range } => {
            let bins = ((range.1 - range.0) / width).ceil().max(1.0);
            let d = values
                .iter()
                .map(|&x| {
                    let bin = (((x - range.0) / width).floor() + 1.0).clamp(1.0, bins);
                    range.0 + (bin - 0.5) * width
                })
                .collect();
            (
                d,
                range.0 + 0.5 * width,
                range.0 + (bins - 0.5) * width,
                width,
            )
        }
        IvhGrid::BinCount { count } => {
            let (lo, hi) = values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            let n = count.max(1) as f64;
            let d = values
                .iter()
                .map(|&x| {
                    if hi > lo {
                        ((n * (x - lo) / (hi - lo)).floor() + 1.0).min(n)
                    } else {
                        1.0
                    }
                })
                .collect();
            (d, 1.0, n, 1.0)
        }
    }
}

/// Most grid intensities an intensity–volume histogram may have.
pub const MAX_GRID: f64 = (1u64 << 22) as f64;

/// The 6 IBSI intensity–volume histogram features of `values` (the ROI's intensities, at
/// least one) on `grid`, as `(IBSI id with parameter, value)`; an error when the grid would
/// hold more than [`MAX_GRID`] intensities.
pub fn features(values: &[f64], grid: IvhGrid) -> Result<Vec<(&'static str, f64)>> {
    assert!(!values.is_empty(), "a ROI has at least one voxel");
    let (mut d, lo, hi, step) = discretise(values, grid);
    let span = (hi - lo) / step;
    if !(span.is_finite() && span < MAX_GRID) {
        return Err(Error::Compute(format!(
            "the intensity-volume histogram would need {span:.3e} grid intensities from {lo} to {hi} in steps of {step} (at most {MAX_GRID}): set ivhBinWidth or ivhBinCount, or a narrower resegmentRange"
        )));
    }
    d.sort_by(f64::total_cmp);
    let n_v = d.len() as f64;
    // Grid intensities i_k = lo + k·step, k = 0 … K; rounding keeps hi itself on the grid.
    let steps = span.round().max(0.0) as usize;
    let at = |k: usize| lo + k as f64 * step;
    // ν at grid intensity i: the fraction of voxels at or above it.
    let nu = |i: f64| {
        let below = d.partition_point(|&x| x < i - 1e-9 * step);
        1.0 - below as f64 / n_v
    };
    let gamma = |i: f64| {
        if hi > lo {
            (i - lo) / (hi - lo)
        } else {
            0.0
        }
    };
    let volume_at = |x: f64| {
        (0..=steps)
            .map(at)
            .filter(|&i| gamma(i) >= x - 1e-12)
            .map(nu)
            .fold(0.0, f64::max)
    };
    let intensity_at = |x: f64| {
        (0..=steps)
            .map(at)
            .find(|&i| nu(i) <= x + 1e-12)
            .unwrap_or(hi + step)
    };
    let (v10, v90) = (volume_at(0.10), volume_at(0.90));
    let (i10, i90) = (intensity_at(0.10), intensity_at(0.90));
    Ok(vec![
        ("BC2M_V10", v10),
        ("BC2M_V90", v90),
        ("GBPN_I10", i10),
        ("GBPN_I90", i90),
        ("DDTU", v10 - v90),
        ("CNV2", i10 - i90),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn fractions_by_hand() {
        // Ten voxels: 1 ×4, 2 ×3, 4 ×2, 5 ×1 on G = [1, 5]: ν = 1, .6, .3, .3, .1 at
        // i = 1 … 5; γ = 0, .25, .5, .75, 1.
        let x = [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 4.0, 4.0, 5.0];
        let f: HashMap<_, _> = features(&x, IvhGrid::Discrete { range: (1.0, 5.0) })
            .unwrap()
            .into_iter()
            .collect();
        assert!((f["BC2M_V10"] - 0.6).abs() < 1e-12, "{f:?}");
        assert!((f["BC2M_V90"] - 0.1).abs() < 1e-12);
        assert_eq!(f["GBPN_I10"], 5.0);
        assert_eq!(f["GBPN_I90"], 2.0);
        assert_eq!(f["CNV2"], 3.0);
        // Bin centres of width 2 from 0: 1 → 1, 2 → 3, 4 → 5, 5 → 5; ν = 1, .6, .3 at the
        // centres 1, 3, 5: no centre has ν ≤ 0.1, so I10 is the next one, 7.
        let f: HashMap<_, _> = features(
            &x,
            IvhGrid::BinWidth {
                width: 2.0,
                range: (0.0, 6.0),
            },
        )
        .unwrap()
        .into_iter()
        .collect();
        assert_eq!(f["GBPN_I90"], 3.0);
        assert_eq!(f["GBPN_I10"], 7.0);
        // A grid too fine is refused, not walked.
        let e = features(
            &x,
            IvhGrid::BinWidth {
                width: 1e-300,
                range: (0.0, 6.0),
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("ivhBinWidth"), "{e}");
    }
}
