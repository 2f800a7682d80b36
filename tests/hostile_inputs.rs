//! Hostile input: seeded mutation runs over everything gpurad reads — NIfTI files, parameter
//! files, manifests, feature tables, model files — asserting that nothing panics and that no
//! allocation runs away, plus one regression test per class of hostile input that once got
//! through (panics, runaway allocations, stale rows, silently accepted or badly reported
//! input).
//!
//! Allocation is watched by this binary's allocator: the memory budget is set to 256 MiB, and
//! any single request above 1 GiB is refused (the process then aborts, failing the run), so a
//! size taken from input that escapes the budget cannot go unnoticed — nor swap the machine.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use gpurad::extract::extract_case;
use gpurad::study::dataset::Dataset;
use gpurad::study::fit::{fit, FitOptions, LambdaRule, Model};
use gpurad::Params;

/// Allocations larger than this are refused.
const REFUSE_ABOVE: usize = 1 << 30;
static LARGEST: AtomicUsize = AtomicUsize::new(0);

struct Watching;

// SAFETY: forwards to the system allocator; only refuses (returns null for) huge requests.
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

/// Memory budget of this binary's runs.
const BUDGET: u64 = 256 << 20;

fn budget() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| gpurad::limits::set_max_memory(BUDGET).unwrap());
}

/// Counts of hostile inputs accepted and refused; every refusal must be a clear error.
#[derive(Default)]
struct Tally {
    ok: usize,
    refused: usize,
}

impl Tally {
    fn add<T>(&mut self, what: &str, result: gpurad::Result<T>) {
        match result {
            Ok(_) => self.ok += 1,
            Err(e) => {
                assert_clear(what, &e.to_string());
                self.refused += 1;
            }
        }
    }
}

/// A small seeded generator (xorshift64*), so that every run mutates alike.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Runs `f`, failing the test with `what` (the input) when it panics.
fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("panic on hostile input ({what}): {msg}")
        }
    }
}

/// An error message must be in words (no Rust debug formatting). (The command-line tool
/// prints every message on one line, escaping line breaks that input text carries into it.)
fn assert_clear(what: &str, e: &str) {
    for debug in [
        "Error {",
        "kind:",
        "Io(",
        "Os {",
        "ParseFloatError",
        "Some(",
    ] {
        assert!(!e.contains(debug), "{what}: debug text in error: {e}");
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Seeded mutation runs

/// NIfTI-1 header fields: (offset, is f32 else i16).
const FIELDS: [(usize, bool); 22] = [
    (0, false),
    (40, false),
    (42, false),
    (44, false),
    (46, false),
    (48, false),
    (70, false),
    (72, false),
    (76, true),
    (80, true),
    (84, true),
    (88, true),
    (108, true),
    (112, true),
    (116, true),
    (252, false),
    (254, false),
    (256, true),
    (260, true),
    (280, true),
    (292, true),
    (312, true),
];

fn mutate_nifti(rng: &mut Rng, base: &[u8]) -> (Vec<u8>, String) {
    let mut b = base.to_vec();
    let mut what = Vec::new();
    for _ in 0..1 + rng.below(3) {
        match rng.below(5) {
            0..=2 => {
                let &(at, float) = rng.pick(&FIELDS);
                if at + 4 > b.len() {
                    continue;
                }
                if float {
                    let v = *rng.pick(&[
                        f32::NAN,
                        f32::INFINITY,
                        -1.0,
                        0.0,
                        1e-30,
                        1e30,
                        3.4e38,
                        0.5,
                        351.0,
                        352.5,
                        1e9,
                    ]);
                    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
                    what.push(format!("f32 @{at} = {v}"));
                } else {
                    let v = *rng.pick(&[0i16, -1, 1, 2, 3, 4, 7, 8, 16, 64, 348, 32767, -32768]);
                    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
                    what.push(format!("i16 @{at} = {v}"));
                }
            }
            3 => {
                let cut = rng.below(b.len() + 1);
                b.truncate(cut);
                what.push(format!("cut to {cut} bytes"));
            }
            _ => {
                if !b.is_empty() {
                    let at = rng.below(b.len());
                    b[at] ^= 1 << rng.below(8);
                    what.push(format!("bit flip @{at}"));
                }
            }
        }
    }
    (b, what.join(", "))
}

#[test]
fn mutated_nifti_files_never_panic() {
    budget();
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = ibsi_phantom();
    let bases = [gunzip(&image), gunzip(&mask)];
    let params = [Params::default(), {
        let mut p = Params::default();
        for o in [
            "normalize:true",
            "resampledPixelSpacing:[1,1,1]",
            "removeOutliers:3",
        ] {
            p.settings.apply_override(o).unwrap();
        }
        p
    }];
    let mut rng = Rng(0x5EED_0001);
    let mut tally = Tally::default();
    for i in 0..1500 {
        let which = rng.below(2);
        let (bytes, what) = mutate_nifti(&mut rng, &bases[which]);
        let compressed = rng.below(2) == 0;
        let path = dir
            .path()
            .join(format!("m{i}.nii{}", if compressed { ".gz" } else { "" }));
        std::fs::write(&path, if compressed { gzip(&bytes) } else { bytes }).unwrap();
        let what = format!("{} {what}", ["image", "mask"][which]);
        let (img, msk) = if which == 0 {
            (path.as_path(), mask.as_path())
        } else {
            (image.as_path(), path.as_path())
        };
        for p in &params {
            tally.add(&what, no_panic(&what, || extract_case(img, msk, p)));
        }
    }
    let Tally { ok, refused } = tally;
    eprintln!("mutated NIfTI: {ok} extracted, {refused} refused with an error");
    assert!(refused > 800, "too few mutations were refused: {refused}");
}

/// Values a hostile parameter file may give a setting.
const VALUES: [&str; 24] = [
    "0",
    "-1",
    "1",
    "2.5",
    "1e308",
    "1e-300",
    "1e9",
    ".nan",
    ".inf",
    "-.inf",
    "true",
    "'text'",
    "null",
    "[]",
    "[0]",
    "[1000]",
    "[1, 2]",
    "[0.001, 0.001, 0.001]",
    "[1e-9, 1, 1]",
    "[1, 1, 1]",
    "[[1]]",
    "{a: 1}",
    "1048576",
    "16777216",
];

/// Valid but extreme values of each setting.
fn valid_values(key: &str) -> &'static [&'static str] {
    match key {
        "label" => &["1", "2", "9223372036854775807"],
        "normalize" | "preCrop" | "resegmentShape" | "symmetricalGLCM" | "force2D"
        | "additionalInfo" | "enableCExtensions" => &["true", "false"],
        "normalizeScale" | "removeOutliers" | "geometryTolerance" => &["1e-300", "3", "1e300"],
        "resampledPixelSpacing" => &[
            "[1, 1, 1]",
            "[0, 0, 0]",
            "[0.5, 3, 0.01]",
            "[0.001, 0.001, 0.001]",
            "[1e6, 1e6, 1e6]",
        ],
        "interpolator" => &[
            "sitkNearestNeighbor",
            "sitkLinear",
            "sitkBSpline",
            "1",
            "3",
            "23",
        ],
        "padDistance" => &["0", "1", "1000000"],
        "resegmentRange" => &["[-1e308, 1e308]", "[0]", "[3, 3]", "[1e9]"],
        "resegmentMode" => &["absolute", "relative", "sigma"],
        "binWidth" => &["1e-300", "1e308", "0.001", "25"],
        "binCount" => &["1", "2", "16777216"],
        "binningOrigin" | "shapeCovariance" | "featureNames" | "resamplingGrid" => {
            &["ibsi", "pyradiomics"]
        }
        "maskInterpolator" => &["nearest", "linear"],
        "maskPartialVolumeThreshold" => &["0.5", "1", "1e-300"],
        "roundIntensities" => &["true", "false"],
        "resegmentOutliers" => &["3", "1e-300", "1e308"],
        "ivhBinWidth" => &["1e-300", "1e308", "0.5"],
        "ivhBinCount" => &["1", "16777216"],
        "maxGreyLevels" => &["1", "1048576"],
        "voxelArrayShift" => &["-1e308", "1e308", "2000"],
        "minimumROIDimensions" => &["1", "3"],
        "minimumROISize" => &["1", "1000000"],
        "distances" => &["[1, 2, 3]", "[1000]", "[1, 1000]"],
        "weightingNorm" => &["manhattan", "euclidean", "infinity", "no_weighting"],
        "gldm_a" => &["0", "1e308"],
        "force2Ddimension" => &["0", "1", "2"],
        "sigma" => &[
            "[1.0, 2.0]",
            "[0.1]",
            "[1e308]",
            "[5e-324]",
            "[2, 2.0]",
            "[]",
        ],
        "lbp2DRadius" | "lbp3DIcosphereRadius" => &["1e-300", "0.5", "1000", "1001"],
        "lbp2DSamples" => &["1", "31", "32"],
        "lbp3DLevels" => &["1", "2", "30", "31"],
        "lbp3DIcosphereSubdivision" => &["0", "3", "6", "7"],
        _ => &VALUES,
    }
}

#[test]
fn random_settings_never_panic() {
    budget();
    let (image, mask) = ibsi_phantom();
    let (b_image, b_mask) = pyradiomics_case("breast1");
    let mut keys: Vec<&str> = gpurad::settings::KNOWN_SETTINGS.to_vec();
    keys.extend(["binwidth", "voxelSetting"]);
    let mut rng = Rng(0x5EED_0002);
    let mut tally = Tally::default();
    for _ in 0..2000 {
        let mut yaml = String::from("setting:\n");
        for _ in 0..1 + rng.below(4) {
            let key = *rng.pick(&keys);
            let value = if rng.below(4) == 0 {
                *rng.pick(&VALUES)
            } else {
                *rng.pick(valid_values(key))
            };
            yaml += &format!("  {key}: {value}\n");
        }
        if rng.below(8) == 0 {
            yaml += "featureClass:\n  glcm:\n  firstorder:\n";
        }
        if rng.below(4) == 0 {
            // Filtered image types with random custom settings.
            let types = [
                "Square",
                "SquareRoot",
                "Logarithm",
                "Exponential",
                "Wavelet",
                "LoG",
                "Gradient",
                "LBP2D",
            ];
            yaml += "imageType:\n  Original: {}\n";
            yaml += &format!(
                "  {}: {{{}: {}}}\n",
                rng.pick(&types),
                rng.pick(&[
                    "wavelet",
                    "level",
                    "start_level",
                    "binWidth",
                    "force2D",
                    "sigma",
                    "gradientUseSpacing",
                    "lbp2DRadius",
                    "lbp2DSamples",
                    "lbp2DMethod"
                ]),
                rng.pick(&[
                    "dmey", "haar", "db38", "'x'", "0", "1", "3", "16", "17", "true", "1e308",
                    "[1.0]", "[0.5, 2]", "[1e308]", "[1e-300]", "[3, 3.0]", "[]", "var", "ror",
                    "31", "32", "1000", "0.001"
                ])
            );
        }
        let p = match no_panic(&yaml, || Params::from_yaml(&yaml)) {
            Ok(p) => p,
            Err(e) => {
                tally.add::<()>(&yaml, Err(e));
                continue;
            }
        };
        let (img, msk) = if rng.below(4) == 0 {
            (b_image.as_path(), b_mask.as_path())
        } else {
            (image.as_path(), mask.as_path())
        };
        tally.add(&yaml, no_panic(&yaml, || extract_case(img, msk, &p)));
    }
    let Tally { ok, refused } = tally;
    eprintln!("random settings: {ok} extracted, {refused} refused");
    assert!(
        ok > 300 && refused > 300,
        "{ok} extracted, {refused} refused"
    );
}

/// The first `rows` patients and a few columns of the R study fixture.
fn small_table(rows: usize) -> String {
    let text = std::fs::read_to_string(fixtures().join("study/cohort.csv")).unwrap();
    text.lines()
        .take(rows + 1)
        .map(|l| l.split(',').take(14).collect::<Vec<_>>().join(","))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn fit_options(foldid: bool) -> FitOptions {
    FitOptions {
        outcome: "outcome".into(),
        id: None,
        clinical: vec![gpurad::study::clinical::Clinical::parse("age>60").unwrap()],
        clinical_candidates: Vec::new(),
        enter_p: 0.05,
        // Without fold ids the fold column (empty in validation rows) is not a feature.
        exclude: if foldid {
            Vec::new()
        } else {
            vec!["fold".into()]
        },
        cohort: Some("cohort".into()),
        train_value: "train".into(),
        foldid: foldid.then(|| "fold".into()),
        nfolds: 5,
        seed: 1,
        lambda: LambdaRule::Min,
        drop_incomplete: false,
        filters: Vec::new(),
        repeats: Vec::new(),
        firth: false,
        bootstrap: 0,
        bootstrap_pipeline: 0,
    }
}

const CELLS: [&str; 12] = [
    "", "NA", "text", "1e308", "-1e308", "inf", "nan", "0", "2", "1e12", "\"a,b\"", "\"x\ny\"",
];

#[test]
fn mutated_tables_never_panic() {
    budget();
    let dir = tempfile::tempdir().unwrap();
    let base = small_table(60);
    let mut rng = Rng(0x5EED_0003);
    let mut tally = Tally::default();
    for i in 0..300 {
        let mut lines: Vec<Vec<String>> = base
            .lines()
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        let mut what = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let r = rng.below(lines.len());
            let c = rng.below(lines[0].len());
            match rng.below(6) {
                0 => {
                    // A header name copied onto another.
                    let c2 = rng.below(lines[0].len());
                    lines[0][c] = lines[0][c2].clone();
                    what.push(format!("column {c} renamed as {c2}"));
                }
                1 => {
                    lines.truncate(1 + rng.below(lines.len()));
                    what.push(format!("{} lines kept", lines.len()));
                }
                _ => {
                    let v = rng.pick(&CELLS).to_string();
                    what.push(format!("cell ({r}, {c}) = {v}"));
                    lines[r][c] = v;
                }
            }
        }
        let text: String = lines.iter().map(|l| l.join(",") + "\n").collect();
        let path = dir.path().join(format!("t{i}.csv"));
        std::fs::write(&path, &text).unwrap();
        let what = what.join("; ");
        let result = no_panic(&what, || {
            let ds = Dataset::read(&path)?;
            fit(&ds, &fit_options(rng.below(2) == 0))
        });
        tally.add(&what, result);
    }
    let Tally { ok, refused } = tally;
    eprintln!("mutated tables: {ok} fitted, {refused} refused");
    assert!(refused > 100, "{ok} fitted, {refused} refused");
}

/// A JSON value a hostile model file may hold.
fn hostile_json(rng: &mut Rng) -> serde_json::Value {
    use serde_json::json;
    match rng.below(9) {
        0 => json!(null),
        1 => json!([]),
        2 => json!({}),
        3 => json!(0),
        4 => json!(-1.0),
        5 => json!(1e308),
        6 => json!("x"),
        7 => json!([1, 2, 3]),
        _ => json!(["(Intercept)", "unknown"]),
    }
}

/// Replaces a random node of `v` (an object member or array element, at any depth).
fn mutate_json(rng: &mut Rng, v: &mut serde_json::Value, path: &mut String) {
    let replace = rng.below(3) == 0;
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => {
            let k = m.keys().nth(rng.below(m.len())).unwrap().clone();
            path.push_str(&format!(".{k}"));
            if replace {
                if rng.below(4) == 0 {
                    m.remove(&k);
                    path.push_str(" removed");
                } else {
                    m[&k] = hostile_json(rng);
                }
            } else {
                mutate_json(rng, m.get_mut(&k).unwrap(), path);
            }
        }
        serde_json::Value::Array(a) if !a.is_empty() => {
            let i = rng.below(a.len());
            path.push_str(&format!("[{i}]"));
            if replace {
                if rng.below(3) == 0 {
                    a.remove(i);
                    path.push_str(" removed");
                } else {
                    a[i] = hostile_json(rng);
                }
            } else {
                mutate_json(rng, &mut a[i], path);
            }
        }
        other => *other = hostile_json(rng),
    }
}

#[test]
fn mutated_model_files_never_panic() {
    budget();
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("table.csv");
    std::fs::write(&table, small_table(120)).unwrap();
    let ds = Dataset::read(&table).unwrap();
    let model = fit(&ds, &fit_options(false)).unwrap();
    let base = serde_json::to_value(&model).unwrap();
    let rows: Vec<usize> = (0..ds.rows.len()).collect();
    let mut rng = Rng(0x5EED_0004);
    let mut tally = Tally::default();
    for i in 0..600 {
        let mut v = base.clone();
        let mut what = String::new();
        for _ in 0..1 + rng.below(2) {
            mutate_json(&mut rng, &mut v, &mut what);
            what.push(' ');
        }
        let path = dir.path().join(format!("model{i}.json"));
        std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
        let result = no_panic(&what, || {
            let m = Model::read(&path)?;
            gpurad::study::validate::predict(&m, &ds, &rows, Some("cohort"))?;
            gpurad::study::validate::validate(&m, &ds, Some("cohort"), false)
        });
        tally.add(&what, result);
    }
    let Tally { ok, refused } = tally;
    eprintln!("mutated model files: {ok} applied, {refused} refused");
    assert!(ok > 30 && refused > 200, "{ok} applied, {refused} refused");
}

#[test]
fn mutated_manifests_never_panic() {
    budget();
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = ibsi_phantom();
    std::fs::copy(&image, dir.path().join("img.nii.gz")).unwrap();
    std::fs::copy(&mask, dir.path().join("mask.nii.gz")).unwrap();
    let base = "ID,Image_T1WI,Image_T2WI,Mask,age,outcome\n\
                A,img.nii.gz,img.nii.gz,mask.nii.gz,61,1\n\
                B,img.nii.gz,img.nii.gz,mask.nii.gz,45,0\n\
                C,img.nii.gz,missing.nii.gz,mask.nii.gz,70,1\n";
    let pieces = [
        ",",
        "\"",
        "\n",
        "\r\n",
        "ID",
        "Image_",
        "Mask",
        "Label",
        ",ID",
        ",,",
        "\u{feff}",
        "A",
        "/dev/zero",
        ".",
        "Image",
        "\"\n\"",
        "Mask_T1WI",
    ];
    let mut rng = Rng(0x5EED_0005);
    let mut tally = Tally::default();
    for i in 0..300 {
        let mut text = base.to_string();
        for _ in 0..1 + rng.below(3) {
            let mut at = rng.below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            if rng.below(3) == 0 {
                let end = (at + rng.below(6)).min(text.len());
                if text.is_char_boundary(end) {
                    text.replace_range(at..end, "");
                }
            } else {
                let piece = *rng.pick(&pieces);
                text.insert_str(at, piece);
            }
        }
        let path = dir.path().join(format!("cases{i}.csv"));
        std::fs::write(&path, &text).unwrap();
        let out = dir.path().join(format!("out{i}.csv"));
        let result = no_panic(&text, || {
            let m = gpurad::io::manifest::read(&path)?;
            if m.cases.len() > 6 {
                return Ok(());
            }
            let options = gpurad::cohort::Options {
                jobs: 1,
                device: gpurad::matrices::gpu::DeviceChoice::Cpu,
                progress: gpurad::cohort::Progress::Quiet,
                ..Default::default()
            };
            gpurad::cohort::run(&m, &Params::default(), &out, &options).map(|_| ())
        });
        tally.add(&text, result);
    }
    let Tally { ok, refused } = tally;
    eprintln!("mutated manifests: {ok} run, {refused} refused");
    assert!(ok > 50 && refused > 50, "{ok} run, {refused} refused");
}

#[test]
fn no_allocation_ran_away() {
    // Runs with the others in this binary; by the time it reports, they have mostly run.
    budget();
    let largest = LARGEST.load(Ordering::Relaxed);
    eprintln!("largest single allocation so far: {largest} bytes");
    assert!(largest <= REFUSE_ABOVE);
}

// ---------------------------------------------------------------------------------------------
// Regressions: one per class of hostile input that once got through

fn gpurad() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gpurad"));
    c.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    c
}

/// Writes `t.csv` (120 rows of [`small_table`]) into `dir` and fits it with `extra` arguments;
/// the fit must succeed.
fn fit_small_table(dir: &Path, extra: &[&str]) {
    std::fs::write(dir.join("t.csv"), small_table(120)).unwrap();
    let base = [
        "fit",
        "--train",
        "t.csv",
        "--outcome",
        "outcome",
        "--exclude",
        "fold",
    ];
    let (code, err) = cli(&[&base[..], extra].concat(), dir);
    assert_eq!(code, 0, "{err}");
}

/// Runs gpurad; returns (exit code, stderr).
fn cli(args: &[&str], dir: &Path) -> (i32, String) {
    let out = gpurad().args(args).current_dir(dir).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs gpurad expecting a one-line error containing every one of `wanted`.
fn cli_error(args: &[&str], dir: &Path, wanted: &[&str]) {
    let (code, err) = cli(args, dir);
    assert_eq!(code, 2, "{args:?}: exit {code}, stderr {err}");
    let line = err.trim_end();
    assert!(
        line.lines().count() == 1 && line.starts_with("error: "),
        "{args:?}: not a one-line error: {err}"
    );
    assert_clear(&format!("{args:?}"), line);
    for w in wanted {
        assert!(line.contains(w), "{args:?}: '{w}' not in: {line}");
    }
}

/// The phantom image re-encoded as float32 with `value` at voxel `index`.
fn phantom_f32_with(index: usize, value: f32, dir: &Path, name: &str) -> PathBuf {
    let b = gunzip(&ibsi_phantom().0);
    let mut f = b[..off::DATA].to_vec();
    put_i16(&mut f, off::DATATYPE, 16);
    put_i16(&mut f, off::BITPIX, 32);
    for (i, c) in b[off::DATA..].chunks(2).enumerate() {
        let v = i16::from_le_bytes([c[0], c[1]]) as f32;
        f.extend_from_slice(&if i == index { value } else { v }.to_le_bytes());
    }
    let p = dir.join(name);
    std::fs::write(&p, f).unwrap();
    p
}

#[test]
fn non_finite_voxels_outside_the_roi_follow_the_stated_rule() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mask) = ibsi_phantom();
    let m = gpurad::io::nifti::read_mask(&mask, 1).unwrap();
    let outside = m.data.iter().position(|&v| !v).unwrap();
    for value in [f32::NAN, f32::INFINITY] {
        let img = phantom_f32_with(outside, value, dir.path(), "nan_out.nii");
        // Nothing reads the voxel: extraction works.
        extract_case(&img, &mask, &Params::default()).unwrap();
        // Normalisation and resampling read it: a clear error with its place.
        for setting in ["normalize:true", "resampledPixelSpacing:[1,1,1]"] {
            let mut p = Params::default();
            p.settings.apply_override(setting).unwrap();
            let e = extract_case(&img, &mask, &p).unwrap_err().to_string();
            assert!(
                e.contains("outside the ROI") && e.contains("first at voxel index"),
                "{setting}: {e}"
            );
        }
    }
}

#[test]
fn huge_scaling_and_values_give_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = ibsi_phantom();
    let mut b = gunzip(&image);
    put_f32(&mut b, 116, 1e38); // scl_inter
    let img = dir.path().join("inter.nii");
    std::fs::write(&img, &b).unwrap();
    for setting in [
        "normalize:true",
        "resampledPixelSpacing:[1,1,1]",
        "removeOutliers:3",
    ] {
        let mut p = Params::default();
        p.settings.apply_override(setting).unwrap();
        p.settings.apply_override("normalize:true").unwrap();
        no_panic(setting, || extract_case(&img, &mask, &p)).ok();
    }
}

#[test]
fn absurd_settings_are_refused_before_allocation() {
    budget();
    let (image, mask) = ibsi_phantom();
    for (setting, wanted) in [
        (
            "resampledPixelSpacing:[1e-6,1e-6,1e-6]",
            "resampledPixelSpacing",
        ),
        ("resampledPixelSpacing:[1e-3,1e-3,1e-3]", "--max-memory"),
        ("resampledPixelSpacing:[1e6,1e6,1e6]", "after resampling"),
    ] {
        let mut p = Params::default();
        p.settings.apply_override(setting).unwrap();
        let e = extract_case(&image, &mask, &p).unwrap_err().to_string();
        assert!(e.contains(wanted), "{setting}: {e}");
    }
    // A million grey levels: the GLCM alone would be 10^12 cells.
    let mut p = Params::default();
    p.settings.apply_override("maxGreyLevels:1048576").unwrap();
    p.settings.apply_override("binWidth:0.00001").unwrap();
    let e = extract_case(&image, &mask, &p).unwrap_err().to_string();
    assert!(
        e.contains("grey levels") && e.contains("--max-memory"),
        "{e}"
    );
    // Distance 1000 in a 5×4×4 box: no direction fits, nothing is listed.
    let mut p = Params::default();
    p.settings.apply_override("distances:[1000]").unwrap();
    no_panic("distances 1000", || extract_case(&image, &mask, &p)).ok();
    // A bin as wide as the largest double: one bin, not an overflowed count.
    let mut p = Params::default();
    p.settings.apply_override("binWidth:1e308").unwrap();
    extract_case(&image, &mask, &p).unwrap();
}

#[test]
fn a_deeply_nested_parameter_file_is_refused_at_once() {
    let t = std::time::Instant::now();
    for doc in [
        format!("setting: {}", "[".repeat(200_000)),
        format!("setting: {}", "{a: ".repeat(50_000)),
    ] {
        let e = Params::from_yaml(&doc).unwrap_err().to_string();
        assert!(e.contains("nested"), "{e}");
    }
    assert!(t.elapsed().as_secs_f64() < 2.0, "took {:?}", t.elapsed());
}

#[test]
fn nifti_sizes_that_overflow_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // NIfTI-2 headers of 2^31 × 2^31 × 4 and 2^62 × 4 × 4 voxels with 16 bytes of data.
    for dims in [[1i64 << 31, 1 << 31, 4], [1 << 62, 4, 4]] {
        let mut h = vec![0u8; 544];
        h[0..4].copy_from_slice(&540i32.to_le_bytes());
        h[4..12].copy_from_slice(b"n+2\0\r\n\x1a\n");
        h[12..14].copy_from_slice(&4i16.to_le_bytes());
        h[14..16].copy_from_slice(&16i16.to_le_bytes());
        h[16..24].copy_from_slice(&3i64.to_le_bytes());
        for (k, d) in dims.iter().enumerate() {
            h[24 + 8 * k..32 + 8 * k].copy_from_slice(&d.to_le_bytes());
            h[112 + 8 * k..120 + 8 * k].copy_from_slice(&1f64.to_le_bytes());
        }
        h[168..176].copy_from_slice(&544i64.to_le_bytes());
        h.extend([0u8; 16]);
        let p = dir.path().join("huge.nii");
        std::fs::write(&p, &h).unwrap();
        let e = no_panic("huge dims", || gpurad::io::nifti::read_volume(&p))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("truncated") && !e.contains("ROI"),
            "{dims:?}: {e}"
        );
        // Gzip'd, the file length tells nothing: the budget refuses it.
        let pz = dir.path().join("huge.nii.gz");
        std::fs::write(&pz, gzip(&h)).unwrap();
        let e = no_panic("huge dims gz", || gpurad::io::nifti::read_volume(&pz))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("--max-memory") && e.contains("dim"),
            "{dims:?}: {e}"
        );
    }
}

#[test]
fn header_fields_are_checked_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let base = gunzip(&ibsi_phantom().0);
    let case = |name: &str, edit: &dyn Fn(&mut Vec<u8>), wanted: &[&str]| {
        let mut b = base.clone();
        edit(&mut b);
        let p = dir.path().join(name);
        std::fs::write(&p, &b).unwrap();
        let e = gpurad::io::nifti::read_volume(&p)
            .err()
            .unwrap_or_else(|| panic!("{name} was accepted"))
            .to_string();
        assert_clear(name, &e);
        for w in wanted {
            assert!(e.contains(w), "{name}: '{w}' not in {e}");
        }
    };
    case(
        "bitpix.nii",
        &|b| put_i16(b, off::BITPIX, 32),
        &["bitpix is 32"],
    );
    for v in [0.0, -352.0, f32::NAN, 352.5] {
        case("offset.nii", &|b| put_f32(b, 108, v), &["vox_offset"]);
    }
    case("dim0.nii", &|b| put_i16(b, off::DIM, 8), &["dim[0] = 8"]);
    case(
        "short.nii",
        &|b| b.truncate(200),
        &["inside its NIfTI-1 header", "200 of 348"],
    );
    case("slope.nii", &|b| put_f32(b, 112, f32::NAN), &["scl_slope"]);
}

#[test]
fn devices_and_folders_are_refused_as_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = ibsi_phantom();
    let (img, msk) = (image.to_str().unwrap(), mask.to_str().unwrap());
    let d = dir.path();
    for args in [
        vec!["extract", "--image", "/dev/zero", "--mask", msk],
        vec!["extract", "--image", img, "--mask", "/dev/zero"],
        vec![
            "extract",
            "--image",
            img,
            "--mask",
            msk,
            "--params",
            "/dev/zero",
        ],
        vec!["extract", "--manifest", "/dev/zero", "-o", "out.csv"],
        vec!["fit", "--train", "/dev/zero", "--outcome", "y"],
        vec!["predict", "--model", "/dev/zero", "--data", img],
    ] {
        cli_error(&args, d, &["/dev/zero", "not a regular file"]);
    }
    // A manifest cell naming a device fails that case alone.
    std::fs::write(
        d.join("cases.csv"),
        format!("ID,Image,Mask\nA,/dev/zero,{msk}\nB,{img},{msk}\n"),
    )
    .unwrap();
    let (code, err) = cli(
        &[
            "extract",
            "--device",
            "cpu",
            "--progress",
            "quiet",
            "--manifest",
            "cases.csv",
            "-o",
            "out.csv",
        ],
        d,
    );
    assert_eq!(code, 1, "{err}");
    let out = std::fs::read_to_string(d.join("out.csv")).unwrap();
    assert!(out.contains("not a regular file"), "{out}");
}

#[test]
fn model_files_are_checked_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("table.csv");
    std::fs::write(&table, small_table(120)).unwrap();
    let ds = Dataset::read(&table).unwrap();
    let model = fit(&ds, &fit_options(false)).unwrap();
    let base = serde_json::to_value(&model).unwrap();
    let case = |name: &str, edit: &dyn Fn(&mut serde_json::Value), wanted: &str| {
        let mut v = base.clone();
        edit(&mut v);
        let p = dir.path().join(format!("{name}.json"));
        std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
        let e = Model::read(&p).unwrap_err().to_string();
        assert!(
            e.contains(wanted) && e.contains(&*p.to_string_lossy()),
            "{name}: {e}"
        );
    };
    case(
        "features",
        &|v| v["features"] = serde_json::json!([]),
        "'features' is empty",
    );
    case(
        "sd",
        &|v| v["standardization"]["sd"] = serde_json::json!([]),
        "standardization.sd",
    );
    case(
        "sd0",
        &|v| v["standardization"]["sd"][0] = serde_json::json!(0.0),
        "finite and positive",
    );
    case(
        "clinical",
        &|v| v["clinical"] = serde_json::json!([]),
        "models.combined",
    );
    case(
        "terms",
        &|v| v["models"]["radscore"]["coefficients"] = serde_json::json!([0.1]),
        "coefficient(s) for",
    );
}

#[test]
fn tables_with_duplicates_or_mixed_text_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = small_table(60);
    let write = |name: &str, text: &str| {
        std::fs::write(d.join(name), text).unwrap();
        name.to_string()
    };
    let mut lines: Vec<String> = base.lines().map(String::from).collect();
    let dup_col = write("dupcol.csv", &base.replacen("\"age\"", "\"outcome\"", 1));
    cli_error(
        &["fit", "--train", &dup_col, "--outcome", "outcome"],
        d,
        &["invalid table", "'outcome' appears twice"],
    );
    let first_id = lines[1].split(',').next().unwrap().to_string();
    let second: Vec<&str> = lines[2].splitn(2, ',').collect();
    lines[2] = format!("{first_id},{}", second[1]);
    let dup_id = write("dupid.csv", &(lines.join("\n") + "\n"));
    cli_error(
        &["fit", "--train", &dup_id, "--outcome", "outcome"],
        d,
        &["appears in data rows 1 and 2"],
    );
    let mut lines: Vec<String> = base.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    cells[8] = "n/a".into();
    lines[3] = cells.join(",");
    let mixed = write("mixed.csv", &(lines.join("\n") + "\n"));
    cli_error(
        &[
            "fit",
            "--train",
            &mixed,
            "--outcome",
            "outcome",
            "--clinical",
            "age>60",
        ],
        d,
        &["holds numbers but also text", "data row(s) 3", "--exclude"],
    );
    cli_error(
        &[
            "fit",
            "--train",
            &write("ok.csv", &base),
            "--outcome",
            "outcome",
            "--id",
            "PatientID",
        ],
        d,
        &["no column 'PatientID'"],
    );
    // A fold id far beyond the patients.
    let huge_fold = write(
        "fold.csv",
        &base.replace(",\"train\",1,", ",\"train\",1000000000000,"),
    );
    cli_error(
        &[
            "fit",
            "--train",
            &huge_fold,
            "--outcome",
            "outcome",
            "--foldid-col",
            "fold",
        ],
        d,
        &["fold id"],
    );
}

#[test]
fn validate_with_text_in_the_outcome_names_the_cells() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_small_table(d, &["--clinical", "age>60", "-o", "m/model.json"]);
    let text = small_table(120).replacen(",\"train\",1,1,", ",\"train\",1,\"yes\",", 1);
    std::fs::write(d.join("bad.csv"), text).unwrap();
    cli_error(
        &[
            "validate",
            "--model",
            "m/model.json",
            "--data",
            "bad.csv",
            "-o",
            "v",
        ],
        d,
        &["column 'outcome'", "not numbers", "'yes'"],
    );
    // predict carries the cohort.
    let out = gpurad()
        .args(["predict", "--model", "m/model.json", "--data", "t.csv"])
        .current_dir(d)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().nth(1).unwrap().contains(",train,"), "{text}");
}

#[test]
fn a_failed_write_is_an_error() {
    use std::os::unix::fs::FileTypeExt;
    if !std::fs::metadata("/dev/full").is_ok_and(|m| m.file_type().is_char_device()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (image, mask) = ibsi_phantom();
    let (code, err) = cli(
        &[
            "extract",
            "--image",
            image.to_str().unwrap(),
            "--mask",
            mask.to_str().unwrap(),
            "-o",
            "/dev/full",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/dev/full"), "{err}");
    // A cohort table is renamed into place: a device as its output is refused, never replaced.
    let (image, mask) = ibsi_phantom();
    std::fs::write(
        dir.path().join("cases.csv"),
        format!("ID,Image,Mask\nA,{},{}\n", image.display(), mask.display()),
    )
    .unwrap();
    for args in [
        vec!["extract", "--manifest", "cases.csv", "-o", "/dev/full"],
        vec![
            "extract",
            "--manifest",
            "cases.csv",
            "-o",
            "/dev/full",
            "--resume",
        ],
        vec![
            "merge",
            "--manifest",
            "cases.csv",
            "-o",
            "/dev/full",
            "cases.csv",
        ],
    ] {
        cli_error(&args, dir.path(), &["/dev/full", "not a regular file"]);
    }
    let full = std::fs::metadata("/dev/full").unwrap();
    assert!(!full.is_file(), "/dev/full was replaced by a file");
}

/// A two-case manifest of phantom copies with an age column and a note with a line break.
fn small_cohort(d: &Path, age_a: &str) -> PathBuf {
    let (image, mask) = ibsi_phantom();
    std::fs::copy(&image, d.join("img.nii.gz")).unwrap();
    std::fs::copy(&mask, d.join("mask.nii.gz")).unwrap();
    let m = d.join("cases.csv");
    std::fs::write(
        &m,
        format!("ID,Image,Mask,age,note\nA,img.nii.gz,mask.nii.gz,{age_a},\"two\nlines \"\nB,img.nii.gz,mask.nii.gz,50,plain  \n"),
    )
    .unwrap();
    m
}

#[test]
fn resume_refreshes_corrected_manifest_values_and_cells_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_cohort(d, "61");
    let args = [
        "extract",
        "--device",
        "cpu",
        "--progress",
        "quiet",
        "--manifest",
        "cases.csv",
        "-o",
        "out.csv",
    ];
    assert_eq!(cli(&args, d).0, 0);
    let read = || {
        let mut r = csv::Reader::from_path(d.join("out.csv")).unwrap();
        let h = r.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        let col = |n: &str| h.iter().position(|c| c == n).unwrap();
        (rows, col("age"), col("note"))
    };
    let (rows, age, note) = read();
    assert_eq!(&rows[0][note], "two\nlines ");
    assert_eq!(&rows[1][note], "plain  ");
    // The age is corrected in the manifest; a resumed run must show it without re-extracting.
    let m = d.join("cases.csv");
    let text = std::fs::read_to_string(&m)
        .unwrap()
        .replacen(",61,", ",66,", 1);
    std::fs::write(&m, text).unwrap();
    let mut resumed = args.to_vec();
    resumed.push("--resume");
    let (code, err) = cli(&resumed, d);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 kept from an earlier run"), "{err}");
    let (rows, age2, _) = read();
    assert_eq!(age, age2);
    assert_eq!(&rows[0][age], "66");
}

#[test]
fn manifest_outputs_and_merges_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = small_cohort(d, "61");
    let before = std::fs::read(&m).unwrap();
    cli_error(
        &["extract", "--manifest", "cases.csv", "-o", "cases.csv"],
        d,
        &["overwrite"],
    );
    assert_eq!(std::fs::read(&m).unwrap(), before);
    // One run at a time per output: while another holds it, a second run stops at once.
    {
        let _held = gpurad::io::output::OutputLock::take(&d.join("busy.csv")).unwrap();
        cli_error(
            &["extract", "--manifest", "cases.csv", "-o", "busy.csv"],
            d,
            &["another gpurad run"],
        );
    }
    // A bare command line asks for a command in one line.
    cli_error(&[], d, &["name a command", "extract"]);
    std::fs::write(
        d.join("dupid.csv"),
        "ID,Image,Mask\nA,img.nii.gz,mask.nii.gz\n,img.nii.gz,mask.nii.gz\n",
    )
    .unwrap();
    cli_error(
        &["extract", "--manifest", "dupid.csv", "-o", "o.csv"],
        d,
        &["empty ID"],
    );
    std::fs::write(
        d.join("dupcol.csv"),
        "ID,Image_T1,Mask,Image_T1\nA,img.nii.gz,mask.nii.gz,img.nii.gz\n",
    )
    .unwrap();
    cli_error(
        &["extract", "--manifest", "dupcol.csv", "-o", "o.csv"],
        d,
        &["'Image_T1' appears twice"],
    );
    // Shards made with other settings are not merged.
    let shard = |k: &str, extra: &[&str]| {
        let out = format!("s{k}.csv");
        let mut a = vec![
            "extract",
            "--device",
            "cpu",
            "--progress",
            "quiet",
            "--manifest",
            "cases.csv",
            "--shard",
            k,
            "-o",
            &out,
        ];
        a.extend(extra);
        let (code, err) = cli(&a, d);
        assert_eq!(code, 0, "{err}");
        out
    };
    let s1 = shard("1/2", &[]);
    let s2 = shard("2/2", &["--setting", "binWidth:5"]);
    cli_error(
        &[
            "merge",
            "--manifest",
            "cases.csv",
            "-o",
            "all.csv",
            &s1,
            &s2,
        ],
        d,
        &["cohort output", "other settings"],
    );
}

#[test]
fn newcomer_commands_create_folders_and_speak_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // synth takes -o/--output (and --out).
    let (code, err) = cli(&["synth", "--output", "cohort", "--patients", "2"], d);
    assert_eq!(code, 0, "{err}");
    assert!(d.join("cohort/manifest.csv").exists());
    // No driver noise and no device notice before an argument error.
    let (code, err) = cli(&["extract", "--image", "x.nii"], d);
    assert_eq!(code, 2);
    assert!(
        !err.contains("XDG_RUNTIME_DIR") && !err.contains("gpurad:"),
        "{err}"
    );
    // The bench table says what its ratio is.
    let out = gpurad()
        .args([
            "bench",
            "--sizes",
            "4",
            "--levels",
            "4",
            "--classes",
            "glcm",
            "--cpu-only",
            "--repeat",
            "1",
            "-o",
            "b/bench.csv",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("speed-up = CPU time / GPU time"),
        "{text}"
    );
}

#[test]
fn outputs_that_would_block_or_overwrite_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (image, mask) = ibsi_phantom();
    let (img, msk) = (image.to_str().unwrap(), mask.to_str().unwrap());
    // A named pipe nobody reads would block the writer forever.
    let fifo = d.join("fifo.csv");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        cli_error(
            &["extract", "--image", img, "--mask", msk, "-o", "fifo.csv"],
            d,
            &["fifo.csv", "not a regular file"],
        );
        std::fs::create_dir(d.join("syn")).unwrap();
        Command::new("mkfifo")
            .arg(d.join("syn/manifest.csv"))
            .status()
            .unwrap();
        cli_error(
            &["synth", "-o", "syn", "--patients", "1"],
            d,
            &["manifest.csv", "not a regular file"],
        );
    }
    // A hard link to an input, and the parameter file, are inputs too.
    std::fs::copy(&mask, d.join("m.nii.gz")).unwrap();
    std::fs::hard_link(d.join("m.nii.gz"), d.join("h.csv")).unwrap();
    cli_error(
        &[
            "extract", "--image", img, "--mask", "m.nii.gz", "-o", "h.csv",
        ],
        d,
        &["overwrite"],
    );
    std::fs::write(d.join("p.yaml"), "setting:\n  binWidth: 5\n").unwrap();
    cli_error(
        &[
            "extract", "--image", img, "--mask", msk, "--params", "p.yaml", "-o", "p.yaml",
        ],
        d,
        &["overwrite", "parameter file"],
    );
    // Options that only make sense for a cohort, or only with a GPU.
    cli_error(
        &["extract", "--image", img, "--mask", msk, "--resume"],
        d,
        &["--manifest"],
    );
    cli_error(
        &[
            "bench",
            "--cpu-only",
            "--verify",
            "--sizes",
            "4",
            "--levels",
            "4",
        ],
        d,
        &["--cpu-only"],
    );
}

#[test]
fn standard_output_that_fails_is_an_error_not_a_panic() {
    use std::os::unix::fs::FileTypeExt;
    if !std::fs::metadata("/dev/full").is_ok_and(|m| m.file_type().is_char_device()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = gpurad()
        .args([
            "bench",
            "--cpu-only",
            "--sizes",
            "4",
            "--levels",
            "4",
            "--classes",
            "glcm",
            "--repeat",
            "1",
            "-o",
            "b.csv",
        ])
        .current_dir(dir.path())
        .stdout(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("standard output") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn header_oddities_are_read_as_niftilib_reads_them_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = gunzip(&ibsi_phantom().0);
    let reference = gpurad::io::nifti::read_volume(&ibsi_phantom().0).unwrap();
    // A qform quaternion just past unit length is normalised (niftilib), not read as a
    // scaling of the voxel size.
    let mut b = base.clone();
    put_i16(&mut b, 254, 0); // no sform
    put_i16(&mut b, 252, 1); // qform
    for (k, v) in [0.0f32, 0.0, 1.000_001].iter().enumerate() {
        put_f32(&mut b, 256 + 4 * k, *v);
    }
    let p = dir.path().join("q.nii");
    std::fs::write(&p, &b).unwrap();
    let g = gpurad::io::nifti::read_volume(&p).unwrap().geometry;
    for a in 0..3 {
        assert!(
            (g.spacing[a] - reference.geometry.spacing[a]).abs() < 1e-9,
            "{g:?}"
        );
    }
    // pixdim must be a voxel size even when the sform gives the geometry.
    for v in [0.0, f32::NAN, f32::INFINITY] {
        let mut b = base.clone();
        put_f32(&mut b, off::PIXDIM + 4, v);
        let p = dir.path().join("pixdim.nii");
        std::fs::write(&p, &b).unwrap();
        let e = gpurad::io::nifti::read_volume(&p).unwrap_err().to_string();
        assert!(e.contains("pixdim"), "{v}: {e}");
    }
    // A gzip trailer whose CRC does not match is corruption.
    let mut z = gzip(&base);
    let n = z.len();
    z[n - 8] ^= 0xff;
    let p = dir.path().join("crc.nii.gz");
    std::fs::write(&p, &z).unwrap();
    let e = gpurad::io::nifti::read_volume(&p).unwrap_err().to_string();
    assert!(e.contains("corrupt"), "{e}");
    // Intensities so large that bins of any width collapse: an error, not a panic.
    let (_, mask) = ibsi_phantom();
    let huge = phantom_f32_with(usize::MAX, 0.0, dir.path(), "flat.nii");
    let mut b = std::fs::read(&huge).unwrap();
    put_f32(&mut b, 116, 1e30); // scl_inter
    std::fs::write(&huge, &b).unwrap();
    for origin in ["pyradiomics", "ibsi"] {
        let mut p = Params::default();
        p.settings
            .apply_override(&format!("binningOrigin:{origin}"))
            .unwrap();
        let e = no_panic(origin, || extract_case(&huge, &mask, &p))
            .unwrap_err()
            .to_string();
        assert!(e.contains("too large"), "{origin}: {e}");
    }
}

#[test]
fn wide_inputs_are_read_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (image, mask) = ibsi_phantom();
    let n = 100_000;
    let mut header = String::from("ID,Image,Mask");
    let mut row = format!("A,{},{}", image.display(), mask.display());
    for i in 0..n {
        header += &format!(",c{i}");
        row += ",1";
    }
    std::fs::write(d.join("wide.csv"), format!("{header}\n{row}\n")).unwrap();
    let t = std::time::Instant::now();
    let (code, err) = cli(
        &[
            "extract",
            "--device",
            "cpu",
            "--progress",
            "quiet",
            "--manifest",
            "wide.csv",
            "-o",
            "out.csv",
        ],
        d,
    );
    assert_eq!(code, 0, "{err}");
    assert!(t.elapsed().as_secs_f64() < 10.0, "{:?}", t.elapsed());
    // The same width as a feature table: a missing column is named in one short line.
    let t = std::time::Instant::now();
    cli_error(
        &["fit", "--train", "wide.csv", "--outcome", "y"],
        d,
        &["no column 'y'", "columns)"],
    );
    assert!(t.elapsed().as_secs_f64() < 10.0, "{:?}", t.elapsed());
    let (_, err) = cli(&["fit", "--train", "wide.csv", "--outcome", "y"], d);
    assert!(err.len() < 1200, "{} characters", err.len());
}

#[test]
fn models_with_bad_nomograms_thresholds_or_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let table = d.join("table.csv");
    std::fs::write(&table, small_table(120)).unwrap();
    let ds = Dataset::read(&table).unwrap();
    let mut options = fit_options(false);
    options.id = Some("ID".into());
    let model = fit(&ds, &options).unwrap();
    let base = serde_json::to_value(&model).unwrap();
    let case = |name: &str, edit: &dyn Fn(&mut serde_json::Value), wanted: &str| {
        let mut v = base.clone();
        edit(&mut v);
        let p = d.join(format!("{name}.json"));
        std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
        let e = Model::read(&p).unwrap_err().to_string();
        assert!(e.contains(wanted), "{name}: {e}");
    };
    case(
        "scale",
        &|v| v["nomogram"]["scale"] = serde_json::json!(0.0),
        "nomogram.scale",
    );
    case(
        "axis",
        &|v| v["nomogram"]["axes"][0]["name"] = serde_json::json!("x"),
        "stands where",
    );
    case(
        "points",
        &|v| v["nomogram"]["axes"][0]["points"] = serde_json::json!([1.0]),
        "as many finite points",
    );
    case(
        "threshold",
        &|v| v["models"]["radscore"]["threshold"] = serde_json::json!(5.0),
        "not a probability",
    );
    // The model's ID column must be in the table (or another named with --id).
    std::fs::write(d.join("model.json"), serde_json::to_string(&base).unwrap()).unwrap();
    let no_id = small_table(120).replacen("\"ID\"", "\"PatientID\"", 1);
    std::fs::write(d.join("noid.csv"), no_id).unwrap();
    cli_error(
        &["predict", "--model", "model.json", "--data", "noid.csv"],
        d,
        &["no column 'ID'", "--id"],
    );
    let (code, err) = cli(
        &[
            "predict",
            "--model",
            "model.json",
            "--data",
            "noid.csv",
            "--id",
            "PatientID",
            "-o",
            "p.csv",
        ],
        d,
    );
    assert_eq!(code, 0, "{err}");
    // Empty IDs are refused where IDs are used.
    let empty = small_table(60).replacen("\"P002\"", "\"\"", 1);
    std::fs::write(d.join("empty.csv"), empty).unwrap();
    cli_error(
        &["fit", "--train", "empty.csv", "--outcome", "outcome"],
        d,
        &["ID is empty at data row 2"],
    );
}

#[test]
fn the_default_budget_follows_a_resource_limit() {
    // Under `ulimit -v` the default budget is half the limit: a huge image is refused with a
    // clear error instead of an aborted allocation.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut h = gunzip(&ibsi_phantom().0);
    h.truncate(off::DATA);
    for (k, v) in [3i16, 2048, 2048, 512].iter().enumerate() {
        put_i16(&mut h, off::DIM + 2 * k, *v);
    }
    std::fs::write(d.join("big.nii.gz"), gzip(&h)).unwrap();
    let mask = ibsi_phantom().1;
    let script = format!(
        "ulimit -v 3000000 && {} extract --device cpu --image big.nii.gz --mask {} --setting resampledPixelSpacing:[1,1,1]",
        env!("CARGO_BIN_EXE_gpurad"),
        mask.display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        !err.contains("memory allocation") && err.contains("error: "),
        "{err}"
    );
}

#[test]
fn files_edited_elsewhere_are_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    small_cohort(d, "61");
    // A parameter file with a byte-order mark.
    std::fs::write(d.join("bom.yaml"), "\u{feff}setting:\n  binWidth: 5\n").unwrap();
    assert!(Params::from_file(&d.join("bom.yaml")).is_ok());
    // Shards and outputs with Windows line ends: merged and resumed like the originals.
    let run = |args: &[&str]| {
        let (code, err) = cli(args, d);
        assert_eq!(code, 0, "{args:?}: {err}");
    };
    let base = [
        "extract",
        "--device",
        "cpu",
        "--progress",
        "quiet",
        "--manifest",
        "cases.csv",
    ];
    run(&[&base[..], &["-o", "whole.csv"]].concat());
    run(&[&base[..], &["--shard", "1/2", "-o", "s1.csv"]].concat());
    run(&[&base[..], &["--shard", "2/2", "-o", "s2.csv"]].concat());
    let crlf = |name: &str| {
        let text = std::fs::read_to_string(d.join(name)).unwrap();
        std::fs::write(d.join(name), text.replace('\n', "\r\n")).unwrap();
    };
    crlf("s2.csv");
    run(&[
        "merge",
        "--manifest",
        "cases.csv",
        "-o",
        "merged.csv",
        "s1.csv",
        "s2.csv",
    ]);
    let rows = |name: &str| -> Vec<csv::StringRecord> {
        csv::Reader::from_path(d.join(name))
            .unwrap()
            .records()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(rows("merged.csv"), rows("whole.csv"));
    crlf("whole.csv");
    let (code, err) = cli(&[&base[..], &["-o", "whole.csv", "--resume"]].concat(), d);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 kept from an earlier run"), "{err}");
}

#[test]
fn scores_that_overflow_are_errors_naming_the_patient() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fit_small_table(d, &["-o", "model.json"]);
    // A model whose SD of a Radscore feature is subnormal: every score overflows.
    let mut model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("model.json")).unwrap()).unwrap();
    let feature = model["radscore"]["coefficients"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let j = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .position(|f| f == &serde_json::json!(feature))
        .unwrap();
    model["standardization"]["sd"][j] = serde_json::json!(1e-320);
    std::fs::write(d.join("tiny.json"), model.to_string()).unwrap();
    cli_error(
        &["predict", "--model", "tiny.json", "--data", "t.csv"],
        d,
        &["data row", "not finite", &feature],
    );
    // A filter threshold is echoed briefly.
    let (_, err) = cli(
        &[
            "fit",
            "--train",
            "t.csv",
            "--outcome",
            "outcome",
            "--exclude",
            "fold",
            "--filter",
            "mwu:1e-300",
        ],
        d,
    );
    assert!(err.len() < 400 && err.contains("mwu:1e-300"), "{err}");
}
