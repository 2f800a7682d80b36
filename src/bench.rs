//! `gpurad bench`: texture-matrix construction timed on the CPU and the GPU over synthetic
//! volumes of growing ROI size and grey-level count.
//!
//! Each measurement builds one matrix class for one volume, end to end: on the GPU that is
//! upload, dispatch and read-back; on the CPU the reference builders (multi-threaded where the
//! class allows). The GPU context is created once, before any timing, and its creation time is
//! reported on its own. Times are medians of `--repeat` runs; each GPU series follows untimed
//! runs (at least three, for at least a quarter of a second) so that the GPU has clocked up.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use crate::matrices::angles;
use crate::matrices::gpu::GpuContext;
use crate::matrices::{build_cpu, GreyImage, Request};

/// Options of `gpurad bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Cube sides of the synthetic ROI (side³ voxels), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "16,32,64,128")]
    pub sizes: Vec<usize>,
    /// Grey-level counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "16,64,256")]
    pub levels: Vec<u32>,
    /// Matrix classes to time, comma-separated (glcm, glrlm, glszm, gldm, ngtdm).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "glcm,glrlm,gldm,ngtdm,glszm"
    )]
    pub classes: Vec<String>,
    /// Runs per measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Skip the GPU (CPU timings only).
    #[arg(long)]
    pub cpu_only: bool,
    /// Also check that every GPU matrix equals the CPU matrix.
    #[arg(long)]
    pub verify: bool,
    /// Split each GPU time into host encoding, waiting for the GPU, and reading back, and
    /// time the compute passes on the GPU where the adapter has timestamps.
    #[arg(long)]
    pub profile: bool,
    /// CSV output file.
    #[arg(short, long, default_value = "gpurad-bench.csv")]
    pub output: PathBuf,
    /// Instead of synthetic volumes: time a whole cohort (a manifest) — extraction against a
    /// read-only pass over the same files, and PyRadiomics with --pyradiomics.
    #[arg(long, value_name = "MANIFEST")]
    pub cohort: Option<PathBuf>,
    /// With --cohort: a Python interpreter with PyRadiomics installed, to time it on the same
    /// cases (one thread, the same --params file).
    #[arg(long, value_name = "PYTHON", requires = "cohort")]
    pub pyradiomics: Option<PathBuf>,
    /// With --cohort: PyRadiomics parameter file (YAML) for the extraction.
    #[arg(long, requires = "cohort")]
    pub params: Option<PathBuf>,
    /// With --cohort: worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    pub jobs: usize,
    /// With --cohort: where texture matrices are built (auto, gpu, cpu).
    #[arg(long, default_value = "auto")]
    pub device: crate::matrices::gpu::DeviceChoice,
}

/// A deterministic synthetic ROI: a `side`³ cube of grey levels 1..=`ng` with smooth
/// structure (so runs, zones and co-occurrences are not trivial) plus noise.
pub fn synthetic(side: usize, ng: u32, seed: u64) -> GreyImage {
    // The sequence starts one step after the seed.
    let mut step = crate::rng::lcg(crate::rng::lcg(seed)());
    let mut next = move || (step() >> 33) as u32;
    let n = side * side * side;
    let mut levels = Vec::with_capacity(n);
    for z in 0..side {
        for y in 0..side {
            for x in 0..side {
                let smooth = ((x / 3 + y / 2 + z) as u32).wrapping_mul(7) / 5;
                let noise = next() % 3;
                levels.push((smooth + noise) % ng + 1);
            }
        }
    }
    GreyImage {
        size: [side; 3],
        spacing: [1.0; 3],
        levels,
        ng,
    }
}

/// The request of `class` for `img` with default settings (distance 1, gldm_a 0).
pub fn request(class: &str, img: &GreyImage) -> Option<Request> {
    let a = angles::generate(img.size, &[1], None);
    Some(match class {
        "glcm" => Request::Glcm(a),
        "glrlm" => Request::Glrlm(a),
        "glszm" => Request::Glszm(a),
        "gldm" => Request::Gldm(a, 0.0),
        "ngtdm" => Request::Ngtdm(a),
        _ => return None,
    })
}

/// Untimed GPU runs before each timed series: at least this many, for at least this long
/// (a GPU left idle between short bursts may not raise its clocks).
const GPU_WARMUP_RUNS: usize = 3;
const GPU_WARMUP_SECONDS: f64 = 0.25;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median time of `repeat` runs of `f`. Each result goes to `take` outside the timed part,
/// which drops the previous one before the next run, as a cohort run does.
fn time<T>(repeat: usize, mut f: impl FnMut() -> T, mut take: impl FnMut(T)) -> f64 {
    let mut times = Vec::new();
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let r = f();
        times.push(t.elapsed().as_secs_f64());
        take(r);
    }
    median(times)
}

/// Median of each part of the GPU profiles, as CSV fields and as a printed line.
fn profile_fields(profiles: &[crate::matrices::gpu::BatchProfile]) -> (String, String) {
    if profiles.is_empty() {
        return (",,,,,".into(), String::new());
    }
    let med = |f: &dyn Fn(&crate::matrices::gpu::BatchProfile) -> f64| {
        median(profiles.iter().map(f).collect())
    };
    let enc = med(&|p| p.encode_seconds);
    let wait = med(&|p| p.wait_seconds);
    let read = med(&|p| p.read_seconds);
    let kernel = profiles
        .iter()
        .all(|p| p.kernel_seconds.is_some())
        .then(|| med(&|p| p.kernel_seconds.unwrap_or(0.0)));
    let p = &profiles[0];
    let csv = format!(
        "{enc:.6},{wait:.6},{read:.6},{},{},{}",
        kernel.map_or(String::new(), |k| format!("{k:.6}")),
        p.upload_bytes,
        p.read_bytes
    );
    let line = format!(
        "    profile: encode {:.3} ms, wait {:.3} ms (kernels {}), read-back {:.3} ms; up {:.2} MB, down {:.2} MB",
        enc * 1e3,
        wait * 1e3,
        kernel.map_or("untimed".to_string(), |k| format!("{:.3} ms", k * 1e3)),
        read * 1e3,
        p.upload_bytes as f64 / 1e6,
        p.read_bytes as f64 / 1e6
    );
    (csv, line)
}

/// Runs the benchmark, prints the table and writes the CSV.
/// Runs the benchmark; returns the number of cases that failed in a `--cohort` run (timed
/// anyway), 0 otherwise.
pub fn run(args: &BenchArgs) -> anyhow::Result<usize> {
    if args.repeat == 0 {
        anyhow::bail!("--repeat must be at least 1");
    }
    if args.cpu_only && (args.verify || args.profile) {
        anyhow::bail!(
            "--verify and --profile concern the GPU; they cannot be used with --cpu-only"
        );
    }
    if let Some(manifest) = &args.cohort {
        let params = match &args.params {
            Some(f) => crate::Params::from_file(f)?,
            None => crate::Params::default(),
        };
        return crate::bench_cohort::run(&crate::bench_cohort::CohortBench {
            manifest,
            params: &params,
            params_file: args.params.as_deref(),
            jobs: args.jobs,
            device: args.device,
            pyradiomics: args.pyradiomics.as_deref(),
            output: &args.output,
            repeat: args.repeat,
        });
    }
    if let Some(bad) = args.sizes.iter().find(|&&s| s < 2) {
        anyhow::bail!("--sizes: a cube side of {bad} voxels is too small (at least 2)");
    }
    if let Some(bad) = args.levels.iter().find(|&&l| l == 0) {
        anyhow::bail!("--levels: {bad} grey levels (at least 1)");
    }
    for class in &args.classes {
        if request(class, &synthetic(2, 1, 0)).is_none() {
            anyhow::bail!(
                "--classes: unknown matrix class '{class}' (glcm, glrlm, glszm, gldm, ngtdm)"
            );
        }
    }
    // Every combination must fit the memory budget before anything is timed.
    for &side in &args.sizes {
        let voxels = (side as u128).saturating_pow(3);
        crate::limits::check(
            || format!("bench --sizes {side} (a synthetic ROI of {side}³ voxels)"),
            voxels.saturating_mul(4 + 4 * 2),
            "use smaller --sizes",
        )?;
        for &ng in &args.levels {
            let probe = GreyImage {
                size: [side; 3],
                spacing: [1.0; 3],
                levels: Vec::new(),
                ng,
            };
            for class in &args.classes {
                let req = request(class, &synthetic(2, 1, 0)).expect("checked above");
                let angles = angles::generate([side; 3], &[1], None);
                let req = match req {
                    Request::Glcm(_) => Request::Glcm(angles),
                    Request::Glrlm(_) => Request::Glrlm(angles),
                    Request::Glszm(_) => Request::Glszm(angles),
                    Request::Gldm(_, a) => Request::Gldm(angles, a),
                    Request::Ngtdm(_) => Request::Ngtdm(angles),
                };
                let matrices = req
                    .memory_estimate(&probe)
                    .saturating_add(voxels.saturating_mul(16));
                crate::limits::check(
                    || format!("bench {class} at --sizes {side} and --levels {ng}"),
                    matrices,
                    "use smaller --sizes or --levels",
                )?;
            }
        }
    }
    let threads = rayon::current_num_threads();
    let gpu = if args.cpu_only {
        None
    } else {
        let t = Instant::now();
        match GpuContext::shared() {
            Ok(ctx) => {
                crate::outln!(
                    "GPU: {}; context created once in {:.3} s (not in the timings below)",
                    ctx.adapter_name(),
                    t.elapsed().as_secs_f64()
                )?;
                Some(ctx)
            }
            Err(e) => {
                crate::outln!("GPU: none ({e}); CPU timings only")?;
                None
            }
        }
    };
    let device = gpu.map_or("none".to_string(), |g| g.adapter_name());
    crate::outln!("CPU: {threads} threads")?;
    let mut csv = std::io::BufWriter::new(crate::io::output::create(&args.output)?);
    writeln!(csv, "class,roi_voxels,grey_levels,cpu_seconds,gpu_seconds,gpu_speedup,cpu_voxels_per_s,gpu_voxels_per_s,cpu_threads,gpu_device,identical,gpu_encode_seconds,gpu_wait_seconds,gpu_read_seconds,gpu_kernel_seconds,gpu_upload_bytes,gpu_read_bytes")?;
    crate::outln!("speed-up = CPU time / GPU time (above 1: the GPU is faster)")?;
    crate::outln!(
        "{:<6} {:>10} {:>6} {:>11} {:>11} {:>8} {:>12} {:>12} {:>9}",
        "class",
        "voxels",
        "Ng",
        "cpu s",
        "gpu s",
        "speed-up",
        "cpu vox/s",
        "gpu vox/s",
        "identical"
    )?;
    for &side in &args.sizes {
        for &ng in &args.levels {
            let img = synthetic(side, ng, side as u64 * 1000 + ng as u64);
            let n = img.levels.len() as f64;
            for class in &args.classes {
                let Some(req) = request(class, &img) else {
                    anyhow::bail!("unknown matrix class '{class}'");
                };
                let mut cpu_m = None;
                let cpu_s = time(args.repeat, || build_cpu(&img, &req), |m| cpu_m = Some(m));
                let cpu_m = cpu_m.expect("at least one run");
                let mut profiles = Vec::new();
                let (gpu_s, identical) = match gpu {
                    Some(ctx) if class != "glszm" => {
                        let reqs = [req.clone()];
                        let run = || ctx.build_batch_profiled(&[(&img, &reqs)], args.profile);
                        match run() {
                            Err(e) => {
                                crate::outln!("{class} {side}³ Ng {ng}: GPU not used ({e})")?;
                                (None, "no GPU")
                            }
                            Ok(_) => {
                                // Untimed runs first, so that the GPU clocks up as it does
                                // in a cohort run that keeps it busy.
                                let warm = Instant::now();
                                for n in 0.. {
                                    if n >= GPU_WARMUP_RUNS
                                        && warm.elapsed().as_secs_f64() >= GPU_WARMUP_SECONDS
                                    {
                                        break;
                                    }
                                    run().map_err(|e| {
                                        anyhow::anyhow!("GPU failed on {class}: {e}")
                                    })?;
                                }
                                let mut m = None;
                                let mut failed = None;
                                let s = time(args.repeat, run, |r| match r {
                                    Ok((mats, p)) => {
                                        profiles.push(p);
                                        m = Some(mats);
                                    }
                                    Err(e) => failed = failed.take().or(Some(e)),
                                });
                                if let Some(e) = failed {
                                    anyhow::bail!("GPU failed on {class}: {e}");
                                }
                                let m = m.expect("at least one run");
                                let same = if !args.verify {
                                    "-"
                                } else if m[0][0] == cpu_m {
                                    "yes"
                                } else {
                                    "NO"
                                };
                                (Some(s), same)
                            }
                        }
                    }
                    _ => (None, "-"),
                };
                let (profile_csv, profile_line) = profile_fields(&profiles);
                let fmt = |v: Option<f64>| v.map_or("".to_string(), |v| format!("{v:.6}"));
                let speed = gpu_s.map(|g| cpu_s / g);
                writeln!(
                    csv,
                    "{class},{},{ng},{cpu_s:.6},{},{},{:.0},{},{threads},{device},{identical},{profile_csv}",
                    n as u64,
                    fmt(gpu_s),
                    speed.map_or(String::new(), |s| format!("{s:.2}")),
                    n / cpu_s,
                    gpu_s.map_or(String::new(), |g| format!("{:.0}", n / g)),
                )?;
                crate::outln!(
                    "{class:<6} {:>10} {ng:>6} {cpu_s:>11.5} {:>11} {:>8} {:>12.3e} {:>12} {identical:>9}",
                    n as u64,
                    gpu_s.map_or("-".to_string(), |g| format!("{g:.5}")),
                    speed.map_or("-".to_string(), |s| format!("{s:.1}x")),
                    n / cpu_s,
                    gpu_s.map_or("-".to_string(), |g| format!("{:.3e}", n / g)),
                )?;
                if args.profile && !profile_line.is_empty() {
                    crate::outln!("{profile_line}")?;
                }
                if identical == "NO" {
                    anyhow::bail!("GPU and CPU {class} matrices differ at {side}³, Ng {ng}");
                }
            }
        }
    }
    csv.flush()
        .map_err(|e| anyhow::anyhow!("cannot write '{}': {e}", args.output.display()))?;
    crate::outln!("written {}", args.output.display())?;
    Ok(0)
}
