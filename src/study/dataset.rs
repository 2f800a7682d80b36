//! A cohort feature table read from CSV: one row per patient, an ID column, an outcome column
//! (0/1), clinical columns, an optional cohort column (`train` / `validation`) and optional
//! fold ids; every other numeric column is a candidate radiomics feature. gpurad's own
//! extraction output and other tools' tables both work.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The table as read: column names and text cells.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    /// Column names in file order.
    pub columns: Vec<String>,
    /// Cells, `rows[patient][column]`, trimmed.
    pub rows: Vec<Vec<String>>,
}

fn bad(path: &Path, detail: String) -> Error {
    Error::Manifest {
        path: path.to_path_buf(),
        detail,
    }
}

/// Whether a cell counts as missing.
pub fn is_missing(cell: &str) -> bool {
    matches!(cell, "" | "NA" | "NaN" | "nan" | "null")
}

impl Dataset {
    /// Reads a CSV file with a header row.
    pub fn read(path: &Path) -> Result<Dataset> {
        let mut r = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(|e| bad(path, e.to_string()))?;
        let columns: Vec<String> = r
            .headers()
            .map_err(|e| bad(path, e.to_string()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| bad(path, e.to_string()))?;
            rows.push(rec.iter().map(|c| c.trim().to_string()).collect());
        }
        if rows.is_empty() {
            return Err(bad(path, "the table has no rows".into()));
        }
        Ok(Dataset {
            path: path.to_path_buf(),
            columns,
            rows,
        })
    }

    /// Index of column `name`, or an error that lists the columns.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.columns.iter().position(|c| c == name).ok_or_else(|| {
            bad(
                &self.path,
                format!("no column '{name}' (columns: {})", self.columns.join(", ")),
            )
        })
    }

    /// The text cells of column `name`.
    pub fn text(&self, name: &str) -> Result<Vec<String>> {
        let c = self.column(name)?;
        Ok(self.rows.iter().map(|r| r[c].clone()).collect())
    }

    /// The numeric cells of column `name` for the patients `rows`; a missing or non-numeric
    /// cell is an error naming the column and the (1-based data) rows.
    pub fn numeric(&self, name: &str, rows: &[usize]) -> Result<Vec<f64>> {
        let c = self.column(name)?;
        let mut out = Vec::with_capacity(rows.len());
        let mut missing = Vec::new();
        for &i in rows {
            match self.rows[i][c].parse::<f64>() {
                Ok(v) if v.is_finite() => out.push(v),
                _ => missing.push(i + 1),
            }
        }
        if !missing.is_empty() {
            let shown: Vec<String> = missing.iter().take(10).map(|r| r.to_string()).collect();
            return Err(bad(
                &self.path,
                format!(
                    "column '{name}' has {} missing or non-numeric value(s), at data row(s) {}{} \
                     (fill them, drop those patients, or use --drop-incomplete)",
                    missing.len(),
                    shown.join(", "),
                    if missing.len() > 10 { ", …" } else { "" }
                ),
            ));
        }
        Ok(out)
    }

    /// Whether every cell of column `c` in `rows` is numeric or missing, and at least one is
    /// numeric (a candidate feature column).
    pub fn is_numeric_column(&self, c: usize, rows: &[usize]) -> bool {
        let mut any = false;
        for &i in rows {
            let cell = &self.rows[i][c];
            if is_missing(cell) {
                continue;
            }
            if cell.parse::<f64>().is_err() {
                return false;
            }
            any = true;
        }
        any
    }

    /// Patients (row indices) with a value in every column of `columns`.
    pub fn complete_rows(&self, columns: &[usize], rows: &[usize]) -> Vec<usize> {
        rows.iter()
            .copied()
            .filter(|&i| {
                columns
                    .iter()
                    .all(|&c| self.rows[i][c].parse::<f64>().is_ok_and(f64::is_finite))
            })
            .collect()
    }
}
