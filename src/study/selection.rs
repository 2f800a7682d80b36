//! Which clinical factors join the Radscore in the combined model, chosen as a clinical
//! prediction study chooses them (`gpurad fit --clinical-candidates`): a univariable logistic
//! model of each candidate (and of the Radscore), then a multivariable model of the Radscore,
//! the fixed predictors (`--clinical`) and the candidates with univariable p below the entry
//! level, reduced by backward elimination on AIC as R's
//! `step(m, scope = list(lower = ~ Radscore + fixed), direction = "backward")`
//! ([`crate::model::stepwise`]). The Radscore and the fixed predictors are never removed.
//!
//! A categorical candidate (`factor(stage)`, expanded into level indicators that share a
//! [`Clinical::group`]) is one term, as R treats a factor: its univariable screen is the
//! likelihood-ratio test of all its indicators against the intercept-only model (R's
//! `anova(glm(y ~ factor(stage)), test = "Chisq")`; Firth's penalised likelihood ratio where
//! maximum likelihood meets separation), it enters with all its indicators, and backward
//! elimination keeps or drops them together.

use serde::{Deserialize, Serialize};

use super::clinical::Clinical;
use crate::error::{Error, Result};
use crate::model::distributions::chi_square_sf;
use crate::model::firth::{fit_firth, FirthFit};
use crate::model::logistic::{fit_logistic, LogisticFit, LogisticOptions};
use crate::model::stepwise::{aic, backward, Elimination, Step};
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

/// The univariable likelihood-ratio test of a categorical candidate's indicators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupTest {
    /// The term (`factor(stage)`).
    pub term: String,
    /// Degrees of freedom: its indicators (levels − 1).
    pub df: usize,
    /// Likelihood-ratio statistic (deviance of the intercept-only model − the term's).
    pub chi2: f64,
    /// Its p-value (chi-square with `df` degrees of freedom): the entry p of the term.
    pub p: f64,
    /// `glm` or `firth` (penalised likelihood ratio).
    pub method: String,
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
    /// Likelihood-ratio tests of the categorical candidates (their entry p).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub univariable_groups: Vec<GroupTest>,
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

/// The model's terms: each a name and the predictor columns it stands for.
struct Terms<'a> {
    names: Vec<&'a str>,
    columns: Vec<Vec<(&'a str, &'a [f64])>>,
}

impl<'a> Terms<'a> {
    /// The predictor columns of the terms `kept`, in term order.
    fn columns_of(&self, kept: &[usize]) -> Vec<(&'a str, &'a [f64])> {
        kept.iter()
            .flat_map(|&t| self.columns[t].iter().copied())
            .collect()
    }
}

/// The multivariable model and its backward elimination by Firth's penalised likelihood.
fn eliminate_firth(
    y: &[f64],
    terms: &Terms<'_>,
    forced: &[bool],
) -> crate::model::StatsResult<(FirthFit, Elimination<FirthFit>)> {
    let fit = |kept: &[usize]| {
        let f = fit_firth(y, &terms.columns_of(kept))?;
        Ok((
            -2.0 * f.penalized_loglik + 2.0 * f.coefficients.len() as f64,
            f,
        ))
    };
    let full = fit(&(0..terms.names.len()).collect::<Vec<_>>())?.1;
    Ok((full, backward(&terms.names, forced, fit)?))
}

/// The multivariable model and its backward elimination by maximum likelihood (AIC
/// `deviance + 2k`).
fn eliminate_ml(
    y: &[f64],
    terms: &Terms<'_>,
    forced: &[bool],
) -> crate::model::StatsResult<(LogisticFit, Elimination<LogisticFit>)> {
    let options = LogisticOptions::default();
    let fit = |kept: &[usize]| {
        let f = fit_logistic(y, &terms.columns_of(kept), None, &options)?;
        Ok((aic(&f), f))
    };
    let full = fit(&(0..terms.names.len()).collect::<Vec<_>>())?.1;
    Ok((full, backward(&terms.names, forced, fit)?))
}

/// The univariable rows of a categorical term's indicators and its likelihood-ratio test
/// against the intercept-only model: maximum likelihood, or Firth's penalised likelihood
/// when asked or when maximum likelihood meets separation.
fn group_univariable(
    y: &[f64],
    term: &str,
    cols: &[(&str, &[f64])],
    firth: bool,
) -> std::result::Result<(Vec<TermRow>, GroupTest), String> {
    let df = cols.len();
    let test = |chi2: f64, method: &str| -> std::result::Result<GroupTest, String> {
        let p = chi_square_sf(chi2.max(0.0), df as f64).map_err(|e| e.to_string())?;
        Ok(GroupTest {
            term: term.to_string(),
            df,
            chi2,
            p,
            method: method.into(),
        })
    };
    if !firth {
        match fit_logistic(y, cols, None, &LogisticOptions::default()) {
            Ok(f) => return Ok((rows_of(&f), test(f.null_deviance - f.deviance, "glm")?)),
            Err(StatsError::Separation { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    let full = fit_firth(y, cols).map_err(|e| e.to_string())?;
    let null = fit_firth(y, &[]).map_err(|e| e.to_string())?;
    let chi2 = 2.0 * (full.penalized_loglik - null.penalized_loglik);
    Ok((firth_rows(&full), test(chi2, "firth")?))
}

/// Selects the clinical predictors of the combined model. `fixed` and `candidates` pair each
/// predictor with its values for the training patients (`y`, `radscore` in the same order);
/// candidates that share a [`Clinical::group`] (a factor's level indicators) form one term.
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
    // Candidate terms in first-appearance order: a name and the candidates it stands for.
    let mut candidate_terms: Vec<(&str, Vec<usize>)> = Vec::new();
    for (k, (c, _)) in candidates.iter().enumerate() {
        match candidate_terms.iter_mut().find(|(t, _)| *t == c.term()) {
            Some((_, members)) if c.group.is_some() => members.push(k),
            _ => candidate_terms.push((c.term(), vec![k])),
        }
    }
    let column = |k: usize| (candidates[k].0.name.as_str(), candidates[k].1.as_slice());
    let mut univariable = Vec::new();
    let mut univariable_failed = Vec::new();
    let mut univariable_groups = Vec::new();
    let mut entered: Vec<usize> = Vec::new();
    let fixed_terms = std::iter::once(("Radscore", radscore))
        .chain(fixed.iter().map(|(c, v)| (c.name.as_str(), v.as_slice())));
    for (name, values) in fixed_terms {
        match univariable_row(y, name, values, firth) {
            Ok(row) => univariable.push(row),
            Err(error) => univariable_failed.push(FailedTerm {
                term: name.to_string(),
                error,
            }),
        }
    }
    for (t, (name, members)) in candidate_terms.iter().enumerate() {
        let outcome = if members.len() == 1 && candidates[members[0]].0.group.is_none() {
            let (n, v) = column(members[0]);
            univariable_row(y, n, v, firth).map(|row| {
                let p = row.p;
                (vec![row], p)
            })
        } else {
            let cols: Vec<(&str, &[f64])> = members.iter().map(|&k| column(k)).collect();
            group_univariable(y, name, &cols, firth).map(|(rows, test)| {
                let p = test.p;
                univariable_groups.push(test);
                (rows, p)
            })
        };
        match outcome {
            Ok((rows, p)) => {
                if p < enter_p {
                    entered.push(t);
                }
                univariable.extend(rows);
            }
            Err(error) => univariable_failed.push(FailedTerm {
                term: name.to_string(),
                error,
            }),
        }
    }
    // The multivariable model's terms: the Radscore and the fixed predictors (never
    // dropped), then the entered candidates.
    let mut terms = Terms {
        names: vec!["Radscore"],
        columns: vec![vec![("Radscore", radscore)]],
    };
    for (c, v) in fixed {
        terms.names.push(c.name.as_str());
        terms.columns.push(vec![(c.name.as_str(), v.as_slice())]);
    }
    let n_forced = terms.names.len();
    for &t in &entered {
        let (name, members) = &candidate_terms[t];
        terms.names.push(name);
        terms
            .columns
            .push(members.iter().map(|&k| column(k)).collect());
    }
    let forced: Vec<bool> = (0..terms.names.len()).map(|i| i < n_forced).collect();
    let stats = |stage: &str, e: crate::model::StatsError| {
        Error::Compute(format!("clinical-factor selection, {stage}: {e}"))
    };
    // Maximum likelihood unless asked otherwise or separated; then Firth throughout.
    let ml = if firth {
        None
    } else {
        match eliminate_ml(y, &terms, &forced) {
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
            let (full, e) = eliminate_firth(y, &terms, &forced)
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
    let mut clinical: Vec<Clinical> = fixed.iter().map(|(c, _)| c.clone()).collect();
    for &i in kept.iter().filter(|&&i| i >= n_forced) {
        let (_, members) = &candidate_terms[entered[i - n_forced]];
        clinical.extend(members.iter().map(|&k| candidates[k].0.clone()));
    }
    let selection = ClinicalSelection {
        enter_p,
        univariable,
        univariable_failed,
        univariable_groups,
        entered: entered
            .iter()
            .map(|&t| candidate_terms[t].0.to_string())
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
