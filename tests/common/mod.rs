//! Helpers shared by the integration tests: where the test data lives, and byte-level NIfTI
//! manipulation for building broken inputs.
//!
//! Test data comes from two places. Small cases are bundled in `tests/fixtures/` (the IBSI
//! digital phantom and its reference values; the PyRadiomics cases breast1, brain2 and
//! prostate), so that the suite passes on a fresh clone. The larger external data (brain1,
//! lung1, lung2, PyRadiomics' baseline tables and matrices) is found in `../shared/data` beside
//! the checkout or in `$GPURAD_SHARED_DATA`. Where it is missing, a test skips what needs it
//! and records that it did ([`skipped`]); the `zz_skipped_tests` target prints the count at the
//! end of `cargo test`. With `GPURAD_REQUIRE_DATA=1` (set in CI) missing data fails the test.
#![allow(dead_code)]

pub mod browser;

use std::io::Read;
use std::path::{Path, PathBuf};

/// The bundled fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Where the external test data is looked for.
pub fn shared_data_path() -> PathBuf {
    std::env::var_os("GPURAD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
}

/// Folder where skipping tests leave a note for the summary printed by `zz_skipped_tests`.
pub fn skip_notes() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests")
}

/// Records that the running test skipped `what` because the external data is missing, or
/// fails it when `GPURAD_REQUIRE_DATA=1`.
pub fn skipped(what: &str) {
    skipped_because(
        what,
        &format!(
            "external test data not found at {} (set GPURAD_SHARED_DATA; see the README's \"Test data\")",
            shared_data_path().display()
        ),
    );
}

/// Whether figures can be rendered to PNG here (a font is installed); when not, records the
/// skip as [`skipped`] does (and fails with `GPURAD_REQUIRE_DATA=1`).
pub fn png_fonts_available(what: &str) -> bool {
    let probe = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"20\"><text x=\"2\" y=\"15\">A</text></svg>";
    match gpurad::report::png::svg_to_png(probe, 96.0) {
        Ok(_) => true,
        Err(e) => {
            skipped_because(what, &format!("{e}"));
            false
        }
    }
}

/// Records that the running test skipped `what` for the reason `cause`, or fails it when
/// `GPURAD_REQUIRE_DATA=1`.
pub fn skipped_because(what: &str, cause: &str) {
    let why = format!("{what}: {cause}");
    assert!(
        std::env::var("GPURAD_REQUIRE_DATA").as_deref() != Ok("1"),
        "GPURAD_REQUIRE_DATA=1 but {why}"
    );
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("unnamed").replace("::", "-");
    let dir = skip_notes();
    let _ = std::fs::create_dir_all(&dir);
    let note = dir.join(format!("{}--{test}", env!("CARGO_CRATE_NAME")));
    let _ = std::fs::write(note, &why);
    eprintln!("skipped {why}");
}

/// Folder of the external test data, or `None` (recorded with [`skipped`]) when it is missing.
pub fn shared_data() -> Option<PathBuf> {
    let p = shared_data_path();
    if p.is_dir() {
        Some(p)
    } else {
        skipped("the whole test");
        None
    }
}

/// The six PyRadiomics test cases.
pub const PYRADIOMICS_CASES: [&str; 6] =
    ["brain1", "brain2", "breast1", "lung1", "lung2", "prostate"];

/// The PyRadiomics cases bundled in `tests/fixtures/cases`.
pub const BUNDLED_CASES: [&str; 3] = ["brain2", "breast1", "prostate"];

/// The cases of `wanted` that can be read here: the bundled ones always, the others when the
/// external data is present (else their absence is recorded with [`skipped`]).
pub fn available_cases<'a>(wanted: &[&'a str]) -> Vec<&'a str> {
    let external = shared_data_path().is_dir();
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|c| !external && !BUNDLED_CASES.contains(c))
        .collect();
    if !missing.is_empty() {
        skipped(&format!("cases {}", missing.join(", ")));
    }
    wanted
        .iter()
        .copied()
        .filter(|c| !missing.contains(c))
        .collect()
}

/// Image and mask paths of a PyRadiomics test case (bundled, else external: check with
/// [`available_cases`] first).
pub fn pyradiomics_case(case: &str) -> (PathBuf, PathBuf) {
    let d = if BUNDLED_CASES.contains(&case) {
        fixtures().join("cases")
    } else {
        shared_data_path().join("pyradiomics")
    };
    (
        d.join(format!("{case}_image.nii.gz")),
        d.join(format!("{case}_label.nii.gz")),
    )
}

/// The IBSI-1 digital phantom (bundled): image and mask.
pub fn ibsi_phantom() -> (PathBuf, PathBuf) {
    let d = fixtures().join("cases");
    (
        d.join("ibsi_phantom_image.nii.gz"),
        d.join("ibsi_phantom_mask.nii.gz"),
    )
}

/// The IBSI-1 CT phantom (external data): image and mask, or `None` (recorded with
/// [`skipped`]) when the external data is missing.
pub fn ibsi_ct_phantom() -> Option<(PathBuf, PathBuf)> {
    let d = shared_data_path().join("ibsi/ct_radiomics_phantom");
    if d.join("image.nii.gz").is_file() {
        Some((d.join("image.nii.gz"), d.join("mask.nii.gz")))
    } else {
        skipped("the IBSI CT phantom");
        None
    }
}

/// The IBSI-1 reference values of the digital phantom (bundled).
pub fn ibsi_reference_values() -> PathBuf {
    fixtures().join("ibsi/reference_values.csv")
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

/// A CSV file as rows, each a map from column name to cell (as text).
pub fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
            headers
                .iter()
                .map(String::from)
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
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

/// The rows of `dataset` in an IBSI reference table (`reference_values.csv` layout) as
/// (gpurad's IBSI column name, published value as written, published tolerance): the IBSI
/// id, with the intensity–volume histogram's parameter (`BC2M_V10`, read from the table's
/// caption) and `_` and the aggregation id for texture features (`GYBY_ITBB`).
pub fn ibsi_reference_columns(path: &Path, dataset: &str) -> Vec<(String, String, f64)> {
    csv_rows(path)
        .into_iter()
        .filter(|r| r["dataset"] == dataset)
        .map(|r| {
            let id = r["feature_ibsi_id"].clone();
            let id = match id.as_str() {
                "BC2M" | "GBPN" => {
                    let x = if r["table_caption"].contains("10%") {
                        "10"
                    } else {
                        "90"
                    };
                    format!("{id}_{}{x}", if id == "BC2M" { "V" } else { "I" })
                }
                _ => id,
            };
            let agg = &r["aggregation_ibsi_id"];
            let column = if agg.is_empty() {
                id
            } else {
                format!("{id}_{agg}")
            };
            (
                column,
                r["value"].clone(),
                r["tolerance"].parse().unwrap_or(0.0),
            )
        })
        .collect()
}
