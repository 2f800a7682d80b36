//! Batch manifests: PyRadiomics-style CSVs with `Image` and `Mask` columns (optional `ID`,
//! `Label`); every other column is carried through to the output unchanged. Relative paths
//! resolve against the manifest's folder.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One case of a manifest.
#[derive(Debug, Clone)]
pub struct Case {
    /// Case identifier (`ID` column, else the 1-based row number).
    pub id: String,
    /// Image path, resolved.
    pub image: PathBuf,
    /// Mask path, resolved.
    pub mask: PathBuf,
    /// Per-case label overriding the settings' label.
    pub label: Option<i64>,
    /// All input columns, in input order, as given.
    pub passthrough: Vec<(String, String)>,
}

/// Reads a manifest CSV.
pub fn read(path: &Path) -> Result<Vec<Case>> {
    let err = |detail: String| Error::Manifest {
        path: path.to_path_buf(),
        detail,
    };
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| err(e.to_string()))?;
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| err(e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let image_col = col("Image").ok_or_else(|| {
        err(format!(
            "no 'Image' column (columns: {})",
            headers.join(", ")
        ))
    })?;
    let mask_col = col("Mask").ok_or_else(|| {
        err(format!(
            "no 'Mask' column (columns: {})",
            headers.join(", ")
        ))
    })?;
    let id_col = col("ID");
    let label_col = col("Label");
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &str| -> PathBuf {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            base.join(p)
        }
    };
    let mut cases = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| err(format!("line {line}: {e}")))?;
        let get = |c: usize| rec.get(c).unwrap_or("").to_string();
        let id = id_col
            .map(get)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| (i + 1).to_string());
        if !ids.insert(id.clone()) {
            return Err(err(format!("line {line}: duplicate ID '{id}'")));
        }
        let label = match label_col.map(get).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                s.parse::<i64>()
                    .map_err(|_| err(format!("line {line}: Label '{s}' is not an integer")))?,
            ),
        };
        cases.push(Case {
            id,
            image: resolve(&get(image_col)),
            mask: resolve(&get(mask_col)),
            label,
            passthrough: headers
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect(),
        });
    }
    Ok(cases)
}
