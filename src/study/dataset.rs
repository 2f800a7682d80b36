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
    /// Column name → position.
    index: std::collections::HashMap<String, usize>,
}

fn bad(path: &Path, detail: String) -> Error {
    Error::Table {
        path: path.to_path_buf(),
        detail,
    }
}

/// Whether a cell counts as missing.
pub fn is_missing(cell: &str) -> bool {
    matches!(cell, "" | "NA" | "NaN" | "nan" | "null")
}

/// What the cells of a column are, over some patients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    /// Numbers (and missing cells), at least one number.
    Numeric,
    /// Text (and missing cells) only: not a feature.
    Text,
    /// Numbers in some rows and text in others (1-based data rows of the text cells): a data
    /// entry error, never silently dropped.
    Mixed(Vec<usize>),
}

/// A cell's text for a message: control characters (line breaks, tabs) escaped, at most 40
/// characters.
pub fn cell_preview(cell: &str) -> String {
    let mut out = String::new();
    for c in cell.chars().take(40) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if cell.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// A list of (1-based) rows for a message, the first ten and a count.
pub fn rows_list(rows: &[usize]) -> String {
    let shown: Vec<String> = rows.iter().take(10).map(|r| r.to_string()).collect();
    format!(
        "{}{}",
        shown.join(", "),
        if rows.len() > 10 {
            format!(", … ({} in all)", rows.len())
        } else {
            String::new()
        }
    )
}

impl Dataset {
    /// Reads a CSV file with a header row. The file must be a regular file within the memory
    /// budget; every row must have the header's number of cells; column names must be unique.
    pub fn read(path: &Path) -> Result<Dataset> {
        let bytes = crate::limits::read_bounded(path, crate::limits::max_table_file(), "table")?;
        let mut r = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(bytes.as_slice());
        let columns: Vec<String> = r
            .headers()
            .map_err(|e| bad(path, e.to_string()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut index = std::collections::HashMap::new();
        for (i, c) in columns.iter().enumerate() {
            if let Some(j) = index.insert(c.clone(), i) {
                return Err(bad(
                    path,
                    format!(
                        "column '{c}' appears twice (columns {} and {}); column names must be unique",
                        j + 1,
                        i + 1
                    ),
                ));
            }
        }
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
            index,
        })
    }

    /// The rows `rows` (with repeats, as a bootstrap resample draws them) as a new table. A
    /// repeated patient's later copies get `#2`, `#3`, … appended to their `id` column, so
    /// that IDs stay unique; the first copy keeps its ID (and so its repeated extractions).
    pub fn resampled(&self, rows: &[usize], id: Option<&str>) -> Result<Dataset> {
        let id_col = id.map(|c| self.column(c)).transpose()?;
        let mut copies = std::collections::HashMap::new();
        let resampled = rows
            .iter()
            .map(|&r| {
                let mut row = self.rows[r].clone();
                let k = copies.entry(r).or_insert(0usize);
                *k += 1;
                if let (Some(c), true) = (id_col, *k > 1) {
                    row[c] = format!("{}#{k}", row[c]);
                }
                row
            })
            .collect();
        Ok(Dataset {
            path: self.path.clone(),
            columns: self.columns.clone(),
            rows: resampled,
            index: self.index.clone(),
        })
    }

    /// Appends column `name` with one value per row.
    ///
    /// # Errors
    /// A column of that name exists, or the values are not one per row.
    pub fn add_column(&mut self, name: &str, values: Vec<String>) -> Result<()> {
        if self.index.contains_key(name) {
            return Err(bad(&self.path, format!("column '{name}' exists already")));
        }
        if values.len() != self.rows.len() {
            return Err(bad(
                &self.path,
                format!(
                    "column '{name}': {} values for {} rows",
                    values.len(),
                    self.rows.len()
                ),
            ));
        }
        self.index.insert(name.to_string(), self.columns.len());
        self.columns.push(name.to_string());
        for (row, v) in self.rows.iter_mut().zip(values) {
            row.push(v);
        }
        Ok(())
    }

    /// Fails when column `name` is empty in a row or holds the same value in two rows (IDs
    /// must be present and unique).
    pub fn check_unique(&self, name: &str) -> Result<()> {
        let c = self.column(name)?;
        let mut seen = std::collections::HashMap::new();
        for (i, r) in self.rows.iter().enumerate() {
            if r[c].is_empty() {
                return Err(bad(
                    &self.path,
                    format!(
                        "{name} is empty at data row {}; every patient needs an ID",
                        i + 1
                    ),
                ));
            }
            if let Some(first) = seen.insert(r[c].as_str(), i) {
                return Err(bad(
                    &self.path,
                    format!(
                        "{name} '{}' appears in data rows {} and {}; IDs must be unique",
                        cell_preview(&r[c]),
                        first + 1,
                        i + 1
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether column `c` holds numbers, text, or both over the patients `rows`.
    pub fn column_kind(&self, c: usize, rows: &[usize]) -> ColumnKind {
        let mut numbers = 0;
        let mut text = Vec::new();
        for &i in rows {
            let cell = &self.rows[i][c];
            if is_missing(cell) {
                continue;
            }
            if cell.parse::<f64>().is_ok() {
                numbers += 1;
            } else {
                text.push(i + 1);
            }
        }
        match (numbers, text.is_empty()) {
            (0, _) => ColumnKind::Text,
            (_, true) => ColumnKind::Numeric,
            _ => ColumnKind::Mixed(text),
        }
    }

    /// Index of column `name`, or an error that names it and lists some columns.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.index.get(name).copied().ok_or_else(|| {
            let shown: Vec<&str> = self.columns.iter().take(20).map(String::as_str).collect();
            let more = if self.columns.len() > 20 {
                format!(", … ({} columns)", self.columns.len())
            } else {
                String::new()
            };
            bad(
                &self.path,
                format!("no column '{name}' (columns: {}{more})", shown.join(", ")),
            )
        })
    }

    /// The text cells of column `name`.
    pub fn text(&self, name: &str) -> Result<Vec<String>> {
        let c = self.column(name)?;
        Ok(self.rows.iter().map(|r| r[c].clone()).collect())
    }

    /// The numeric cells of column `name` for the patients `rows`; a missing, non-finite or
    /// text cell is an error naming the column, the (1-based data) rows and the first text.
    pub fn numeric(&self, name: &str, rows: &[usize]) -> Result<Vec<f64>> {
        let c = self.column(name)?;
        let mut out = Vec::with_capacity(rows.len());
        let mut missing = Vec::new();
        let mut text = Vec::new();
        for &i in rows {
            let cell = &self.rows[i][c];
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => out.push(v),
                _ if is_missing(cell) => missing.push(i + 1),
                _ => text.push(i + 1),
            }
        }
        let mut problems = Vec::new();
        if let Some(&first) = text.first() {
            let shown = cell_preview(&self.rows[first - 1][c]);
            problems.push(format!(
                "{} value(s) that are not numbers (the first, '{shown}', at data row {first}; rows {})",
                text.len(),
                rows_list(&text)
            ));
        }
        if !missing.is_empty() {
            problems.push(format!(
                "{} missing value(s) at data row(s) {} (fill them, drop those patients, or use --drop-incomplete)",
                missing.len(),
                rows_list(&missing)
            ));
        }
        if !problems.is_empty() {
            return Err(bad(
                &self.path,
                format!("column '{name}' has {}", problems.join(", and ")),
            ));
        }
        Ok(out)
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
