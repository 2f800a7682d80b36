//! Per-case extraction cost: reading + first-order + shape on real cases.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use gpurad::extract::extract_case;
use gpurad::io::nifti::read_volume;
use gpurad::Params;

fn case(name: &str) -> (PathBuf, PathBuf) {
    let d = std::env::var_os("GPURAD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")))
        .join("pyradiomics");
    (
        d.join(format!("{name}_image.nii.gz")),
        d.join(format!("{name}_label.nii.gz")),
    )
}

fn bench(c: &mut Criterion) {
    let params = Params::default();
    let mut g = c.benchmark_group("extract");
    g.sample_size(10);
    for name in ["brain1", "lung2"] {
        let (img, mask) = case(name);
        g.bench_function(format!("read_image/{name}"), |b| {
            b.iter(|| read_volume(&img).unwrap())
        });
        g.bench_function(format!("firstorder_shape/{name}"), |b| {
            b.iter(|| extract_case(&img, &mask, &params).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
