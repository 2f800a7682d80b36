//! Texture-matrix construction and full extraction on real cases.
//!
//! Group `matrix`: for each texture class (glcm, glrlm, glszm, gldm, ngtdm), the time to build
//! that one matrix from an already discretised ROI (PyRadiomics default settings, binWidth 25,
//! distance 1) on three real cases: `brain1` and `lung2` (PyRadiomics test data) and the IBSI
//! CT phantom. `cpu` is the reference builder (`build_cpu`, rayon over z-slices for all classes
//! but glszm; honours `RAYON_NUM_THREADS`); `gpu` is `GpuContext::build_batch` for one image and
//! one request: upload, dispatch and read-back, with the context created once before timing.
//! GLSZM has no GPU kernel (the GPU engine builds it on the CPU), so it is only timed on the
//! CPU. The GPU is skipped, with a printed note, when `GpuContext::shared()` fails. Before
//! timing, each GPU matrix is compared with the CPU one and a mismatch is printed.
//!
//! Group `extract_all`: the whole `extract_case_on(.., DeviceChoice::Cpu)` of one case with all
//! 107 default features (reading, preprocessing, shape, first order and the five texture
//! classes).
//!
//! Data come from `$GPURAD_SHARED_DATA` (default `../shared/data`). Quick run:
//! `cargo bench --bench matrices -- --quick`; one class only: `cargo bench --bench matrices -- glcm`.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gpurad::extract::{case_grey_image, extract_case_on};
use gpurad::features::registry::FeatureClass;
use gpurad::features::texture;
use gpurad::matrices::build_cpu;
use gpurad::matrices::gpu::{DeviceChoice, GpuContext};
use gpurad::Params;

fn data() -> PathBuf {
    std::env::var_os("GPURAD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")))
}

/// (name, image, mask) of the benchmarked cases.
fn cases() -> Vec<(&'static str, PathBuf, PathBuf)> {
    let d = data();
    let py = |name: &'static str| {
        (
            name,
            d.join("pyradiomics").join(format!("{name}_image.nii.gz")),
            d.join("pyradiomics").join(format!("{name}_label.nii.gz")),
        )
    };
    let ibsi = d.join("ibsi").join("ct_radiomics_phantom");
    vec![
        py("brain1"),
        py("lung2"),
        (
            "ibsi_ct",
            ibsi.join("image.nii.gz"),
            ibsi.join("mask.nii.gz"),
        ),
    ]
}

fn gpu() -> Option<&'static GpuContext> {
    match GpuContext::shared() {
        Ok(ctx) => {
            eprintln!("matrices bench: GPU {}", ctx.adapter_name());
            Some(ctx)
        }
        Err(e) => {
            eprintln!("matrices bench: no GPU ({e}); GPU timings skipped");
            None
        }
    }
}

fn bench_matrices(c: &mut Criterion) {
    let params = Params::default();
    let gpu = gpu();
    eprintln!(
        "matrices bench: CPU builders on {} rayon threads",
        rayon::current_num_threads()
    );
    let mut g = c.benchmark_group("matrix");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, image, mask) in cases() {
        let img = case_grey_image(&image, &mask, &params)
            .unwrap_or_else(|e| panic!("{name}: cannot prepare the ROI: {e}"));
        eprintln!(
            "matrices bench: {name}: box {:?}, {} ROI voxels, {} grey levels",
            img.size,
            img.roi_count(),
            img.ng
        );
        for class in FeatureClass::ALL.into_iter().filter(|c| c.is_texture()) {
            let req = texture::request(class, &img, &params.settings)
                .expect("within the memory budget")
                .expect("texture class");
            g.bench_function(BenchmarkId::new(format!("{class}/cpu"), name), |b| {
                b.iter(|| build_cpu(&img, &req))
            });
            let Some(ctx) = gpu else { continue };
            if class == FeatureClass::Glszm {
                continue; // no GPU kernel: build_batch builds it on the CPU
            }
            let reqs = [req.clone()];
            match ctx.build_batch(&[(&img, &reqs)]) {
                Ok(m) if m[0][0] == build_cpu(&img, &req) => {}
                Ok(_) => eprintln!("matrices bench: {name} {class}: GPU matrix differs from CPU"),
                Err(e) => {
                    eprintln!("matrices bench: {name} {class}: GPU failed ({e}); skipped");
                    continue;
                }
            }
            g.bench_function(BenchmarkId::new(format!("{class}/gpu"), name), |b| {
                b.iter(|| ctx.build_batch(&[(&img, &reqs)]).unwrap())
            });
        }
    }
    g.finish();
}

fn bench_extract(c: &mut Criterion) {
    let params = Params::default();
    let mut g = c.benchmark_group("extract_all");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (name, image, mask) in cases() {
        g.bench_function(BenchmarkId::new("cpu", name), |b| {
            b.iter(|| extract_case_on(&image, &mask, &params, DeviceChoice::Cpu).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench_matrices, bench_extract);
criterion_main!(benches);
