//! Points nomogram of a logistic model with linear terms (continuous Radscore plus binary
//! clinical variables), reproducing R rms 6.5's `nomogram()` for
//! `lrm(y ~ radscore + age_gt60 + alp_gt120)` with a `datadist` of the training data
//! (Harrell 2015, *Regression Modeling Strategies*, 2nd ed., §5.5 and §10.9; the
//! conventions below were read from `rms:::nomogram`, `rms:::value.chk` and
//! `rms::datadist`).
//!
//! **Axis of each predictor.** `datadist` keeps the sorted distinct values of a variable
//! with at most `n.unique = 10` of them; `nomogram` then draws exactly those values
//! (binary variables: 0 and 1). For a variable with more distinct values it draws
//! `pretty(c(min, max), n = nint = 10)` over the *full data range* (datadist's
//! `Low`/`High` limits, `type.range = "full"`; the `q.display` quantiles are not used
//! here), so the axis runs from R's `pretty` endpoint below the smallest value to the one
//! above the largest (e.g. Radscore in [−3.3, 3.9] gets the axis −4, −3, …, 4).
//! [`pretty`] reimplements R's `R_pretty` (R 4.2, `src/appl/pretty.c`) and `pretty.default`.
//!
//! **Points.** With `t_k(x) = β_k·x` the term of predictor `k` over its axis values,
//! `min_k`/`max_k` its smallest/largest value there and
//! `sc = max_scale / max_k(max_k − min_k)` (`max_scale = 100`), predictor `k` contributes
//! `points_k(x) = (β_k·x − min_k)·sc`. So the predictor with the widest term range spans
//! 0–100 points, every axis starts at 0 points, and for a negative coefficient the
//! *largest* axis value gets 0 points (rms puts the axis in the reversed direction rather
//! than flipping the sign of the points). A patient's value outside its axis range gets
//! points below 0 or above the axis maximum by the same linear formula.
//!
//! **Total points → risk.** `total = Σ_k points_k`; the linear predictor is
//! `lp = β₀ + Σ_k min_k + total/sc` (rms stores `β₀ + Σ min_k` as `info$Intercept`) and
//! the probability `1/(1 + e^{−lp})`. rms's probability axis (`fun = plogis`) places a
//! probability `p` at `(logit(p) − β₀ − Σ min_k)·sc` points when given
//! `fun.lp.at = qlogis(p)` (its default `fun.at` path inverts `plogis` by linear
//! interpolation on a 1000-point grid instead, off by up to ~1e-4 points). The total-points
//! axis is `pretty(c(0, max(100, sc·max(lp.at − β₀ − Σ min_k))), 10)` with
//! `lp.at = pretty(range(training linear predictors), 10)`, as rms draws them.

use super::error::{StatsError, StatsResult};
use super::input::check_finite;
use super::logistic::LogisticFit;

/// R's `rounding_eps` in `R_pretty`.
const ROUNDING_EPS: f64 = 1e-10;

/// R's `pretty(c(lo, hi), n)` with its defaults (`min.n = n %/% 3`, `shrink.sml = 0.75`,
/// `high.u.bias = 1.5`, `u5.bias = 0.5 + 1.5·high.u.bias`, `eps.correct = 0`): about `n + 1`
/// equally spaced round values (steps 1, 2 or 5 × 10ᵏ) covering `[lo, hi]`.
pub fn pretty(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let ndiv = n as f64;
    let min_n = (n / 3) as f64;
    let (h, h5, f_min) = (1.5, 0.5 + 1.5 * 1.5, 2f64.powi(-20));
    let dx = hi - lo;
    let (mut cell, i_small);
    if dx == 0.0 && hi == 0.0 {
        cell = 1.0;
        i_small = true;
    } else {
        cell = lo.abs().max(hi.abs());
        let u = 1.0
            + if h5 >= 1.5 * h + 0.5 {
                1.0 / (1.0 + h)
            } else {
                1.5 / (1.0 + h5)
            };
        let u = u * ndiv.max(1.0) * f64::EPSILON;
        i_small = dx < cell * u * 3.0;
    }
    if i_small {
        if cell > 10.0 {
            cell = 9.0 + cell / 10.0;
        }
        cell *= 0.75;
        if min_n > 1.0 {
            cell /= min_n;
        }
    } else {
        cell = dx;
        if ndiv > 1.0 {
            cell /= ndiv;
        }
    }
    let subsmall = f_min * f64::MIN_POSITIVE;
    cell = cell.clamp(subsmall, f64::MAX / 1.25);
    let base = 10f64.powf(cell.log10().floor());
    let mut unit = base;
    if 2.0 * base - cell < h * (cell - unit) {
        unit = 2.0 * base;
        if 5.0 * base - cell < h5 * (cell - unit) {
            unit = 5.0 * base;
            if 10.0 * base - cell < h * (cell - unit) {
                unit = 10.0 * base;
            }
        }
    }
    let mut ns = (lo / unit + ROUNDING_EPS).floor();
    let mut nu = (hi / unit - ROUNDING_EPS).ceil();
    while ns * unit > lo + ROUNDING_EPS * unit {
        ns -= 1.0;
    }
    while nu * unit < hi - ROUNDING_EPS * unit {
        nu += 1.0;
    }
    let mut k = (0.5 + nu - ns).floor();
    if k < min_n {
        let d = min_n - k;
        let (half, odd) = ((d / 2.0).floor(), d % 2.0);
        if ns >= 0.0 {
            nu += half;
            ns -= half + odd;
        } else {
            ns -= half;
            nu += half + odd;
        }
        k = min_n;
    }
    let l = if ns * unit < lo { ns * unit } else { lo };
    let u = if nu * unit > hi { nu * unit } else { hi };
    let k = k as usize;
    // seq.int(l, u, length.out = k + 1) as R 4.2's C code fills it: the endpoints, and
    // l + i·by in between.
    let len = k + 1;
    let by = (u - l) / k.max(1) as f64;
    let mut s: Vec<f64> = (0..len).map(|i| l + i as f64 * by).collect();
    s[len - 1] = u;
    if k > 0 {
        let delta = (u - l) / k as f64;
        for v in &mut s {
            if v.abs() < 1e-14 * delta {
                *v = 0.0;
            }
        }
    }
    s
}

/// Settings of [`Nomogram::new`] (rms's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NomogramOptions {
    /// Points of the widest predictor (`maxscale`, default 100).
    pub max_scale: f64,
    /// Approximate number of axis intervals (`nint`, default 10).
    pub nint: usize,
    /// A predictor with at most this many distinct training values is drawn at those
    /// values (`datadist(n.unique = 10)`).
    pub n_unique: usize,
}

impl Default for NomogramOptions {
    fn default() -> Self {
        Self {
            max_scale: 100.0,
            nint: 10,
            n_unique: 10,
        }
    }
}

/// One predictor's axis.
#[derive(Debug, Clone, PartialEq)]
pub struct NomogramAxis {
    /// Predictor name.
    pub name: String,
    /// Its coefficient β_k.
    pub coefficient: f64,
    /// Whether the axis shows the distinct training values (≤ `n_unique` of them).
    pub discrete: bool,
    /// Axis values (tick marks), increasing.
    pub values: Vec<f64>,
    /// Points at each axis value.
    pub points: Vec<f64>,
    /// Smallest term `β_k·x` over the axis values (rms: `info$R[1, k]`).
    pub min_term: f64,
    /// Largest term over the axis values (rms: `info$R[2, k]`).
    pub max_term: f64,
}

/// A points nomogram; see the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Nomogram {
    /// Model intercept β₀.
    pub intercept: f64,
    /// Points per unit of linear predictor (rms: `info$sc`).
    pub scale: f64,
    /// Linear predictor at 0 total points, `β₀ + Σ min_k` (rms: `info$Intercept`).
    pub points_intercept: f64,
    /// The predictors' axes, in model order.
    pub axes: Vec<NomogramAxis>,
    /// Options used.
    pub options: NomogramOptions,
}

impl Nomogram {
    /// Builds the nomogram of `logit P(y = 1) = intercept + Σ β_k x_k` from each
    /// predictor's name, coefficient and training values (which set the axes).
    ///
    /// Errors: no predictors, non-finite coefficients or values, predictors of different
    /// lengths, a constant predictor, or all coefficients zero.
    pub fn new(
        intercept: f64,
        predictors: &[(&str, f64, &[f64])],
        options: NomogramOptions,
    ) -> StatsResult<Self> {
        if predictors.is_empty() {
            return Err(StatsError::Empty("the nomogram's predictor list".into()));
        }
        if options.max_scale.is_nan() || options.max_scale <= 0.0 || options.nint == 0 {
            return Err(StatsError::InvalidArgument(format!(
                "nomogram needs max_scale > 0 and nint > 0, got {} and {}",
                options.max_scale, options.nint
            )));
        }
        let n = predictors[0].2.len();
        check_finite(&[intercept], 1, "intercept")?;
        let mut axes = Vec::with_capacity(predictors.len());
        for &(name, coefficient, values) in predictors {
            check_finite(values, n, &format!("predictor '{name}'"))?;
            check_finite(&[coefficient], 1, &format!("coefficient of '{name}'"))?;
            if n == 0 {
                return Err(StatsError::Empty(format!("predictor '{name}'")));
            }
            let mut distinct = values.to_vec();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            if distinct.len() < 2 {
                return Err(StatsError::InvalidArgument(format!(
                    "predictor '{name}' is constant ({}), so it has no nomogram axis",
                    distinct[0]
                )));
            }
            let discrete = distinct.len() <= options.n_unique;
            let axis = if discrete {
                distinct
            } else {
                pretty(distinct[0], distinct[distinct.len() - 1], options.nint)
            };
            let terms: Vec<f64> = axis.iter().map(|x| coefficient * x).collect();
            let min_term = terms.iter().copied().fold(f64::INFINITY, f64::min);
            let max_term = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            axes.push(NomogramAxis {
                name: name.to_string(),
                coefficient,
                discrete,
                values: axis,
                points: terms,
                min_term,
                max_term,
            });
        }
        let widest = axes
            .iter()
            .map(|a| a.max_term - a.min_term)
            .fold(0.0, f64::max);
        if widest.is_nan() || widest <= 0.0 {
            return Err(StatsError::InvalidArgument(
                "every nomogram coefficient is zero, so no predictor carries points".into(),
            ));
        }
        let scale = options.max_scale / widest;
        for a in &mut axes {
            for p in &mut a.points {
                *p = (*p - a.min_term) * scale;
            }
        }
        let points_intercept = intercept + axes.iter().map(|a| a.min_term).sum::<f64>();
        Ok(Self {
            intercept,
            scale,
            points_intercept,
            axes,
            options,
        })
    }

    /// The nomogram of a fitted [`LogisticFit`]; `training[k]` holds the training values of
    /// the fit's k-th predictor (same order as the fit).
    pub fn from_fit<C: AsRef<[f64]>>(
        fit: &LogisticFit,
        training: &[C],
        options: NomogramOptions,
    ) -> StatsResult<Self> {
        let terms = &fit.coefficients[1..];
        if training.len() != terms.len() {
            return Err(StatsError::LengthMismatch {
                what: "nomogram training columns".into(),
                expected: terms.len(),
                got: training.len(),
            });
        }
        let predictors: Vec<(&str, f64, &[f64])> = terms
            .iter()
            .zip(training)
            .map(|(c, x)| (c.term.as_str(), c.estimate, x.as_ref()))
            .collect();
        Self::new(fit.coefficients[0].estimate, &predictors, options)
    }

    /// Points of predictor `k` at value `x`: `(β_k·x − min_k)·sc`.
    pub fn points(&self, k: usize, x: f64) -> f64 {
        let a = &self.axes[k];
        (a.coefficient * x - a.min_term) * self.scale
    }

    /// Total points of one patient, `x[k]` being the value of predictor `k`.
    pub fn total_points(&self, x: &[f64]) -> StatsResult<f64> {
        check_finite(x, self.axes.len(), "patient's predictor values")?;
        Ok(x.iter().enumerate().map(|(k, &v)| self.points(k, v)).sum())
    }

    /// Linear predictor at `total` points, `β₀ + Σ min_k + total/sc`.
    pub fn linear_predictor(&self, total: f64) -> f64 {
        self.points_intercept + total / self.scale
    }

    /// Predicted probability at `total` points, `1/(1 + e^{−lp})`.
    pub fn probability(&self, total: f64) -> f64 {
        1.0 / (1.0 + (-self.linear_predictor(total)).exp())
    }

    /// Total points at which the linear predictor equals `lp`.
    pub fn points_for_linear_predictor(&self, lp: f64) -> f64 {
        (lp - self.points_intercept) * self.scale
    }

    /// Total points at which the predicted probability equals `p` (in (0, 1)).
    pub fn points_for_probability(&self, p: f64) -> StatsResult<f64> {
        if !(p > 0.0 && p < 1.0) {
            return Err(StatsError::InvalidArgument(format!(
                "nomogram probability must be in (0, 1), got {p}"
            )));
        }
        Ok(self.points_for_linear_predictor((p / (1.0 - p)).ln()))
    }

    /// rms's default linear-predictor axis, `pretty(range(lp), nint)` of the training
    /// linear predictors.
    pub fn linear_predictor_axis(&self, training_lp: &[f64]) -> StatsResult<Vec<f64>> {
        check_finite(training_lp, training_lp.len(), "training linear predictor")?;
        if training_lp.is_empty() {
            return Err(StatsError::Empty("the training linear predictors".into()));
        }
        let lo = training_lp.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = training_lp
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        Ok(pretty(lo, hi, self.options.nint))
    }

    /// rms's total-points axis for the linear-predictor ticks `lp_at`:
    /// `pretty(c(0, max(max_scale, sc·max(lp_at − β₀ − Σ min_k))), nint)` (just
    /// `pretty(c(0, max_scale))` for a single predictor).
    pub fn total_points_axis(&self, lp_at: &[f64]) -> Vec<f64> {
        let mut sum_max = self.options.max_scale;
        if self.axes.len() > 1 {
            for &lp in lp_at {
                sum_max = sum_max.max(self.points_for_linear_predictor(lp));
            }
        }
        pretty(0.0, sum_max, self.options.nint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_known_values() {
        assert_eq!(
            pretty(0.0, 1.0, 5),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(
            pretty(-3.3, 3.9, 10),
            (-4..=4).map(f64::from).collect::<Vec<_>>()
        );
    }

    #[test]
    fn negative_coefficient_and_errors() {
        let x = [0.0, 1.0, 0.0, 1.0];
        let nom = Nomogram::new(0.5, &[("a", -2.0, &x)], NomogramOptions::default()).unwrap();
        assert_eq!(nom.axes[0].points, vec![100.0, 0.0]);
        assert_eq!(nom.points(0, 1.0), 0.0);
        assert!((nom.linear_predictor(100.0) - 0.5).abs() < 1e-15);
        assert!(Nomogram::new(
            0.0,
            &[("a", 1.0, &[2.0, 2.0][..])],
            NomogramOptions::default()
        )
        .is_err());
        assert!(Nomogram::new(0.0, &[("a", 0.0, &x[..])], NomogramOptions::default()).is_err());
        assert!(Nomogram::new(0.0, &[], NomogramOptions::default()).is_err());
        assert!(nom.points_for_probability(1.0).is_err());
    }
}
