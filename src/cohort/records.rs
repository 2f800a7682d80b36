//! The cohort output file: a CSV table with one record per case, written record by record
//! and read back by byte ranges (to resume, reorder and merge).
//!
//! Cells are written as they are: text with line breaks or quotes is quoted (RFC 4180), so a
//! record may span several lines, and every value read back equals the one written. A record
//! is complete when it has the header's number of fields, ends with a line break and holds an
//! even number of `"` (a record cut inside a quoted cell has an odd number); an incomplete
//! last record is what a killed run leaves behind.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::extract::{Row, Value};

/// A record's place in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    /// First byte.
    pub start: u64,
    /// Length in bytes, line break included.
    pub len: u64,
}

/// Formats `row` as one CSV record in `columns` order (`index`: column → position). A column
/// that is not in the header is an error, never dropped.
pub(super) fn csv_record(
    columns: &[String],
    index: &HashMap<&str, usize>,
    row: &Row,
) -> Result<Vec<u8>> {
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
            Value::Text(t) => cell.push_str(t),
            Value::Number(_) => {
                use std::fmt::Write;
                write!(cell, "{v}").expect("formatting into a String");
            }
        }
    }
    fields_record(&cells)
}

/// One CSV record of the given fields.
pub(super) fn fields_record<S: AsRef<[u8]>>(fields: &[S]) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    w.write_record(fields)
        .map_err(|e| Error::Compute(e.to_string()))?;
    w.into_inner().map_err(|e| Error::Compute(e.to_string()))
}

/// An output file as read: its header and its complete records, in file order.
pub(super) struct OutputFile {
    /// Column names.
    pub header: Vec<String>,
    /// Complete records with their place in the file.
    pub records: Vec<(Span, csv::StringRecord)>,
    /// Byte offsets of incomplete records (other than a cut last one, see `cut_tail`).
    pub incomplete: Vec<u64>,
    /// Whether the file ends with an incomplete record (a killed writer).
    pub cut_tail: bool,
}

impl OutputFile {
    /// Position of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|c| c == name)
    }
}

/// Reads a cohort output (`kind` names it in errors: "output", "shard").
pub(super) fn read_output(path: &Path, kind: &str) -> Result<OutputFile> {
    let bytes = crate::limits::read_bounded(path, crate::limits::max_table_file(), kind)?;
    let bad = |detail: String| Error::CohortOutput {
        path: path.to_path_buf(),
        detail,
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut rec = csv::StringRecord::new();
    let mut header: Option<Vec<String>> = None;
    let mut records = Vec::new();
    let mut incomplete = Vec::new();
    let mut cut_tail = false;
    loop {
        let start = r.position().byte();
        match r.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(bad(format!("not a readable CSV table: {e}"))),
        }
        let end = r.position().byte();
        let raw = &bytes[start as usize..end as usize];
        // A record ends with a line break: LF, or CRLF/CR where the file was edited elsewhere
        // (the reader then leaves the LF to the next record).
        let terminated = matches!(raw.last(), Some(b'\n' | b'\r'));
        let quotes_closed = raw.iter().filter(|&&b| b == b'"').count() % 2 == 0;
        let Some(h) = &header else {
            if !(terminated && quotes_closed) {
                return Err(bad("the header line is incomplete".into()));
            }
            header = Some(rec.iter().map(String::from).collect());
            continue;
        };
        if terminated && quotes_closed && rec.len() == h.len() {
            records.push((
                Span {
                    start,
                    len: end - start,
                },
                rec.clone(),
            ));
        } else if end as usize == bytes.len() {
            cut_tail = true;
        } else {
            incomplete.push(start);
        }
    }
    let header = header.ok_or_else(|| bad("the file is empty (no header)".into()))?;
    Ok(OutputFile {
        header,
        records,
        incomplete,
        cut_tail,
    })
}

/// Writes `header` and `records` (each written anew, so that line ends and quoting are this
/// module's whatever the source) to `output` through a temporary file and a rename.
pub(super) fn write_records<'a>(
    output: &Path,
    header: &[String],
    records: impl IntoIterator<Item = &'a csv::StringRecord>,
) -> Result<()> {
    let tmp = output.with_extension("csv.partial");
    let write_err = |cause| Error::Write {
        path: tmp.clone(),
        cause,
    };
    {
        let mut out = std::io::BufWriter::new(crate::io::output::create(&tmp)?);
        out.write_all(&fields_record(header)?).map_err(write_err)?;
        for r in records {
            let fields: Vec<&str> = r.iter().collect();
            out.write_all(&fields_record(&fields)?).map_err(write_err)?;
        }
        out.flush().map_err(write_err)?;
        out.get_ref().sync_all().map_err(write_err)?;
    }
    std::fs::rename(&tmp, output).map_err(|cause| Error::Write {
        path: output.to_path_buf(),
        cause,
    })
}

/// Writes `header` and the records at the given places (file, span), in order, to `output`
/// through a temporary file in the same folder and a rename.
pub(super) fn write_ordered(output: &Path, header: &[u8], rows: &[(&Path, Span)]) -> Result<()> {
    let tmp = output.with_extension("csv.partial");
    let write_err = |cause| Error::Write {
        path: tmp.clone(),
        cause,
    };
    {
        let mut out = std::io::BufWriter::new(crate::io::output::create(&tmp)?);
        out.write_all(header).map_err(write_err)?;
        let mut readers: HashMap<&Path, BufReader<File>> = HashMap::new();
        let mut buf = Vec::new();
        for &(file, span) in rows {
            let read_err = |cause| Error::Io {
                path: file.to_path_buf(),
                cause,
            };
            if !readers.contains_key(file) {
                readers.insert(file, BufReader::new(File::open(file).map_err(read_err)?));
            }
            let r = readers.get_mut(file).expect("inserted above");
            r.seek(SeekFrom::Start(span.start)).map_err(read_err)?;
            buf.resize(span.len as usize, 0);
            r.read_exact(&mut buf).map_err(read_err)?;
            out.write_all(&buf).map_err(write_err)?;
        }
        out.flush().map_err(write_err)?;
        out.get_ref().sync_all().map_err(write_err)?;
    }
    std::fs::rename(&tmp, output).map_err(|cause| Error::Write {
        path: output.to_path_buf(),
        cause,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_and_cut_records_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        let cols: Vec<String> = ["ID", "note", "x"].map(String::from).to_vec();
        let index: HashMap<&str, usize> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let text = |s: &str| Value::Text(s.into());
        let row = |id: &str, note: &str| -> Row {
            vec![
                ("ID".into(), text(id)),
                ("note".into(), text(note)),
                ("x".into(), Value::Number(1.5)),
            ]
        };
        let mut bytes = fields_record(&cols).unwrap();
        for (id, note) in [("A", "two\nlines, \"quoted\" "), ("B", " trailing  ")] {
            bytes.extend(csv_record(&cols, &index, &row(id, note)).unwrap());
        }
        let full = bytes.len();
        // A record cut inside its quoted cell, as a kill leaves it.
        bytes.extend(&csv_record(&cols, &index, &row("C", "cut\nhere")).unwrap()[..9]);
        std::fs::write(&p, &bytes).unwrap();
        let f = read_output(&p, "output").unwrap();
        assert_eq!(f.header, cols);
        assert_eq!(f.records.len(), 2);
        assert_eq!(&f.records[0].1[1], "two\nlines, \"quoted\" ");
        assert_eq!(&f.records[1].1[1], " trailing  ");
        assert!(f.cut_tail && f.incomplete.is_empty());
        let last = f.records[1].0;
        assert_eq!((last.start + last.len) as usize, full);
    }
}
