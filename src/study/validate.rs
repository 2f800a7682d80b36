//! `gpurad validate` and `gpurad predict`: a fitted [`Model`] applied to a feature table.
//!
//! Per cohort (the values of the cohort column, or all patients): for each model AUC with its
//! DeLong 95% CI (pROC), the training Youden threshold applied → the confusion counts and
//! sensitivity, specificity, PPV, NPV, accuracy with Clopper–Pearson 95% intervals (R
//! `binom.test`); Hosmer–Lemeshow (g = 10, as `ResourceSelection::hoslem.test`); calibration
//! intercept and slope; DeLong paired tests combined vs clinical and combined vs Radscore;
//! decision curves at thresholds 0.01…0.99.

use serde::Serialize;

use super::dataset::Dataset;
use super::fit::{cohort_rows, radscore_of, standardize, LogisticSummary, Model};
use crate::error::{Error, Result};
use crate::evaluate::calibration::logistic_calibration;
use crate::evaluate::decision_curve::{decision_curve, threshold_grid};
use crate::evaluate::hosmer_lemeshow::hosmer_lemeshow;
use crate::evaluate::roc::{auc_delong_ci, delong_paired_test};
use crate::evaluate::threshold::confusion_at;

/// Predictions for a set of patients.
#[derive(Debug, Clone, Serialize)]
pub struct Predictions {
    /// Patient IDs (row numbers when the table has no ID column).
    pub ids: Vec<String>,
    /// Cohort label per patient (empty without a cohort column).
    pub cohort: Vec<String>,
    /// Radscore.
    pub radscore: Vec<f64>,
    /// Model name → probability per patient.
    pub probabilities: Vec<(String, Vec<f64>)>,
    /// Total nomogram points per patient (the nomogram's model, see `Model::nomogram`).
    pub points: Vec<f64>,
    /// Linear predictor (log odds) of the nomogram's model per patient.
    pub linear_predictor: Vec<f64>,
    /// Outcome per patient, where the table has it.
    pub outcome: Option<Vec<f64>>,
}

impl Predictions {
    /// The predictions of the patients at positions `rows`.
    pub fn subset(&self, rows: &[usize]) -> Predictions {
        let pick = |v: &[f64]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        Predictions {
            ids: rows.iter().map(|&i| self.ids[i].clone()).collect(),
            cohort: rows.iter().map(|&i| self.cohort[i].clone()).collect(),
            radscore: pick(&self.radscore),
            probabilities: self
                .probabilities
                .iter()
                .map(|(n, v)| (n.clone(), pick(v)))
                .collect(),
            points: pick(&self.points),
            linear_predictor: pick(&self.linear_predictor),
            outcome: self.outcome.as_ref().map(|y| pick(y)),
        }
    }
}

/// Metrics of one model in one cohort.
#[derive(Debug, Clone, Serialize)]
pub struct ModelMetrics {
    /// Area under the ROC curve.
    pub auc: f64,
    /// DeLong 95% confidence interval, clipped to [0, 1].
    pub auc_ci: [f64; 2],
    /// The training Youden threshold that was applied.
    pub threshold: f64,
    /// Sensitivity at the threshold.
    pub sensitivity: f64,
    /// Specificity at the threshold.
    pub specificity: f64,
    /// Positive predictive value.
    pub ppv: f64,
    /// Negative predictive value.
    pub npv: f64,
    /// Accuracy.
    pub accuracy: f64,
    /// Events called positive at the threshold.
    pub tp: usize,
    /// Non-events called positive.
    pub fp: usize,
    /// Non-events called negative.
    pub tn: usize,
    /// Events called negative.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Clopper–Pearson 95% interval of the sensitivity (R `binom.test`); `null` without
    /// events.
    pub sensitivity_ci: Option<[f64; 2]>,
    /// Clopper–Pearson 95% interval of the specificity; `null` without non-events.
    pub specificity_ci: Option<[f64; 2]>,
    /// Clopper–Pearson 95% interval of the PPV; `null` when nobody is called positive.
    pub ppv_ci: Option<[f64; 2]>,
    /// Clopper–Pearson 95% interval of the NPV; `null` when nobody is called negative.
    pub npv_ci: Option<[f64; 2]>,
    /// Clopper–Pearson 95% interval of the accuracy.
    pub accuracy_ci: Option<[f64; 2]>,
    /// Hosmer–Lemeshow test; `null` when it is undefined for these predictions (e.g. a group
    /// with no expected events), with the reason in `hosmer_lemeshow_error`.
    pub hosmer_lemeshow: Option<HlSummary>,
    /// Why the Hosmer–Lemeshow test is undefined, if it is.
    pub hosmer_lemeshow_error: Option<String>,
    /// Calibration intercept and slope; `null` when the recalibration fit is undefined (e.g.
    /// separation), with the reason in `calibration_error`.
    pub calibration: Option<CalibrationSummary>,
    /// Why the calibration fit is undefined, if it is.
    pub calibration_error: Option<String>,
}

/// Hosmer–Lemeshow statistic, degrees of freedom and p-value.
#[derive(Debug, Clone, Serialize)]
pub struct HlSummary {
    /// χ² statistic.
    pub statistic: f64,
    /// Degrees of freedom (g − 2).
    pub df: usize,
    /// p-value.
    pub p: f64,
}

/// Calibration-in-the-large and calibration slope.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationSummary {
    /// Intercept of `glm(y ~ offset(logit p))`.
    pub intercept: f64,
    /// Slope of `logit p` in `glm(y ~ logit p)`.
    pub slope: f64,
}

/// Metrics of one cohort.
#[derive(Debug, Clone, Serialize)]
pub struct CohortMetrics {
    /// Cohort label (`all` without a cohort column).
    pub cohort: String,
    /// Patients.
    pub n: usize,
    /// Events.
    pub events: usize,
    /// Model name → metrics.
    pub models: serde_json::Map<String, serde_json::Value>,
    /// DeLong paired-test p-values: `combined_vs_clinical`, `combined_vs_radscore`.
    pub delong: serde_json::Map<String, serde_json::Value>,
    /// Decision curve: threshold, net benefit per model, treat all, treat none.
    pub decision_curve: Vec<serde_json::Value>,
}

fn stats(e: crate::model::StatsError, what: &str) -> Error {
    Error::Compute(format!("{what}: {e}"))
}

/// The models of `model` in output order, with their predictor columns.
fn models_of(model: &Model) -> Vec<(&'static str, &LogisticSummary)> {
    let mut v = Vec::new();
    if let Some(c) = &model.models.combined {
        v.push(("combined", c));
    }
    if let Some(c) = &model.models.clinical {
        v.push(("clinical", c));
    }
    v.push(("radscore", &model.models.radscore));
    v
}

/// Radscore and model probabilities for the patients `rows` of `ds`.
pub fn predict(
    model: &Model,
    ds: &Dataset,
    rows: &[usize],
    cohort: Option<&str>,
) -> Result<Predictions> {
    let x: Vec<Vec<f64>> = model
        .features
        .iter()
        .map(|f| ds.numeric(f, rows))
        .collect::<Result<_>>()?;
    let z = standardize(&x, &model.standardization);
    let rad = radscore_of(model, &z);
    // Values far outside the training range (or a model's extreme numbers) can overflow: an
    // error naming the patient and the feature most responsible, never an infinite score.
    if let Some(i) = rad.iter().position(|r| !r.is_finite()) {
        // The feature with the largest |z| (NaN first: it is the cause wherever it occurs).
        let (j, _) = z
            .iter()
            .enumerate()
            .map(|(j, col)| (j, col[i].abs()))
            .max_by(|a, b| match (a.1.is_nan(), b.1.is_nan()) {
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => a.1.total_cmp(&b.1),
            })
            .unwrap_or((0, 0.0));
        return Err(Error::Table {
            path: ds.path.clone(),
            detail: format!(
                "data row {}: the Radscore is {} (not finite); its value of '{}' ({}) is far outside the training range (mean {}, SD {})",
                rows[i] + 1,
                rad[i],
                model.features[j],
                x[j][i],
                model.standardization.mean[j],
                model.standardization.sd[j]
            ),
        });
    }
    let clinical: Vec<Vec<f64>> = model
        .clinical
        .iter()
        .map(|c| {
            Ok(ds
                .numeric(&c.column, rows)?
                .into_iter()
                .map(|v| c.value(v))
                .collect())
        })
        .collect::<Result<_>>()?;
    let mut probabilities = Vec::new();
    let mut points = vec![f64::NAN; rows.len()];
    let mut linear_predictor = vec![f64::NAN; rows.len()];
    for (name, m) in models_of(model) {
        let mut cols: Vec<&[f64]> = Vec::new();
        for term in &m.terms[1..] {
            if term == "Radscore" {
                cols.push(&rad);
            } else {
                let k = model
                    .clinical
                    .iter()
                    .position(|c| &c.name == term)
                    .expect("model terms are Radscore or clinical");
                cols.push(&clinical[k]);
            }
        }
        probabilities.push((name.to_string(), m.predict(&cols)));
        if name == model.nomogram.model {
            points = nomogram_points(model, m, &cols);
            linear_predictor = m.linear_predictor(&cols);
        }
    }
    if let Some(i) = points.iter().position(|p| !p.is_finite()) {
        return Err(Error::Compute(format!(
            "data row {}: the nomogram points are {} (not finite): the model's coefficients and the patient's values overflow",
            rows[i] + 1,
            points[i]
        )));
    }
    // The model's ID column must be in the table (else patients could only be numbered by
    // row, which no one can join back to them).
    let ids = match &model.id {
        Some(c) if ds.column(c).is_err() => {
            return Err(Error::Table {
                path: ds.path.clone(),
                detail: format!(
                "no column '{c}' (the model's ID column): add it, or name the ID column with --id"
            ),
            })
        }
        Some(c) => {
            ds.check_unique(c)?;
            let t = ds.text(c)?;
            rows.iter().map(|&i| t[i].clone()).collect()
        }
        _ => rows.iter().map(|i| (i + 1).to_string()).collect(),
    };
    let cohort_labels = match cohort {
        Some(c) => {
            let t = ds.text(c)?;
            rows.iter().map(|&i| t[i].clone()).collect()
        }
        None => vec![String::new(); rows.len()],
    };
    // New patients may have no outcome yet.
    let outcome = ds.numeric(&model.outcome, rows).ok();
    Ok(Predictions {
        ids,
        cohort: cohort_labels,
        radscore: rad,
        probabilities,
        points,
        linear_predictor,
        outcome,
    })
}

/// Total nomogram points: Σ_k (β_k·x_k − min_k)·scale, with min_k the smallest term over the
/// predictor's axis (rms conventions, [`crate::model::nomogram`]).
fn nomogram_points(model: &Model, m: &LogisticSummary, cols: &[&[f64]]) -> Vec<f64> {
    let n = cols.first().map_or(0, |c| c.len());
    let nomo = &model.nomogram;
    (0..n)
        .map(|i| {
            nomo.axes
                .iter()
                .zip(&m.coefficients[1..])
                .zip(cols)
                .map(|((axis, b), x)| {
                    let min = axis
                        .values
                        .iter()
                        .map(|v| b * v)
                        .fold(f64::INFINITY, f64::min);
                    (b * x[i] - min) * nomo.scale
                })
                .sum()
        })
        .collect()
}

/// The Clopper–Pearson 95% interval of `x` of `n` (`None` when `n` is 0).
fn exact(x: usize, n: usize) -> Option<[f64; 2]> {
    crate::evaluate::proportion::clopper_pearson(x, n, 0.95).ok()
}

/// Metrics of every model for the patients of one cohort.
pub fn cohort_metrics(model: &Model, p: &Predictions, label: &str) -> Result<CohortMetrics> {
    let y = p.outcome.as_ref().ok_or_else(|| {
        Error::Compute(format!(
            "the table has no outcome column '{}'",
            model.outcome
        ))
    })?;
    let what = |m: &str| format!("{m} model, cohort {label}");
    let mut models = serde_json::Map::new();
    for ((name, probs), (_, summary)) in p.probabilities.iter().zip(models_of(model)) {
        let ci = auc_delong_ci(y, probs, 0.95).map_err(|e| stats(e, &what(name)))?;
        let cm = confusion_at(y, probs, summary.threshold).map_err(|e| stats(e, &what(name)))?;
        let hl = hosmer_lemeshow(y, probs, 10);
        let cal = logistic_calibration(y, probs);
        let mm = ModelMetrics {
            auc: ci.auc,
            auc_ci: [ci.ci_low, ci.ci_high],
            threshold: summary.threshold,
            sensitivity: cm.sensitivity(),
            specificity: cm.specificity(),
            ppv: cm.ppv(),
            npv: cm.npv(),
            accuracy: cm.accuracy(),
            tp: cm.tp,
            fp: cm.fp,
            tn: cm.tn,
            fn_: cm.fn_,
            sensitivity_ci: exact(cm.tp, cm.tp + cm.fn_),
            specificity_ci: exact(cm.tn, cm.tn + cm.fp),
            ppv_ci: exact(cm.tp, cm.tp + cm.fp),
            npv_ci: exact(cm.tn, cm.tn + cm.fn_),
            accuracy_ci: exact(cm.tp + cm.tn, cm.tp + cm.fp + cm.tn + cm.fn_),
            hosmer_lemeshow: hl.as_ref().ok().map(|h| HlSummary {
                statistic: h.statistic,
                df: h.df,
                p: h.p_value,
            }),
            hosmer_lemeshow_error: hl.err().map(|e| e.to_string()),
            calibration: cal.as_ref().ok().map(|c| CalibrationSummary {
                intercept: c.intercept,
                slope: c.slope,
            }),
            calibration_error: cal.err().map(|e| e.to_string()),
        };
        models.insert(
            name.clone(),
            serde_json::to_value(mm).expect("metrics serialise"),
        );
    }
    let prob = |n: &str| p.probabilities.iter().find(|(k, _)| k == n).map(|(_, v)| v);
    let mut delong = serde_json::Map::new();
    if let (Some(c), Some(k), Some(r)) = (prob("combined"), prob("clinical"), prob("radscore")) {
        for (key, other) in [("combined_vs_clinical", k), ("combined_vs_radscore", r)] {
            let t = delong_paired_test(y, c, other)
                .map_err(|e| stats(e, &format!("DeLong test {key}, cohort {label}")))?;
            delong.insert(key.into(), serde_json::json!({"z": t.z, "p": t.p_value}));
        }
    }
    let grid = threshold_grid(0.01, 0.99, 0.01).map_err(|e| stats(e, "decision curve"))?;
    let mut rows: Vec<serde_json::Map<String, serde_json::Value>> = grid
        .iter()
        .map(|t| {
            let mut m = serde_json::Map::new();
            m.insert("threshold".into(), serde_json::json!(t));
            m
        })
        .collect();
    for (name, probs) in &p.probabilities {
        let nb = decision_curve(y, probs, &grid).map_err(|e| stats(e, &what(name)))?;
        for (row, b) in rows.iter_mut().zip(&nb) {
            row.insert(name.clone(), serde_json::json!(b.model));
            row.insert("treat_all".into(), serde_json::json!(b.treat_all));
            row.insert("treat_none".into(), serde_json::json!(b.treat_none));
        }
    }
    Ok(CohortMetrics {
        cohort: label.into(),
        n: y.len(),
        events: y.iter().filter(|v| **v == 1.0).count(),
        models,
        delong,
        decision_curve: rows.into_iter().map(serde_json::Value::Object).collect(),
    })
}

/// Validates `model` on every cohort of `ds` (the values of `cohort`, in order of first
/// appearance; all patients as `all` without one). Returns the metrics and the predictions
/// of all patients.
pub fn validate(
    model: &Model,
    ds: &Dataset,
    cohort: Option<&str>,
    drop_incomplete: bool,
) -> Result<(Vec<CohortMetrics>, Predictions)> {
    let labels: Vec<String> = match cohort {
        Some(c) => {
            let mut seen: Vec<String> = Vec::new();
            for v in ds.text(c)? {
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
            seen
        }
        None => vec!["all".into()],
    };
    let mut needed: Vec<usize> = model
        .features
        .iter()
        .map(|f| ds.column(f))
        .collect::<Result<_>>()?;
    for c in &model.clinical {
        needed.push(ds.column(&c.column)?);
    }
    needed.push(ds.column(&model.outcome)?);
    // Select each cohort's patients, predict all of them once, then evaluate per cohort.
    let mut all_rows = Vec::new();
    let mut spans = Vec::new();
    for label in &labels {
        let mut rows = match cohort {
            Some(c) => cohort_rows(ds, Some(c), label)?,
            None => (0..ds.rows.len()).collect(),
        };
        if drop_incomplete {
            rows = ds.complete_rows(&needed, &rows);
        }
        spans.push(all_rows.len()..all_rows.len() + rows.len());
        all_rows.extend(rows);
    }
    // The outcome is required here (predict alone leaves it out when it is unusable).
    ds.numeric(&model.outcome, &all_rows)?;
    let preds = predict(model, ds, &all_rows, cohort)?;
    let metrics = labels
        .iter()
        .zip(spans)
        .map(|(label, span)| cohort_metrics(model, &preds.subset(&span.collect::<Vec<_>>()), label))
        .collect::<Result<Vec<_>>>()?;
    Ok((metrics, preds))
}

/// Writes predictions as CSV: ID, cohort, outcome (if known), Radscore, one probability
/// column per model, total nomogram points.
pub fn write_predictions(p: &Predictions, out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["ID".to_string(), "cohort".into()];
    if p.outcome.is_some() {
        header.push("outcome".into());
    }
    header.push("radscore".into());
    header.extend(p.probabilities.iter().map(|(n, _)| format!("p_{n}")));
    header.push("nomogram_points".into());
    w.write_record(&header)?;
    for i in 0..p.ids.len() {
        let mut rec = vec![p.ids[i].clone(), p.cohort[i].clone()];
        if let Some(y) = &p.outcome {
            rec.push(format!("{}", y[i]));
        }
        rec.push(format!("{:?}", p.radscore[i]));
        rec.extend(p.probabilities.iter().map(|(_, v)| format!("{:?}", v[i])));
        rec.push(format!("{:?}", p.points[i]));
        w.write_record(&rec)?;
    }
    w.flush()
}
