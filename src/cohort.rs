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
//!   non-finite voxels, …) gets a row with its passthrough columns and the cause in `error`;
//!   the run goes on. The header is fixed before the first case ([`output_columns`]), so the
//!   column set does not depend on which cases fail.
//! * **Resumable**: rows are appended and flushed in manifest order as cases finish (a row
//!   that finishes before an earlier case waits for it; a kill loses only such rows, which the
//!   next run extracts again). Every row carries
//!   `diagnostics_CaseKey`, a hash of the case's ID, label, input files (path, size,
//!   modification time), settings and the gpurad version. With `resume`, a later run keeps the rows whose key still
//!   matches and that have no error, and extracts the rest (failed cases are retried). When
//!   a resumed run completes, the file is rewritten in manifest order (through a temporary
//!   file and a rename), so an interrupted-and-resumed run ends with the same table as an
//!   uninterrupted one.
//! * **Sharding**: `K/N` takes every N-th case starting at the K-th (1-based), so the shards of
//!   a cluster job array are balanced; [`merge`] joins their outputs in manifest order and
//!   checks that every case appears exactly once.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::extract::{extract_sequences, sequence_columns, Row, SequenceInput, Value};
use crate::io::manifest::{Case, Manifest};
use crate::matrices::gpu::DeviceChoice;
use crate::settings::Params;

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
pub fn output_columns(manifest: &Manifest, params: &Params) -> Vec<String> {
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
    cols
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

/// Extracts one case into its output row; never fails (a failure is the row's `error`).
pub fn extract_case(case: &Case, params: &Params, device: DeviceChoice) -> Row {
    let mut row: Row = case
        .passthrough
        .iter()
        .map(|(k, v)| (k.clone(), Value::Text(v.clone())))
        .collect();
    row.push((CASE_KEY.into(), Value::Text(case_key(case, params))));
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
                image: s.image.as_deref().ok_or_else(|| missing("Image"))?,
                mask: s.mask.as_deref().ok_or_else(|| missing("Mask"))?,
            })
        })
        .collect()
}

/// Formats a row as one CSV line in `columns` order. Text is kept on one line (line breaks
/// become spaces) so that every row is exactly one line of the file. A column that is not in
/// the header is an error, never dropped.
fn csv_line(columns: &[String], index: &HashMap<&str, usize>, row: &Row) -> Result<Vec<u8>> {
    let mut cells = vec![String::new(); columns.len()];
    for (k, v) in row {
        let i = *index.get(k.as_str()).ok_or_else(|| {
            Error::Compute(format!(
                "output column '{k}' is not in the header (the settings produced a column \
                 the header does not list)"
            ))
        })?;
        let cell = &mut cells[i];
        cell.clear();
        match v {
            Value::Text(t) if t.contains(['\r', '\n']) => *cell = t.replace(['\r', '\n'], " "),
            Value::Text(t) => cell.push_str(t),
            Value::Number(_) => {
                use std::fmt::Write;
                write!(cell, "{v}").expect("formatting into a String");
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&cells)
        .map_err(|e| Error::Compute(e.to_string()))?;
    w.into_inner().map_err(|e| Error::Compute(e.to_string()))
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |cause| Error::Io {
        path: path.to_path_buf(),
        cause,
    }
}

fn write_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |cause| Error::Write {
        path: path.to_path_buf(),
        cause,
    }
}

/// Rows found in an output file: for each ID its last row's byte offset, key and error.
struct Existing {
    rows: HashMap<String, (u64, String, bool)>,
}

/// Reads an existing output for resuming: cuts a partly written last line, checks the header
/// and indexes the rows (the last row of an ID wins: retries are appended after failures).
fn read_existing(path: &Path, columns: &[String]) -> Result<Existing> {
    let err = io_err(path);
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(&err)?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).map_err(&err)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    if complete < bytes.len() {
        f.set_len(complete as u64).map_err(&err)?;
        bytes.truncate(complete);
    }
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    let mut rows = HashMap::new();
    let mut rec = csv::StringRecord::new();
    let mut first = true;
    let bad = |detail: String| Error::Manifest {
        path: path.to_path_buf(),
        detail,
    };
    let id_col = columns.iter().position(|c| c == "ID");
    let key_col = columns
        .iter()
        .position(|c| c == CASE_KEY)
        .expect("output columns include the case key");
    let err_col = columns.len() - 1;
    loop {
        let offset = r.position().byte();
        match r.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(bad(format!("cannot resume from this output: {e}"))),
        }
        if first {
            first = false;
            if rec.iter().ne(columns.iter().map(String::as_str)) {
                return Err(bad(
                    "cannot resume: this output was written with other columns (other \
                     settings or manifest); remove it or write to another file"
                        .into(),
                ));
            }
            continue;
        }
        if rec.len() != columns.len() {
            continue;
        }
        let id = match id_col {
            Some(c) => rec[c].to_string(),
            None => continue,
        };
        rows.insert(
            id,
            (offset, rec[key_col].to_string(), rec[err_col].is_empty()),
        );
    }
    Ok(Existing { rows })
}

/// Reads the line starting at `offset`.
fn line_at(r: &mut BufReader<File>, offset: u64, path: &Path) -> Result<Vec<u8>> {
    r.seek(SeekFrom::Start(offset)).map_err(io_err(path))?;
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).map_err(io_err(path))?;
    Ok(line)
}

/// Writes `header` and the given rows (file, offset) in order to `output` through a temporary
/// file in the same folder and a rename.
fn write_ordered(output: &Path, header: &[u8], rows: &[(&Path, u64)]) -> Result<()> {
    let tmp = output.with_extension("csv.partial");
    {
        let mut out = std::io::BufWriter::new(File::create(&tmp).map_err(write_err(&tmp))?);
        out.write_all(header).map_err(write_err(&tmp))?;
        let mut readers: HashMap<&Path, BufReader<File>> = HashMap::new();
        for &(file, offset) in rows {
            if !readers.contains_key(file) {
                let f = File::open(file).map_err(io_err(file))?;
                readers.insert(file, BufReader::new(f));
            }
            let r = readers.get_mut(file).expect("inserted above");
            out.write_all(&line_at(r, offset, file)?)
                .map_err(write_err(&tmp))?;
        }
        out.flush().map_err(write_err(&tmp))?;
        out.get_ref().sync_all().map_err(write_err(&tmp))?;
    }
    std::fs::rename(&tmp, output).map_err(write_err(output))
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
    let columns = output_columns(manifest, params);
    let index: HashMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let header = csv_line(
        &columns,
        &index,
        &columns
            .iter()
            .map(|c| (c.clone(), Value::Text(c.clone())))
            .collect(),
    )?;
    let selected: Vec<&Case> = manifest
        .cases
        .iter()
        .filter(|c| options.shard.is_none_or(|s| s.contains(c.index)))
        .collect();

    // Rows kept from an earlier run, and the output file opened for appending.
    let existing = if options.resume && output.exists() {
        read_existing(output, &columns)?.rows
    } else {
        HashMap::new()
    };
    let mut done: HashMap<String, u64> = HashMap::new();
    let mut todo: Vec<&Case> = Vec::new();
    for c in &selected {
        match existing.get(&c.id) {
            Some((offset, key, true)) if *key == case_key(c, params) => {
                done.insert(c.id.clone(), *offset);
            }
            _ => todo.push(c),
        }
    }
    let resumed = done.len();
    // A fresh file receives its rows in manifest order and needs no rewrite at the end.
    let fresh = !(options.resume && output.exists());
    let mut file = if !fresh {
        OpenOptions::new()
            .append(true)
            .open(output)
            .map_err(write_err(output))?
    } else {
        let mut f = File::create(output).map_err(write_err(output))?;
        f.write_all(&header).map_err(write_err(output))?;
        f
    };
    let mut offset = file.metadata().map_err(io_err(output))?.len();

    let jobs = if options.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.jobs
    };
    let mut progress = Reporter::new(options.progress, todo.len(), resumed);
    let next = AtomicUsize::new(0);
    let mut failures = 0usize;
    let mut write_error: Option<Error> = None;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Row)>(jobs);
        for _ in 0..jobs.min(todo.len().max(1)) {
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
                    let row = extract_case(case, params, options.device);
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
                let line = csv_line(&columns, &index, &row).or_else(|e| {
                    // A row that cannot be laid out under the header is recorded as a failure.
                    let mut bare: Row = row
                        .iter()
                        .filter(|(k, _)| manifest.columns.contains(k) || k == CASE_KEY)
                        .cloned()
                        .collect();
                    bare.push((ERROR.into(), Value::Text(e.to_string())));
                    csv_line(&columns, &index, &bare)
                });
                let written = line.and_then(|line| {
                    file.write_all(&line).map_err(write_err(output))?;
                    file.flush().map_err(write_err(output))?;
                    Ok(line.len() as u64)
                });
                match written {
                    Ok(n) => {
                        done.insert(case.id.clone(), offset);
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
    drop(file);

    // After a resume, rewrite in manifest order (kept rows never carry an error: failed ones
    // were retried, and their old rows are dropped here).
    if !fresh {
        let rows: Vec<(&Path, u64)> = selected
            .iter()
            .filter_map(|c| done.get(&c.id).map(|&o| (output, o)))
            .collect();
        write_ordered(output, &header, &rows)?;
    }
    Ok(Summary {
        cases: selected.len(),
        extracted: todo.len(),
        resumed,
        failures,
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
            eprintln!("resuming: {resumed} case(s) already done, {total} to extract");
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
                None => eprintln!("{line}"),
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
            eprintln!(
                "{}/{} cases, {rate:.2} cases/s, ETA {eta:.0} s, {} failed",
                self.done, self.total, self.failures
            );
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// What [`merge`] joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeSummary {
    /// Rows written (one per manifest case).
    pub rows: usize,
    /// Rows whose `error` is not empty.
    pub failures: usize,
}

/// Joins shard outputs into one table in manifest order. Every shard must have the same
/// header; an ID found twice, an ID not in the manifest, or a manifest case found in no
/// shard is an error that lists the IDs.
pub fn merge(manifest: &Manifest, shards: &[PathBuf], output: &Path) -> Result<MergeSummary> {
    let mut header: Option<Vec<u8>> = None;
    let mut found: HashMap<String, (usize, u64)> = HashMap::new();
    let mut duplicates = Vec::new();
    let mut unknown = Vec::new();
    let mut failures = 0usize;
    let known: std::collections::HashSet<&str> =
        manifest.cases.iter().map(|c| c.id.as_str()).collect();
    for (s, path) in shards.iter().enumerate() {
        let f = File::open(path).map_err(io_err(path))?;
        let mut lines = BufReader::new(f);
        let mut first = Vec::new();
        lines.read_until(b'\n', &mut first).map_err(io_err(path))?;
        match &header {
            None => header = Some(first.clone()),
            Some(h) if *h != first => {
                return Err(Error::Manifest {
                    path: path.clone(),
                    detail: format!(
                        "its header differs from the first shard's ('{}')",
                        shards[0].display()
                    ),
                })
            }
            Some(_) => {}
        }
        let columns: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(first.as_slice())
            .records()
            .next()
            .and_then(|r| r.ok())
            .map(|r| r.iter().map(String::from).collect())
            .unwrap_or_default();
        let id_col = columns.iter().position(|c| c == "ID");
        let err_col = columns.iter().position(|c| c == ERROR);
        let (Some(id_col), Some(err_col)) = (id_col, err_col) else {
            return Err(Error::Manifest {
                path: path.clone(),
                detail: "not a gpurad cohort output (no 'ID' or 'error' column)".into(),
            });
        };
        let mut offset = first.len() as u64;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = lines.read_until(b'\n', &mut line).map_err(io_err(path))?;
            if n == 0 {
                break;
            }
            let rec = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.as_slice())
                .records()
                .next()
                .and_then(|r| r.ok());
            let Some(rec) = rec.filter(|r| r.len() == columns.len()) else {
                return Err(Error::Manifest {
                    path: path.clone(),
                    detail: format!("incomplete row at byte {offset} (was the shard finished?)"),
                });
            };
            let id = rec[id_col].to_string();
            if !known.contains(id.as_str()) {
                unknown.push(id);
            } else if found.insert(id.clone(), (s, offset)).is_some() {
                duplicates.push(id);
            } else if !rec[err_col].is_empty() {
                failures += 1;
            }
            offset += n as u64;
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
    let missing: Vec<String> = manifest
        .cases
        .iter()
        .filter(|c| !found.contains_key(&c.id))
        .map(|c| c.id.clone())
        .collect();
    let out_err = |detail: String| Error::Manifest {
        path: output.to_path_buf(),
        detail,
    };
    if !duplicates.is_empty() {
        return Err(out_err(format!(
            "{} ID(s) appear in more than one row: {}",
            duplicates.len(),
            list(&duplicates)
        )));
    }
    if !unknown.is_empty() {
        return Err(out_err(format!(
            "{} ID(s) are not in the manifest: {}",
            unknown.len(),
            list(&unknown)
        )));
    }
    if !missing.is_empty() {
        return Err(out_err(format!(
            "{} case(s) of the manifest are in no shard: {}",
            missing.len(),
            list(&missing)
        )));
    }
    let header = header.ok_or_else(|| out_err("no shard files given".into()))?;
    let rows: Vec<(&Path, u64)> = manifest
        .cases
        .iter()
        .map(|c| {
            let (s, o) = found[&c.id];
            (shards[s].as_path(), o)
        })
        .collect();
    write_ordered(output, &header, &rows)?;
    Ok(MergeSummary {
        rows: rows.len(),
        failures,
    })
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
