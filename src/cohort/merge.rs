//! `gpurad merge`: the outputs of a sharded extraction (`extract --shard K/N`) joined into one
//! table in manifest order.
//!
//! Every shard must have the same header and come from one extraction: the settings hash and
//! the gpurad version of every extracted row must agree across all shards (a shard re-run
//! with other settings would otherwise mix two feature definitions in one table). Every case
//! of the manifest must appear exactly once, and no other.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::records;
use super::{Manifest, ERROR};
use crate::error::{Error, Result};

/// What [`merge`] joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeSummary {
    /// Rows written (one per manifest case).
    pub rows: usize,
    /// Rows whose `error` is not empty.
    pub failures: usize,
}

/// Columns whose value must be the same in every extracted row of every shard.
fn provenance_column(name: &str) -> bool {
    [
        "diagnostics_Configuration_SettingsHash",
        "diagnostics_Versions_gpurad",
    ]
    .iter()
    .any(|p| name == *p || name.ends_with(&format!("_{p}")))
}

/// Where a provenance value was first seen: shard, case ID, the values.
type Provenance = (PathBuf, String, Vec<String>);

/// Joins shard outputs into one table in manifest order; see the module documentation. An
/// ID found twice, an ID not in the manifest, a manifest case found in no shard, an
/// incomplete row or shards of different extractions are errors that name the shards and IDs.
pub fn merge(manifest: &Manifest, shards: &[PathBuf], output: &Path) -> Result<MergeSummary> {
    let bad = |path: &Path, detail: String| Error::CohortOutput {
        path: path.to_path_buf(),
        detail,
    };
    crate::io::output::require_regular_or_new(output, "the merged output")?;
    let _lock = crate::io::output::OutputLock::take(output)?;
    let first_shard = shards
        .first()
        .ok_or_else(|| bad(output, "no shard files given".into()))?;
    let mut header: Option<Vec<String>> = None;
    let mut files = Vec::with_capacity(shards.len());
    let mut duplicates = Vec::new();
    let mut unknown = Vec::new();
    let mut failures = 0usize;
    let mut provenance: Option<Provenance> = None;
    let known: std::collections::HashSet<&str> =
        manifest.cases.iter().map(|c| c.id.as_str()).collect();
    let id_name = manifest
        .columns
        .iter()
        .find(|c| c.trim() == "ID")
        .cloned()
        .unwrap_or_else(|| "ID".into());
    // Every shard's rows are held until the merged table is written (parsed cells take a few
    // times their text).
    let total: u128 = shards
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len() as u128))
        .sum();
    crate::limits::check(
        || {
            format!(
                "merging {} shard(s) of {} in all",
                shards.len(),
                crate::limits::human(total)
            )
        },
        total.saturating_mul(4),
        "merge fewer shards at a time, or raise --max-memory",
    )?;
    let mut seen = std::collections::HashSet::new();
    for path in shards {
        let file = records::read_output(path, "shard")?;
        match &header {
            None => header = Some(file.header.clone()),
            Some(h) if *h != file.header => {
                return Err(bad(
                    path,
                    format!(
                        "its header differs from the first shard's ('{}'): shards of one extraction have the same columns",
                        first_shard.display()
                    ),
                ))
            }
            Some(_) => {}
        }
        let (Some(id_col), Some(err_col)) = (file.column(&id_name), file.column(ERROR)) else {
            return Err(bad(
                path,
                format!("not a gpurad cohort output (no '{id_name}' or 'error' column)"),
            ));
        };
        if let Some(&at) = file.incomplete.first() {
            return Err(bad(path, format!("incomplete row at byte {at}")));
        }
        if file.cut_tail {
            return Err(bad(
                path,
                "its last row is incomplete (was the shard's run finished?)".into(),
            ));
        }
        let checked: Vec<usize> = (0..file.header.len())
            .filter(|&c| provenance_column(&file.header[c]))
            .collect();
        files.push(file);
        let file = files.last().expect("just pushed");
        for (_, rec) in &file.records {
            let id = rec[id_col].to_string();
            if !rec[err_col].is_empty() {
                failures += 1;
            } else {
                let values: Vec<String> = checked.iter().map(|&c| rec[c].to_string()).collect();
                match &provenance {
                    None => provenance = Some((path.clone(), id.clone(), values)),
                    Some((p, first_id, v)) if *v != values => {
                        return Err(bad(
                            path,
                            format!(
                                "case {id} was extracted with other settings or another gpurad version than case {first_id} in '{}' ({} = {:?} vs {:?}): merge only the shards of one extraction",
                                p.display(),
                                checked.iter().map(|&c| file.header[c].as_str()).collect::<Vec<_>>().join(", "),
                                values,
                                v
                            ),
                        ))
                    }
                    Some(_) => {}
                }
            }
            if !known.contains(id.as_str()) {
                unknown.push(id);
            } else if !seen.insert(id.clone()) {
                duplicates.push(id);
            }
        }
    }
    let list = |ids: &[String]| {
        let shown: Vec<&str> = ids.iter().take(10).map(String::as_str).collect();
        format!(
            "{}{}",
            shown.join(", "),
            if ids.len() > 10 { ", …" } else { "" }
        )
    };
    let id_col_of = |f: &records::OutputFile| f.column(&id_name).expect("checked per shard");
    let found: HashMap<&str, &csv::StringRecord> = files
        .iter()
        .flat_map(|f| {
            let c = id_col_of(f);
            f.records.iter().map(move |(_, r)| (&r[c], r))
        })
        .collect();
    let missing: Vec<String> = manifest
        .cases
        .iter()
        .filter(|c| !found.contains_key(c.id.as_str()))
        .map(|c| c.id.clone())
        .collect();
    if !duplicates.is_empty() {
        return Err(bad(
            output,
            format!(
                "{} ID(s) appear in more than one row: {}",
                duplicates.len(),
                list(&duplicates)
            ),
        ));
    }
    if !unknown.is_empty() {
        return Err(bad(
            output,
            format!(
                "{} ID(s) of the shards are not in the manifest: {}",
                unknown.len(),
                list(&unknown)
            ),
        ));
    }
    if !missing.is_empty() {
        return Err(bad(
            output,
            format!(
                "{} case(s) of the manifest are in no shard: {}",
                missing.len(),
                list(&missing)
            ),
        ));
    }
    let header = header.expect("at least one shard was read");
    let rows: Vec<&csv::StringRecord> = manifest
        .cases
        .iter()
        .map(|c| found[c.id.as_str()])
        .collect();
    records::write_records(output, &header, rows.iter().copied())?;
    Ok(MergeSummary {
        rows: rows.len(),
        failures,
    })
}
