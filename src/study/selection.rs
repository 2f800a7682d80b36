//! Which clinical factors join the Radscore in the combined model, chosen as a clinical
//! prediction study chooses them (`gpurad fit --clinical-candidates`): a univariable logistic
//! model of each candidate (and of the Radscore), then a multivariable model of the Radscore,
//! the fixed predictors (`--clinical`) and the candidates with univariable p below the entry
//! level, reduced by backward elimination on AIC as R's
//! `step(m, scope = list(lower = ~ Radscore + fixed), direction = "backward")`
//! ([`crate::model::stepwise`]). The Radscore and the fixed predictors are never removed.

use serde::{Deserialize, Serialize};

use super::clinical::Clinical;
use crate::error::{Error, Result};
use crate::model::logistic::{fit_logistic, LogisticFit, LogisticOptions};
use crate::model::stepwise::{backward_aic, Step};

/// One row of a univariable or multivariable table (a model's coefficient of one term).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermRow {
    /// The term (`Radscore`, `age>60`, …).
    pub term: String,
    /// Estimate (log odds ratio).
    pub coef: f64,
    /// Standard error.
    pub se: f64,
    /// Odds ratio `exp(coef)`.
    pub or: f64,
    /// Wald 95% interval of the odds ratio.
    pub or_ci: [f64; 2],
    /// Two-sided Wald p-value.
    pub p: f64,
}

/// A term whose univariable model could not be fitted, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedTerm {
    /// The term.
    pub term: String,
    /// Why (e.g. perfect separation, a constant column).
    pub error: String,
}

/// The selection as stored in model.json (`clinical_selection`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicalSelection {
    /// Entry level: candidates with univariable p below it enter the multivariable model.
    pub enter_p: f64,
    /// Univariable models: the Radscore, the fixed predictors and every candidate.
    pub univariable: Vec<TermRow>,
    /// Terms whose univariable model failed (they do not enter).
    pub univariable_failed: Vec<FailedTerm>,
    /// Candidates that entered the multivariable model.
    pub entered: Vec<String>,
    /// The multivariable model before elimination.
    pub multivariable_full: Vec<TermRow>,
    /// The elimination steps (term removed, AIC before and after).
    pub steps: Vec<Step>,
    /// The multivariable model after elimination: the combined model's terms.
    pub multivariable: Vec<TermRow>,
    /// AIC of the final multivariable model.
    pub aic: f64,
    /// Clinical predictors of the combined model (fixed ones first, then the selected
    /// candidates in the order given).
    pub selected: Vec<String>,
}

/// The rows of a fitted model's terms (intercept left out).
fn rows_of(fit: &LogisticFit) -> Vec<TermRow> {
    fit.coefficients
        .iter()
        .skip(1)
        .map(|c| TermRow {
            term: c.term.clone(),
            coef: c.estimate,
            se: c.std_error,
            or: c.odds_ratio,
            or_ci: [c.ci_low, c.ci_high],
            p: c.p_value,
        })
        .collect()
}

/// Selects the clinical predictors of the combined model. `fixed` and `candidates` pair each
/// predictor with its values for the training patients (`y`, `radscore` in the same order).
/// Returns the selection and the combined model's clinical predictors.
///
/// # Errors
/// When the multivariable model or a model tried during elimination cannot be fitted
/// (separation, collinear predictors), naming the stage.
pub fn select(
    y: &[f64],
    radscore: &[f64],
    fixed: &[(Clinical, Vec<f64>)],
    candidates: &[(Clinical, Vec<f64>)],
    enter_p: f64,
) -> Result<(ClinicalSelection, Vec<Clinical>)> {
    let options = LogisticOptions::default();
    let mut univariable = Vec::new();
    let mut univariable_failed = Vec::new();
    let mut entered = Vec::new();
    let all = std::iter::once(("Radscore", radscore, None))
        .chain(
            fixed
                .iter()
                .map(|(c, v)| (c.name.as_str(), v.as_slice(), None)),
        )
        .chain(
            candidates
                .iter()
                .enumerate()
                .map(|(k, (c, v))| (c.name.as_str(), v.as_slice(), Some(k))),
        );
    for (name, values, candidate) in all {
        match fit_logistic(y, &[(name, values)], None, &options) {
            Ok(f) => {
                let row = rows_of(&f).remove(0);
                if let Some(k) = candidate {
                    if row.p < enter_p {
                        entered.push(k);
                    }
                }
                univariable.push(row);
            }
            Err(e) => univariable_failed.push(FailedTerm {
                term: name.to_string(),
                error: e.to_string(),
            }),
        }
    }
    let mut predictors: Vec<(&str, &[f64])> = vec![("Radscore", radscore)];
    predictors.extend(fixed.iter().map(|(c, v)| (c.name.as_str(), v.as_slice())));
    let n_forced = predictors.len();
    predictors.extend(
        entered
            .iter()
            .map(|&k| (candidates[k].0.name.as_str(), candidates[k].1.as_slice())),
    );
    let forced: Vec<bool> = (0..predictors.len()).map(|i| i < n_forced).collect();
    let stats = |stage: &str, e: crate::model::StatsError| {
        Error::Compute(format!("clinical-factor selection, {stage}: {e}"))
    };
    let full = fit_logistic(y, &predictors, None, &options)
        .map_err(|e| stats("multivariable model", e))?;
    let elim = backward_aic(y, &predictors, &forced, &options)
        .map_err(|e| stats("backward elimination", e))?;
    let kept_candidates: Vec<usize> = elim
        .kept
        .iter()
        .filter(|&&i| i >= n_forced)
        .map(|&i| entered[i - n_forced])
        .collect();
    let mut clinical: Vec<Clinical> = fixed.iter().map(|(c, _)| c.clone()).collect();
    clinical.extend(kept_candidates.iter().map(|&k| candidates[k].0.clone()));
    let selection = ClinicalSelection {
        enter_p,
        univariable,
        univariable_failed,
        entered: entered
            .iter()
            .map(|&k| candidates[k].0.name.clone())
            .collect(),
        multivariable_full: rows_of(&full),
        steps: elim.steps,
        multivariable: rows_of(&elim.fit),
        aic: elim.aic,
        selected: clinical.iter().map(|c| c.name.clone()).collect(),
    };
    Ok((selection, clinical))
}
