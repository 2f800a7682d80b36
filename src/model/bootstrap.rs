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
}

/// `[Dxy, C, Intercept, Slope, Brier]` of linear predictors `lp` for outcomes `y`; `None`
/// where the recalibration fit fails.
fn indexes(y: &[f64], lp: &[f64]) -> Option<[f64; 5]> {
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
    let mut apparent = indexes(y, &lp).unwrap_or([f64::NAN; 5]);
    apparent[2] = 0.0;
    apparent[3] = 1.0;
    let runs: Vec<Option<([f64; 5], [f64; 5])>> = (0..b)
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
            let mut train = indexes(&yb, &linear(&bb, &pb, &own))?;
            train[2] = 0.0;
            train[3] = 1.0;
            let test = indexes(y, &linear(&bb, predictors, &all))?;
            Some((train, test))
        })
        .collect();
    let ok: Vec<&([f64; 5], [f64; 5])> = runs.iter().flatten().collect();
    let k = ok.len().max(1) as f64;
    let names = ["Dxy", "C", "Intercept", "Slope", "Brier"];
    let indexes = (0..5)
        .map(|j| {
            let training = ok.iter().map(|(t, _)| t[j]).sum::<f64>() / k;
            let test = ok.iter().map(|(_, t)| t[j]).sum::<f64>() / k;
            let optimism = training - test;
            IndexRow {
                index: names[j].into(),
                apparent: apparent[j],
                training,
                test,
                optimism,
                corrected: apparent[j] - optimism,
            }
        })
        .collect();
    Ok(BootstrapValidation {
        b,
        successful: ok.len(),
        seed,
        indexes,
    })
}
