//! `gpurad harmonize`: ComBat harmonisation ([`crate::model::combat`]) of a feature table's
//! radiomics columns across the batches of one column (scanner, centre), keeping the
//! effects of covariates; every other column is written back untouched. The fitted
//! adjustment is saved so that later patients of a seen batch are harmonised the same way.

use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use crate::error::{Error, Result};
use crate::model::combat::{apply, combat, CombatFit, CombatOptions};

/// Tokens that mark a radiomics feature column (PyRadiomics' class names in its column
/// names, e.g. `T2WI_original_glcm_Contrast`).
const FEATURE_TOKENS: [&str; 7] = [
    "_firstorder_",
    "_glcm_",
    "_glrlm_",
    "_glszm_",
    "_gldm_",
    "_ngtdm_",
    "_shape_",
];

/// A saved harmonisation (`<output>.combat.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Harmonization {
    /// The batch column.
    pub batch_column: String,
    /// Covariate columns whose effects were kept.
    pub covariates: Vec<String>,
    /// The harmonised feature columns, in order.
    pub features: Vec<String>,
    /// The fitted adjustment.
    pub fit: CombatFit,
}

/// The radiomics feature columns of `ds`: those named in `features`, else every column whose
/// name holds a PyRadiomics class token (`_glcm_`, `_firstorder_`, …) or starts with
/// `original_` and similar image prefixes.
pub fn feature_columns(ds: &Dataset, features: &[String]) -> Result<Vec<String>> {
    if !features.is_empty() {
        for f in features {
            ds.column(f)?;
        }
        return Ok(features.to_vec());
    }
    let found: Vec<String> = ds
        .columns
        .iter()
        .filter(|c| {
            let padded = format!("_{c}");
            FEATURE_TOKENS.iter().any(|t| padded.contains(t)) && !c.contains("diagnostics_")
        })
        .cloned()
        .collect();
    if found.is_empty() {
        return Err(Error::Table {
            path: ds.path.clone(),
            detail: "no radiomics feature columns (names with _glcm_, _firstorder_, …); name them with --features".into(),
        });
    }
    Ok(found)
}

fn values(ds: &Dataset, columns: &[String]) -> Result<Vec<Vec<f64>>> {
    let rows: Vec<usize> = (0..ds.rows.len()).collect();
    let cols: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| ds.numeric(c, &rows))
        .collect::<Result<_>>()?;
    Ok((0..rows.len())
        .map(|i| cols.iter().map(|c| c[i]).collect())
        .collect())
}

fn covariate_columns(ds: &Dataset, covariates: &[String]) -> Result<Vec<Vec<f64>>> {
    let rows: Vec<usize> = (0..ds.rows.len()).collect();
    covariates.iter().map(|c| ds.numeric(c, &rows)).collect()
}

/// Replaces the feature cells of `ds` by `harmonised` (`[patient][feature]`), written as the
/// shortest text that reads back to the same number.
fn write_back(ds: &mut Dataset, features: &[String], harmonised: &[Vec<f64>]) -> Result<()> {
    let idx: Vec<usize> = features
        .iter()
        .map(|f| ds.column(f))
        .collect::<Result<_>>()?;
    for (row, values) in ds.rows.iter_mut().zip(harmonised) {
        for (&c, v) in idx.iter().zip(values) {
            row[c] = format!("{v:?}");
        }
    }
    Ok(())
}

/// Fits ComBat on `ds` and harmonises it in place; returns the saved harmonisation.
///
/// # Errors
/// Missing columns, non-numeric or missing cells in a feature or covariate column, fewer than
/// two batches, or a covariate confounded with batch — naming the table and column.
pub fn fit_and_harmonize(
    ds: &mut Dataset,
    batch_column: &str,
    covariates: &[String],
    features: &[String],
    options: &CombatOptions,
) -> Result<Harmonization> {
    let features = feature_columns(ds, features)?;
    let batch = ds.text(batch_column)?;
    let data = values(ds, &features)?;
    let covs = covariate_columns(ds, covariates)?;
    let (harmonised, fit) = combat(&data, &batch, &covs, options).map_err(|e| Error::Table {
        path: ds.path.clone(),
        detail: format!("ComBat over '{batch_column}': {e}"),
    })?;
    write_back(ds, &features, &harmonised)?;
    Ok(Harmonization {
        batch_column: batch_column.to_string(),
        covariates: covariates.to_vec(),
        features,
        fit,
    })
}

/// Harmonises `ds` in place with a saved harmonisation (later patients of seen batches).
///
/// # Errors
/// A missing column, a batch the harmonisation has not seen, or bad cells.
pub fn apply_saved(ds: &mut Dataset, h: &Harmonization) -> Result<()> {
    let batch = ds.text(&h.batch_column)?;
    let data = values(ds, &h.features)?;
    let covs = covariate_columns(ds, &h.covariates)?;
    let harmonised = apply(&h.fit, &data, &batch, &covs).map_err(|e| Error::Table {
        path: ds.path.clone(),
        detail: format!("ComBat over '{}': {e}", h.batch_column),
    })?;
    write_back(ds, &h.features, &harmonised)
}

/// The table as CSV (RFC 4180 quoting).
pub fn to_csv(ds: &Dataset) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Error::Compute(format!("writing the harmonised table: {e}"));
    w.write_record(&ds.columns).map_err(io)?;
    for r in &ds.rows {
        w.write_record(r).map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| Error::Compute(format!("writing the harmonised table: {e}")))
}
