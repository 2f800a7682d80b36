//! Area under the ROC curve with DeLong's variance, confidence interval and paired test,
//! matching R's pROC (`auc`, `ci.auc(method = "delong")`, `var`, `roc.test(method =
//! "delong", paired = TRUE)`) for `direction = "<"` (higher score ⇒ more likely an event).
//!
//! * AUC is the Mann–Whitney statistic `θ̂ = (1/mn) Σᵢ Σⱼ ψ(Xᵢ, Yⱼ)` over the m cases Xᵢ
//!   and n controls Yⱼ, with `ψ = 1` if `X > Y`, `1/2` if tied, `0` otherwise.
//! * DeLong, DeLong & Clarke-Pearson (1988), *Biometrics* 44:837–845: structural components
//!   ("placements") `V₁₀(Xᵢ) = (1/n) Σⱼ ψ(Xᵢ, Yⱼ)` and `V₀₁(Yⱼ) = (1/m) Σᵢ ψ(Xᵢ, Yⱼ)`,
//!   `S₁₀ = Σ(V₁₀ − θ̂)²/(m − 1)`, `S₀₁ = Σ(V₀₁ − θ̂)²/(n − 1)`,
//!   `Var(θ̂) = S₁₀/m + S₀₁/n`.
//! * The placements are computed from mid-ranks in O(N log N) as in Sun & Xu (2014), *IEEE
//!   Signal Processing Letters* 21:1389–1393: `V₁₀(Xᵢ) = (Rᶻᵢ − Rˣᵢ)/n` and
//!   `V₀₁(Yⱼ) = (m − (Rᶻⱼ − Rʸⱼ))/m`, with `Rᶻ` the mid-rank in the pooled sample and
//!   `Rˣ`, `Rʸ` the mid-ranks within cases and within controls.

use crate::model::distributions::{critical_value, two_sided_p};
use crate::model::error::{StatsError, StatsResult};
use crate::model::input::{check_finite, require_both_classes};

/// DeLong placements of one score: everything the variance and the paired test need.
#[derive(Debug, Clone, PartialEq)]
pub struct Placements {
    /// AUC θ̂ (mean of `cases`).
    pub auc: f64,
    /// `V₁₀(Xᵢ)`: fraction of controls scored below case i (ties count 1/2).
    pub cases: Vec<f64>,
    /// `V₀₁(Yⱼ)`: fraction of cases scored above control j (ties count 1/2).
    pub controls: Vec<f64>,
}

impl Placements {
    /// `S₁₀` and `S₀₁`: the sample variances of the case and control placements.
    fn variances(&self) -> (f64, f64) {
        (
            covariance(&self.cases, self.auc, &self.cases, self.auc),
            covariance(&self.controls, self.auc, &self.controls, self.auc),
        )
    }

    /// DeLong variance of the AUC, `S₁₀/m + S₀₁/n` (pROC: `var(roc, method = "delong")`).
    pub fn variance(&self) -> f64 {
        let (s10, s01) = self.variances();
        s10 / self.cases.len() as f64 + s01 / self.controls.len() as f64
    }
}

/// `Σ (aᵢ − ā)(bᵢ − b̄)/(k − 1)` with the given means.
fn covariance(a: &[f64], mean_a: f64, b: &[f64], mean_b: f64) -> f64 {
    let s: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - mean_a) * (y - mean_b))
        .sum();
    s / (a.len() as f64 - 1.0)
}

/// Mid-ranks (1-based, ties get the mean of their ranks) of `values`.
fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end, mean (start + 1 + end)/2.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &k in &order[start..end] {
            ranks[k] = rank;
        }
        start = end;
    }
    ranks
}

/// DeLong placements of `score` for the 0/1 outcome `y` (Sun & Xu 2014 mid-rank algorithm).
///
/// # Errors
/// When `y` is not 0/1 or has a single class, or `score` has the wrong length or non-finite
/// values.
pub fn placements(y: &[f64], score: &[f64]) -> StatsResult<Placements> {
    let counts = require_both_classes(y, "the ROC curve and its AUC are undefined")?;
    check_finite(score, y.len(), "score")?;
    let (m, n) = (counts.events, counts.non_events);
    let cases: Vec<f64> = (0..y.len())
        .filter(|&i| y[i] == 1.0)
        .map(|i| score[i])
        .collect();
    let controls: Vec<f64> = (0..y.len())
        .filter(|&i| y[i] == 0.0)
        .map(|i| score[i])
        .collect();
    let pooled: Vec<f64> = cases.iter().chain(&controls).copied().collect();
    let rz = midranks(&pooled);
    let rx = midranks(&cases);
    let ry = midranks(&controls);
    let v10: Vec<f64> = (0..m).map(|i| (rz[i] - rx[i]) / n as f64).collect();
    let v01: Vec<f64> = (0..n)
        .map(|j| (m as f64 - (rz[m + j] - ry[j])) / m as f64)
        .collect();
    let auc = v10.iter().sum::<f64>() / m as f64;
    Ok(Placements {
        auc,
        cases: v10,
        controls: v01,
    })
}

/// Area under the ROC curve (Mann–Whitney statistic, ties counted 1/2); pROC: `auc(roc(y,
/// score, direction = "<"))`. See [`placements`] for the errors.
pub fn auc(y: &[f64], score: &[f64]) -> StatsResult<f64> {
    Ok(placements(y, score)?.auc)
}

/// AUC with its DeLong (1988) variance and confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AucCi {
    /// Area under the curve θ̂.
    pub auc: f64,
    /// DeLong variance `S₁₀/m + S₀₁/n`.
    pub variance: f64,
    /// Lower limit `θ̂ + Φ⁻¹(α/2)·√Var`, clipped at 0.
    pub ci_low: f64,
    /// Upper limit `θ̂ + Φ⁻¹(1 − α/2)·√Var`, clipped at 1.
    pub ci_high: f64,
    /// Confidence level 1 − α.
    pub conf_level: f64,
}

/// AUC and its DeLong confidence interval, `qnorm(c(α/2, 1 − α/2), θ̂, √Var)` clipped to
/// `[0, 1]` (pROC: `ci.auc(roc, method = "delong", conf.level)`).
///
/// # Errors
/// As [`placements`], plus [`StatsError::InvalidArgument`] for a level outside (0, 1) or a
/// class with a single patient (the variance needs at least two of each).
pub fn auc_delong_ci(y: &[f64], score: &[f64], conf_level: f64) -> StatsResult<AucCi> {
    let z = critical_value(conf_level)?;
    let pl = placements(y, score)?;
    if pl.cases.len() < 2 || pl.controls.len() < 2 {
        return Err(StatsError::InvalidArgument(format!(
            "the DeLong variance needs at least 2 events and 2 non-events, got {} and {}",
            pl.cases.len(),
            pl.controls.len()
        )));
    }
    let variance = pl.variance();
    let sd = variance.sqrt();
    Ok(AucCi {
        auc: pl.auc,
        variance,
        ci_low: (pl.auc - z * sd).clamp(0.0, 1.0),
        ci_high: (pl.auc + z * sd).clamp(0.0, 1.0),
        conf_level,
    })
}

/// Result of DeLong's test comparing two correlated AUCs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelongTest {
    /// AUC of the first score.
    pub auc1: f64,
    /// AUC of the second score.
    pub auc2: f64,
    /// Standard error of `auc1 − auc2`.
    pub std_error: f64,
    /// `z = (auc1 − auc2)/SE` (0 when both the difference and SE are 0, as pROC).
    pub z: f64,
    /// Two-sided p-value `2Φ(−|z|)`.
    pub p_value: f64,
}

/// DeLong's paired test of two scores on the same patients (DeLong et al. 1988): with the
/// 2×2 covariance `S = S₁₀/m + S₀₁/n` of the two AUCs, `z = (θ̂₁ − θ̂₂)/√(LSLᵀ)`, `L = (1, −1)`
/// (pROC: `roc.test(r1, r2, method = "delong", paired = TRUE)`).
///
/// # Errors
/// As [`auc_delong_ci`], and a length mismatch between the scores.
pub fn delong_paired_test(y: &[f64], score1: &[f64], score2: &[f64]) -> StatsResult<DelongTest> {
    let r = placements(y, score1)?;
    let s = placements(y, score2)?;
    let (m, n) = (r.cases.len(), r.controls.len());
    if m < 2 || n < 2 {
        return Err(StatsError::InvalidArgument(format!(
            "the DeLong test needs at least 2 events and 2 non-events, got {m} and {n}"
        )));
    }
    let sx = [
        [
            covariance(&r.cases, r.auc, &r.cases, r.auc),
            covariance(&r.cases, r.auc, &s.cases, s.auc),
        ],
        [
            covariance(&s.cases, s.auc, &r.cases, r.auc),
            covariance(&s.cases, s.auc, &s.cases, s.auc),
        ],
    ];
    let sy = [
        [
            covariance(&r.controls, r.auc, &r.controls, r.auc),
            covariance(&r.controls, r.auc, &s.controls, s.auc),
        ],
        [
            covariance(&s.controls, s.auc, &r.controls, r.auc),
            covariance(&s.controls, s.auc, &s.controls, s.auc),
        ],
    ];
    let cov = |i: usize, j: usize| sx[i][j] / m as f64 + sy[i][j] / n as f64;
    // L S Lᵀ evaluated in R's order: (L %*% S) %*% L.
    let variance = (cov(0, 0) - cov(1, 0)) - (cov(0, 1) - cov(1, 1));
    let std_error = variance.sqrt();
    let d = r.auc - s.auc;
    let z = if d == 0.0 && std_error == 0.0 {
        0.0
    } else {
        d / std_error
    };
    Ok(DelongTest {
        auc1: r.auc,
        auc2: s.auc,
        std_error,
        z,
        p_value: two_sided_p(z),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_half() {
        // cases {2, 3}, controls {1, 2}: pairs (2,1)=1 (2,2)=.5 (3,1)=1 (3,2)=1 → 3.5/4.
        let y = [1.0, 1.0, 0.0, 0.0];
        let s = [2.0, 3.0, 1.0, 2.0];
        assert_eq!(auc(&y, &s).unwrap(), 0.875);
    }

    #[test]
    fn midranks_average_ties() {
        assert_eq!(midranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn one_class_is_an_error() {
        let err = auc(&[1.0, 1.0], &[0.2, 0.3]).unwrap_err();
        assert!(err.to_string().contains("only one class"), "{err}");
    }
}
