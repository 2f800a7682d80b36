//! `gpurad study`: a cohort from files to a validated nomogram in one run — extract every
//! sequence of every patient ([`crate::cohort`], resumable), fit the Radscore and the logistic
//! models on the training cohort ([`super::fit`]), validate them on every cohort
//! ([`super::validate`]) and write an HTML report ([`crate::report::html`]).
//!
//! Output folder: `features.csv` (the extraction, one row per patient), `model.json` and
//! the LASSO figures, `validation/` (`metrics.json`, `predictions.csv`, figures) and
//! `report.html` (self-contained). Patients whose extraction failed are left out of the
//! model and listed, with the cause, in the report.

use std::path::{Path, PathBuf};
use std::time::Instant;

pub use crate::report::html::Timings;

use super::clinical::Clinical;
use super::dataset::Dataset;
use super::fit::{FilterSpec, FitOptions, LambdaRule, Model};
use super::outputs::{summary_table, write_validation};
use super::validate::{validate, CohortMetrics};
use crate::cohort;
use crate::error::{Error, Result};
use crate::io::manifest;
use crate::settings::Params;

/// Settings of a study run.
#[derive(Debug, Clone)]
pub struct StudyOptions {
    /// The cohort manifest.
    pub manifest: PathBuf,
    /// Output folder.
    pub out: PathBuf,
    /// Outcome column (0/1) of the manifest.
    pub outcome: String,
    /// Clinical predictors (`age>60`, …).
    pub clinical: Vec<Clinical>,
    /// Candidate clinical predictors, selected by univariable entry and backward AIC.
    pub clinical_candidates: Vec<Clinical>,
    /// Entry level of the candidates' univariable screen.
    pub enter_p: f64,
    /// Fit every logistic model by Firth's penalised likelihood.
    pub firth: bool,
    /// Bootstrap resamples of the internal validation (0: none).
    pub bootstrap: usize,
    /// Bootstrap resamples of the whole pipeline's validation (0: none).
    pub bootstrap_pipeline: usize,
    /// ComBat-harmonise the radiomics features across the batches of this column (scanner,
    /// centre) before fitting, the training cohort's batch as the reference (unchanged).
    pub harmonize_batch: Option<String>,
    /// Cohort column of the manifest (`train` / other values).
    pub cohort_column: String,
    /// The training cohort's label.
    pub train_value: String,
    /// Feature filters before the LASSO.
    pub filters: Vec<FilterSpec>,
    /// Cross-validation folds.
    pub nfolds: usize,
    /// Seed of the fold draw.
    pub seed: u64,
    /// λ rule of the Radscore.
    pub lambda: LambdaRule,
    /// Extraction settings.
    pub params: Params,
    /// Extraction run settings (jobs, device, progress; `resume` is always on).
    pub extraction: cohort::Options,
    /// Title of the report.
    pub title: String,
}

/// What a study run produced.
#[derive(Debug, Clone)]
pub struct StudyResult {
    /// The extraction run.
    pub extraction: cohort::Summary,
    /// Patients left out because their extraction failed: (ID, cause).
    pub failed: Vec<(String, String)>,
    /// The fitted model.
    pub model: Model,
    /// Metrics per cohort.
    pub metrics: Vec<CohortMetrics>,
    /// The summary table (as printed).
    pub summary: String,
    /// Stage timings.
    pub timings: Timings,
    /// `report.html`.
    pub report: PathBuf,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |cause| Error::Write {
        path: path.to_path_buf(),
        cause,
    }
}

/// Runs the study; see the module documentation.
pub fn run_study(o: &StudyOptions) -> Result<StudyResult> {
    std::fs::create_dir_all(&o.out).map_err(io(&o.out))?;
    let m = manifest::read(&o.manifest)?;
    for col in [&o.outcome, &o.cohort_column] {
        if !m.columns.contains(col) {
            return Err(Error::Manifest {
                path: o.manifest.clone(),
                detail: format!("no '{col}' column (columns: {})", m.columns.join(", ")),
            });
        }
    }
    let features = o.out.join("features.csv");
    let t = Instant::now();
    let extraction = cohort::run(
        &m,
        &o.params,
        &features,
        &cohort::Options {
            resume: true,
            shard: None,
            ..o.extraction.clone()
        },
    )?;
    let t_extract = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut ds = Dataset::read(&features)?;
    let err_col = ds.column(cohort::ERROR)?;
    let id_col = ds.column("ID").ok();
    let failed: Vec<(String, String)> = ds
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r[err_col].is_empty())
        .map(|(i, r)| {
            let id = id_col.map_or_else(|| (i + 1).to_string(), |c| r[c].clone());
            (id, r[err_col].clone())
        })
        .collect();
    ds.rows.retain(|r| r[err_col].is_empty());
    if ds.rows.is_empty() {
        return Err(Error::Compute(format!(
            "the extraction failed for every patient ({} failures); see the error column of {}",
            failed.len(),
            features.display()
        )));
    }
    // ComBat with the training cohort's batch as the reference: the training patients stay
    // as they are, the others are aligned to them.
    let unharmonized = match &o.harmonize_batch {
        None => None,
        Some(col) => {
            let raw = ds.clone();
            let b = ds.column(col)?;
            let c = ds.column(&o.cohort_column)?;
            let mut train_batches: Vec<String> = ds
                .rows
                .iter()
                .filter(|r| r[c] == o.train_value)
                .map(|r| r[b].clone())
                .collect();
            train_batches.sort();
            train_batches.dedup();
            let reference = match train_batches.as_slice() {
                [one] => Some(one.clone()),
                _ => None,
            };
            let h = super::harmonize::fit_and_harmonize(
                &mut ds,
                col,
                &[],
                &[],
                &crate::model::combat::CombatOptions {
                    reference,
                    ..Default::default()
                },
            )?;
            crate::io::output::write(
                &o.out.join("harmonization.combat.json"),
                serde_json::to_string_pretty(&h).expect("harmonisation serialises") + "\n",
            )?;
            crate::note!(
                "ComBat: {} features harmonised across {} ({}), reference {}",
                h.features.len(),
                col,
                h.fit.batches.join(", "),
                h.fit
                    .reference
                    .as_deref()
                    .unwrap_or("none (the training cohort spans several batches)")
            );
            Some(raw)
        }
    };
    let fit_options = FitOptions {
        outcome: o.outcome.clone(),
        id: id_col.map(|_| "ID".to_string()),
        clinical: o.clinical.clone(),
        clinical_candidates: o.clinical_candidates.clone(),
        enter_p: o.enter_p,
        // The manifest's own columns (paths, clinical and other patient data) are never
        // radiomics features.
        exclude: m
            .columns
            .iter()
            .filter(|c| {
                **c != o.outcome
                    && **c != o.cohort_column
                    && c.trim() != "ID"
                    && !o
                        .clinical
                        .iter()
                        .chain(&o.clinical_candidates)
                        .any(|k| k.column == **c)
            })
            .cloned()
            .collect(),
        cohort: Some(o.cohort_column.clone()),
        train_value: o.train_value.clone(),
        foldid: None,
        nfolds: o.nfolds,
        seed: o.seed,
        lambda: o.lambda,
        drop_incomplete: false,
        filters: o.filters.clone(),
        repeats: Vec::new(),
        firth: o.firth,
        bootstrap: o.bootstrap,
        bootstrap_pipeline: o.bootstrap_pipeline,
    };
    // The columns of the harmonisation's batch are patient data, never features.
    let mut fit_options = fit_options;
    if let Some(col) = &o.harmonize_batch {
        if !fit_options.exclude.contains(col) && ds.column(col).is_ok() {
            fit_options.exclude.push(col.clone());
        }
    }
    let model = super::pipeline_validation::fit_validated(&ds, &fit_options)?;
    // Table 1 of the clinical columns, by outcome within each cohort.
    let mut vars: Vec<String> = Vec::new();
    for c in o.clinical.iter().chain(&o.clinical_candidates) {
        if !vars.contains(&c.column) {
            vars.push(c.column.clone());
        }
    }
    let baseline = if vars.is_empty() {
        None
    } else {
        let t = super::table1::table1(
            &ds,
            &super::table1::Table1Options {
                group: o.outcome.clone(),
                strata: Some(o.cohort_column.clone()),
                vars,
                categorical: Vec::new(),
            },
        )?;
        crate::io::output::write(
            &o.out.join("table1.json"),
            serde_json::to_string_pretty(&t).expect("Table 1 serialises") + "\n",
        )?;
        crate::io::output::write(&o.out.join("table1.csv"), super::table1::to_csv(&t))?;
        Some(t)
    };
    let model_path = o.out.join("model.json");
    crate::io::output::write(
        &model_path,
        serde_json::to_string_pretty(&model).expect("model serialises") + "\n",
    )?;
    let model_figures = super::figures::model_figures(&model)?;
    super::figures::write_figures(&o.out, &model_figures)?;
    let t_fit = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let (metrics, preds) = validate(&model, &ds, Some(&o.cohort_column), false)?;
    let metrics_unharmonized = match &unharmonized {
        Some(raw) => Some(validate(&model, raw, Some(&o.cohort_column), false)?.0),
        None => None,
    };
    let validation_dir = o.out.join("validation");
    let cohort_figures = write_validation(
        &validation_dir,
        "../model.json",
        &model,
        &metrics,
        &preds,
        Some(&o.cohort_column),
        Some(&o.train_value),
    )?;
    let summary = summary_table(&metrics);
    let mut timings = Timings {
        extract: t_extract,
        fit: t_fit,
        validate: 0.0,
    };
    timings.validate = t.elapsed().as_secs_f64();
    let mut figures: Vec<(String, String)> = model_figures
        .into_iter()
        .filter(|(n, _)| n != "nomogram.svg")
        .collect();
    figures.extend(cohort_figures);
    let html = crate::report::html::study_report(&crate::report::html::StudyReport {
        title: &o.title,
        manifest: &o.manifest,
        extraction: &extraction,
        failed: &failed,
        model: &model,
        metrics: &metrics,
        summary: &summary,
        timings: &timings,
        figures: &figures,
        train_value: &o.train_value,
        table1: baseline.as_ref(),
        unharmonized: metrics_unharmonized.as_deref(),
    });
    let report = o.out.join("report.html");
    crate::io::output::write(&report, html)?;
    Ok(StudyResult {
        extraction,
        failed,
        model,
        metrics,
        summary,
        timings,
        report,
    })
}
