//! Operating points of a score: pROC's ROC thresholds, the Youden-optimal cut-off
//! (Youden 1950, *Cancer* 3:32–35: maximise `J = sensitivity + specificity − 1`) and the
//! confusion matrix of a fixed cut-off applied to new patients.
//!
//! Conventions follow pROC with `direction = "<"`: a patient is called positive when
//! `score >= threshold` (pROC `roc.utils.perfs`: `tp = sum(cases >= t)`,
//! `tn = sum(controls < t)`), and the candidate thresholds are `−∞`, the midpoints between
//! consecutive distinct scores, and `+∞` (`roc.utils.thresholds`).

use crate::model::error::{StatsError, StatsResult};
use crate::model::input::{check_binary, check_finite, require_both_classes};

/// One point of the empirical ROC curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    /// Cut-off: positive when `score >= threshold`.
    pub threshold: f64,
    /// Sensitivity `TP/(TP + FN)` at the cut-off.
    pub sensitivity: f64,
    /// Specificity `TN/(TN + FP)` at the cut-off.
    pub specificity: f64,
}

/// pROC's candidate thresholds (`roc.utils.thresholds`, direction `"<"`): with the sorted
/// distinct scores `u₁ < … < u_k`, the values `−∞, (u₁ + u₂)/2, …, (u_{k−1} + u_k)/2, +∞`
/// (computed as `a/2 + b/2` beyond 1e100 to avoid overflow). When a midpoint rounds onto
/// the lower neighbour `u_{i}` (adjacent doubles), it is moved to the upper one `u_{i+1}`, so
/// the threshold still separates the two values under `score >= t`.
pub fn roc_thresholds(score: &[f64]) -> Vec<f64> {
    let mut u: Vec<f64> = score.to_vec();
    u.sort_by(f64::total_cmp);
    u.dedup();
    let mut t = Vec::with_capacity(u.len() + 1);
    t.push(f64::NEG_INFINITY);
    for w in u.windows(2) {
        let (a, b) = (w[0], w[1]);
        let mid = (a + b) / 2.0;
        let mid = if mid.abs() > 1e100 {
            a / 2.0 + b / 2.0
        } else {
            mid
        };
        t.push(if mid == a { b } else { mid });
    }
    t.push(f64::INFINITY);
    t
}

/// Sorted copies of the case and control scores.
fn split_sorted(y: &[f64], score: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut cases = Vec::new();
    let mut controls = Vec::new();
    for (&yi, &s) in y.iter().zip(score) {
        if yi == 1.0 {
            cases.push(s);
        } else {
            controls.push(s);
        }
    }
    cases.sort_by(f64::total_cmp);
    controls.sort_by(f64::total_cmp);
    (cases, controls)
}

/// The empirical ROC curve at every pROC threshold ([`roc_thresholds`]), in increasing
/// threshold order (sensitivity decreasing).
///
/// # Errors
/// When `y` is not a two-class 0/1 outcome or `score` does not match it.
pub fn roc_curve(y: &[f64], score: &[f64]) -> StatsResult<Vec<RocPoint>> {
    require_both_classes(y, "the ROC curve is undefined")?;
    check_finite(score, y.len(), "score")?;
    let (cases, controls) = split_sorted(y, score);
    let (m, n) = (cases.len() as f64, controls.len() as f64);
    Ok(roc_thresholds(score)
        .into_iter()
        .map(|t| {
            let tp = cases.len() - cases.partition_point(|&s| s < t);
            let tn = controls.partition_point(|&s| s < t);
            RocPoint {
                threshold: t,
                sensitivity: tp as f64 / m,
                specificity: tn as f64 / n,
            }
        })
        .collect())
}

/// The Youden-optimal thresholds: every ROC point maximising `specificity + sensitivity`
/// (pROC: `coords(r, "best", best.method = "youden")` with the default weights, which
/// returns all tied optima), in increasing threshold order.
///
/// # Errors
/// As [`roc_curve`].
pub fn youden(y: &[f64], score: &[f64]) -> StatsResult<Vec<RocPoint>> {
    let curve = roc_curve(y, score)?;
    let crit = |p: &RocPoint| p.specificity + p.sensitivity;
    let best = curve.iter().map(crit).fold(f64::NEG_INFINITY, f64::max);
    Ok(curve.into_iter().filter(|p| crit(p) == best).collect())
}

/// A 2×2 confusion matrix and the metrics derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfusionMatrix {
    /// Events called positive.
    pub tp: usize,
    /// Non-events called positive.
    pub fp: usize,
    /// Non-events called negative.
    pub tn: usize,
    /// Events called negative.
    pub fn_: usize,
}

impl ConfusionMatrix {
    /// Sensitivity `TP/(TP + FN)` (NaN without events).
    pub fn sensitivity(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_) as f64
    }
    /// Specificity `TN/(TN + FP)` (NaN without non-events).
    pub fn specificity(&self) -> f64 {
        self.tn as f64 / (self.tn + self.fp) as f64
    }
    /// Positive predictive value `TP/(TP + FP)` (NaN when nobody is called positive).
    pub fn ppv(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp) as f64
    }
    /// Negative predictive value `TN/(TN + FN)` (NaN when nobody is called negative).
    pub fn npv(&self) -> f64 {
        self.tn as f64 / (self.tn + self.fn_) as f64
    }
    /// Accuracy `(TP + TN)/N`.
    pub fn accuracy(&self) -> f64 {
        (self.tp + self.tn) as f64 / (self.tp + self.fp + self.tn + self.fn_) as f64
    }
}

/// Confusion matrix of the rule `score >= threshold ⇒ positive` (pROC's convention for
/// direction `"<"`), e.g. a training-set Youden threshold applied to validation patients.
///
/// # Errors
/// When `y` is not 0/1, `score` does not match it, or `threshold` is NaN.
pub fn confusion_at(y: &[f64], score: &[f64], threshold: f64) -> StatsResult<ConfusionMatrix> {
    check_binary(y)?;
    check_finite(score, y.len(), "score")?;
    if threshold.is_nan() {
        return Err(StatsError::InvalidArgument("threshold is NaN".into()));
    }
    let mut c = ConfusionMatrix {
        tp: 0,
        fp: 0,
        tn: 0,
        fn_: 0,
    };
    for (&yi, &s) in y.iter().zip(score) {
        match (s >= threshold, yi == 1.0) {
            (true, true) => c.tp += 1,
            (true, false) => c.fp += 1,
            (false, false) => c.tn += 1,
            (false, true) => c.fn_ += 1,
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_midpoints() {
        let t = roc_thresholds(&[0.3, 0.1, 0.3, 0.2]);
        assert_eq!(t[0], f64::NEG_INFINITY);
        assert_eq!(t[1], 0.15000000000000002);
        assert_eq!(t[2], (0.2 + 0.3) / 2.0);
        assert_eq!(t[3], f64::INFINITY);
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn adjacent_doubles_move_to_upper_value() {
        let a = 1.0f64;
        let b = f64::from_bits(a.to_bits() + 1);
        let t = roc_thresholds(&[a, b]);
        assert_eq!(t[1], b);
    }

    #[test]
    fn youden_on_perfect_score() {
        let y = [0.0, 0.0, 1.0, 1.0];
        let s = [0.1, 0.2, 0.8, 0.9];
        let best = youden(&y, &s).unwrap();
        assert_eq!(best.len(), 1);
        assert_eq!(best[0].threshold, 0.5);
        assert_eq!((best[0].sensitivity, best[0].specificity), (1.0, 1.0));
    }
}
