//! Filtered-image cost: LoG (σ 2 and 3 mm) and the level-1 coif1 wavelet of a demo-sized
//! region (128×128×15, 0.9 × 0.9 × 4 mm) cut to a 32×32×8 ROI box — the work the demo's
//! parameters do per sequence besides the original image.

use criterion::{criterion_group, criterion_main, Criterion};
use gpurad::filters::{log, wavelet};
use gpurad::image::{BoundingBox, Geometry, PixelType, Volume};
use gpurad::Params;

fn region() -> (Volume, BoundingBox) {
    let size = [128, 128, 15];
    let geometry = Geometry::with_spacing(size, [0.9, 0.9, 4.0]);
    let data = (0..geometry.len())
        .map(|i| ((i * 7919 % 1013) as f64).sqrt() * 31.7 - 400.0)
        .collect();
    let bb = BoundingBox {
        lo: [48, 40, 3],
        hi: [79, 71, 10],
    };
    (
        Volume {
            geometry,
            data,
            pixel_type: PixelType::F64,
        },
        bb,
    )
}

fn bench(c: &mut Criterion) {
    let (region, bb) = region();
    let settings = Params::default().settings;
    let mut g = c.benchmark_group("filters");
    g.sample_size(20);
    for sigma in [2.0, 3.0] {
        g.bench_function(format!("log_sigma_{sigma}"), |b| {
            b.iter(|| log::image(&region, &bb, sigma))
        });
    }
    g.bench_function("wavelet_coif1_level1", |b| {
        b.iter(|| wavelet::images(&region, &bb, &settings).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
