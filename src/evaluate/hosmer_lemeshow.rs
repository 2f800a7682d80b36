//! Hosmer–Lemeshow goodness-of-fit test (Hosmer & Lemeshow 1980, *Communications in
//! Statistics – Theory and Methods* A9:1043–1069; *Applied Logistic Regression*, 3rd ed.
//! 2013, §5.2.2), computed exactly as R's `ResourceSelection::hoslem.test(y, p, g)`:
//!
//! 1. breaks = `unique(quantile(p, probs = seq(0, 1, 1/g)))` (type-7 quantiles);
//! 2. groups = `cut(p, breaks, include.lowest = TRUE)`: intervals `(b_k, b_{k+1}]`, the first
//!    one closed on the left;
//! 3. `X² = Σ_groups Σ_{class} (O − E)²/E` over observed and expected events (`Σy`, `Σp`)
//!    and non-events (`Σ(1 − y)`, `Σ(1 − p)`);
//! 4. `p = P(χ²_{g−2} > X²)`. As in `hoslem.test`, the degrees of freedom are `g − 2` even
//!    when tied quantiles leave fewer than `g` groups ([`HosmerLemeshow::groups`] tells).

use crate::model::distributions::chi_square_sf;
use crate::model::error::{StatsError, StatsResult};
use crate::model::input::{check_binary, check_probabilities};

/// Counts of one Hosmer–Lemeshow risk group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HlGroup {
    /// Lower break (exclusive, except for the first group).
    pub lower: f64,
    /// Upper break (inclusive).
    pub upper: f64,
    /// Patients in the group.
    pub n: usize,
    /// Observed events `Σ y`.
    pub observed_events: f64,
    /// Expected events `Σ p`.
    pub expected_events: f64,
    /// Observed non-events `Σ (1 − y)`.
    pub observed_non_events: f64,
    /// Expected non-events `Σ (1 − p)`.
    pub expected_non_events: f64,
}

/// Result of [`hosmer_lemeshow`].
#[derive(Debug, Clone, PartialEq)]
pub struct HosmerLemeshow {
    /// Chi-square statistic `X²`.
    pub statistic: f64,
    /// Degrees of freedom, `g − 2`.
    pub df: usize,
    /// Upper-tail p-value `P(χ²_df > X²)`.
    pub p_value: f64,
    /// The risk groups actually formed (fewer than `g` when quantiles tie).
    pub groups: Vec<HlGroup>,
}

/// R's `seq(0, 1, by = 1/g)` (`from + (0:n)·by`, capped at `to`).
fn probability_grid(g: usize) -> Vec<f64> {
    let by = 1.0 / g as f64;
    (0..=g).map(|i| (i as f64 * by).min(1.0)).collect()
}

/// Type-7 sample quantile of ascending `sorted` at probability `prob`, evaluated as R's
/// `quantile.default`: `index = 1 + (n − 1)·prob`, `lo = ⌊index⌋`, `h = index − lo`,
/// `q = (1 − h)·x[lo] + h·x[hi]` (only when `h > 0` and `x[hi] ≠ x[lo]`).
pub fn quantile_type7(sorted: &[f64], prob: f64) -> f64 {
    let n = sorted.len();
    let index = 1.0 + (n.saturating_sub(1)) as f64 * prob;
    let lo = index.floor();
    let hi = index.ceil();
    let xlo = sorted[lo as usize - 1];
    let xhi = sorted[hi as usize - 1];
    if index > lo && xhi != xlo {
        let h = index - lo;
        (1.0 - h) * xlo + h * xhi
    } else {
        xlo
    }
}

/// Hosmer–Lemeshow test of predicted probabilities `p` against 0/1 outcomes `y` with `g`
/// quantile groups (10 is customary); see the module documentation for the exact recipe.
///
/// # Errors
/// When `y` is not 0/1, `p` is not a probability per patient, `g < 3`, all predictions are
/// equal (no groups can be formed), or a group has zero expected events or non-events.
pub fn hosmer_lemeshow(y: &[f64], p: &[f64], g: usize) -> StatsResult<HosmerLemeshow> {
    check_binary(y)?;
    check_probabilities(p, y.len(), false)?;
    if g < 3 {
        return Err(StatsError::InvalidArgument(format!(
            "Hosmer-Lemeshow needs g >= 3 groups (df = g - 2), got {g}"
        )));
    }
    let mut sorted = p.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut breaks: Vec<f64> = probability_grid(g)
        .into_iter()
        .map(|q| quantile_type7(&sorted, q))
        .collect();
    breaks.dedup();
    if breaks.len() < 2 {
        return Err(StatsError::InvalidArgument(
            "Hosmer-Lemeshow groups cannot be formed: all predicted probabilities are equal".into(),
        ));
    }
    let k = breaks.len() - 1;
    let mut groups: Vec<HlGroup> = (0..k)
        .map(|j| HlGroup {
            lower: breaks[j],
            upper: breaks[j + 1],
            n: 0,
            observed_events: 0.0,
            expected_events: 0.0,
            observed_non_events: 0.0,
            expected_non_events: 0.0,
        })
        .collect();
    for (&yi, &pi) in y.iter().zip(p) {
        // Group j holds (b_j, b_{j+1}]; the minimum joins group 0.
        let j = breaks
            .partition_point(|&b| b < pi)
            .saturating_sub(1)
            .min(k - 1);
        let grp = &mut groups[j];
        grp.n += 1;
        grp.observed_events += yi;
        grp.expected_events += pi;
        grp.observed_non_events += 1.0 - yi;
        grp.expected_non_events += 1.0 - pi;
    }
    if let Some(bad) = groups
        .iter()
        .find(|grp| grp.expected_events <= 0.0 || grp.expected_non_events <= 0.0)
    {
        return Err(StatsError::InvalidArgument(format!(
            "Hosmer-Lemeshow group ({}, {}] has zero expected events or non-events",
            bad.lower, bad.upper
        )));
    }
    // Column-major order of R's matrix sum: all non-event cells, then all event cells.
    let term = |o: f64, e: f64| (o - e) * (o - e) / e;
    let statistic = groups
        .iter()
        .map(|grp| term(grp.observed_non_events, grp.expected_non_events))
        .chain(
            groups
                .iter()
                .map(|grp| term(grp.observed_events, grp.expected_events)),
        )
        .sum::<f64>();
    let df = g - 2;
    Ok(HosmerLemeshow {
        statistic,
        df,
        p_value: chi_square_sf(statistic, df as f64)?,
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_quantiles_match_r() {
        // quantile(c(1, 2, 4, 8), c(0, .1, .5, 1)) = 1, 1.3, 3, 8
        let x = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile_type7(&x, 0.0), 1.0);
        assert!((quantile_type7(&x, 0.1) - 1.3).abs() < 1e-15);
        assert_eq!(quantile_type7(&x, 0.5), 3.0);
        assert_eq!(quantile_type7(&x, 1.0), 8.0);
    }

    #[test]
    fn equal_predictions_are_rejected() {
        let err = hosmer_lemeshow(&[0.0, 1.0, 0.0], &[0.4; 3], 10).unwrap_err();
        assert!(err
            .to_string()
            .contains("all predicted probabilities are equal"));
    }
}
