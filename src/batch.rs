//! Batch extraction over a manifest: cases in parallel, each isolated, so a failing case
//! yields a row with its `error` and the run goes on.

use rayon::prelude::*;

use crate::extract::{extract_case_on, Row, Value};
use crate::io::manifest::Case;
use crate::matrices::gpu::DeviceChoice;
use crate::settings::Params;

/// Result of a batch: rows in manifest order and how many cases failed.
pub struct BatchResult {
    /// One row per case: passthrough columns, then features or an `error` cell.
    pub rows: Vec<Row>,
    /// Number of cases whose row carries an error.
    pub failures: usize,
}

/// Extracts every case; `jobs` threads (0 = all cores); texture matrices on `device`.
pub fn run(cases: &[Case], params: &Params, jobs: usize, device: DeviceChoice) -> BatchResult {
    let work = || -> Vec<Row> {
        cases
            .par_iter()
            .map(|case| {
                let mut p = params.clone();
                if let Some(l) = case.label {
                    p.settings.label = l;
                }
                let mut row: Row = case
                    .passthrough
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::Text(v.clone())))
                    .collect();
                match extract_case_on(&case.image, &case.mask, &p, device) {
                    Ok(features) => {
                        row.extend(features);
                        row.push(("error".into(), Value::Text(String::new())));
                    }
                    Err(e) => {
                        eprintln!("case {}: {e}", case.id);
                        row.push(("error".into(), Value::Text(e.to_string())));
                    }
                }
                row
            })
            .collect()
    };
    let rows = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    };
    let failures = rows
        .iter()
        .filter(|r| {
            r.iter()
                .any(|(k, v)| k == "error" && *v != Value::Text(String::new()))
        })
        .count();
    BatchResult { rows, failures }
}

/// Column order for a batch table: every column seen, with `error` last.
pub fn batch_columns(rows: &[Row]) -> Vec<String> {
    let mut cols: Vec<String> = crate::io::table::columns(rows)
        .into_iter()
        .filter(|c| c != "error")
        .collect();
    cols.push("error".into());
    cols
}
