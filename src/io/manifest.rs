//! Cohort manifests (CSV), one row per patient:
//!
//! * multi-sequence: `ID`, one `Image_<SEQ>` column per sequence (`Image_T1WI`, `Image_T2WI`,
//!   `Image_FST2WI`, …) and either one `Mask` for all of them or a `Mask_<SEQ>` per sequence
//!   (a sequence without its own mask column uses `Mask`); output columns are prefixed with
//!   the sequence name;
//! * single-image (PyRadiomics' batch format): `Image` and `Mask` (`ID` optional).
//!
//! An optional `Label` column overrides the settings' label per case. Every column, these
//! included, is carried through to the output unchanged (cells byte for byte: spaces and line
//! breaks inside quoted cells are kept). Relative paths resolve against the manifest's folder;
//! surrounding spaces of path and `Label` cells are ignored. An empty path cell is not a
//! manifest error: that case fails alone. Column names must be unique, and an `ID` column must
//! give every case a non-empty, unique ID.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One image/mask pair of a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    /// Sequence name (`T2WI` from `Image_T2WI`); `None` for a single-image manifest.
    pub name: Option<String>,
    /// Image path, resolved; `None` where the cell is empty.
    pub image: Option<PathBuf>,
    /// Mask path, resolved; `None` where the cell is empty.
    pub mask: Option<PathBuf>,
}

/// One case (patient) of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Case identifier (`ID` column, else the 1-based row number).
    pub id: String,
    /// 0-based position in the manifest (output order).
    pub index: usize,
    /// The case's sequences, in manifest column order.
    pub sequences: Vec<Sequence>,
    /// Per-case label overriding the settings' label.
    pub label: Option<i64>,
    /// All input columns, in input order, as given.
    pub passthrough: Vec<(String, String)>,
}

/// A manifest as read: its columns and cases.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Column names in file order.
    pub columns: Vec<String>,
    /// Cases in file order.
    pub cases: Vec<Case>,
}

/// Where the image and mask of each sequence are found.
struct Layout {
    /// (sequence name, image column, mask column)
    sequences: Vec<(Option<String>, usize, usize)>,
}

/// Column names for a message: the first 20, and how many there are.
fn listed(headers: &[String]) -> String {
    let shown: Vec<&str> = headers.iter().take(20).map(|h| h.trim()).collect();
    if headers.len() > 20 {
        format!("{}, … ({} columns)", shown.join(", "), headers.len())
    } else {
        shown.join(", ")
    }
}

fn layout(headers: &[String], err: &dyn Fn(String) -> Error) -> Result<Layout> {
    // Layout columns are recognised with surrounding spaces ignored (names are unique).
    let index: std::collections::HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    let col = |name: &str| index.get(name).copied();
    let listed = || listed(headers);
    let named: Vec<(String, usize)> = headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.trim().strip_prefix("Image_").map(|s| (s.to_string(), i)))
        .collect();
    let shared_mask = col("Mask");
    if let Some(single) = col("Image") {
        if !named.is_empty() {
            return Err(err(format!(
                "both an 'Image' column and 'Image_<SEQ>' columns (columns: {})",
                listed()
            )));
        }
        let mask =
            shared_mask.ok_or_else(|| err(format!("no 'Mask' column (columns: {})", listed())))?;
        return Ok(Layout {
            sequences: vec![(None, single, mask)],
        });
    }
    if named.is_empty() {
        return Err(err(format!(
            "no 'Image' or 'Image_<SEQ>' column (columns: {})",
            listed()
        )));
    }
    let mut sequences = Vec::new();
    for (name, image) in named {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(err(format!(
                "sequence name '{name}' of column 'Image_{name}' must be letters, digits or '-'"
            )));
        }
        let mask = col(&format!("Mask_{name}"))
            .or(shared_mask)
            .ok_or_else(|| {
                err(format!(
                    "no 'Mask_{name}' or 'Mask' column for sequence {name} (columns: {})",
                    listed()
                ))
            })?;
        sequences.push((Some(name), image, mask));
    }
    Ok(Layout { sequences })
}

/// Reads a manifest CSV (a regular file within the memory budget).
pub fn read(path: &Path) -> Result<Manifest> {
    let err = |detail: String| Error::Manifest {
        path: path.to_path_buf(),
        detail,
    };
    let bytes = crate::limits::read_bounded(path, crate::limits::max_table_file(), "manifest")?;
    let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| err(e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let mut seen = std::collections::HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(j) = seen.insert(h.trim(), i) {
            return Err(err(format!(
                "column '{}' appears twice (columns {} and {}); column names must be unique",
                h.trim(),
                j + 1,
                i + 1
            )));
        }
    }
    let layout = layout(&headers, &err)?;
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let id_col = col("ID");
    let label_col = col("Label");
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |p: &str| -> Option<PathBuf> {
        let p = p.trim();
        if p.is_empty() {
            return None;
        }
        let p = PathBuf::from(p);
        Some(if p.is_absolute() { p } else { base.join(p) })
    };
    let mut cases = Vec::new();
    let mut ids: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut rec = csv::StringRecord::new();
    let mut i = 0;
    loop {
        let line = r.position().line();
        match r.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(err(format!("line {line}: {e}"))),
        }
        let get = |c: usize| rec.get(c).unwrap_or("");
        let id = match id_col {
            Some(c) if get(c).trim().is_empty() => {
                return Err(err(format!("line {line}: empty ID (every case needs one)")))
            }
            Some(c) => get(c).to_string(),
            None => (i + 1).to_string(),
        };
        if let Some(first) = ids.insert(id.clone(), line as usize) {
            return Err(err(format!(
                "line {line}: duplicate ID '{id}' (also on line {first})"
            )));
        }
        let label = match label_col.map(|c| get(c).trim()).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                s.parse::<i64>()
                    .map_err(|_| err(format!("line {line}: Label '{s}' is not an integer")))?,
            ),
        };
        let sequences = layout
            .sequences
            .iter()
            .map(|(name, image, mask)| Sequence {
                name: name.clone(),
                image: resolve(get(*image)),
                mask: resolve(get(*mask)),
            })
            .collect();
        cases.push(Case {
            id,
            index: i,
            sequences,
            label,
            passthrough: headers
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect(),
        });
        i += 1;
    }
    Ok(Manifest {
        columns: headers,
        cases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Result<Manifest> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cases.csv");
        std::fs::write(&p, text).unwrap();
        read(&p)
    }

    #[test]
    fn multi_sequence_with_shared_and_own_masks() {
        let m = manifest(
            "ID,Image_T1WI,Image_T2WI,Mask,Mask_T2WI,age\nP1,a.nii,b.nii,m.nii,m2.nii,61\n",
        )
        .unwrap();
        let c = &m.cases[0];
        let names: Vec<_> = c
            .sequences
            .iter()
            .map(|s| s.name.clone().unwrap())
            .collect();
        assert_eq!(names, ["T1WI", "T2WI"]);
        assert!(c.sequences[0].mask.as_ref().unwrap().ends_with("m.nii"));
        assert!(c.sequences[1].mask.as_ref().unwrap().ends_with("m2.nii"));
        assert_eq!(c.passthrough.len(), 6);
    }

    #[test]
    fn empty_cells_fail_the_case_not_the_manifest() {
        let m = manifest("ID,Image_T1WI,Mask\nP1,,m.nii\n").unwrap();
        assert_eq!(m.cases[0].sequences[0].image, None);
    }

    #[test]
    fn malformed_layouts_are_named() {
        let e = manifest("ID,Image,Image_T1WI,Mask\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("both an 'Image' column"), "{e}");
        let e = manifest("ID,Image_T1WI\n").unwrap_err().to_string();
        assert!(e.contains("no 'Mask_T1WI' or 'Mask'"), "{e}");
        let e = manifest("ID,Mask\n").unwrap_err().to_string();
        assert!(e.contains("no 'Image' or 'Image_<SEQ>'"), "{e}");
        let e = manifest("ID,Image,Mask\nA,a,m\nA,b,m\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("duplicate ID 'A'") && e.contains("line 2"),
            "{e}"
        );
        let e = manifest("ID,Image,Mask\nA,a,m\n ,b,m\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3: empty ID"), "{e}");
        let e = manifest("ID,Image_T1WI,Mask,Image_T1WI\nA,a,m,b\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("'Image_T1WI' appears twice"), "{e}");
        let e = manifest("ID,ID,Image,Mask\nA,B,a,m\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("'ID' appears twice"), "{e}");
    }

    #[test]
    fn passthrough_cells_are_kept_byte_for_byte() {
        let m = manifest("ID,Image,Mask,note\nA, a.nii ,m.nii,\"two\nlines \"\n").unwrap();
        let c = &m.cases[0];
        assert_eq!(c.passthrough[3].1, "two\nlines ");
        assert_eq!(c.passthrough[1].1, " a.nii ");
        assert!(c.sequences[0].image.as_ref().unwrap().ends_with("a.nii"));
    }
}
