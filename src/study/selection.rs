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
use crate::model::firth::{fit_firth, FirthFit};
use crate::model::logistic::{fit_logistic, LogisticFit, LogisticOptions};
use crate::model::stepwise::{backward, backward_aic, Elimination, Step};
use crate::model::StatsError;

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
    /// Two-sided p-value: Wald (`glm`) or penalised likelihood ratio (`firth`).
    pub p: f64,
    /// `glm` (maximum likelihood, Wald interval) or `firth` (penalised likelihood, profile
    /// interval): Firth's method where maximum likelihood meets separation, or everywhere
    /// with `--firth`.
    #[serde(default = "glm_method")]
    pub method: String,
}

fn glm_method() -> String {
    "glm".into()
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
    /// How the multivariable models were fitted: `glm` (AIC = deviance + 2k) or `firth`
    /// (AIC = −2ℓ* + 2k with Firth's penalised log-likelihood ℓ*).
    #[serde(default = "glm_method")]
    pub method: String,
    /// Why Firth's method was used, when it was not asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
            method: glm_method(),
        })
        .collect()
}

/// The rows of a Firth model's terms (intercept left out).
fn firth_rows(fit: &FirthFit) -> Vec<TermRow> {
    fit.coefficients
        .iter()
        .skip(1)
        .map(|c| TermRow {
            term: c.term.clone(),
            coef: c.estimate,
            se: c.std_error,
            or: c.estimate.exp(),
            or_ci: [c.ci[0].exp(), c.ci[1].exp()],
            p: c.p_value,
            method: "firth".into(),
        })
        .collect()
}

/// The univariable row of one term: maximum likelihood, or Firth's method when asked or
/// when maximum likelihood meets separation.
fn univariable_row(
    y: &[f64],
    name: &str,
    values: &[f64],
    firth: bool,
) -> std::result::Result<TermRow, String> {
    let cols = [(name, values)];
    if !firth {
        match fit_logistic(y, &cols, None, &LogisticOptions::default()) {
            Ok(f) => return Ok(rows_of(&f).remove(0)),
            Err(StatsError::Separation { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    fit_firth(y, &cols)
        .map(|f| firth_rows(&f).remove(0))
        .map_err(|e| e.to_string())
}

/// The multivariable model and its backward elimination by Firth's penalised likelihood.
fn eliminate_firth(
    y: &[f64],
    predictors: &[(&str, &[f64])],
    forced: &[bool],
) -> crate::model::StatsResult<(FirthFit, Elimination<FirthFit>)> {
    let names: Vec<&str> = predictors.iter().map(|p| p.0).collect();
    let fit = |terms: &[usize]| {
        let cols: Vec<(&str, &[f64])> = terms.iter().map(|&t| predictors[t]).collect();
        let f = fit_firth(y, &cols)?;
        Ok((
            -2.0 * f.penalized_loglik + 2.0 * f.coefficients.len() as f64,
            f,
        ))
    };
    let full = fit(&(0..predictors.len()).collect::<Vec<_>>())?.1;
    Ok((full, backward(&names, forced, fit)?))
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
    firth: bool,
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
        match univariable_row(y, name, values, firth) {
            Ok(row) => {
                if let Some(k) = candidate {
                    if row.p < enter_p {
                        entered.push(k);
                    }
                }
                univariable.push(row);
            }
            Err(error) => univariable_failed.push(FailedTerm {
                term: name.to_string(),
                error,
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
    // Maximum likelihood unless asked otherwise or separated; then Firth throughout.
    let ml = if firth {
        None
    } else {
        match fit_logistic(y, &predictors, None, &options)
            .and_then(|full| Ok((full, backward_aic(y, &predictors, &forced, &options)?)))
        {
            Ok(r) => Some(r),
            Err(StatsError::Separation { .. }) => None,
            Err(e) => return Err(stats("multivariable model", e)),
        }
    };
    let note = (!firth && ml.is_none()).then(|| {
        "maximum likelihood meets separation in the multivariable models: they and their AIC use Firth's penalised likelihood".to_string()
    });
    let (full_rows, kept, steps, aic, final_rows) = match ml {
        Some((full, e)) => (rows_of(&full), e.kept, e.steps, e.aic, rows_of(&e.fit)),
        None => {
            let (full, e) = eliminate_firth(y, &predictors, &forced)
                .map_err(|e| stats("multivariable model (Firth)", e))?;
            (
                firth_rows(&full),
                e.kept,
                e.steps,
                e.aic,
                firth_rows(&e.fit),
            )
        }
    };
    let kept_candidates: Vec<usize> = kept
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
        multivariable_full: full_rows,
        steps,
        multivariable: final_rows,
        aic,
        selected: clinical.iter().map(|c| c.name.clone()).collect(),
        method: if note.is_some() || firth {
            "firth"
        } else {
            "glm"
        }
        .into(),
        note,
    };
    Ok((selection, clinical))
}
