//! Internal validation of a logistic model by the bootstrap, as R's `rms::validate` for an
//! `lrm` fit (Harrell, *Regression Modeling Strategies*, 2nd ed., §5.3; Efron & Tibshirani
//! 1993): the model is refitted on `B` resamples of the patients (drawn with replacement);
//! each refit's indexes on its own resample (*training*) and on the original patients
//! (*test*) give its optimism `training − test`; the optimism-corrected index is the
//! apparent one minus the mean optimism.
//!
//! Indexes, as `validate.lrm` names them:
//! * `Dxy`: Somers' rank correlation of the linear predictor with the outcome,
//!   `2(C − ½)` with `C` the concordance (ties count ½) — the AUC is `C = Dxy/2 + ½`;
//! * `Intercept`, `Slope`: of `logit P(y) = a + b·lp` refitted on the patients' linear
//!   predictors (0 and 1 on the data the model was fitted on);
//! * `Brier`: mean squared error of the predicted probabilities.
//!
//! The same refits give the bias-corrected calibration curve of `rms::calibrate` (method
//! `boot`): at 50 predicted probabilities evenly spaced from the 5th smallest to the 5th
//! largest prediction, the observed probability read from R's `lowess(p, y, iter = 0)`
//! (apparent: the model's predictions on its own data); the optimism at each point is the
//! mean over refits of (smooth on the resample − prediction) − (smooth on the original
//! patients − prediction), over the refits where both are defined; bias-corrected = apparent
//! − optimism.
//!
//! A resample whose fit fails (e.g. separation) is left out and counted, as `rms` counts
//! divergent fits. Resamples are drawn from a xoshiro256** stream per replicate
//! ([`crate::rng::Xoshiro256`]): the result does not depend on the number of threads.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::StatsResult;
use super::logistic::{fit_logistic, inverse_logit, LogisticOptions};
use crate::evaluate::roc::auc;

/// One validated index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexRow {
    /// `Dxy`, `C` (AUC), `Intercept`, `Slope` or `Brier`.
    pub index: String,
    /// On the data the model was fitted on.
    pub apparent: f64,
    /// Mean of the refits' indexes on their own resamples.
    pub training: f64,
    /// Mean of the refits' indexes on the original patients.
    pub test: f64,
    /// `training − test`.
    pub optimism: f64,
    /// `apparent − optimism`.
    pub corrected: f64,
}

/// The result of [`validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapValidation {
    /// Resamples drawn.
    pub b: usize,
    /// Resamples whose fit succeeded (the means are over these).
    pub successful: usize,
    /// The seed.
    pub seed: u64,
    /// `Dxy`, `C`, `Intercept`, `Slope`, `Brier`.
    pub indexes: Vec<IndexRow>,
    /// The apparent and bias-corrected calibration curves (`rms::calibrate`); absent with
    /// fewer than 11 patients, as in `rms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<CalibrationCurve>,
}

/// The bootstrap validation of a whole modelling pipeline (`crate::study::pipeline_validation`),
/// stored in model.json as `internal_validation_pipeline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineValidation {
    /// Resamples drawn.
    pub b: usize,
    /// Resamples whose whole pipeline could be refitted (the means are over these).
    pub successful: usize,
    /// The seed.
    pub seed: u64,
    /// `Dxy`, `C`, `Intercept`, `Slope`, `Brier` of the nomogram's model.
    pub indexes: Vec<IndexRow>,
    /// Features the refitted Radscores kept: smallest, median and largest count.
    pub radscore_size: [f64; 3],
    /// Each feature of the final Radscore with the fraction of refits whose Radscore kept it
    /// (the selection's stability), most often kept first.
    pub feature_frequency: Vec<(String, f64)>,
    /// Why refits failed: each distinct cause with its count.
    pub failures: Vec<(String, usize)>,
}

/// Apparent and bias-corrected calibration curves, as `rms::calibrate` reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationCurve {
    /// Predicted probabilities (R's `predy`).
    pub predicted: Vec<f64>,
    /// Observed probability on the model's own data (`calibrated.orig`).
    pub apparent: Vec<f64>,
    /// `apparent − optimism` (`calibrated.corrected`); `None` where no refit defined it.
    pub corrected: Vec<Option<f64>>,
    /// Refits that defined each point's optimism (R's `n`).
    pub n: Vec<usize>,
    /// Mean absolute error of the patients' predictions against the bias-corrected curve
    /// read at them (`print.calibrate`: patients outside the grid left out).
    pub mean_absolute_error: f64,
    /// Mean squared error, likewise.
    pub mean_squared_error: f64,
    /// The 0.9 quantile of the absolute errors.
    pub quantile_90_error: f64,
}

/// R's `calibrate` grid: 50 values from the 5th smallest to the 5th largest of `p`.
fn calibration_grid(p: &[f64]) -> Option<Vec<f64>> {
    let n = p.len();
    if n < 11 {
        return None;
    }
    let mut s = p.to_vec();
    s.sort_by(f64::total_cmp);
    let (lo, hi) = (s[4], s[n - 5]);
    // R's seq(from, to, length.out = 50): from + (0:49)·by, the last set to `to`.
    let by = (hi - lo) / 49.0;
    Some(
        (0..50)
            .map(|k| if k == 49 { hi } else { lo + k as f64 * by })
            .collect(),
    )
}

/// `smooth(p) − p` at each grid point: the lowess of `y` on the predicted probabilities of
/// linear predictors `lp`, read at `grid` (R's `cal.error` in `calibrate.default`).
fn calibration_error(y: &[f64], lp: &[f64], grid: &[f64]) -> Vec<Option<f64>> {
    let p: Vec<f64> = lp.iter().map(|&l| inverse_logit(l)).collect();
    let (sx, sy) = super::lowess::lowess(&p, y, 2.0 / 3.0, 0);
    grid.iter()
        .map(|&g| super::lowess::approx_first(&sx, &sy, g).map(|c| c - g))
        .collect()
}

/// The names of the indexes [`indexes`] returns, in its order.
pub const INDEX_NAMES: [&str; 5] = ["Dxy", "C", "Intercept", "Slope", "Brier"];

/// `[Dxy, C, Intercept, Slope, Brier]` of linear predictors `lp` for outcomes `y`; `None`
/// where the recalibration fit fails.
pub fn indexes(y: &[f64], lp: &[f64]) -> Option<[f64; 5]> {
    let c = auc(y, lp).ok()?;
    let brier = y
        .iter()
        .zip(lp)
        .map(|(&yi, &l)| (inverse_logit(l) - yi).powi(2))
        .sum::<f64>()
        / y.len() as f64;
    let cal = fit_logistic(y, &[("lp", lp)], None, &LogisticOptions::default()).ok()?;
    Some([
        2.0 * (c - 0.5),
        c,
        cal.coefficients[0].estimate,
        cal.coefficients[1].estimate,
        brier,
    ])
}

/// The indexes of a model on the patients it was fitted on: [`indexes`] with the
/// recalibration intercept and slope 0 and 1 by definition (not refitted: on a resample the
/// refit may separate the outcomes perfectly, where a recalibration fit has no finite
/// solution); `None` when the concordance cannot be computed.
pub fn apparent_indexes(y: &[f64], lp: &[f64]) -> Option<[f64; 5]> {
    let c = auc(y, lp).ok()?;
    let brier = y
        .iter()
        .zip(lp)
        .map(|(&yi, &l)| (inverse_logit(l) - yi).powi(2))
        .sum::<f64>()
        / y.len() as f64;
    Some([2.0 * (c - 0.5), c, 0.0, 1.0, brier])
}

/// The validated indexes from the apparent ones and the (training, test) indexes of each
/// successful refit: means, optimism `training − test`, corrected `apparent − optimism`.
pub fn summarize(apparent: &[f64; 5], runs: &[([f64; 5], [f64; 5])]) -> Vec<IndexRow> {
    let k = runs.len().max(1) as f64;
    (0..5)
        .map(|j| {
            let training = runs.iter().map(|(t, _)| t[j]).sum::<f64>() / k;
            let test = runs.iter().map(|(_, t)| t[j]).sum::<f64>() / k;
            let optimism = training - test;
            IndexRow {
                index: INDEX_NAMES[j].into(),
                apparent: apparent[j],
                training,
                test,
                optimism,
                corrected: apparent[j] - optimism,
            }
        })
        .collect()
}

/// Linear predictors of `rows` under coefficients `beta` (intercept first).
fn linear(beta: &[f64], predictors: &[(&str, &[f64])], rows: &[usize]) -> Vec<f64> {
    rows.iter()
        .map(|&i| {
            beta[1..]
                .iter()
                .zip(predictors)
                .fold(beta[0], |acc, (b, (_, x))| acc + b * x[i])
        })
        .collect()
}

/// Bootstrap validation of the maximum-likelihood logistic model of `y` on `predictors`
/// with `b` resamples from `seed`.
///
/// # Errors
/// When the model cannot be fitted on the original data.
pub fn validate(
    y: &[f64],
    predictors: &[(&str, &[f64])],
    b: usize,
    seed: u64,
) -> StatsResult<BootstrapValidation> {
    let options = LogisticOptions::default();
    let n = y.len();
    let all: Vec<usize> = (0..n).collect();
    let full = fit_logistic(y, predictors, None, &options)?;
    let beta: Vec<f64> = full.coefficients.iter().map(|c| c.estimate).collect();
    let lp = linear(&beta, predictors, &all);
    // On its own data the recalibration is exactly (0, 1).
    let apparent = apparent_indexes(y, &lp).unwrap_or([f64::NAN; 5]);
    let grid = calibration_grid(&lp.iter().map(|&l| inverse_logit(l)).collect::<Vec<_>>());
    type Run = ([f64; 5], [f64; 5], Vec<Option<f64>>);
    let runs: Vec<Option<Run>> = (0..b)
        .into_par_iter()
        .map(|r| {
            let mut rng = crate::rng::Xoshiro256::stream(seed, r as u64, 0);
            let rows: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
            let yb: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
            let cols: Vec<Vec<f64>> = predictors
                .iter()
                .map(|(_, x)| rows.iter().map(|&i| x[i]).collect())
                .collect();
            let pb: Vec<(&str, &[f64])> = predictors
                .iter()
                .zip(&cols)
                .map(|((name, _), c)| (*name, c.as_slice()))
                .collect();
            let f = fit_logistic(&yb, &pb, None, &options).ok()?;
            let bb: Vec<f64> = f.coefficients.iter().map(|c| c.estimate).collect();
            let own: Vec<usize> = (0..n).collect();
            let train = apparent_indexes(&yb, &linear(&bb, &pb, &own))?;
            let test_lp = linear(&bb, predictors, &all);
            let test = indexes(y, &test_lp)?;
            // The calibration optimism at each grid point (None where either smooth is
            // undefined there).
            let optimism = match &grid {
                Some(g) => {
                    let tr = calibration_error(&yb, &linear(&bb, &pb, &own), g);
                    let te = calibration_error(y, &test_lp, g);
                    tr.iter()
                        .zip(&te)
                        .map(|(a, b)| Some((*a)? - (*b)?))
                        .collect()
                }
                None => Vec::new(),
            };
            Some((train, test, optimism))
        })
        .collect();
    let ok: Vec<&Run> = runs.iter().flatten().collect();
    let calibration = grid.map(|g| {
        let apparent: Vec<f64> = calibration_error(y, &lp, &g)
            .iter()
            .zip(&g)
            // The grid lies within the predictions, so the apparent smooth is defined.
            .map(|(e, p)| e.map_or(f64::NAN, |e| e + p))
            .collect();
        let mut corrected = Vec::with_capacity(g.len());
        let mut counts = Vec::with_capacity(g.len());
        for (k, a) in apparent.iter().enumerate() {
            let defined: Vec<f64> = ok.iter().filter_map(|(_, _, o)| o[k]).collect();
            counts.push(defined.len());
            corrected.push(
                (!defined.is_empty())
                    .then(|| a - defined.iter().sum::<f64>() / defined.len() as f64),
            );
        }
        // As print.calibrate: each patient's prediction against the bias-corrected curve
        // read at it (patients outside the grid left out).
        let (cx, cy): (Vec<f64>, Vec<f64>) = corrected
            .iter()
            .zip(&g)
            .filter_map(|(c, p)| c.map(|c| (*p, c)))
            .unzip();
        let errors: Vec<f64> = lp
            .iter()
            .filter_map(|&l| {
                let p = inverse_logit(l);
                super::lowess::approx_first(&cx, &cy, p).map(|c| p - c)
            })
            .collect();
        let (mae, mse, q90) = if errors.is_empty() {
            (f64::NAN, f64::NAN, f64::NAN)
        } else {
            let abs: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
            (
                abs.iter().sum::<f64>() / abs.len() as f64,
                errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64,
                super::two_group::quantile7(&abs, 0.9),
            )
        };
        CalibrationCurve {
            predicted: g,
            apparent,
            corrected,
            n: counts,
            mean_absolute_error: mae,
            mean_squared_error: mse,
            quantile_90_error: q90,
        }
    });
    let pairs: Vec<([f64; 5], [f64; 5])> = ok.iter().map(|(a, b, _)| (*a, *b)).collect();
    let indexes = summarize(&apparent, &pairs);
    Ok(BootstrapValidation {
        b,
        successful: ok.len(),
        seed,
        indexes,
        calibration,
    })
}
