//! `gpurad bench --cohort MANIFEST`: cohort throughput. Three passes over the same cases,
//! each timed end to end with the same number of worker threads:
//!
//! 1. **read-only**: read, decompress and parse every image and every distinct mask of each
//!    patient (the physical floor of a CPU extraction: nothing can be computed before the
//!    voxels are in memory);
//! 2. **extract**: the full extraction of [`crate::cohort::run`] into a temporary CSV;
//! 3. optionally **PyRadiomics** (`--pyradiomics PYTHON`): its `RadiomicsFeatureExtractor` on
//!    every image/mask pair in one Python process (one thread), with the same parameter file.
//!
//! The read-only and extract passes alternate `--repeat` times (after one untimed read-only
//! pass that warms the file cache); each is reported by its median wall time and its median
//! process CPU time (user + system, all threads), which a busy or virtualised machine
//! disturbs less than the wall clock. Reports patients per second for each and the ratios
//! extract / read-only and PyRadiomics / extract, printed and written as CSV.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::cohort;
use crate::io::image_file;
use crate::io::manifest::{self, Case};
use crate::matrices::gpu::DeviceChoice;
use crate::settings::Params;

/// Options of the cohort benchmark.
#[derive(Debug, Clone)]
pub struct CohortBench<'a> {
    /// The manifest.
    pub manifest: &'a Path,
    /// Extraction settings.
    pub params: &'a Params,
    /// The parameter file they came from (given to PyRadiomics).
    pub params_file: Option<&'a Path>,
    /// Worker threads (0 = one per core).
    pub jobs: usize,
    /// Texture-matrix device.
    pub device: DeviceChoice,
    /// A Python with PyRadiomics installed.
    pub pyradiomics: Option<&'a Path>,
    /// CSV output.
    pub output: &'a Path,
    /// Timed runs of each pass (medians are reported).
    pub repeat: usize,
}

/// CPU time (user + system) this process has used so far, in seconds; `None` where the
/// platform does not say.
fn process_cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes the struct it is given.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
            return None;
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
        Some(secs(u.ru_utime) + secs(u.ru_stime))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Wall and CPU seconds of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, Option<f64>) {
    let cpu = process_cpu_seconds();
    let t = Instant::now();
    let out = f();
    let wall = t.elapsed().as_secs_f64();
    let cpu = cpu.zip(process_cpu_seconds()).map(|(a, b)| b - a);
    (out, wall, cpu)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Reads every image and mask of `cases` on `jobs` threads; returns the voxels read.
fn read_only(cases: &[Case], params: &Params, jobs: usize) -> anyhow::Result<u64> {
    let next = AtomicUsize::new(0);
    let voxels = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                // Every distinct file of the case once, as the extraction reads them.
                let label = case.label.unwrap_or(params.settings.label);
                let mut masks_read: Vec<&std::path::PathBuf> = Vec::new();
                for seq in &case.sequences {
                    let (Some(img), Some(mask)) = (&seq.image, &seq.mask) else {
                        failures.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    match image_file::read_volume(img) {
                        Ok(v) => {
                            voxels.fetch_add(v.data.len(), Ordering::Relaxed);
                        }
                        Err(_) => {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if !masks_read.contains(&mask) {
                        masks_read.push(mask);
                        if image_file::read_mask_for(img, mask, label).is_err() {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    let f = failures.into_inner();
    if f > 0 {
        crate::note!("read-only pass: {f} image/mask pair(s) could not be read (timed anyway)");
    }
    Ok(voxels.into_inner() as u64)
}

const PYRADIOMICS_SCRIPT: &str = r#"
import json, sys, time, logging, os
pairs = json.load(open(sys.argv[1]))
params = sys.argv[2] if len(sys.argv) > 2 else None
import radiomics
from radiomics import featureextractor
radiomics.setVerbosity(logging.ERROR)
ex = featureextractor.RadiomicsFeatureExtractor(params) if params else featureextractor.RadiomicsFeatureExtractor()
t = time.perf_counter()
failed = 0
for image, mask in pairs:
    try:
        ex.execute(image, mask)
    except Exception as e:
        failed += 1
print(json.dumps({"seconds": time.perf_counter() - t, "failed": failed}))
"#;

fn run_pyradiomics(
    python: &Path,
    cases: &[Case],
    params_file: Option<&Path>,
) -> anyhow::Result<f64> {
    let pairs: Vec<(String, String)> = cases
        .iter()
        .flat_map(|c| c.sequences.iter())
        .filter_map(|s| match (&s.image, &s.mask) {
            (Some(i), Some(m)) => Some((i.display().to_string(), m.display().to_string())),
            _ => None,
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("gpurad-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let list = dir.join("pairs.json");
    std::fs::write(&list, serde_json::to_string(&pairs)?)?;
    let script = dir.join("pyradiomics_bench.py");
    std::fs::write(&script, PYRADIOMICS_SCRIPT)?;
    let mut cmd = std::process::Command::new(python);
    cmd.arg(&script).arg(&list);
    if let Some(p) = params_file {
        cmd.arg(p);
    }
    for v in [
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS",
    ] {
        cmd.env(v, "1");
    }
    let out = cmd
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run '{}': {e}", python.display()))?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        anyhow::bail!(
            "PyRadiomics run failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: serde_json::Value = serde_json::from_slice(
        out.stdout
            .split(|&b| b == b'\n')
            .rfind(|l| l.starts_with(b"{"))
            .unwrap_or(b"{}"),
    )?;
    let failed = v["failed"].as_u64().unwrap_or(0);
    if failed > 0 {
        crate::note!("PyRadiomics: {failed} image/mask pair(s) failed (timed anyway)");
    }
    v["seconds"]
        .as_f64()
        .ok_or_else(|| anyhow::anyhow!("PyRadiomics printed no timing"))
}

/// Runs the cohort benchmark (module documentation).
/// Returns the number of cases that failed in the extraction (they are timed anyway).
pub fn run(b: &CohortBench<'_>) -> anyhow::Result<usize> {
    let m = manifest::read(b.manifest)?;
    if b.jobs > cohort::MAX_JOBS {
        anyhow::bail!(
            "--jobs {} is more workers than gpurad starts (at most {})",
            b.jobs,
            cohort::MAX_JOBS
        );
    }
    let jobs = if b.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        b.jobs
    };
    let patients = m.cases.len() as f64;
    let sequences: usize = m.cases.iter().map(|c| c.sequences.len()).sum();
    crate::outln!(
        "cohort: {} patients, {sequences} image/mask pairs; {jobs} worker thread(s); device {:?}",
        m.cases.len(),
        b.device
    )?;
    // Warm the file cache so that both passes read from memory.
    read_only(&m.cases, b.params, jobs)?;
    let out = std::env::temp_dir().join(format!("gpurad-bench-{}.csv", std::process::id()));
    let repeat = b.repeat.max(1);
    let (mut read_wall, mut read_cpu, mut ex_wall, mut ex_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut voxels = 0;
    let mut failures = 0;
    for _ in 0..repeat {
        let (v, wall, cpu) = timed(|| read_only(&m.cases, b.params, jobs));
        voxels = v?;
        read_wall.push(wall);
        read_cpu.extend(cpu);
        let (summary, wall, cpu) = timed(|| {
            cohort::run(
                &m,
                b.params,
                &out,
                &cohort::Options {
                    jobs,
                    device: b.device,
                    progress: cohort::Progress::Quiet,
                    ..cohort::Options::default()
                },
            )
        });
        failures = summary?.failures;
        ex_wall.push(wall);
        ex_cpu.extend(cpu);
        let _ = std::fs::remove_file(&out);
    }
    let read_s = median(read_wall);
    let extract_s = median(ex_wall);
    let cpu = (read_cpu.len() == repeat).then(|| (median(read_cpu), median(ex_cpu)));
    if failures > 0 {
        crate::outln!("note: {failures} case(s) failed during extraction")?;
    }
    let py_s = match b.pyradiomics {
        Some(py) => Some(run_pyradiomics(py, &m.cases, b.params_file)?),
        None => None,
    };
    let mut csv = crate::io::output::create(b.output)?;
    writeln!(
        csv,
        "pass,seconds,patients_per_s,relative_to_read_only,cpu_seconds,cpu_relative_to_read_only,threads,runs"
    )?;
    crate::outln!(
        "{:<24} {:>10} {:>12} {:>14} {:>10} {:>14}",
        "pass",
        "seconds",
        "patients/s",
        "× read-only",
        "CPU s",
        "CPU × read"
    )?;
    let mut line = |name: &str, s: f64, cpu_s: Option<f64>, threads: usize, runs: usize| {
        let cpu_rel = cpu_s.zip(cpu.map(|c| c.0)).map(|(c, r)| c / r);
        let opt =
            |v: Option<f64>, digits: usize| v.map_or(String::new(), |x| format!("{x:.digits$}"));
        writeln!(
            csv,
            "{name},{s:.4},{:.3},{:.3},{},{},{threads},{runs}",
            patients / s,
            s / read_s,
            opt(cpu_s, 4),
            opt(cpu_rel, 3)
        )?;
        crate::outln!(
            "{name:<24} {s:>10.3} {:>12.2} {:>14.2} {:>10} {:>14}",
            patients / s,
            s / read_s,
            opt(cpu_s, 3),
            opt(cpu_rel, 2)
        )?;
        anyhow::Ok(())
    };
    line("read-only", read_s, cpu.map(|c| c.0), jobs, repeat)?;
    line("gpurad extract", extract_s, cpu.map(|c| c.1), jobs, repeat)?;
    if let Some(p) = py_s {
        line("pyradiomics (1 thread)", p, None, 1, 1)?;
        crate::outln!(
            "gpurad extract is {:.1}× faster than PyRadiomics here ({jobs} vs 1 thread)",
            p / extract_s
        )?;
    }
    crate::outln!(
        "extract costs {:.2}× the read-only pass in wall time{} (medians of {repeat} run(s); {:.1} M voxels read); written {}",
        extract_s / read_s,
        cpu.map_or(String::new(), |(r, e)| format!(", {:.2}× in CPU time", e / r)),
        voxels as f64 / 1e6,
        b.output.display()
    )?;
    Ok(failures)
}
