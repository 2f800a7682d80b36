//! Cohort batch extraction: every case of a manifest, each isolated, streamed to a CSV file.
//!
//! * **Workers**: `jobs` threads take cases in manifest order; each reads and decompresses its
//!   case's files, preprocesses every sequence and builds the texture matrices of all its
//!   sequences together (on the GPU one submission per case, so file reading on one worker
//!   overlaps matrix building on another); with several workers, the data-parallel loops
//!   inside a case run on its worker's thread. At most `jobs` cases are in memory at once, plus a
//!   channel of `jobs` finished rows and the rows waiting for an earlier case to be written
//!   (about one per worker): memory does not grow with the cohort.
//! * **Isolation**: a case that fails (missing or corrupt file, geometry mismatch, empty ROI,
//!   non-finite voxels, a memory request above the budget, even a panic) gets a row with its
//!   passthrough columns and the cause in `error`; the run goes on. The header is fixed before
//!   the first case ([`output_columns`]), so the column set does not depend on which cases
//!   fail. The memory budget ([`crate::limits`]) is shared by the workers.
//! * **Output format**: one CSV record per case ([`records`]); cells are quoted where needed
//!   and read back exactly (line breaks, commas, surrounding spaces).
//! * **Resumable**: rows are appended and flushed in manifest order as cases finish (a row
//!   that finishes before an earlier case waits for it; a kill loses only such rows, which the
//!   next run extracts again). Every row carries `diagnostics_CaseKey`, a hash of the case's
//!   ID, label, input files (path, size, modification time), settings and the gpurad version.
//!   With `resume`, a later run keeps the rows whose key still matches and that have no error
//!   — first rewriting the file with them, their manifest columns taken from the manifest as
//!   it is now (a corrected age or outcome is never left stale) — and extracts the rest
//!   (failed cases are retried). When a resumed run completes, the file is put in manifest
//!   order (through a temporary file and a rename), so an interrupted-and-resumed run ends
//!   with the same table as an uninterrupted one.
//! * **Sharding**: `K/N` takes every N-th case starting at the K-th (1-based), so the shards of
//!   a cluster job array are balanced; [`merge`] joins their outputs in manifest order and
//!   checks that every case appears exactly once and that all come from one extraction.

mod merge;
mod records;

pub use merge::{merge, MergeSummary};

use std::collections::{BTreeMap, HashMap};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::extract::{extract_sequences, sequence_columns, Row, SequenceInput, Value};
use crate::io::image_file::ImageInput;
use crate::io::manifest::{Case, Manifest};
use crate::matrices::gpu::DeviceChoice;
use crate::settings::Params;
use records::Span;

/// Name of the per-row input hash column.
pub const CASE_KEY: &str = "diagnostics_CaseKey";
/// Name of the per-row error column (empty for a case that succeeded).
pub const ERROR: &str = "error";

/// One part of a cohort split for a cluster job array: shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// Parses `K/N` with 1 ≤ K ≤ N.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("shard '{s}' is not K/N with 1 <= K <= N (e.g. 2/8)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether the case at 0-based manifest position `i` belongs to this shard.
    pub fn contains(&self, i: usize) -> bool {
        i % self.count == self.index - 1
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Progress {
    /// A progress bar when standard error is a terminal, else log lines.
    Auto,
    /// Always a progress bar.
    Bar,
    /// Plain log lines (every failure, and a status line every 10 s).
    Log,
    /// Failures only.
    Quiet,
}

/// Settings of a cohort run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads (0 = one per core).
    pub jobs: usize,
    /// Where texture matrices are built.
    pub device: DeviceChoice,
    /// Keep completed rows of an existing output and extract only the rest.
    pub resume: bool,
    /// Extract only this shard of the manifest.
    pub shard: Option<Shard>,
    /// Progress display.
    pub progress: Progress,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            jobs: 0,
            device: DeviceChoice::Auto,
            resume: false,
            shard: None,
            progress: Progress::Auto,
        }
    }
}

/// What a cohort run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Cases in this run (the shard's cases, or all).
    pub cases: usize,
    /// Cases extracted in this run.
    pub extracted: usize,
    /// Cases kept from an earlier run (`resume`).
    pub resumed: usize,
    /// Cases whose row carries an error.
    pub failures: usize,
}

/// The output header: the manifest's columns, [`CASE_KEY`], each sequence's columns
/// (prefixed with its name for a multi-sequence manifest), then [`ERROR`].
///
/// A manifest column with the name of a column gpurad writes is an error (the output would
/// hold two columns of that name).
pub fn output_columns(manifest: &Manifest, params: &Params) -> Result<Vec<String>> {
    let mut cols = manifest.columns.clone();
    cols.push(CASE_KEY.into());
    let per_sequence = sequence_columns(params);
    let names: Vec<Option<String>> = manifest
        .cases
        .first()
        .map(|c| c.sequences.iter().map(|s| s.name.clone()).collect())
        .unwrap_or_default();
    for name in names {
        match name {
            Some(n) => cols.extend(per_sequence.iter().map(|c| format!("{n}_{c}"))),
            None => cols.extend(per_sequence.iter().cloned()),
        }
    }
    cols.push(ERROR.into());
    let ours: std::collections::HashSet<&str> = cols[manifest.columns.len()..]
        .iter()
        .map(String::as_str)
        .collect();
    if let Some(clash) = manifest.columns.iter().find(|c| ours.contains(c.as_str())) {
        return Err(Error::Settings(format!(
            "the manifest has a column '{clash}', a name gpurad gives one of its own output columns; rename it"
        )));
    }
    Ok(cols)
}

/// Hash identifying a case's inputs and settings: ID, label, settings hash, the gpurad version
/// (a resumed run extracts again the rows written by another release) and, per sequence, the
/// image and mask paths with their sizes and modification times.
pub fn case_key(case: &Case, params: &Params) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update(s.as_bytes());
        h.update([0u8]);
    };
    field(&case.id);
    field(&format!("{:?}", case.label));
    field(&params.hash());
    field(concat!("gpurad ", env!("CARGO_PKG_VERSION")));
    let stamp = |p: &Option<PathBuf>| match p {
        None => "none".to_string(),
        Some(p) => match std::fs::metadata(p) {
            Ok(m) => {
                let t = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                format!("{}|{}|{t}", p.display(), m.len())
            }
            Err(_) => format!("{}|missing", p.display()),
        },
    };
    for s in &case.sequences {
        field(s.name.as_deref().unwrap_or(""));
        field(&stamp(&s.image));
        field(&stamp(&s.mask));
    }
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The first cells of a case's row: its manifest cells and its case key.
fn row_head(case: &Case, params: &Params) -> Row {
    let mut row: Row = case
        .passthrough
        .iter()
        .map(|(k, v)| (k.clone(), Value::Text(v.clone())))
        .collect();
    row.push((CASE_KEY.into(), Value::Text(case_key(case, params))));
    row
}

/// Extracts one case into its output row; never fails (a failure is the row's `error`).
pub fn extract_case(case: &Case, params: &Params, device: DeviceChoice) -> Row {
    let mut row = row_head(case, params);
    let mut p = params.clone();
    if let Some(l) = case.label {
        p.settings.label = l;
    }
    match case_inputs(case).and_then(|inputs| extract_sequences(&inputs, &p, device)) {
        Ok(features) => {
            row.extend(features);
            row.push((ERROR.into(), Value::Text(String::new())));
        }
        Err(e) => row.push((ERROR.into(), Value::Text(e.to_string()))),
    }
    row
}

fn case_inputs(case: &Case) -> Result<Vec<SequenceInput<'_>>> {
    case.sequences
        .iter()
        .map(|s| {
            let column = |kind: &str| match &s.name {
                Some(n) => format!("{kind}_{n}"),
                None => kind.to_string(),
            };
            let missing = |kind: &str| {
                Error::Compute(format!(
                    "no {} file given in the manifest's column '{}'",
                    kind.to_lowercase(),
                    column(kind)
                ))
            };
            Ok(SequenceInput {
                name: s.name.as_deref(),
                image: ImageInput::File(s.image.as_deref().ok_or_else(|| missing("Image"))?),
                mask: ImageInput::File(s.mask.as_deref().ok_or_else(|| missing("Mask"))?),
            })
        })
        .collect()
}

fn write_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |cause| Error::Write {
        path: path.to_path_buf(),
        cause,
    }
}

/// Most workers a run starts (far more than any machine has cores).
pub const MAX_JOBS: usize = 1024;

/// The finished rows of an earlier run of the same cases and settings, in manifest order,
/// each rebuilt under the current header: the manifest's columns (passthrough values such as
/// age or outcome) taken from the manifest as it is now, the extracted columns from the
/// file. Rows with an error, rows whose case key no longer matches (other files or settings)
/// and incomplete rows are left out, so those cases are extracted again.
fn kept_rows(
    output: &Path,
    manifest: &Manifest,
    selected: &[&Case],
    columns: &[String],
    params: &Params,
) -> Result<Vec<(String, Vec<u8>)>> {
    let old = records::read_output(output, "output")?;
    let bad = |detail: String| Error::CohortOutput {
        path: output.to_path_buf(),
        detail,
    };
    let generated =
        |header: &[String]| -> Option<usize> { header.iter().position(|c| c == CASE_KEY) };
    let (Some(old_gen), Some(new_gen)) = (generated(&old.header), generated(columns)) else {
        return Err(bad(
            "cannot resume: this file is not a gpurad cohort output (no diagnostics_CaseKey column); remove it or write to another file".into(),
        ));
    };
    if old.header[old_gen..] != columns[new_gen..] {
        return Err(bad(
            "cannot resume: this output was written with other settings, features or sequences \
             (its extracted columns differ); remove it or write to another file"
                .into(),
        ));
    }
    let id_name = manifest.columns.iter().find(|c| c.trim() == "ID");
    let Some(id_col) = id_name.and_then(|n| old.column(n)) else {
        // Without IDs no row can be matched to its case: everything is extracted again.
        return Ok(Vec::new());
    };
    let (key_col, err_col) = (old_gen, old.header.len() - 1);
    // The last row of an ID wins (a retry is appended after the failure it replaces).
    let by_id: HashMap<&str, &csv::StringRecord> =
        old.records.iter().map(|(_, r)| (&r[id_col], r)).collect();
    let mut kept = Vec::new();
    for case in selected {
        let Some(rec) = by_id.get(case.id.as_str()) else {
            continue;
        };
        if !rec[err_col].is_empty() || rec[key_col] != case_key(case, params) {
            continue;
        }
        let mut fields: Vec<&str> = case.passthrough.iter().map(|(_, v)| v.as_str()).collect();
        fields.extend(rec.iter().skip(old_gen));
        kept.push((case.id.clone(), records::fields_record(&fields)?));
    }
    Ok(kept)
}

/// Extracts every case of `manifest` (or of `options.shard`) into the CSV file `output`;
/// see the module documentation. Returns an error only when the output cannot be written or
/// resumed; failing cases are rows.
pub fn run(
    manifest: &Manifest,
    params: &Params,
    output: &Path,
    options: &Options,
) -> Result<Summary> {
    crate::io::output::require_regular_or_new(output, "the cohort output")?;
    let _lock = crate::io::output::OutputLock::take(output)?;
    let columns = output_columns(manifest, params)?;
    let index: HashMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let header = records::fields_record(&columns)?;
    let selected: Vec<&Case> = manifest
        .cases
        .iter()
        .filter(|c| options.shard.is_none_or(|s| s.contains(c.index)))
        .collect();
    let jobs = if options.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.jobs
    };
    if jobs > MAX_JOBS {
        return Err(Error::Settings(format!(
            "--jobs {jobs} is more workers than gpurad starts (at most {MAX_JOBS}; one per core is best)"
        )));
    }

    // Resuming: the file is first rewritten with the rows it keeps (their manifest columns
    // refreshed), then the other cases are appended as they finish.
    let resuming = options.resume && output.exists();
    let mut done: HashMap<String, Span> = HashMap::new();
    let mut file = if resuming {
        let kept = kept_rows(output, manifest, &selected, &columns, params)?;
        let tmp = output.with_extension("csv.partial");
        let mut bytes = header.clone();
        for (id, record) in kept {
            done.insert(
                id,
                Span {
                    start: bytes.len() as u64,
                    len: record.len() as u64,
                },
            );
            bytes.extend(record);
        }
        crate::io::output::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, output).map_err(write_err(output))?;
        OpenOptions::new()
            .append(true)
            .open(output)
            .map_err(write_err(output))?
    } else {
        let mut f = crate::io::output::create(output)?;
        f.write_all(&header).map_err(write_err(output))?;
        f
    };
    let mut offset = file
        .metadata()
        .map_err(|cause| Error::Io {
            path: output.to_path_buf(),
            cause,
        })?
        .len();
    let todo: Vec<&Case> = selected
        .iter()
        .copied()
        .filter(|c| !done.contains_key(&c.id))
        .collect();
    let resumed = done.len();

    let workers = jobs.min(todo.len().max(1));
    let _share = crate::limits::WorkerShare::new(workers);
    let mut progress = Reporter::new(options.progress, todo.len(), resumed);
    let next = AtomicUsize::new(0);
    let mut failures = 0usize;
    let mut write_error: Option<Error> = None;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Row)>(jobs);
        for _ in 0..workers {
            let tx = tx.clone();
            let (todo, next) = (&todo, &next);
            scope.spawn(move || {
                // With several workers each case runs on its own thread (the data-parallel
                // loops inside a case then run inline): cases are small next to the cohort,
                // and per-case fork-join across cores only adds synchronisation.
                let own_pool = (jobs > 1)
                    .then(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().ok())
                    .flatten();
                let work = || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = todo.get(i) else { break };
                    let row = extract_case_isolated(case, params, options.device);
                    if tx.send((i, row)).is_err() {
                        break;
                    }
                };
                // The whole loop runs inside the worker's pool: one hand-over per worker, not
                // one per case.
                match &own_pool {
                    Some(pool) => pool.install(work),
                    None => work(),
                }
            });
        }
        drop(tx);
        // Rows are written in manifest order: one that finishes early waits here (at most
        // about one per worker) until the rows before it are written.
        let mut pending: BTreeMap<usize, Row> = BTreeMap::new();
        let mut next_row = 0;
        for (i, row) in rx {
            if write_error.is_some() {
                continue;
            }
            pending.insert(i, row);
            while let Some(row) = pending.remove(&next_row) {
                let case = todo[next_row];
                next_row += 1;
                let error = row
                    .iter()
                    .find(|(k, _)| k == ERROR)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default();
                let record = records::csv_record(&columns, &index, &row).or_else(|e| {
                    // A row that cannot be laid out under the header is recorded as a failure.
                    let mut bare: Row = row
                        .iter()
                        .filter(|(k, _)| manifest.columns.contains(k) || k == CASE_KEY)
                        .cloned()
                        .collect();
                    bare.push((ERROR.into(), Value::Text(e.to_string())));
                    records::csv_record(&columns, &index, &bare)
                });
                let written = record.and_then(|record| {
                    file.write_all(&record).map_err(write_err(output))?;
                    file.flush().map_err(write_err(output))?;
                    Ok(record.len() as u64)
                });
                match written {
                    Ok(n) => {
                        done.insert(
                            case.id.clone(),
                            Span {
                                start: offset,
                                len: n,
                            },
                        );
                        offset += n;
                    }
                    Err(e) => {
                        write_error = Some(e);
                        break;
                    }
                }
                if !error.is_empty() {
                    failures += 1;
                }
                progress.case_done(&case.id, &error);
            }
        }
    });
    if let Some(e) = write_error {
        return Err(e);
    }
    progress.finish();
    file.sync_all().map_err(write_err(output))?;
    drop(file);

    // After a resume that extracted something, put the rows in manifest order.
    let rows: Vec<(&Path, Span)> = selected
        .iter()
        .filter_map(|c| done.get(&c.id).map(|&s| (output, s)))
        .collect();
    let in_order = rows.windows(2).all(|w| w[0].1.start < w[1].1.start);
    if !in_order {
        records::write_ordered(output, &header, &rows)?;
    }
    Ok(Summary {
        cases: selected.len(),
        extracted: todo.len(),
        resumed,
        failures,
    })
}

/// [`extract_case`], with a panic (a bug) caught and recorded as the case's error, so that
/// one case cannot stop a cohort run.
fn extract_case_isolated(case: &Case, params: &Params, device: DeviceChoice) -> Row {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        extract_case(case, params, device)
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        let mut row = row_head(case, params);
        row.push((
            ERROR.into(),
            Value::Text(format!(
                "internal error while extracting this case ({what}); this is a bug in gpurad, please report it"
            )),
        ));
        row
    })
}

/// Shows progress: a bar on a terminal, else log lines.
struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    mode: Progress,
    total: usize,
    done: usize,
    failures: usize,
    start: Instant,
    last_log: Instant,
}

impl Reporter {
    fn new(mode: Progress, total: usize, resumed: usize) -> Self {
        use std::io::IsTerminal;
        let mode = match mode {
            Progress::Auto if std::io::stderr().is_terminal() => Progress::Bar,
            Progress::Auto => Progress::Log,
            m => m,
        };
        if resumed > 0 && mode != Progress::Quiet {
            crate::note!("resuming: {resumed} case(s) already done, {total} to extract");
        }
        let bar = (mode == Progress::Bar).then(|| {
            let b = indicatif::ProgressBar::new(total as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} cases  {per_sec}  ETA {eta}  {msg}",
                )
                .expect("valid template"),
            );
            b.set_message("0 failed");
            b
        });
        Self {
            bar,
            mode,
            total,
            done: 0,
            failures: 0,
            start: Instant::now(),
            last_log: Instant::now(),
        }
    }

    fn case_done(&mut self, id: &str, error: &str) {
        self.done += 1;
        if !error.is_empty() {
            self.failures += 1;
            let line = format!("case {id} failed: {error}");
            match &self.bar {
                Some(b) => b.println(line),
                None => crate::note!("{line}"),
            }
        }
        if let Some(b) = &self.bar {
            b.set_message(format!("{} failed", self.failures));
            b.inc(1);
        } else if self.mode == Progress::Log
            && (self.last_log.elapsed() >= Duration::from_secs(10) || self.done == self.total)
        {
            self.last_log = Instant::now();
            let rate = self.done as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
            let eta = (self.total - self.done) as f64 / rate.max(1e-9);
            crate::note!(
                "{}/{} cases, {rate:.2} cases/s, ETA {eta:.0} s, {} failed",
                self.done,
                self.total,
                self.failures
            );
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_cohort() {
        let shards: Vec<Shard> = ["1/3", "2/3", "3/3"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        for i in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(i)).count(), 1);
        }
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
