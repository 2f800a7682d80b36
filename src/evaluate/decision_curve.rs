//! Decision curve analysis (Vickers & Elkin 2006, *Medical Decision Making* 26:565–574):
//! the net benefit of treating patients whose predicted risk reaches a threshold
//! probability `p_t`,
//!
//! `NB(p_t) = TP/n − FP/n · p_t/(1 − p_t)`,
//!
//! where a patient is treated when `p >= p_t`, against the two default strategies
//! *treat all* (`TP` = all events, `FP` = all non-events) and *treat none* (`NB = 0`).

use crate::model::error::{StatsError, StatsResult};
use crate::model::input::{check_binary, check_probabilities};

/// Net benefit of the model and of the default strategies at one threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetBenefit {
    /// Threshold probability `p_t`.
    pub threshold: f64,
    /// Net benefit of treating patients with `p >= p_t`.
    pub model: f64,
    /// Net benefit of treating everyone.
    pub treat_all: f64,
    /// Net benefit of treating no one (always 0).
    pub treat_none: f64,
}

/// R's `seq(from, to, by)` for `by > 0`: `from + (0:k)·by` with `k = ⌊(to − from)/by + 1e-10⌋`,
/// capped at `to`, so that thresholds are bit-identical to R's
/// (`seq(0.01, 0.99, by = 0.01)` is the usual decision-curve grid).
///
/// # Errors
/// When `by <= 0`, `to < from`, or an argument is not finite.
pub fn threshold_grid(from: f64, to: f64, by: f64) -> StatsResult<Vec<f64>> {
    if !(from.is_finite() && to.is_finite() && by.is_finite()) || by <= 0.0 || to < from {
        return Err(StatsError::InvalidArgument(format!(
            "threshold grid needs finite from <= to and by > 0, got ({from}, {to}, {by})"
        )));
    }
    let k = ((to - from) / by + 1e-10).floor() as usize;
    Ok((0..=k).map(|i| (from + i as f64 * by).min(to)).collect())
}

/// Net benefit of the model, treat-all and treat-none at every threshold in `thresholds`
/// (each in (0, 1)), for predictions `p` and 0/1 outcomes `y`.
///
/// # Errors
/// Invalid inputs or a threshold outside (0, 1).
pub fn decision_curve(y: &[f64], p: &[f64], thresholds: &[f64]) -> StatsResult<Vec<NetBenefit>> {
    let counts = check_binary(y)?;
    check_probabilities(p, y.len(), false)?;
    if let Some(bad) = thresholds.iter().find(|&&t| !(t > 0.0 && t < 1.0)) {
        return Err(StatsError::InvalidArgument(format!(
            "decision-curve threshold {bad} is outside (0, 1)"
        )));
    }
    let n = y.len() as f64;
    let nb = |tp: usize, fp: usize, pt: f64| tp as f64 / n - fp as f64 / n * (pt / (1.0 - pt));
    Ok(thresholds
        .iter()
        .map(|&pt| {
            let (mut tp, mut fp) = (0, 0);
            for (&yi, &pi) in y.iter().zip(p) {
                if pi >= pt {
                    if yi == 1.0 {
                        tp += 1;
                    } else {
                        fp += 1;
                    }
                }
            }
            NetBenefit {
                threshold: pt,
                model: nb(tp, fp, pt),
                treat_all: nb(counts.events, counts.non_events, pt),
                treat_none: 0.0,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_matches_r_seq() {
        let g = threshold_grid(0.01, 0.99, 0.01).unwrap();
        assert_eq!(g.len(), 99);
        assert_eq!(g[0], 0.01);
        assert_eq!(g[98], 0.01 + 98.0 * 0.01);
    }

    #[test]
    fn treat_all_uses_prevalence() {
        let y = [1.0, 0.0, 0.0, 0.0];
        let p = [0.9, 0.2, 0.1, 0.6];
        let nb = decision_curve(&y, &p, &[0.5]).unwrap()[0];
        assert_eq!(nb.treat_all, 0.25 - 0.75);
        assert_eq!(nb.model, 0.25 - 0.25);
        assert_eq!(nb.treat_none, 0.0);
    }
}
