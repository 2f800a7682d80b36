//! Grey-level discretisation of ROI intensities (IBSI 2.7; PyRadiomics `imageoperations.binImage`).
//!
//! * Fixed bin width, PyRadiomics origin: edges at `lowBound + k·w` with
//!   `lowBound = min − (min mod w)` (Python's floor modulo), up to `max + 2w`; a value's bin is
//!   the number of edges `≤` it (`numpy.digitize`), so bins start at 1.
//! * Fixed bin width, IBSI origin (IBSI fixed bin size, `x_d = ⌊(x − min)/w⌋ + 1`).
//! * Fixed bin count (IBSI fixed bin number): `numpy.histogram` edges, `linspace(min, max, N+1)`
//!   with the last edge raised by 1 so the maximum falls in bin N.

use crate::settings::{BinningOrigin, Settings};

/// Result of discretising a set of intensities.
#[derive(Debug, Clone)]
pub struct Discretized {
    /// Grey level (1-based bin index) of each input value, in input order.
    pub levels: Vec<u32>,
    /// Bin edges; bin `k` (1-based) spans `[edges[k-1], edges[k])`.
    pub edges: Vec<f64>,
}

impl Discretized {
    /// Number of bins (the largest possible grey level).
    pub fn bin_count(&self) -> usize {
        self.edges.len().saturating_sub(1)
    }
}

/// Python's float `%` (result takes the sign of the divisor).
pub fn py_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        m + b
    } else {
        m
    }
}

/// Number of fixed-width edges `numpy.arange(low, max + 2·w, w)` gives. Where `max + 2·w`
/// overflows (a bin width near the largest double) numpy refuses; the same count is then
/// taken from `(max − low)/w + 2`, which does not overflow.
fn edge_count(low: f64, max: f64, w: f64) -> f64 {
    let stop = max + 2.0 * w;
    if stop.is_finite() {
        ((stop - low) / w).ceil().max(0.0)
    } else {
        ((max - low) / w).ceil().max(0.0) + 2.0
    }
}

/// `numpy.arange(start, start + n·step, step)` for positive step.
fn arange(start: f64, n: usize, step: f64) -> Vec<f64> {
    (0..n).map(|i| start + i as f64 * step).collect()
}

/// `numpy.linspace(start, stop, num)` with the endpoint.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let step = (stop - start) / div;
    let mut y: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if num > 1 {
        y[num - 1] = stop;
    }
    y
}

/// IBSI's first fixed-size bin edge: the resegmentation range's lower bound when an absolute
/// range is set (and lies at or below the ROI's minimum), else the ROI's minimum.
fn ibsi_origin(min: f64, settings: &Settings) -> f64 {
    match settings.resegment_range {
        Some((lower, _))
            if settings.resegment_mode == crate::settings::ResegmentMode::Absolute
                && lower.is_finite()
                && lower <= min =>
        {
            lower
        }
        _ => min,
    }
}

/// Bin edges for `values` under the discretisation settings (PyRadiomics `getBinEdges`).
pub fn bin_edges(values: &[f64], settings: &Settings) -> Vec<f64> {
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if let Some(n) = settings.bin_count {
        let (lo, hi) = if min == max {
            (min - 0.5, max + 0.5)
        } else {
            (min, max)
        };
        let mut e = linspace(lo, hi, n + 1);
        *e.last_mut().unwrap() += 1.0;
        return e;
    }
    let w = settings.bin_width;
    let low = match settings.binning_origin {
        BinningOrigin::Pyradiomics => min - py_mod(min, w),
        BinningOrigin::Ibsi => ibsi_origin(min, settings),
    };
    let e = arange(low, edge_count(low, max, w) as usize, w);
    if e.len() == 1 {
        vec![e[0] - 0.5, e[0] + 0.5]
    } else {
        e
    }
}

/// Number of bins the settings would produce for finite values in `[min, max]`, computed
/// without allocating the edges (used to refuse absurd bin counts before any matrix is
/// built). A float, so that a count beyond any integer type is still reported as it is.
pub fn predicted_bin_count(min: f64, max: f64, settings: &Settings) -> f64 {
    if let Some(n) = settings.bin_count {
        return n as f64;
    }
    let w = settings.bin_width;
    let low = match settings.binning_origin {
        BinningOrigin::Pyradiomics => min - py_mod(min, w),
        BinningOrigin::Ibsi => ibsi_origin(min, settings),
    };
    edge_count(low, max, w).max(2.0) - 1.0
}

/// [`discretize`], after checking that the values are finite and that the number of bins
/// ([`predicted_bin_count`]) is within `maxGreyLevels`: nothing is allocated for an absurd
/// bin count.
pub fn discretize_checked(
    values: &[f64],
    settings: &Settings,
) -> crate::error::Result<Discretized> {
    use crate::error::Error;
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if values.iter().any(|v| !v.is_finite()) || values.is_empty() {
        return Err(Error::Compute(format!(
            "the ROI's intensities are not all finite numbers (from {min} to {max}); nothing can be discretised"
        )));
    }
    let predicted = predicted_bin_count(min, max, settings);
    if predicted > settings.max_grey_levels as f64 {
        let count = if predicted < 1e15 {
            format!("{predicted}")
        } else {
            format!("about {predicted:.1e}")
        };
        let by = match settings.bin_count {
            Some(n) => format!("binCount {n}"),
            None => format!("binWidth {}", settings.bin_width),
        };
        return Err(Error::Compute(format!(
            "discretisation would give {count} grey levels (intensities {min} to {max}, {by}), above the limit of {} \
             (setting maxGreyLevels); use binCount (e.g. binCount:64) or a larger binWidth",
            settings.max_grey_levels
        )));
    }
    let d = discretize(values, settings);
    // Intensities far larger than the bin width lose the width in double precision (1e30 +
    // 25 == 1e30): the edges then collapse and no longer bound the values.
    let ordered = d.edges.len() >= 2 && d.edges.windows(2).all(|e| e[0] < e[1]);
    let bins = d.bin_count() as u32;
    if !ordered || d.levels.iter().any(|&l| l == 0 || l > bins) {
        let by = match settings.bin_count {
            Some(n) => format!("{n} bins"),
            None => format!("bins of width {}", settings.bin_width),
        };
        return Err(Error::Compute(format!(
            "the ROI's intensities ({min:e} to {max:e}) are too large for {by}: the bin edges cannot be told apart in double precision; rescale the image (check scl_slope and scl_inter) or use other binning"
        )));
    }
    Ok(d)
}

/// Discretises `values` (`numpy.digitize(values, edges)`; IBSI formula for the IBSI origin).
pub fn discretize(values: &[f64], settings: &Settings) -> Discretized {
    let edges = bin_edges(values, settings);
    let levels = if settings.bin_count.is_none() && settings.binning_origin == BinningOrigin::Ibsi {
        // No edge at all when the bin width is lost in the values' magnitude:
        // [`discretize_checked`] then refuses the levels (all 0).
        let min = edges.first().copied().unwrap_or(f64::NAN);
        let w = settings.bin_width;
        values
            .iter()
            .map(|&v| ((v - min) / w).floor() as u32 + 1)
            .collect()
    } else {
        values
            .iter()
            .map(|&v| edges.partition_point(|&e| e <= v) as u32)
            .collect()
    };
    Discretized { levels, edges }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_modulo() {
        assert_eq!(py_mod(-7.0, 25.0), 18.0);
        assert_eq!(py_mod(7.0, 25.0), 7.0);
        assert_eq!(py_mod(50.0, 25.0), 0.0);
    }

    #[test]
    fn fixed_width_pyradiomics_edges() {
        let s = Settings::default(); // binWidth 25
        let d = discretize(&[-7.0, 0.0, 24.9, 25.0, 60.0], &s);
        assert_eq!(d.edges[0], -25.0);
        assert_eq!(d.levels, vec![1, 2, 2, 3, 4]);
        assert_eq!(d.edges.len(), 6); // -25 .. 100 step 25 (stop 110 exclusive)
    }

    #[test]
    fn fixed_width_ibsi_origin() {
        let s = Settings {
            binning_origin: BinningOrigin::Ibsi,
            bin_width: 2.0,
            ..Settings::default()
        };
        let d = discretize(&[1.0, 2.9, 3.0, 6.0], &s);
        assert_eq!(d.levels, vec![1, 1, 2, 3]);
    }

    #[test]
    fn fixed_count() {
        let s = Settings {
            bin_count: Some(4),
            ..Settings::default()
        };
        let d = discretize(&[0.0, 1.0, 2.0, 3.0, 4.0], &s);
        // edges 0, 1, 2, 3, 5 (last raised by 1): numpy.digitize semantics
        assert_eq!(d.levels, vec![1, 2, 3, 4, 4]);
        let flat = discretize(&[5.0, 5.0], &s);
        assert_eq!(flat.levels, vec![3, 3]);
    }

    #[test]
    fn predicted_count_matches_edges() {
        let s = Settings::default();
        let vals = [-1033.0, 3071.0];
        assert_eq!(
            predicted_bin_count(-1033.0, 3071.0, &s),
            (bin_edges(&vals, &s).len() - 1) as f64
        );
    }

    #[test]
    fn a_huge_bin_width_gives_one_bin() {
        let s = Settings {
            bin_width: 1e308,
            ..Settings::default()
        };
        // max + 2·binWidth overflows: the count comes from (max − low)/w + 2 instead. Edges
        // stay at multiples of the width: −1e308, 0, 1e308.
        assert_eq!(predicted_bin_count(-5.0, 900.0, &s), 2.0);
        let d = discretize(&[-5.0, 0.0, 900.0], &s);
        assert_eq!(d.levels, vec![1, 2, 2]);
        let d = discretize(&[3.0, 900.0], &s);
        assert_eq!(d.levels, vec![1, 1]);
    }
}
