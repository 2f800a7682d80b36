//! Files a validation writes (`metrics.json`, `predictions.csv`, SVG figures) and the study's
//! summary table, shared by `gpurad validate` and `gpurad study`.

use std::path::Path;

use super::figures::{cohort_figures, model_figures};
use super::fit::Model;
use super::validate::{write_predictions, CohortMetrics, Predictions};
use crate::error::{Error, Result};

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |cause| Error::Write {
        path: path.to_path_buf(),
        cause,
    }
}

/// Writes `dir/metrics.json` (`model_ref` names the model in it), `dir/predictions.csv`,
/// the per-cohort figures and the nomogram; returns the figures `(file name, SVG)` written.
/// `fitted_on` names the cohort the model was fitted on: its calibration plot also shows the
/// bootstrap's apparent and bias-corrected curves.
pub fn write_validation(
    dir: &Path,
    model_ref: &str,
    model: &Model,
    metrics: &[CohortMetrics],
    preds: &Predictions,
    cohort_column: Option<&str>,
    fitted_on: Option<&str>,
) -> Result<Vec<(String, String)>> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json = serde_json::json!({
        "gpurad_version": crate::extract::VERSION,
        "model": model_ref,
        "cohorts": metrics,
    });
    let path = dir.join("metrics.json");
    crate::io::output::write(
        &path,
        serde_json::to_string_pretty(&json).expect("metrics serialise") + "\n",
    )?;
    let path = dir.join("predictions.csv");
    write_predictions(preds, crate::io::output::create(&path)?).map_err(io(&path))?;
    let mut figures = Vec::new();
    for c in metrics {
        let rows: Vec<usize> = (0..preds.ids.len())
            .filter(|&i| cohort_column.is_none() || preds.cohort[i] == c.cohort)
            .collect();
        // The bootstrap calibration curve belongs to the patients the model was fitted on.
        let bootstrap = model
            .internal_validation
            .as_ref()
            .filter(|_| fitted_on == Some(c.cohort.as_str()));
        figures.extend(cohort_figures(
            &preds.subset(&rows),
            &c.cohort,
            &model.outcome,
            bootstrap,
        )?);
    }
    figures.extend(
        model_figures(model)?
            .into_iter()
            .filter(|(name, _)| name == "nomogram.svg"),
    );
    super::figures::write_figures(dir, &figures)?;
    Ok(figures)
}

/// The study's summary table: per cohort and model AUC (95% CI), sensitivity, specificity
/// (at the training Youden threshold) and Hosmer–Lemeshow p; then the DeLong tests.
pub fn summary_table(metrics: &[CohortMetrics]) -> String {
    let mut out = format!(
        "{:<12} {:<10} {:>5} {:>22} {:>6} {:>6} {:>7}\n",
        "cohort", "model", "n", "AUC (95% CI)", "sens", "spec", "HL p"
    );
    for c in metrics {
        for (name, m) in &c.models {
            let f = |k: &str| m[k].as_f64().unwrap_or(f64::NAN);
            out += &format!(
                "{:<12} {:<10} {:>5} {:>22} {:>6.3} {:>6.3} {:>7.3}\n",
                c.cohort,
                name,
                c.n,
                format!(
                    "{:.3} ({:.3}–{:.3})",
                    f("auc"),
                    m["auc_ci"][0].as_f64().unwrap_or(f64::NAN),
                    m["auc_ci"][1].as_f64().unwrap_or(f64::NAN)
                ),
                f("sensitivity"),
                f("specificity"),
                m["hosmer_lemeshow"]["p"].as_f64().unwrap_or(f64::NAN)
            );
        }
        for (k, v) in &c.delong {
            let p = v["p"].as_f64().unwrap_or(f64::NAN);
            let p = if p < 1e-4 {
                "< 0.0001".to_string()
            } else {
                format!("= {p:.4}")
            };
            out += &format!("{:<12} DeLong {k}: p {p}\n", c.cohort);
        }
    }
    out
}
