//! Bootstrap validation of the whole modelling pipeline (`--bootstrap-pipeline B`; Harrell,
//! *Regression Modeling Strategies*, 2nd ed., §5.3; Steyerberg, *Clinical Prediction
//! Models*, 2nd ed., ch. 17): every step that looked at the outcome — the feature filters,
//! the cross-validated LASSO (folds and λ), the clinical-factor selection and the logistic
//! models — is repeated on each bootstrap resample of the training patients. Each refitted
//! pipeline's indexes on its own resample (*training*) and on the original patients (*test*)
//! give its optimism; corrected = apparent − mean optimism, as `rms::validate` computes
//! them ([`crate::model::bootstrap`]).
//!
//! With a LASSO Radscore chosen from thousands of features this is the honest internal
//! validation: the fixed-Radscore bootstrap (`--bootstrap`) refits only the final logistic
//! model and misses the optimism of the feature selection.
//!
//! A resample's patients keep their data; a patient drawn twice is a second row with `#2`
//! appended to its ID. Folds are drawn anew per resample (seed + resample number) unless a
//! fold column is given. A refit that fails (e.g. no feature survives the filters) is left
//! out and its cause counted. Resample `r` draws from xoshiro256** stream `r` of the seed:
//! the result does not depend on the number of threads.

use rayon::prelude::*;

use super::dataset::Dataset;
use super::fit::{fit_with_rows, FitOptions, Model};
use super::validate::predict;
use crate::error::{Error, Result};
use crate::model::bootstrap::{apparent_indexes, indexes, summarize, PipelineValidation};

/// Most resamples of the pipeline validation (each refits the whole pipeline).
pub const MAX_PIPELINE_BOOTSTRAP: usize = 10_000;

/// The column of fold numbers added to each resample (when folds are drawn).
const FOLD_COLUMN: &str = "gpurad_bootstrap_fold";

/// The nomogram model's linear predictor of `model` for the patients `rows` of `ds`.
fn linear_predictor(model: &Model, ds: &Dataset, rows: &[usize]) -> Result<Vec<f64>> {
    Ok(predict(model, ds, rows, None)?.linear_predictor)
}

/// Fits the model as [`super::fit::fit`] does and, with `o.bootstrap_pipeline > 0`,
/// validates the whole pipeline by the bootstrap into `model.internal_validation_pipeline`.
///
/// # Errors
/// Those of the fit; a resample count above [`MAX_PIPELINE_BOOTSTRAP`].
pub fn fit_validated(ds: &Dataset, o: &FitOptions) -> Result<Model> {
    let b = o.bootstrap_pipeline;
    if b > MAX_PIPELINE_BOOTSTRAP {
        return Err(Error::Settings(format!(
            "--bootstrap-pipeline {b} is more resamples than the {MAX_PIPELINE_BOOTSTRAP} gpurad runs (each refits the whole pipeline; 200–500 are usual)"
        )));
    }
    let (mut model, rows) = fit_with_rows(ds, o)?;
    if b == 0 {
        return Ok(model);
    }
    crate::note!(
        "validating the whole pipeline on {b} bootstrap resamples of the {} training patients (filters, CV-LASSO, clinical selection and models refitted each time)",
        rows.len()
    );
    let y = ds.numeric(&o.outcome, &rows)?;
    let lp = linear_predictor(&model, ds, &rows)?;
    let apparent = apparent_indexes(&y, &lp).ok_or_else(|| {
        Error::Compute("pipeline validation: the apparent indexes cannot be computed".into())
    })?;
    if o.foldid.is_none() && ds.column(FOLD_COLUMN).is_ok() {
        return Err(Error::Settings(format!(
            "--bootstrap-pipeline: the table has a column '{FOLD_COLUMN}', the name the resamples' folds take; rename it"
        )));
    }
    let id = model.id.clone();
    let inner = FitOptions {
        bootstrap: 0,
        bootstrap_pipeline: 0,
        drop_incomplete: false,
        ..o.clone()
    };
    let n = rows.len();
    // Each resample: its (training, test) indexes and the Radscore's features, or the cause
    // of its failure.
    type Refit = (([f64; 5], [f64; 5]), Vec<String>);
    type Run = std::result::Result<Refit, String>;
    let runs: Vec<Run> = (0..b)
        .into_par_iter()
        .map(|r| {
            let mut rng = crate::rng::Xoshiro256::stream(o.seed, r as u64, 1);
            let drawn: Vec<usize> = (0..n).map(|_| rows[rng.below(n)]).collect();
            crate::io::output::quietly(|| {
                let mut resample = ds
                    .resampled(&drawn, id.as_deref())
                    .map_err(|e| e.to_string())?;
                let seed = o.seed.wrapping_add(r as u64 + 1);
                let mut options = FitOptions {
                    seed,
                    ..inner.clone()
                };
                if o.foldid.is_none() {
                    // A patient drawn twice must not be in a training and a test fold at
                    // once: folds are drawn per patient, and the copies share theirs.
                    let mut patients: Vec<usize> = drawn.clone();
                    patients.sort_unstable();
                    patients.dedup();
                    let k = o.nfolds.min(patients.len());
                    let folds = crate::model::lasso::fold_ids(patients.len(), k, seed)
                        .map_err(|e| e.to_string())?;
                    let column: Vec<String> = drawn
                        .iter()
                        .map(|d| {
                            let p = patients.binary_search(d).expect("a drawn patient");
                            folds[p].to_string()
                        })
                        .collect();
                    resample
                        .add_column(FOLD_COLUMN, column)
                        .map_err(|e| e.to_string())?;
                    options.foldid = Some(FOLD_COLUMN.into());
                }
                let (m, own) = fit_with_rows(&resample, &options).map_err(|e| e.to_string())?;
                let yb = resample
                    .numeric(&o.outcome, &own)
                    .map_err(|e| e.to_string())?;
                let lp_own = linear_predictor(&m, &resample, &own).map_err(|e| e.to_string())?;
                let lp_test = linear_predictor(&m, ds, &rows).map_err(|e| e.to_string())?;
                let train = apparent_indexes(&yb, &lp_own)
                    .ok_or("the refit's concordance on its resample cannot be computed")?;
                let test = indexes(&y, &lp_test)
                    .ok_or("the recalibration of the refit failed on the original patients")?;
                let kept = m.radscore.coefficients.keys().cloned().collect();
                Ok(((train, test), kept))
            })
        })
        .collect();
    let ok: Vec<&Refit> = runs.iter().filter_map(|r| r.as_ref().ok()).collect();
    let mut failures: Vec<(String, usize)> = Vec::new();
    for e in runs.iter().filter_map(|r| r.as_ref().err()) {
        match failures.iter_mut().find(|(m, _)| m == e) {
            Some((_, c)) => *c += 1,
            None => failures.push((e.clone(), 1)),
        }
    }
    if ok.is_empty() {
        return Err(Error::Compute(format!(
            "pipeline validation: none of the {b} refits succeeded (first cause: {})",
            failures.first().map_or("unknown", |(m, _)| m.as_str())
        )));
    }
    let pairs: Vec<([f64; 5], [f64; 5])> = ok.iter().map(|(p, _)| *p).collect();
    let mut sizes: Vec<f64> = ok.iter().map(|(_, k)| k.len() as f64).collect();
    sizes.sort_by(f64::total_cmp);
    let median = crate::model::two_group::quantile7(&sizes, 0.5);
    let mut feature_frequency: Vec<(String, f64)> = model
        .radscore
        .coefficients
        .keys()
        .map(|f| {
            let kept = ok.iter().filter(|(_, k)| k.contains(f)).count();
            (f.clone(), kept as f64 / ok.len() as f64)
        })
        .collect();
    feature_frequency.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    model.internal_validation_pipeline = Some(PipelineValidation {
        b,
        successful: ok.len(),
        seed: o.seed,
        indexes: summarize(&apparent, &pairs),
        radscore_size: [sizes[0], median, sizes[sizes.len() - 1]],
        feature_frequency,
        failures,
    });
    Ok(model)
}
