//! Intensity-based statistical features (IBSI family UHIW) of the intensities `X_gl` of the
//! ROI intensity mask's `N_v` voxels: no discretisation.
//!
//! | IBSI | feature | formula |
//! |---|---|---|
//! | Q4LE | mean | μ = Σ X / N_v |
//! | ECT3 | variance | Σ (X − μ)² / N_v |
//! | KE2A | skewness | m₃ / m₂^{3/2} (0 when m₂ = 0) |
//! | IPH6 | excess kurtosis | m₄ / m₂² − 3 (0 when m₂ = 0) |
//! | Y12H | median | P₅₀ |
//! | 1GSF | minimum | min X |
//! | QG58 | 10th percentile | P₁₀ |
//! | 8DWT | 90th percentile | P₉₀ |
//! | 84IY | maximum | max X |
//! | SALO | interquartile range | P₇₅ − P₂₅ |
//! | 2OJQ | range | max X − min X |
//! | 4FUA | mean absolute deviation | Σ abs(X − μ) / N_v |
//! | 1128 | robust mean absolute deviation | mean abs(X − μ₁₀₋₉₀) over P₁₀ ≤ X ≤ P₉₀, μ₁₀₋₉₀ that subset's mean |
//! | N72L | median absolute deviation | Σ abs(X − P₅₀) / N_v |
//! | 7TET | coefficient of variation | √variance / μ |
//! | 9S40 | quartile coefficient of dispersion | (P₇₅ − P₂₅) / (P₇₅ + P₂₅) |
//! | N8CA | energy | Σ X² |
//! | 5ZWQ | root mean square | √(Σ X² / N_v) |
//!
//! Percentiles interpolate linearly between order statistics (`numpy.percentile`).

use super::{distribution, sorted};

/// The 18 IBSI intensity statistics of `values` (the ROI's intensities; at least one), as
/// `(IBSI id, value)` in the order of the table above.
pub fn features(values: &[f64]) -> Vec<(&'static str, f64)> {
    assert!(!values.is_empty(), "a ROI has at least one voxel");
    let s = sorted(values);
    let d = distribution(values, &s);
    let energy: f64 = values.iter().map(|x| x * x).sum();
    let ids = [
        "Q4LE", "ECT3", "KE2A", "IPH6", "Y12H", "1GSF", "QG58", "8DWT", "84IY", "SALO", "2OJQ",
        "4FUA", "1128", "N72L", "7TET", "9S40",
    ];
    let mut out: Vec<(&'static str, f64)> = ids.into_iter().zip(d).collect();
    out.push(("N8CA", energy));
    out.push(("5ZWQ", (energy / values.len() as f64).sqrt()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed values of a small sample.
    #[test]
    fn small_sample_by_hand() {
        let x = [1.0, 2.0, 2.0, 3.0, 7.0];
        let f: std::collections::HashMap<_, _> = features(&x).into_iter().collect();
        assert_eq!(f["Q4LE"], 3.0);
        assert_eq!(f["ECT3"], (4.0 + 1.0 + 1.0 + 0.0 + 16.0) / 5.0);
        assert_eq!(f["Y12H"], 2.0);
        assert_eq!(f["2OJQ"], 6.0);
        assert_eq!(f["N72L"], (1.0 + 0.0 + 0.0 + 1.0 + 5.0) / 5.0);
        assert_eq!(f["N8CA"], 1.0 + 4.0 + 4.0 + 9.0 + 49.0);
        // P10 = 1.4, P90 = 5.4: the robust subset is {2, 2, 3}, mean 7/3.
        let rmad = ((2.0f64 - 7.0 / 3.0).abs() * 2.0 + (3.0f64 - 7.0 / 3.0).abs()) / 3.0;
        assert!((f["1128"] - rmad).abs() < 1e-15);
        // P25 = 2, P75 = 3.
        assert_eq!(f["9S40"], 1.0 / 5.0);
        let constant = features(&[4.0; 3]);
        assert!(constant.iter().all(|(_, v)| v.is_finite()));
    }
}
