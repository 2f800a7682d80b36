//! Feature filtering before LASSO: near-zero variance, univariate significance and
//! correlation redundancy. Every step returns a [`FilterStep`] that lists the features it
//! kept and, for each one it removed, why ([`RemovalReason`]). Features are columns
//! (`columns[j]` holds feature `j`, one value per patient) and are reported by their
//! zero-based column index in the input of that step.
//!
//! The statistics match R (`tests/model_parts_vs_r.rs`):
//!
//! * [`near_zero_variance`]: the rule of caret's `nearZeroVar(x, freqCut = 95/5,
//!   uniqueCut = 10)` (Kuhn 2008, *J. Stat. Softw.* 28(5)): `freqRatio` = count of the most
//!   frequent value / count of the second most frequent (0 for a constant column),
//!   `percentUnique` = 100 · (number of distinct values) / n; a feature is flagged when
//!   `freqRatio > freqCut` and `percentUnique ≤ uniqueCut`, or when it is constant. Values
//!   are compared exactly (caret tabulates `as.character` values, i.e. 15 significant
//!   digits; the two differ only for values distinct beyond that precision).
//! * [`mann_whitney`]: R's `wilcox.test(x ~ y, exact = FALSE, correct = TRUE)`, two-sided:
//!   `W = R₀ − n₀(n₀ + 1)/2` with `R₀` the sum of the average ranks of group 0 in the
//!   pooled sample, `z = (W − n₀n₁/2 − sign(W − n₀n₁/2)/2)/σ`,
//!   `σ² = n₀n₁/12 · (n₀ + n₁ + 1 − Σ(tₖ³ − tₖ)/((n₀ + n₁)(n₀ + n₁ − 1)))` over tie groups
//!   of sizes `tₖ`, and `p = 2Φ(−|z|)` (Hollander & Wolfe 1999, §4.1).
//! * [`welch_t`]: R's `t.test(x ~ y)` (Welch 1947): `t = (x̄₀ − x̄₁)/sqrt(s₀²/n₀ + s₁²/n₁)`,
//!   Welch–Satterthwaite `df = (s₀²/n₀ + s₁²/n₁)²/((s₀²/n₀)²/(n₀ − 1) + (s₁²/n₁)²/(n₁ − 1))`,
//!   `p = 2·P(T_df > |t|) = I_{df/(df+t²)}(df/2, 1/2)` (regularised incomplete beta, as R's
//!   `pt`; for `df > 4·10⁵` R's normal approximation is used, as R does).
//! * [`pearson`] and [`spearman`]: R's `cor(a, b)` and `cor(a, b, method = "spearman")`,
//!   the latter being Pearson's r of the average ranks (ties get the mean of their ranks,
//!   R's `rank(ties.method = "average")`).
//! * [`univariate_filter`] keeps a feature when its p-value is `< threshold` (strictly).
//! * [`redundancy_filter`] is greedy: features are visited in order of increasing
//!   univariate p (ties in p: lower column index first); a feature is kept unless
//!   `|r| > threshold` (strictly) with a feature already kept, in which case it is removed
//!   and the first such kept feature (in visiting order) is reported. So of two redundant
//!   features the one with the smaller p is kept. The kept list is in visiting order.

use std::fmt;

use super::distributions::two_sided_p;
use super::error::{StatsError, StatsResult};
use super::input::{check_finite, require_both_classes};
use super::standardize::{mean, sample_variance};

/// Why a feature was removed by a filtering step.
#[derive(Debug, Clone, PartialEq)]
pub enum RemovalReason {
    /// Flagged by the near-zero-variance rule.
    NearZeroVariance {
        /// Count of the most frequent value over the count of the second (0 if constant).
        freq_ratio: f64,
        /// 100 · distinct values / patients.
        percent_unique: f64,
        /// All values are equal.
        constant: bool,
    },
    /// The univariate p-value is not below the threshold.
    NotSignificant {
        /// The feature's p-value.
        p_value: f64,
        /// The threshold it had to be below.
        threshold: f64,
    },
    /// Not reproducible across repeated extractions ([`super::icc`]).
    Unreliable {
        /// The feature's ICC(2,1).
        icc: f64,
        /// The threshold it had to reach.
        threshold: f64,
    },
    /// Correlated beyond the threshold with a feature kept before it (smaller p).
    Redundant {
        /// Column index of the kept feature.
        with: usize,
        /// Correlation coefficient with that feature.
        r: f64,
        /// The |r| threshold.
        threshold: f64,
    },
}

impl fmt::Display for RemovalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NearZeroVariance { constant: true, .. } => write!(f, "constant"),
            Self::NearZeroVariance {
                freq_ratio,
                percent_unique,
                ..
            } => write!(
                f,
                "near-zero variance (frequency ratio {freq_ratio:.3}, {percent_unique:.3} % \
                 distinct values)"
            ),
            Self::NotSignificant { p_value, threshold } => {
                write!(f, "univariate p = {p_value:.4e} is not below {threshold}")
            }
            Self::Unreliable { icc, threshold } => {
                write!(f, "ICC = {icc:.4} is below {threshold}")
            }
            Self::Redundant { with, r, threshold } => write!(
                f,
                "|r| = {:.4} > {threshold} with feature {with}, which has a smaller p",
                r.abs()
            ),
        }
    }
}

/// A removed feature and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Removal {
    /// Column index in the step's input.
    pub feature: usize,
    /// Why it was removed.
    pub reason: RemovalReason,
}

/// Outcome of one filtering step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FilterStep {
    /// Column indices kept (in column order, except for [`redundancy_filter`]: visiting
    /// order, i.e. increasing p).
    pub kept: Vec<usize>,
    /// Column indices removed, each with its reason, in column order.
    pub removed: Vec<Removal>,
}

impl FilterStep {
    /// Keeps column `j` where `keep(scores[j])`, else removes it with `reason(scores[j])`.
    pub fn by_score(
        scores: &[f64],
        keep: impl Fn(f64) -> bool,
        reason: impl Fn(f64) -> RemovalReason,
    ) -> FilterStep {
        let mut step = FilterStep::default();
        for (j, &score) in scores.iter().enumerate() {
            if keep(score) {
                step.kept.push(j);
            } else {
                step.removed.push(Removal {
                    feature: j,
                    reason: reason(score),
                });
            }
        }
        step
    }
}

/// Thresholds of [`near_zero_variance`] (caret's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NzvOptions {
    /// `freqCut`: flag when the frequency ratio exceeds this (default 95/5 = 19).
    pub freq_cut: f64,
    /// `uniqueCut`: ... and the percentage of distinct values is at most this (default 10).
    pub unique_cut: f64,
}

impl Default for NzvOptions {
    fn default() -> Self {
        Self {
            freq_cut: 95.0 / 5.0,
            unique_cut: 10.0,
        }
    }
}

/// caret's near-zero-variance metrics of one feature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NzvMetrics {
    /// Count of the most frequent value / count of the second most frequent; 0 if constant.
    pub freq_ratio: f64,
    /// 100 · distinct values / n.
    pub percent_unique: f64,
    /// All values are equal.
    pub constant: bool,
}

/// The near-zero-variance metrics of `x` (finite values, at least one).
pub fn nzv_metrics(x: &[f64]) -> NzvMetrics {
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut counts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let j = i + sorted[i..].iter().take_while(|&&v| v == sorted[i]).count();
        counts.push(j - i);
        i = j;
    }
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let freq_ratio = if counts.len() <= 1 {
        0.0
    } else {
        counts[0] as f64 / counts[1] as f64
    };
    NzvMetrics {
        freq_ratio,
        percent_unique: 100.0 * counts.len() as f64 / x.len() as f64,
        constant: counts.len() == 1,
    }
}

/// Checks a feature table: at least one column, all of length `n` (> 0), finite.
fn check_columns<C: AsRef<[f64]>>(columns: &[C], n: usize) -> StatsResult<()> {
    if columns.is_empty() {
        return Err(StatsError::Empty("the feature table (no columns)".into()));
    }
    if n == 0 {
        return Err(StatsError::Empty("the feature table (no patients)".into()));
    }
    for (j, c) in columns.iter().enumerate() {
        check_finite(c.as_ref(), n, &format!("feature column {j}"))?;
    }
    Ok(())
}

/// Removes near-zero-variance and constant features (caret's rule; see the module
/// documentation).
pub fn near_zero_variance<C: AsRef<[f64]>>(
    columns: &[C],
    options: &NzvOptions,
) -> StatsResult<FilterStep> {
    let n = columns.first().map_or(0, |c| c.as_ref().len());
    check_columns(columns, n)?;
    let mut step = FilterStep::default();
    for (j, c) in columns.iter().enumerate() {
        let m = nzv_metrics(c.as_ref());
        if (m.freq_ratio > options.freq_cut && m.percent_unique <= options.unique_cut) || m.constant
        {
            step.removed.push(Removal {
                feature: j,
                reason: RemovalReason::NearZeroVariance {
                    freq_ratio: m.freq_ratio,
                    percent_unique: m.percent_unique,
                    constant: m.constant,
                },
            });
        } else {
            step.kept.push(j);
        }
    }
    Ok(step)
}

/// Average ranks (1-based; tied values share the mean of their ranks), as R's `rank`.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && x[order[j]] == x[order[i]] {
            j += 1;
        }
        // ranks i+1 ..= j share their mean
        let r = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = r;
        }
        i = j;
    }
    ranks
}

/// Result of the Mann–Whitney (Wilcoxon rank-sum) test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// R's statistic `W` for group 0 (`y = 0`).
    pub w: f64,
    /// Continuity- and tie-corrected normal deviate.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Splits `x` by the binary outcome `y` into (group 0, group 1).
fn split(x: &[f64], y: &[f64], what: &str) -> StatsResult<(Vec<f64>, Vec<f64>)> {
    require_both_classes(y, what)?;
    check_finite(x, y.len(), "feature")?;
    let g0 = x.iter().zip(y).filter(|(_, &c)| c == 0.0).map(|(v, _)| *v);
    let g1 = x.iter().zip(y).filter(|(_, &c)| c == 1.0).map(|(v, _)| *v);
    Ok((g0.collect(), g1.collect()))
}

/// Two-sided Mann–Whitney U test of `x` between `y = 0` and `y = 1`, as R's
/// `wilcox.test(x ~ y, exact = FALSE, correct = TRUE)` (normal approximation with tie and
/// continuity corrections; see the module documentation).
///
/// Errors: invalid outcome or feature, and a feature whose values are all equal (σ = 0;
/// R returns `NaN`).
pub fn mann_whitney(x: &[f64], y: &[f64]) -> StatsResult<MannWhitney> {
    let (g0, g1) = split(x, y, "Mann-Whitney test")?;
    let (n0, n1) = (g0.len() as f64, g1.len() as f64);
    let pooled: Vec<f64> = g0.iter().chain(&g1).copied().collect();
    let ranks = average_ranks(&pooled);
    let w = ranks[..g0.len()].iter().sum::<f64>() - n0 * (n0 + 1.0) / 2.0;
    let mut sorted = pooled.clone();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let t = sorted[i..].iter().take_while(|&&v| v == sorted[i]).count();
        let t = t as f64;
        ties += t * t * t - t;
        i += t as usize;
    }
    let n = n0 + n1;
    let sigma = ((n0 * n1 / 12.0) * ((n + 1.0) - ties / (n * (n - 1.0)))).sqrt();
    if sigma.is_nan() || sigma <= 0.0 {
        return Err(StatsError::InvalidArgument(
            "Mann-Whitney test of a constant feature: every value is tied".into(),
        ));
    }
    let d = w - n0 * n1 / 2.0;
    let correction = if d > 0.0 {
        0.5
    } else if d < 0.0 {
        -0.5
    } else {
        0.0
    };
    let z = (d - correction) / sigma;
    Ok(MannWhitney {
        w,
        z,
        p_value: two_sided_p(z),
    })
}

/// Result of Welch's two-sample t test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchT {
    /// `t = (x̄₀ − x̄₁)/SE` (group 0 minus group 1, as R's formula interface).
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Two-sided upper tail `2·P(T_df > |t|)` of Student's t (R: `2 * pt(-abs(t), df)`).
pub fn student_t_two_sided_p(t: f64, df: f64) -> StatsResult<f64> {
    if df.is_nan() || df <= 0.0 || t.is_nan() {
        return Err(StatsError::InvalidArgument(format!(
            "Student t tail needs df > 0 and a t statistic, got t = {t}, df = {df}"
        )));
    }
    if t.is_infinite() {
        return Ok(0.0);
    }
    if df > 4e5 {
        // R's pt: normal approximation for very large df.
        let v = 1.0 / (4.0 * df);
        return Ok(two_sided_p(t * (1.0 - v) / (1.0 + t * t * 2.0 * v).sqrt()));
    }
    let (a, b) = (df / 2.0, 0.5);
    let t2 = t * t;
    let x = df / (df + t2);
    let y = t2 / (df + t2);
    // I_x(a, b) directly where the continued fraction converges, else 1 − I_{1−x}(b, a)
    // with 1 − x computed without cancellation.
    Ok(if x < (a + 1.0) / (a + b + 2.0) {
        statrs::function::beta::beta_reg(a, b, x)
    } else {
        1.0 - statrs::function::beta::beta_reg(b, a, y)
    })
}

/// Welch's two-sided t test of `x` between `y = 0` and `y = 1`, as R's `t.test(x ~ y)`.
///
/// Errors: invalid outcome or feature, a group with fewer than 2 patients, and zero
/// variance in both groups.
pub fn welch_t(x: &[f64], y: &[f64]) -> StatsResult<WelchT> {
    let (g0, g1) = split(x, y, "Welch t test")?;
    if g0.len() < 2 || g1.len() < 2 {
        return Err(StatsError::InvalidArgument(format!(
            "Welch t test needs at least 2 patients per outcome class, got {} and {}",
            g0.len(),
            g1.len()
        )));
    }
    let (n0, n1) = (g0.len() as f64, g1.len() as f64);
    let se0 = sample_variance(&g0) / n0;
    let se1 = sample_variance(&g1) / n1;
    let se2 = se0 + se1;
    if se2.is_nan() || se2 <= 0.0 {
        return Err(StatsError::InvalidArgument(
            "Welch t test: the feature is constant within both outcome classes".into(),
        ));
    }
    let df = se2 * se2 / (se0 * se0 / (n0 - 1.0) + se1 * se1 / (n1 - 1.0));
    let t = (mean(&g0) - mean(&g1)) / se2.sqrt();
    Ok(WelchT {
        t,
        df,
        p_value: student_t_two_sided_p(t, df)?,
    })
}

/// Pearson's correlation coefficient (R: `cor(a, b)`); `NaN` when either is constant.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    (sab / (saa.sqrt() * sbb.sqrt())).clamp(-1.0, 1.0)
}

/// Spearman's rank correlation (R: `cor(a, b, method = "spearman")`): Pearson's r of the
/// average ranks.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&average_ranks(a), &average_ranks(b))
}

/// Univariate test of [`univariate_filter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnivariateTest {
    /// [`mann_whitney`].
    MannWhitney,
    /// [`welch_t`].
    WelchT,
}

/// Correlation of [`redundancy_filter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correlation {
    /// [`pearson`].
    Pearson,
    /// [`spearman`].
    Spearman,
}

/// The univariate p-value of every feature.
pub fn univariate_p_values<C: AsRef<[f64]>>(
    columns: &[C],
    y: &[f64],
    test: UnivariateTest,
) -> StatsResult<Vec<f64>> {
    check_columns(columns, y.len())?;
    columns
        .iter()
        .map(|c| match test {
            UnivariateTest::MannWhitney => mann_whitney(c.as_ref(), y).map(|r| r.p_value),
            UnivariateTest::WelchT => welch_t(c.as_ref(), y).map(|r| r.p_value),
        })
        .collect()
}

/// Keeps the features whose univariate p-value is `< threshold`; returns the p-values of all
/// features with the step.
pub fn univariate_filter<C: AsRef<[f64]>>(
    columns: &[C],
    y: &[f64],
    test: UnivariateTest,
    threshold: f64,
) -> StatsResult<(Vec<f64>, FilterStep)> {
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(StatsError::InvalidArgument(format!(
            "p-value threshold must be in (0, 1], got {threshold}"
        )));
    }
    let p = univariate_p_values(columns, y, test)?;
    let step = FilterStep::by_score(
        &p,
        |p_value| p_value < threshold,
        |p_value| RemovalReason::NotSignificant { p_value, threshold },
    );
    Ok((p, step))
}

/// Greedy correlation-redundancy filter (see the module documentation): visits features
/// by increasing `p_values[j]` and keeps one unless `|r| > threshold` with a kept feature.
///
/// Errors: invalid table, `p_values` of the wrong length or NaN, a threshold outside
/// `(0, 1]`, and a constant feature (its correlation is undefined).
pub fn redundancy_filter<C: AsRef<[f64]>>(
    columns: &[C],
    p_values: &[f64],
    method: Correlation,
    threshold: f64,
) -> StatsResult<FilterStep> {
    let n = columns.first().map_or(0, |c| c.as_ref().len());
    check_columns(columns, n)?;
    if p_values.len() != columns.len() {
        return Err(StatsError::LengthMismatch {
            what: "p-values".into(),
            expected: columns.len(),
            got: p_values.len(),
        });
    }
    if let Some(j) = p_values.iter().position(|p| p.is_nan()) {
        return Err(StatsError::InvalidArgument(format!(
            "p-value of feature {j} is NaN"
        )));
    }
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(StatsError::InvalidArgument(format!(
            "correlation threshold must be in (0, 1], got {threshold}"
        )));
    }
    // Spearman: rank once, then Pearson on ranks.
    let data: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| match method {
            Correlation::Pearson => c.as_ref().to_vec(),
            Correlation::Spearman => average_ranks(c.as_ref()),
        })
        .collect();
    if let Some(j) = data.iter().position(|c| c.iter().all(|&v| v == c[0])) {
        return Err(StatsError::InvalidArgument(format!(
            "feature column {j} is constant, so its correlation is undefined; remove it \
             first (near-zero-variance filter)"
        )));
    }
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]).then(a.cmp(&b)));
    let mut step = FilterStep::default();
    for &j in &order {
        let hit = step.kept.iter().find_map(|&k| {
            let r = pearson(&data[j], &data[k]);
            (r.abs() > threshold).then_some((k, r))
        });
        match hit {
            Some((with, r)) => step.removed.push(Removal {
                feature: j,
                reason: RemovalReason::Redundant { with, r, threshold },
            }),
            None => step.kept.push(j),
        }
    }
    step.removed.sort_by_key(|r| r.feature);
    Ok(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_metrics() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]),
            vec![4.0, 1.0, 4.0, 2.0, 4.0]
        );
        let m = nzv_metrics(&[1.0, 1.0, 1.0, 2.0, 2.0, 3.0]);
        assert_eq!(m.freq_ratio, 1.5);
        assert_eq!(m.percent_unique, 50.0);
        assert!(!m.constant);
        let c = nzv_metrics(&[4.0; 3]);
        assert!(c.constant && c.freq_ratio == 0.0);
    }

    #[test]
    fn degenerate_inputs() {
        let y = [0.0, 0.0, 1.0, 1.0];
        assert!(mann_whitney(&[1.0; 4], &y).is_err());
        assert!(welch_t(&[1.0; 4], &y).is_err());
        assert!(mann_whitney(&[1.0, 2.0, 3.0, 4.0], &[0.0; 4]).is_err());
        assert!(welch_t(&[1.0, 2.0, 3.0], &[0.0, 0.0, 1.0]).is_err());
        let cols = [vec![1.0, 2.0, 3.0, 4.0], vec![5.0; 4]];
        assert!(redundancy_filter(&cols, &[0.1, 0.2], Correlation::Pearson, 0.9).is_err());
        assert!(redundancy_filter(&cols[..1], &[0.1, 0.2], Correlation::Pearson, 0.9).is_err());
        let nzv = near_zero_variance(&cols, &NzvOptions::default()).unwrap();
        assert_eq!(nzv.kept, vec![0]);
        assert_eq!(nzv.removed[0].reason.to_string(), "constant");
    }

    #[test]
    fn redundancy_keeps_smaller_p() {
        let a = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        let b = vec![1.1, 2.0, 3.2, 4.0, 5.1];
        let c = vec![5.0, 1.0, 4.0, 2.0, 3.0];
        let step =
            redundancy_filter(&[a, b, c], &[0.3, 0.01, 0.5], Correlation::Spearman, 0.9).unwrap();
        assert_eq!(step.kept, vec![1, 2]);
        assert_eq!(step.removed.len(), 1);
        assert_eq!(step.removed[0].feature, 0);
        assert!(matches!(
            step.removed[0].reason,
            RemovalReason::Redundant { with: 1, .. }
        ));
    }
}
