//! Helpers shared by the integration tests: where the external test data lives, and
//! byte-level NIfTI manipulation for building broken inputs.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

/// Folder of the external test data (`../shared/data` beside the checkout, or
/// `$GPURAD_SHARED_DATA`). Panics with a clear message when it is missing: these tests
/// need the real data and must not pass without it.
pub fn shared_data() -> PathBuf {
    let p = std::env::var_os("GPURAD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    assert!(
        p.is_dir(),
        "external test data not found at {} (set GPURAD_SHARED_DATA)",
        p.display()
    );
    p
}

/// The six PyRadiomics test cases.
pub const PYRADIOMICS_CASES: [&str; 6] =
    ["brain1", "brain2", "breast1", "lung1", "lung2", "prostate"];

/// Image and mask paths of a PyRadiomics test case.
pub fn pyradiomics_case(case: &str) -> (PathBuf, PathBuf) {
    let d = shared_data().join("pyradiomics");
    (
        d.join(format!("{case}_image.nii.gz")),
        d.join(format!("{case}_label.nii.gz")),
    )
}

/// Decompressed bytes of a `.nii.gz`.
pub fn gunzip(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Little-endian NIfTI-1 header field writers.
pub fn put_i16(b: &mut [u8], off: usize, v: i16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
pub fn put_f32(b: &mut [u8], off: usize, v: f32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
pub fn get_f32(b: &[u8], off: usize) -> f32 {
    f32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}
pub fn get_i16(b: &[u8], off: usize) -> i16 {
    i16::from_le_bytes(b[off..off + 2].try_into().unwrap())
}

/// Byte offsets in the NIfTI-1 header.
pub mod off {
    pub const DIM: usize = 40;
    pub const DATATYPE: usize = 70;
    pub const BITPIX: usize = 72;
    pub const PIXDIM: usize = 76;
    pub const QOFFSET_X: usize = 268;
    pub const SROW_X: usize = 280;
    pub const MAGIC: usize = 344;
    pub const DATA: usize = 352;
}

/// Relative difference `|a − b| / max(|a|, |b|)`: 0 when equal (both NaN counts as equal),
/// NaN when only one is NaN (so a comparison against a tolerance fails).
pub fn rel_diff(a: f64, b: f64) -> f64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0.0;
    }
    (a - b).abs() / a.abs().max(b.abs())
}

/// Half a unit in the last significant digit of a published value such as "0.0411" or "556".
pub fn half_unit(published: &str) -> f64 {
    let s = published.trim_start_matches('-');
    let (mantissa, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap()),
        None => (s, 0),
    };
    let decimals = mantissa.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
    0.5 * 10f64.powi(exp - decimals)
}

/// A CSV file as (headers, columns keyed by header), cells as text.
pub fn csv_columns(path: &Path) -> (Vec<String>, std::collections::HashMap<String, Vec<String>>) {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let mut cols: std::collections::HashMap<String, Vec<String>> =
        headers.iter().map(|h| (h.clone(), Vec::new())).collect();
    for record in reader.records() {
        let record = record.unwrap();
        for (h, v) in headers.iter().zip(record.iter()) {
            cols.get_mut(h).unwrap().push(v.to_string());
        }
    }
    (headers, cols)
}

/// Largest absolute difference from R seen per quantity, printed at the end of a test;
/// `check` fails the test when one difference exceeds its tolerance.
#[derive(Default)]
pub struct MaxDiff(std::cell::RefCell<Vec<(String, f64)>>);

impl MaxDiff {
    /// Asserts `|got − want| ≤ tol` and records the difference under `kind`.
    pub fn check(&self, kind: &str, what: &str, got: f64, want: f64, tol: f64) {
        let diff = if got == want { 0.0 } else { (got - want).abs() };
        assert!(
            diff <= tol,
            "{kind} {what}: gpurad {got:.17e} vs R {want:.17e} (|diff| {diff:.3e} > {tol:.0e})"
        );
        let mut v = self.0.borrow_mut();
        match v.iter_mut().find(|(k, _)| k == kind) {
            Some((_, m)) => *m = m.max(diff),
            None => v.push((kind.to_string(), diff)),
        }
    }

    /// As [`MaxDiff::check`] on the ratio `got / want` against 1.
    pub fn relative(&self, kind: &str, what: &str, got: f64, want: f64, tol: f64) {
        self.check(kind, what, got / want, 1.0, tol);
    }

    /// Prints the largest difference of each quantity.
    pub fn report(&self, test: &str) {
        for (k, m) in self.0.borrow().iter() {
            eprintln!("[{test}] max |gpurad - R| for {k}: {m:.3e}");
        }
    }
}
