//! `gpurad fit`: from a training feature table to a Radscore and three logistic models.
//!
//! Steps (each reported in the model file): pick the training patients; take every numeric
//! column that is not the ID, outcome, cohort, fold, clinical or an excluded column (nor a
//! `diagnostics_*` or `<SEQ>_diagnostics_*` column) as a candidate feature; drop constant
//! features; apply the `--filter` steps in order ([`FilterSpec`]); standardise with
//! the training mean and SD (n − 1); LASSO-logistic path with K-fold cross-validation on
//! binomial deviance exactly as R's `cv.glmnet` ([`crate::model::lasso`]); the Radscore is
//! the LASSO linear predictor at the chosen λ (`λ.min`, `λ.1se` or a value):
//! `Radscore = β₀ + Σ βⱼ·(xⱼ − meanⱼ)/sdⱼ`. Then three logistic regressions
//! ([`crate::model::logistic`]): combined (Radscore + clinical), clinical only, Radscore only,
//! each with its Youden threshold on the training patients (pROC's convention).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::clinical::Clinical;
use super::dataset::{cell_preview, rows_list, ColumnKind, Dataset};
use crate::error::{Error, Result};
use crate::evaluate::threshold::youden;
use crate::model::firth::{fit_firth, FirthFit};
use crate::model::lasso::{cross_validate, fold_ids, LassoOptions};
use crate::model::logistic::{fit_logistic, LogisticFit, LogisticOptions};

/// How to fit (the `gpurad fit` options).
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Outcome column (0/1).
    pub outcome: String,
    /// ID column (default: `ID` when present).
    pub id: Option<String>,
    /// Clinical predictors.
    pub clinical: Vec<Clinical>,
    /// Candidate clinical predictors, selected into the combined model by univariable entry
    /// (p < `enter_p`) and backward elimination on AIC ([`super::selection`]); `clinical`
    /// are then always kept.
    pub clinical_candidates: Vec<Clinical>,
    /// Entry level of the univariable screen (default 0.05).
    pub enter_p: f64,
    /// Columns never used as features.
    pub exclude: Vec<String>,
    /// Cohort column; when present only rows with `train_value` are used.
    pub cohort: Option<String>,
    /// The training cohort's label (default `train`).
    pub train_value: String,
    /// Column of fold ids 1..K; else folds are drawn with `nfolds` and `seed`.
    pub foldid: Option<String>,
    /// Number of folds when drawn (default 10).
    pub nfolds: usize,
    /// Seed of the fold draw.
    pub seed: u64,
    /// `min`, `1se` or a λ value.
    pub lambda: LambdaRule,
    /// Drop patients with a missing value instead of failing.
    pub drop_incomplete: bool,
    /// Feature filters applied before the LASSO, in order.
    pub filters: Vec<FilterSpec>,
    /// Repeated extractions of some training patients (same ID and feature columns), for
    /// the `icc:` filter.
    pub repeats: Vec<Dataset>,
    /// Fit every logistic model by Firth's penalised likelihood (else only where maximum
    /// likelihood meets separation).
    pub firth: bool,
    /// Bootstrap resamples for the internal validation of the nomogram's model (0: none).
    pub bootstrap: usize,
    /// Bootstrap resamples of the whole pipeline's validation (0: none), run by
    /// [`super::pipeline_validation::fit_validated`].
    pub bootstrap_pipeline: usize,
}

/// One feature-filtering step of `gpurad fit --filter` ([`crate::model::filter`]), applied to
/// the training patients before standardisation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum FilterSpec {
    /// `nzv`: near-zero variance (caret's `nearZeroVar` defaults).
    NearZeroVariance,
    /// `mwu:P`: keep features whose Mann–Whitney U p-value is below P.
    MannWhitney(f64),
    /// `ttest:P`: keep features whose Welch t-test p-value is below P.
    WelchT(f64),
    /// `spearman:R`: of features with |Spearman r| > R keep the one with the smaller
    /// univariate p (that of the last univariate step, else Mann–Whitney).
    Spearman(f64),
    /// `pearson:R`: as `spearman:R` with Pearson's r.
    Pearson(f64),
    /// `icc:T`: keep features whose ICC(2,1) over the repeated extractions is at least T
    /// ([`crate::model::icc`]).
    Icc(f64),
}

impl std::fmt::Display for FilterSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // 0.05 as written, 1e-300 in exponent notation rather than 300 digits.
        let v = |x: &f64| {
            let plain = format!("{x}");
            if plain.len() <= 12 {
                plain
            } else {
                format!("{x:e}")
            }
        };
        match self {
            Self::NearZeroVariance => write!(f, "nzv"),
            Self::MannWhitney(p) => write!(f, "mwu:{}", v(p)),
            Self::WelchT(p) => write!(f, "ttest:{}", v(p)),
            Self::Spearman(r) => write!(f, "spearman:{}", v(r)),
            Self::Pearson(r) => write!(f, "pearson:{}", v(r)),
            Self::Icc(t) => write!(f, "icc:{}", v(t)),
        }
    }
}

impl std::str::FromStr for FilterSpec {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let value = |lo_open: f64| -> std::result::Result<f64, String> {
            let a =
                arg.ok_or_else(|| format!("filter '{name}' needs a value, e.g. {name}:0.05"))?;
            a.parse::<f64>()
                .ok()
                .filter(|v| *v > lo_open && *v <= 1.0)
                .ok_or_else(|| format!("filter '{s}': the value must be in (0, 1]"))
        };
        match name {
            "nzv" if arg.is_none() => Ok(Self::NearZeroVariance),
            "mwu" => Ok(Self::MannWhitney(value(0.0)?)),
            "ttest" => Ok(Self::WelchT(value(0.0)?)),
            "spearman" => Ok(Self::Spearman(value(0.0)?)),
            "pearson" => Ok(Self::Pearson(value(0.0)?)),
            "icc" => Ok(Self::Icc(value(0.0)?)),
            _ => Err(format!(
                "unknown filter '{s}' (nzv, mwu:P, ttest:P, spearman:R, pearson:R, icc:T)"
            )),
        }
    }
}

/// What one filtering step did, as stored in the model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FilterReport {
    /// The step (`mwu:0.05`, …).
    pub step: String,
    /// Features entering the step.
    pub before: usize,
    /// Features kept.
    pub kept: usize,
    /// Removed features with the reason.
    pub removed: Vec<(String, String)>,
}

type Filtered = (Vec<String>, Vec<Vec<f64>>, Vec<FilterReport>);

/// Per feature name, its values in the training table and in each repeated extraction, for
/// the training patients found in every repeat table (`ratings[name][extraction][patient]`).
type Repeats = std::collections::HashMap<String, Vec<Vec<f64>>>;

/// Collects [`Repeats`] for `features` from the training rows `rows` of `ds` and the repeat
/// tables, matching patients by the ID column.
fn repeat_ratings(
    ds: &Dataset,
    rows: &[usize],
    id: Option<&str>,
    features: &[String],
    repeats: &[Dataset],
) -> Result<Repeats> {
    let id = id.ok_or_else(|| {
        err(
            ds,
            "the icc filter matches patients by ID: the table needs an ID column".into(),
        )
    })?;
    if repeats.is_empty() {
        return Err(err(
            ds,
            "the icc filter needs repeated extractions (--icc-repeat FILE)".into(),
        ));
    }
    let ids = ds.text(id)?;
    let index: Vec<std::collections::HashMap<String, usize>> = repeats
        .iter()
        .map(|r| {
            Ok(r.text(id)?
                .into_iter()
                .enumerate()
                .map(|(i, v)| (v, i))
                .collect())
        })
        .collect::<Result<_>>()?;
    // Training patients present in every repeat table, with their row in each.
    let matched: Vec<(usize, Vec<usize>)> = rows
        .iter()
        .filter_map(|&row| {
            let found: Option<Vec<usize>> =
                index.iter().map(|m| m.get(&ids[row]).copied()).collect();
            found.map(|f| (row, f))
        })
        .collect();
    if matched.len() < 2 {
        return Err(err(
            ds,
            format!(
                "the icc filter needs at least 2 training patients in every repeat table, found {}",
                matched.len()
            ),
        ));
    }
    let own: Vec<usize> = matched.iter().map(|(r, _)| *r).collect();
    let mut out = Repeats::new();
    for f in features {
        let mut ratings = vec![ds.numeric(f, &own)?];
        for (k, r) in repeats.iter().enumerate() {
            let theirs: Vec<usize> = matched.iter().map(|(_, rs)| rs[k]).collect();
            ratings.push(r.numeric(f, &theirs)?);
        }
        out.insert(f.clone(), ratings);
    }
    Ok(out)
}

/// Applies `specs` in order; kept features stay in table order.
fn apply_filters(
    specs: &[FilterSpec],
    mut names: Vec<String>,
    mut x: Vec<Vec<f64>>,
    y: &[f64],
    repeats: Option<&Repeats>,
) -> crate::model::StatsResult<Filtered> {
    use crate::model::filter::{
        near_zero_variance, redundancy_filter, univariate_filter, univariate_p_values, Correlation,
        NzvOptions, RemovalReason, UnivariateTest,
    };
    let mut reports = Vec::new();
    let mut p_values: Option<Vec<f64>> = None;
    for spec in specs {
        let (step, p) = match *spec {
            FilterSpec::NearZeroVariance => (near_zero_variance(&x, &NzvOptions::default())?, None),
            FilterSpec::MannWhitney(t) | FilterSpec::WelchT(t) => {
                let test = if matches!(spec, FilterSpec::WelchT(_)) {
                    UnivariateTest::WelchT
                } else {
                    UnivariateTest::MannWhitney
                };
                let (p, step) = univariate_filter(&x, y, test, t)?;
                (step, Some(p))
            }
            FilterSpec::Icc(t) => {
                let repeats = repeats.expect("repeat ratings are collected for an icc filter");
                let ratings: Vec<Vec<&[f64]>> = names
                    .iter()
                    .map(|n| repeats[n].iter().map(Vec::as_slice).collect())
                    .collect();
                let (_, step) = crate::model::icc::icc_filter(&ratings, t)?;
                (step, None)
            }
            FilterSpec::Spearman(r) | FilterSpec::Pearson(r) => {
                let method = if matches!(spec, FilterSpec::Pearson(_)) {
                    Correlation::Pearson
                } else {
                    Correlation::Spearman
                };
                let p = match p_values.take() {
                    Some(p) => p,
                    None => univariate_p_values(&x, y, UnivariateTest::MannWhitney)?,
                };
                let mut step = redundancy_filter(&x, &p, method, r)?;
                step.kept.sort_unstable();
                (step, Some(p))
            }
        };
        let removed = step
            .removed
            .iter()
            .map(|r| {
                let reason = match &r.reason {
                    RemovalReason::Redundant { with, r, threshold } => format!(
                        "|r| = {:.4} > {threshold} with {}, which has a smaller p",
                        r.abs(),
                        names[*with]
                    ),
                    other => other.to_string(),
                };
                (names[r.feature].clone(), reason)
            })
            .collect();
        reports.push(FilterReport {
            step: spec.to_string(),
            before: names.len(),
            kept: step.kept.len(),
            removed,
        });
        let subset = |p: Vec<f64>| step.kept.iter().map(|&j| p[j]).collect::<Vec<f64>>();
        p_values = match p {
            Some(p) => Some(subset(p)),
            None => p_values.map(subset),
        };
        names = step.kept.iter().map(|&j| names[j].clone()).collect();
        x = step
            .kept
            .iter()
            .map(|&j| std::mem::take(&mut x[j]))
            .collect();
        if names.is_empty() {
            break;
        }
    }
    Ok((names, x, reports))
}

/// Which λ of the cross-validated path defines the Radscore.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LambdaRule {
    /// λ with the smallest cross-validated deviance (`lambda.min`).
    Min,
    /// Largest λ within one standard error of the minimum (`lambda.1se`).
    OneSe,
    /// A given λ (glmnet's interpolation between path values).
    Value(f64),
}

impl std::str::FromStr for LambdaRule {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "min" => Ok(Self::Min),
            "1se" => Ok(Self::OneSe),
            v => v
                .parse::<f64>()
                .ok()
                .filter(|x| *x >= 0.0 && x.is_finite())
                .map(Self::Value)
                .ok_or_else(|| {
                    format!("--lambda takes min, 1se or a non-negative number, not '{v}'")
                }),
        }
    }
}

/// A logistic model's coefficient table as stored in the model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogisticSummary {
    /// Terms, `(Intercept)` first.
    pub terms: Vec<String>,
    /// Estimates (log odds ratios).
    pub coefficients: Vec<f64>,
    /// Standard errors.
    pub se: Vec<f64>,
    /// Wald z.
    pub z: Vec<f64>,
    /// Two-sided Wald p-values.
    pub p: Vec<f64>,
    /// Odds ratios.
    pub or: Vec<f64>,
    /// 95% Wald confidence intervals of the odds ratios.
    pub or_ci: Vec<[f64; 2]>,
    /// Youden-optimal threshold on the training patients (positive when p ≥ threshold).
    pub threshold: f64,
    /// How it was fitted: `glm` (maximum likelihood, Wald inference) or `firth` (Firth's
    /// penalised likelihood as R's `logistf`: `p` from the penalised likelihood-ratio test,
    /// `or_ci` from the profile penalised likelihood, `z` = coefficient / SE for reference).
    #[serde(default = "glm_method")]
    pub method: String,
    /// Why Firth's method was used, when it was not asked for (separation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn glm_method() -> String {
    "glm".into()
}

impl LogisticSummary {
    fn from_fit(f: &LogisticFit, threshold: f64) -> Self {
        let c = &f.coefficients;
        LogisticSummary {
            terms: c.iter().map(|c| c.term.clone()).collect(),
            coefficients: c.iter().map(|c| c.estimate).collect(),
            se: c.iter().map(|c| c.std_error).collect(),
            z: c.iter().map(|c| c.z).collect(),
            p: c.iter().map(|c| c.p_value).collect(),
            or: c.iter().map(|c| c.odds_ratio).collect(),
            or_ci: c.iter().map(|c| [c.ci_low, c.ci_high]).collect(),
            threshold,
            method: glm_method(),
            note: None,
        }
    }

    fn from_firth(f: &FirthFit, threshold: f64, note: Option<String>) -> Self {
        let c = &f.coefficients;
        LogisticSummary {
            terms: c.iter().map(|c| c.term.clone()).collect(),
            coefficients: c.iter().map(|c| c.estimate).collect(),
            se: c.iter().map(|c| c.std_error).collect(),
            z: c.iter().map(|c| c.estimate / c.std_error).collect(),
            p: c.iter().map(|c| c.p_value).collect(),
            or: c.iter().map(|c| c.estimate.exp()).collect(),
            or_ci: c.iter().map(|c| [c.ci[0].exp(), c.ci[1].exp()]).collect(),
            threshold,
            method: "firth".into(),
            note,
        }
    }

    /// Linear predictors (log odds) for predictor columns in the order of `terms[1..]`.
    pub fn linear_predictor(&self, columns: &[&[f64]]) -> Vec<f64> {
        let n = columns.first().map_or(0, |c| c.len());
        (0..n)
            .map(|i| {
                columns
                    .iter()
                    .zip(&self.coefficients[1..])
                    .fold(self.coefficients[0], |acc, (x, b)| acc + b * x[i])
            })
            .collect()
    }

    /// Predicted probabilities for predictor columns in the order of `terms[1..]`.
    pub fn predict(&self, columns: &[&[f64]]) -> Vec<f64> {
        self.linear_predictor(columns)
            .into_iter()
            .map(crate::model::logistic::inverse_logit)
            .collect()
    }
}

/// Feature standardisation of the training patients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Standardization {
    /// Mean per feature (in `Model::features` order).
    pub mean: Vec<f64>,
    /// Sample SD (n − 1) per feature.
    pub sd: Vec<f64>,
}

/// The Radscore: LASSO intercept and the non-zero coefficients of the standardised features.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Radscore {
    /// Intercept β₀.
    pub intercept: f64,
    /// Feature name → β (non-zero only, in feature order).
    pub coefficients: serde_json::Map<String, serde_json::Value>,
    /// The formula in words.
    pub formula: String,
}

/// Cross-validation results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CvSummary {
    /// Number of folds.
    pub nfolds: usize,
    /// Mean cross-validated deviance per λ.
    pub cvm: Vec<f64>,
    /// Its standard error per λ.
    pub cvsd: Vec<f64>,
    /// Non-zero coefficients per λ.
    pub nzero: Vec<usize>,
}

/// The three logistic models.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Models {
    /// Radscore + clinical predictors (absent without clinical predictors).
    pub combined: Option<LogisticSummary>,
    /// Clinical predictors only (absent without clinical predictors).
    pub clinical: Option<LogisticSummary>,
    /// Radscore only.
    pub radscore: LogisticSummary,
}

/// Everything `gpurad fit` writes to `model.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    /// gpurad version that fitted it.
    pub gpurad_version: String,
    /// Outcome column.
    pub outcome: String,
    /// ID column, if any.
    pub id: Option<String>,
    /// Clinical predictors.
    pub clinical: Vec<Clinical>,
    /// Features given to the LASSO (after dropping constant ones and filtering), in table
    /// order.
    pub features: Vec<String>,
    /// Features dropped because they are constant in the training patients.
    pub dropped_constant: Vec<String>,
    /// Columns left out as features because they hold text (no number) in the training
    /// patients.
    #[serde(default)]
    pub ignored_text_columns: Vec<String>,
    /// Candidate features before filtering (non-constant).
    #[serde(default)]
    pub candidates: usize,
    /// The filtering steps, in order, with what each removed.
    #[serde(default)]
    pub filters: Vec<FilterReport>,
    /// Training patients and events.
    pub training: Training,
    /// Standardisation of `features`.
    pub standardization: Standardization,
    /// The λ path.
    pub lambda_path: Vec<f64>,
    /// Cross-validation.
    pub cv: CvSummary,
    /// `lambda.min`.
    pub lambda_min: f64,
    /// `lambda.1se`.
    pub lambda_1se: f64,
    /// The λ of the Radscore and the rule that chose it.
    pub lambda: f64,
    /// Rule used for `lambda`.
    pub lambda_rule: LambdaRule,
    /// LASSO coefficients along the path (one vector per λ), for the path figure.
    pub path_betas: Vec<Vec<f64>>,
    /// The Radscore.
    pub radscore: Radscore,
    /// The logistic models.
    pub models: Models,
    /// Nomogram of the combined model (of the Radscore model without clinical predictors).
    pub nomogram: NomogramSummary,
    /// Internal validation of the nomogram's model by the bootstrap (as `rms::validate`):
    /// apparent, optimism and optimism-corrected Dxy, C (AUC), calibration intercept and
    /// slope, Brier score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_validation: Option<crate::model::bootstrap::BootstrapValidation>,
    /// The bootstrap validation of the whole pipeline (`--bootstrap-pipeline`): filters,
    /// CV-LASSO, clinical selection and models refitted on every resample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_validation_pipeline: Option<crate::model::bootstrap::PipelineValidation>,
    /// Warnings about the fit a reader of the model should see (events per variable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// How the clinical predictors were selected (with `--clinical-candidates`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clinical_selection: Option<super::selection::ClinicalSelection>,
}

/// A nomogram as stored in the model file (rms conventions, [`crate::model::nomogram`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NomogramSummary {
    /// Which model it draws.
    pub model: String,
    /// One axis per predictor: values and their points.
    pub axes: Vec<NomogramAxisSummary>,
    /// Linear predictor at 0 total points.
    pub points_intercept: f64,
    /// Points per unit of linear predictor.
    pub scale: f64,
    /// Range of total points.
    pub total_points_range: (f64, f64),
    /// (total points, probability) ticks of the risk axis.
    pub risk_ticks: Vec<(f64, f64)>,
}

/// One predictor axis of a [`NomogramSummary`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NomogramAxisSummary {
    /// Predictor name.
    pub name: String,
    /// Axis values.
    pub values: Vec<f64>,
    /// Points of each value.
    pub points: Vec<f64>,
}

fn nomogram_summary(
    model: &str,
    s: &LogisticSummary,
    training: &[&[f64]],
) -> Result<NomogramSummary> {
    use crate::model::nomogram::{Nomogram, NomogramOptions};
    let predictors: Vec<(&str, f64, &[f64])> = s.terms[1..]
        .iter()
        .zip(&s.coefficients[1..])
        .zip(training)
        .map(|((t, b), x)| (t.as_str(), *b, *x))
        .collect();
    let nomo = Nomogram::new(s.coefficients[0], &predictors, NomogramOptions::default())
        .map_err(|e| stats(e, "nomogram"))?;
    let max_total: f64 = nomo
        .axes
        .iter()
        .map(|a| a.points.iter().copied().fold(0.0, f64::max))
        .sum();
    let risk_ticks = [
        0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99,
    ]
    .iter()
    .filter_map(|&p| nomo.points_for_probability(p).ok().map(|t| (t, p)))
    .filter(|(t, _)| *t >= 0.0 && *t <= max_total)
    .collect();
    Ok(NomogramSummary {
        model: model.into(),
        axes: nomo
            .axes
            .iter()
            .map(|a| NomogramAxisSummary {
                name: a.name.clone(),
                values: a.values.clone(),
                // Round-off can put the widest axis end a hair beyond the scale.
                points: a
                    .points
                    .iter()
                    .map(|p| p.clamp(0.0, nomo.options.max_scale))
                    .collect(),
            })
            .collect(),
        points_intercept: nomo.points_intercept,
        scale: nomo.scale,
        total_points_range: (0.0, max_total),
        risk_ticks,
    })
}

/// Patients used for fitting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Training {
    /// Number of patients.
    pub n: usize,
    /// Number of events (outcome 1).
    pub events: usize,
    /// Patients dropped for missing values (with `--drop-incomplete`).
    pub dropped_incomplete: usize,
}

fn err(ds: &Dataset, detail: String) -> Error {
    Error::Table {
        path: ds.path.clone(),
        detail,
    }
}

fn stats(e: crate::model::StatsError, what: &str) -> Error {
    Error::Compute(format!("{what}: {e}"))
}

/// Standardised copies of `x` with the given means and SDs.
pub fn standardize(x: &[Vec<f64>], s: &Standardization) -> Vec<Vec<f64>> {
    x.iter()
        .zip(s.mean.iter().zip(&s.sd))
        .map(|(col, (m, sd))| col.iter().map(|v| (v - m) / sd).collect())
        .collect()
}

/// Radscore of patients given their standardised features (in `Model::features` order).
pub fn radscore_of(model: &Model, z: &[Vec<f64>]) -> Vec<f64> {
    let n = z.first().map_or(0, Vec::len);
    let index: std::collections::HashMap<&str, usize> = model
        .features
        .iter()
        .enumerate()
        .map(|(j, f)| (f.as_str(), j))
        .collect();
    let mut r = vec![model.radscore.intercept; n];
    for (name, beta) in &model.radscore.coefficients {
        let j = index[name.as_str()];
        let b = beta.as_f64().expect("numeric coefficient");
        for (ri, v) in r.iter_mut().zip(&z[j]) {
            *ri += b * v;
        }
    }
    r
}

/// Rows of `ds` in cohort `value` of column `cohort` (all rows without a cohort column).
pub fn cohort_rows(ds: &Dataset, cohort: Option<&str>, value: &str) -> Result<Vec<usize>> {
    match cohort {
        None => Ok((0..ds.rows.len()).collect()),
        Some(c) => {
            let col = ds.column(c)?;
            let rows: Vec<usize> = (0..ds.rows.len())
                .filter(|&i| ds.rows[i][col] == value)
                .collect();
            if rows.is_empty() {
                return Err(err(ds, format!("no patient has {c} = '{value}'")));
            }
            Ok(rows)
        }
    }
}

/// Fits the Radscore and the logistic models on the training patients of `ds`.
pub fn fit(ds: &Dataset, o: &FitOptions) -> Result<Model> {
    Ok(fit_with_rows(ds, o)?.0)
}

/// [`fit`], also returning the rows of `ds` the model was fitted on (the training cohort's
/// complete rows).
///
/// # Errors
/// Those of [`fit`].
pub fn fit_with_rows(ds: &Dataset, o: &FitOptions) -> Result<(Model, Vec<usize>)> {
    let id =
        o.id.clone()
            .or_else(|| ds.columns.iter().find(|c| c.as_str() == "ID").cloned());
    if let Some(id) = &id {
        ds.check_unique(id)?;
        if *id == o.outcome {
            return Err(err(
                ds,
                format!("the outcome column '{id}' is also the ID column"),
            ));
        }
    }
    let mut names = std::collections::HashSet::new();
    if o.bootstrap > MAX_BOOTSTRAP {
        return Err(Error::Settings(format!(
            "--bootstrap {} is more resamples than the {MAX_BOOTSTRAP} gpurad runs (2000 give a Monte-Carlo error far below the optimism itself)",
            o.bootstrap
        )));
    }
    if !(o.enter_p > 0.0 && o.enter_p <= 1.0) {
        return Err(Error::Settings(format!(
            "--enter-p must be in (0, 1], not {}",
            o.enter_p
        )));
    }
    for c in o.clinical.iter().chain(&o.clinical_candidates) {
        if !names.insert(c.name.as_str()) {
            return Err(Error::Settings(format!(
                "clinical predictor '{}' is given twice",
                c.name
            )));
        }
        if c.column == o.outcome {
            return Err(Error::Settings(format!(
                "clinical predictor '{}' uses the outcome column '{}'",
                c.name, o.outcome
            )));
        }
    }
    for c in o.cohort.iter().chain(&o.foldid) {
        ds.column(c)?;
    }
    let mut rows = cohort_rows(ds, o.cohort.as_deref(), &o.train_value)?;
    let mut reserved: BTreeSet<&str> = [o.outcome.as_str()].into_iter().collect();
    reserved.extend(id.as_deref());
    reserved.extend(o.cohort.as_deref());
    reserved.extend(o.foldid.as_deref());
    reserved.extend(
        o.clinical
            .iter()
            .chain(&o.clinical_candidates)
            .map(|c| c.column.as_str()),
    );
    reserved.extend(o.exclude.iter().map(String::as_str));
    for c in &o.exclude {
        ds.column(c)?;
    }
    // Candidate features: every other numeric column. A text column is not a feature (it is
    // listed in the model file); a column of numbers with a few text cells is an error.
    let mut feature_cols = Vec::new();
    let mut ignored_text_columns = Vec::new();
    for c in 0..ds.columns.len() {
        let name = ds.columns[c].as_str();
        if reserved.contains(name)
            || name.starts_with("diagnostics_")
            || name.contains("_diagnostics_")
            || name == "error"
        {
            continue;
        }
        match ds.column_kind(c, &rows) {
            ColumnKind::Numeric => feature_cols.push(c),
            ColumnKind::Text => ignored_text_columns.push(name.to_string()),
            ColumnKind::Mixed(text_rows) => {
                return Err(err(
                    ds,
                    format!(
                        "column '{name}' holds numbers but also text at data row(s) {} (the first: '{}'); correct those cells, or leave the column out with --exclude {name}",
                        rows_list(&text_rows),
                        cell_preview(&ds.rows[text_rows[0] - 1][c])
                    ),
                ))
            }
        }
    }
    if feature_cols.is_empty() {
        return Err(err(
            ds,
            "no numeric feature columns besides the outcome, ID, cohort and clinical columns"
                .into(),
        ));
    }
    let mut needed = feature_cols.clone();
    needed.push(ds.column(&o.outcome)?);
    for c in o.clinical.iter().chain(&o.clinical_candidates) {
        needed.push(ds.column(&c.column)?);
    }
    if let Some(f) = &o.foldid {
        needed.push(ds.column(f)?);
    }
    let before = rows.len();
    if o.drop_incomplete {
        rows = ds.complete_rows(&needed, &rows);
    }
    let dropped_incomplete = before - rows.len();
    let y = ds.numeric(&o.outcome, &rows)?;
    // Categorical predictors become level indicators, the levels those of the training
    // patients.
    let expand = |list: &[Clinical]| -> Result<Vec<Clinical>> {
        let mut out = Vec::new();
        for c in list {
            let values = if c.factor {
                ds.numeric(&c.column, &rows)?
            } else {
                Vec::new()
            };
            out.extend(c.expand_factor(&values)?);
        }
        Ok(out)
    };
    let fixed_clinical = expand(&o.clinical)?;
    let candidate_clinical = expand(&o.clinical_candidates)?;
    let mut features = Vec::new();
    let mut dropped_constant = Vec::new();
    let mut x: Vec<Vec<f64>> = Vec::new();
    for &c in &feature_cols {
        let name = &ds.columns[c];
        let v = ds.numeric(name, &rows)?;
        if v.iter().all(|a| *a == v[0]) {
            dropped_constant.push(name.clone());
            continue;
        }
        features.push(name.clone());
        x.push(v);
    }
    if features.is_empty() {
        return Err(err(
            ds,
            "every candidate feature is constant in the training patients".into(),
        ));
    }
    let candidates = features.len();
    let repeats = if o.filters.iter().any(|f| matches!(f, FilterSpec::Icc(_))) {
        Some(repeat_ratings(
            ds,
            &rows,
            id.as_deref(),
            &features,
            &o.repeats,
        )?)
    } else {
        None
    };
    let (features, x, filters) = apply_filters(&o.filters, features, x, &y, repeats.as_ref())
        .map_err(|e| stats(e, "feature filtering"))?;
    if features.is_empty() {
        return Err(err(
            ds,
            format!(
                "the filters ({}) removed all {candidates} candidate features",
                o.filters
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let (mean, sd): (Vec<f64>, Vec<f64>) = x
        .iter()
        .map(|v| {
            let n = v.len() as f64;
            let m = v.iter().sum::<f64>() / n;
            let s = (v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            (m, s)
        })
        .unzip();
    let standardization = Standardization { mean, sd };
    let z = standardize(&x, &standardization);
    let foldid: Vec<usize> = match &o.foldid {
        Some(f) => ds
            .numeric(f, &rows)?
            .iter()
            .map(|v| {
                if *v >= 1.0 && v.fract() == 0.0 {
                    Ok(*v as usize)
                } else {
                    Err(err(
                        ds,
                        format!("fold id {v} in '{f}' is not a whole number ≥ 1"),
                    ))
                }
            })
            .collect::<Result<_>>()?,
        None => fold_ids(rows.len(), o.nfolds, o.seed).map_err(|e| stats(e, "fold assignment"))?,
    };
    let cv = cross_validate(&z, &y, &foldid, &LassoOptions::default())
        .map_err(|e| stats(e, "LASSO cross-validation"))?;
    let lambda = match o.lambda {
        LambdaRule::Min => cv.lambda_min,
        LambdaRule::OneSe => cv.lambda_1se,
        LambdaRule::Value(v) => v,
    };
    let (a0, beta) = cv.path.coefficients_at(lambda);
    let mut coefficients = serde_json::Map::new();
    let mut terms = vec![format!("{a0:.6}")];
    for (name, b) in features.iter().zip(&beta) {
        if *b != 0.0 {
            coefficients.insert(name.clone(), serde_json::json!(b));
            terms.push(format!("{b:+.6}·z({name})"));
        }
    }
    if coefficients.is_empty() {
        return Err(Error::Compute(format!(
            "the LASSO keeps no feature at λ = {lambda:.4e}: the Radscore would be constant; try --lambda min or a smaller value"
        )));
    }
    let radscore = Radscore {
        intercept: a0,
        coefficients,
        formula: format!(
            "Radscore = {}, where z(f) = (f − mean)/sd of the training patients",
            terms.join(" ")
        ),
    };
    let mut model = Model {
        gpurad_version: crate::extract::VERSION.into(),
        outcome: o.outcome.clone(),
        id,
        clinical: fixed_clinical.clone(),
        features,
        dropped_constant,
        ignored_text_columns,
        candidates,
        filters,
        training: Training {
            n: rows.len(),
            events: y.iter().filter(|v| **v == 1.0).count(),
            dropped_incomplete,
        },
        standardization,
        lambda_path: cv.path.lambdas.clone(),
        cv: CvSummary {
            nfolds: foldid.iter().copied().max().unwrap_or(0),
            cvm: cv.cvm.clone(),
            cvsd: cv.cvsd.clone(),
            nzero: cv.nzero.clone(),
        },
        lambda_min: cv.lambda_min,
        lambda_1se: cv.lambda_1se,
        lambda,
        lambda_rule: o.lambda,
        path_betas: cv.path.betas.clone(),
        radscore,
        models: Models {
            combined: None,
            clinical: None,
            radscore: LogisticSummary {
                terms: vec![],
                coefficients: vec![],
                se: vec![],
                z: vec![],
                p: vec![],
                or: vec![],
                or_ci: vec![],
                threshold: 0.0,
                method: glm_method(),
                note: None,
            },
        },
        nomogram: NomogramSummary {
            model: String::new(),
            axes: vec![],
            points_intercept: 0.0,
            scale: 0.0,
            total_points_range: (0.0, 0.0),
            risk_ticks: vec![],
        },
        clinical_selection: None,
        internal_validation: None,
        internal_validation_pipeline: None,
        warnings: Vec::new(),
    };
    // Events per variable (Peduzzi et al. 1996): fewer than 10 of the rarer outcome per
    // Radscore feature makes the Radscore's coefficients unstable.
    let kept = model.radscore.coefficients.len();
    let rarer = model
        .training
        .events
        .min(model.training.n - model.training.events);
    if (rarer as f64) < 10.0 * kept as f64 {
        let w = format!(
            "the Radscore keeps {kept} feature(s) for {rarer} patients of the rarer outcome: {:.1} events per variable, below the 10 usually required (Peduzzi et al. 1996); its coefficients may not replicate",
            rarer as f64 / kept as f64
        );
        crate::note!("warning: {w}");
        model.warnings.push(w);
    }
    let rad = radscore_of(&model, &z);
    let values_of = |c: &Clinical| -> Result<Vec<f64>> {
        Ok(ds
            .numeric(&c.column, &rows)?
            .into_iter()
            .map(|v| c.value(v))
            .collect())
    };
    if !o.clinical_candidates.is_empty() {
        let with_values = |list: &[Clinical]| -> Result<Vec<(Clinical, Vec<f64>)>> {
            list.iter()
                .map(|c| Ok((c.clone(), values_of(c)?)))
                .collect()
        };
        let (selection, chosen) = super::selection::select(
            &y,
            &rad,
            &with_values(&fixed_clinical)?,
            &with_values(&candidate_clinical)?,
            o.enter_p,
            o.firth,
        )?;
        model.clinical = chosen;
        model.clinical_selection = Some(selection);
    }
    let clinical_values: Vec<Vec<f64>> = model
        .clinical
        .iter()
        .map(values_of)
        .collect::<Result<_>>()?;
    let firth = o.firth;
    let logit = |preds: Vec<(&str, &[f64])>, what: &str| -> Result<LogisticSummary> {
        // pROC's thresholds include ±∞ (everyone or no one positive), which JSON cannot
        // hold: for probabilities they act as 0 and 1 (but for a probability of exactly 1).
        let threshold = |fitted: &[f64]| -> Result<f64> {
            let best = youden(&y, fitted).map_err(|e| stats(e, what))?;
            Ok(best[0].threshold.clamp(0.0, 1.0))
        };
        let by_firth = |note: Option<String>| -> Result<LogisticSummary> {
            let f = fit_firth(&y, &preds).map_err(|e| stats(e, &format!("{what} (Firth)")))?;
            Ok(LogisticSummary::from_firth(&f, threshold(&f.fitted)?, note))
        };
        if firth {
            return by_firth(None);
        }
        match fit_logistic(&y, &preds, None, &LogisticOptions::default()) {
            Ok(f) => Ok(LogisticSummary::from_fit(&f, threshold(&f.fitted)?)),
            Err(e @ crate::model::StatsError::Separation { .. }) => {
                let note = format!(
                    "maximum likelihood has no finite estimates ({e}); fitted by Firth's penalised likelihood instead"
                );
                crate::note!("{what}: {note}");
                by_firth(Some(note))
            }
            Err(e) => Err(stats(e, what)),
        }
    };
    model.models.radscore = logit(vec![("Radscore", &rad)], "Radscore model")?;
    if !model.clinical.is_empty() {
        let names: Vec<String> = model.clinical.iter().map(|c| c.name.clone()).collect();
        let clin: Vec<(&str, &[f64])> = names
            .iter()
            .zip(&clinical_values)
            .map(|(c, v)| (c.as_str(), v.as_slice()))
            .collect();
        let mut comb = vec![("Radscore", rad.as_slice())];
        comb.extend(clin.iter().copied());
        let training: Vec<&[f64]> = comb.iter().map(|(_, v)| *v).collect();
        let combined = logit(comb.clone(), "combined model")?;
        model.nomogram = nomogram_summary("combined", &combined, &training)?;
        if o.bootstrap > 0 {
            bootstrap_into(&mut model, &y, &comb, o.bootstrap, o.seed);
        }
        model.models.combined = Some(combined);
        model.models.clinical = Some(logit(clin, "clinical model")?);
    } else {
        model.nomogram = nomogram_summary("radscore", &model.models.radscore, &[&rad])?;
        if o.bootstrap > 0 {
            bootstrap_into(&mut model, &y, &[("Radscore", &rad)], o.bootstrap, o.seed);
        }
    }
    Ok((model, rows))
}

/// Runs the bootstrap validation of the nomogram's model into `model`; where maximum
/// likelihood cannot fit the training patients (separation), a warning says so instead.
fn bootstrap_into(model: &mut Model, y: &[f64], preds: &[(&str, &[f64])], b: usize, seed: u64) {
    match crate::model::bootstrap::validate(y, preds, b, seed) {
        Ok(v) => model.internal_validation = Some(v),
        Err(e) => {
            let w = format!(
                "no bootstrap validation: the model cannot be refitted by maximum likelihood ({e})"
            );
            crate::note!("warning: {w}");
            model.warnings.push(w);
        }
    }
}

/// Most bootstrap resamples of the internal validation (each keeps 80 bytes of results).
pub const MAX_BOOTSTRAP: usize = 100_000;

/// Largest model file read (a model with thousands of features is a few megabytes).
const MAX_MODEL_FILE: u64 = 256 << 20;

impl Model {
    /// Reads a `model.json` written by `gpurad fit` and checks it ([`Model::check`]).
    pub fn read(path: &std::path::Path) -> Result<Model> {
        let text = crate::limits::read_text_bounded(path, MAX_MODEL_FILE, "model file")?;
        let bad = |detail: String| Error::Model {
            path: path.to_path_buf(),
            detail,
        };
        let model: Model = serde_json::from_str(&text)
            .map_err(|e| bad(format!("not a gpurad model file: {e}")))?;
        model.check().map_err(bad)?;
        Ok(model)
    }

    /// Checks that the parts of a model agree, so that applying it cannot fail half-way:
    /// features, means and SDs of equal length (SDs finite and positive), Radscore terms that
    /// are features, logistic models whose terms are the Radscore or a clinical predictor,
    /// finite coefficients, and a nomogram with one axis per predictor of its model. The error
    /// names the field.
    pub fn check(&self) -> std::result::Result<(), String> {
        let n = self.features.len();
        if n == 0 {
            return Err("'features' is empty: a Radscore needs at least one feature".into());
        }
        let st = &self.standardization;
        for (field, len) in [("mean", st.mean.len()), ("sd", st.sd.len())] {
            if len != n {
                return Err(format!(
                    "'standardization.{field}' has {len} value(s) for {n} feature(s)"
                ));
            }
        }
        if let Some(j) = st.mean.iter().position(|m| !m.is_finite()) {
            return Err(format!(
                "'standardization.mean' of '{}' is not finite",
                self.features[j]
            ));
        }
        if let Some(j) = st.sd.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(format!(
                "'standardization.sd' of '{}' is {}; an SD must be finite and positive",
                self.features[j], st.sd[j]
            ));
        }
        let mut features = std::collections::HashSet::new();
        for f in &self.features {
            if !features.insert(f.as_str()) {
                return Err(format!("feature '{f}' is listed twice in 'features'"));
            }
        }
        let rs = &self.radscore;
        if !rs.intercept.is_finite() {
            return Err("'radscore.intercept' is not finite".into());
        }
        if rs.coefficients.is_empty() {
            return Err("'radscore.coefficients' is empty".into());
        }
        for (name, beta) in &rs.coefficients {
            if !features.contains(name.as_str()) {
                return Err(format!(
                    "'radscore.coefficients' names '{name}', which is not in 'features'"
                ));
            }
            if !beta.as_f64().is_some_and(f64::is_finite) {
                return Err(format!(
                    "'radscore.coefficients' of '{name}' is {beta}, not a finite number"
                ));
            }
        }
        let mut clinical = std::collections::HashSet::new();
        for (k, c) in self.clinical.iter().enumerate() {
            if c.name.is_empty() || c.column.is_empty() {
                return Err(format!(
                    "'clinical' entry {} has an empty name or column",
                    k + 1
                ));
            }
            if !clinical.insert(c.name.as_str()) {
                return Err(format!("clinical predictor '{}' is listed twice", c.name));
            }
            if c.test.is_some_and(|(_, t)| !t.is_finite()) {
                return Err(format!(
                    "the threshold of clinical predictor '{}' is not finite",
                    c.name
                ));
            }
        }
        let has_clinical = !self.clinical.is_empty();
        let models = [
            ("combined", self.models.combined.as_ref()),
            ("clinical", self.models.clinical.as_ref()),
            ("radscore", Some(&self.models.radscore)),
        ];
        for (name, m) in models {
            let Some(m) = m else {
                if has_clinical {
                    return Err(format!(
                        "'models.{name}' is missing although 'clinical' lists predictors"
                    ));
                }
                continue;
            };
            if name != "radscore" && !has_clinical {
                return Err(format!(
                    "'models.{name}' is present but 'clinical' lists no predictor"
                ));
            }
            m.check(name, &self.clinical)?;
        }
        let nomo = &self.nomogram;
        let drawn = match nomo.model.as_str() {
            "combined" => self.models.combined.as_ref(),
            "radscore" => Some(&self.models.radscore),
            other => {
                return Err(format!(
                    "'nomogram.model' is '{other}' (combined or radscore)"
                ))
            }
        };
        let drawn = drawn.ok_or_else(|| {
            format!(
                "'nomogram.model' is '{}', which the file has no model for",
                nomo.model
            )
        })?;
        if nomo.axes.len() != drawn.terms.len() - 1 {
            return Err(format!(
                "'nomogram.axes' has {} axes for the {} predictor(s) of the {} model",
                nomo.axes.len(),
                drawn.terms.len() - 1,
                nomo.model
            ));
        }
        for (a, term) in nomo.axes.iter().zip(&drawn.terms[1..]) {
            if a.name != *term {
                return Err(format!(
                    "nomogram axis '{}' stands where the {} model has '{term}'",
                    a.name, nomo.model
                ));
            }
            if a.values.is_empty()
                || a.values.len() != a.points.len()
                || a.values.iter().chain(&a.points).any(|v| !v.is_finite())
            {
                return Err(format!(
                    "nomogram axis '{}' needs as many finite points as finite values",
                    a.name
                ));
            }
        }
        if !(nomo.scale.is_finite() && nomo.scale > 0.0 && nomo.points_intercept.is_finite()) {
            return Err(
                "'nomogram.scale' must be finite and positive, 'nomogram.points_intercept' finite"
                    .into(),
            );
        }
        Ok(())
    }
}

impl LogisticSummary {
    /// Checks a stored logistic model named `name`: `(Intercept)` first, then terms that are
    /// `Radscore` or a clinical predictor of `clinical`, each once, with a finite coefficient,
    /// and a threshold that is a probability.
    fn check(&self, name: &str, clinical: &[Clinical]) -> std::result::Result<(), String> {
        if self.terms.first().map(String::as_str) != Some("(Intercept)") || self.terms.len() < 2 {
            return Err(format!(
                "'models.{name}.terms' must start with (Intercept) and name at least one predictor"
            ));
        }
        if self.coefficients.len() != self.terms.len() {
            return Err(format!(
                "'models.{name}' has {} coefficient(s) for {} term(s)",
                self.coefficients.len(),
                self.terms.len()
            ));
        }
        let known: std::collections::HashSet<&str> =
            clinical.iter().map(|c| c.name.as_str()).collect();
        let mut seen = std::collections::HashSet::new();
        for t in self.terms.iter().skip(1) {
            if t != "Radscore" && !known.contains(t.as_str()) {
                return Err(format!(
                    "'models.{name}.terms' names '{t}', which is neither Radscore nor a predictor in 'clinical'"
                ));
            }
            if !seen.insert(t.as_str()) {
                return Err(format!("'models.{name}.terms' lists '{t}' twice"));
            }
        }
        if let Some(k) = self.coefficients.iter().position(|c| !c.is_finite()) {
            return Err(format!(
                "'models.{name}' coefficient of '{}' is not finite",
                self.terms[k]
            ));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(format!(
                "'models.{name}.threshold' is {}, not a probability between 0 and 1",
                self.threshold
            ));
        }
        Ok(())
    }
}
