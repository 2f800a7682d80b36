//! LASSO-logistic path with 10-fold cross-validation (`gpurad::model::lasso::cross_validate`,
//! as R's `cv.glmnet`) on seeded synthetic cohorts: 100 patients × 1,000 features and
//! 1,000 patients × 5,000 features, features in correlated blocks of 10 (within-block
//! correlation 0.6), 10 true signals, standardised as `gpurad fit` does. Each measurement is
//! the whole path plus the 10 fold fits.
//!
//! Run: `cargo bench --bench lasso` (the large table takes seconds per fit; criterion's minimum
//! of 10 samples applies).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gpurad::model::lasso::{cross_validate, fold_ids, LassoOptions};

/// A seeded normal generator (SplitMix64 + Box–Muller).
struct Normal(u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn next(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Standardised features (one column per feature) and 0/1 outcomes.
fn cohort(n: usize, p: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut g = Normal(seed);
    let mut x = vec![vec![0.0; n]; p];
    for block in 0..p.div_ceil(10) {
        let common: Vec<f64> = (0..n).map(|_| g.next()).collect();
        for col in x.iter_mut().skip(block * 10).take(10) {
            for (v, c) in col.iter_mut().zip(&common) {
                *v = 0.6_f64.sqrt() * c + 0.4_f64.sqrt() * g.next();
            }
        }
    }
    for col in &mut x {
        let m = col.iter().sum::<f64>() / n as f64;
        let sd = (col.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
        col.iter_mut().for_each(|v| *v = (*v - m) / sd);
    }
    let y = (0..n)
        .map(|i| {
            let eta: f64 = (0..10).map(|k| 0.6 * x[k * (p / 10)][i]).sum::<f64>() - 0.2;
            f64::from(g.uniform() < 1.0 / (1.0 + (-eta).exp()))
        })
        .collect();
    (x, y)
}

fn lasso_cv(c: &mut Criterion) {
    let mut group = c.benchmark_group("lasso_cv10");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for (n, p) in [(100, 1000), (1000, 5000)] {
        let (x, y) = cohort(n, p, 20261127);
        let folds = fold_ids(n, 10, 1).unwrap();
        let fit = cross_validate(&x, &y, &folds, &LassoOptions::default()).unwrap();
        eprintln!(
            "{n} × {p}: {} λ values, λ.min = {:.4e}, {} features at λ.min",
            fit.path.lambdas.len(),
            fit.lambda_min,
            fit.path
                .coefficients_at(fit.lambda_min)
                .1
                .iter()
                .filter(|b| **b != 0.0)
                .count()
        );
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{n}x{p}")),
            &(),
            |b, _| b.iter(|| cross_validate(&x, &y, &folds, &LassoOptions::default()).unwrap()),
        );
    }
    group.finish();
}

criterion_group!(benches, lasso_cv);
criterion_main!(benches);
