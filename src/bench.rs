//! `gpurad bench`: texture-matrix construction timed on the CPU and the GPU over synthetic
//! volumes of growing ROI size and grey-level count.
//!
//! Each measurement builds one matrix class for one volume, end to end: on the GPU that is
//! upload, dispatch and read-back; on the CPU the reference builders (multi-threaded where the
//! class allows). The GPU context is created once, before any timing, and its creation time is
//! reported on its own. Times are medians of `--repeat` runs.

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
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(repeat: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let r = f();
        times.push(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (median(times), last.expect("at least one run"))
}

/// Runs the benchmark, prints the table and writes the CSV.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
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
        });
    }
    let threads = rayon::current_num_threads();
    let gpu = if args.cpu_only {
        None
    } else {
        let t = Instant::now();
        match GpuContext::shared() {
            Ok(ctx) => {
                println!(
                    "GPU: {}; context created once in {:.3} s (not in the timings below)",
                    ctx.adapter_name(),
                    t.elapsed().as_secs_f64()
                );
                Some(ctx)
            }
            Err(e) => {
                println!("GPU: none ({e}); CPU timings only");
                None
            }
        }
    };
    let device = gpu.map_or("none".to_string(), |g| g.adapter_name());
    println!("CPU: {threads} threads");
    let mut csv = std::fs::File::create(&args.output)
        .map_err(|e| anyhow::anyhow!("cannot create '{}': {e}", args.output.display()))?;
    writeln!(csv, "class,roi_voxels,grey_levels,cpu_seconds,gpu_seconds,gpu_speedup,cpu_voxels_per_s,gpu_voxels_per_s,cpu_threads,gpu_device,identical")?;
    println!(
        "{:<6} {:>10} {:>6} {:>11} {:>11} {:>8} {:>12} {:>12} {:>9}",
        "class", "voxels", "Ng", "cpu s", "gpu s", "gpu/cpu", "cpu vox/s", "gpu vox/s", "identical"
    );
    for &side in &args.sizes {
        for &ng in &args.levels {
            let img = synthetic(side, ng, side as u64 * 1000 + ng as u64);
            let n = img.levels.len() as f64;
            for class in &args.classes {
                let Some(req) = request(class, &img) else {
                    anyhow::bail!("unknown matrix class '{class}'");
                };
                let (cpu_s, cpu_m) = time(args.repeat, || build_cpu(&img, &req));
                let (gpu_s, identical) = match gpu {
                    Some(ctx) if class != "glszm" => {
                        let reqs = [req.clone()];
                        match ctx.build_batch(&[(&img, &reqs)]) {
                            Err(e) => {
                                println!("{class} {side}³ Ng {ng}: GPU not used ({e})");
                                (None, "no GPU")
                            }
                            Ok(_) => {
                                let (s, m) =
                                    time(args.repeat, || ctx.build_batch(&[(&img, &reqs)]));
                                let m =
                                    m.map_err(|e| anyhow::anyhow!("GPU failed on {class}: {e}"))?;
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
                let fmt = |v: Option<f64>| v.map_or("".to_string(), |v| format!("{v:.6}"));
                let speed = gpu_s.map(|g| cpu_s / g);
                writeln!(
                    csv,
                    "{class},{},{ng},{cpu_s:.6},{},{},{:.0},{},{threads},{device},{identical}",
                    n as u64,
                    fmt(gpu_s),
                    speed.map_or(String::new(), |s| format!("{s:.2}")),
                    n / cpu_s,
                    gpu_s.map_or(String::new(), |g| format!("{:.0}", n / g)),
                )?;
                println!(
                    "{class:<6} {:>10} {ng:>6} {cpu_s:>11.5} {:>11} {:>8} {:>12.3e} {:>12} {identical:>9}",
                    n as u64,
                    gpu_s.map_or("-".to_string(), |g| format!("{g:.5}")),
                    speed.map_or("-".to_string(), |s| format!("{s:.1}x")),
                    n / cpu_s,
                    gpu_s.map_or("-".to_string(), |g| format!("{:.3e}", n / g)),
                );
                if identical == "NO" {
                    anyhow::bail!("GPU and CPU {class} matrices differ at {side}³, Ng {ng}");
                }
            }
        }
    }
    println!("written {}", args.output.display());
    Ok(())
}
