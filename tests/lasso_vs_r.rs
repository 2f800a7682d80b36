//! Binomial LASSO (`gpurad::model::lasso`) against R's glmnet.
//!
//! Reference: `tests/fixtures/lasso/make_fixtures.R` (R 4.2.2, glmnet 4.1-6; run it from
//! the repository root to regenerate), which simulates a seeded cohort of 80 patients and
//! 120 features (12 blocks of 10 with within-block correlation 0.7, individual scales and
//! locations, 5 true signals, one constant feature) with 10 fixed fold ids, and writes with
//! `%.17g`: `glmnet(x, y, family = "binomial", alpha = 1)` paths with glmnet's default
//! controls, with `glmnet.control(fdev = 0, devmax = 1)`, with a user λ sequence and with
//! `lambda.min.ratio = 1e-4` (which stops early at devmax), and `cv.glmnet(type.measure =
//! "deviance", foldid = fold)` under both controls. Every R fit uses `thresh = 1e-20`,
//! `maxit = 1e8`; `kkt.csv` shows R's KKT residuals are ≤ 4e-11.
//!
//! Tolerances and why:
//! * λ path ≤ 1e-10 relative: the same closed form (λmax from the same gradient, repeated
//!   multiplication), differing only in summation order;
//! * coefficients ≤ 1e-6 absolute at every compared λ, and the intercept at the feature
//!   means (`β₀ + Σ βⱼ x̄ⱼ`) ≤ 1e-6 absolute: both sides solve the same convex problem, R to a
//!   KKT residual ≤ 4e-11, gpurad to its tolerance of 1e-9 (asserted here, recomputed from
//!   the original-scale coefficients; measured ≤ 4e-11); coefficient errors are the KKT residual times the inverse curvature of the
//!   penalised likelihood, largest on the original scale for features with small SD (measured
//!   ≤ 2.7e-8). The original-scale intercept `β₀ = b₀ − Σ βⱼ x̄ⱼ` adds up every coefficient's
//!   error times its feature's mean (the features are located far from 0), so it is compared
//!   relatively, ≤ 1e-7 of max(|β₀|, 1) (measured 1.4e-6 absolute on an intercept of 153 at
//!   the end of the full path, where R's own residual of 9e-12 limits its accuracy);
//! * deviance ratio ≤ 1e-9, df and path length exact;
//! * CV `cvm`, `cvsd` ≤ 1e-6 absolute: deviances of the fold fits' interpolated
//!   predictions; `lambda.min` and `lambda.1se` identical (same λ values, same selection).

use std::collections::HashMap;
use std::path::PathBuf;

mod common;
use common::csv_columns;

use gpurad::model::lasso::{cross_validate, fit_lasso_path, fold_ids, LassoOptions, LassoPath};
use gpurad::model::StatsError;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lasso")
        .join(name)
}

/// A CSV file as (headers, columns keyed by header).
fn read_csv(name: &str) -> (Vec<String>, HashMap<String, Vec<String>>) {
    csv_columns(&fixture(name))
}

fn numbers(cols: &HashMap<String, Vec<String>>, name: &str) -> Vec<f64> {
    cols[name]
        .iter()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("'{v}' is not a number"))
        })
        .collect()
}

struct Cohort {
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
    fold: Vec<usize>,
}

fn cohort() -> Cohort {
    let (headers, cols) = read_csv("data.csv");
    let x = headers
        .iter()
        .filter(|h| h.starts_with('x'))
        .map(|h| numbers(&cols, h))
        .collect();
    let fold = numbers(&cols, "fold").iter().map(|&f| f as usize).collect();
    Cohort {
        x,
        y: numbers(&cols, "y"),
        fold,
    }
}

/// Largest KKT residual of the coefficients `(a0, beta)` at `lambda` (module documentation
/// of `gpurad::model::lasso`: gradients on the population-standardized features).
fn kkt_residual(c: &Cohort, a0: f64, beta: &[f64], lambda: f64) -> f64 {
    let n = c.y.len() as f64;
    let r: Vec<f64> = (0..c.y.len())
        .map(|i| {
            let eta = a0 + c.x.iter().zip(beta).map(|(x, b)| b * x[i]).sum::<f64>();
            (c.y[i] - 1.0 / (1.0 + (-eta).exp())) / n
        })
        .collect();
    let mut worst = r.iter().sum::<f64>().abs();
    for (x, &b) in c.x.iter().zip(beta) {
        let m = x.iter().sum::<f64>() / n;
        let sd = (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
        if sd == 0.0 {
            continue;
        }
        let g: f64 = x.iter().zip(&r).map(|(v, ri)| (v - m) / sd * ri).sum();
        let res = if b == 0.0 {
            (g.abs() - lambda).max(0.0)
        } else {
            (g - lambda.copysign(b)).abs()
        };
        worst = worst.max(res);
    }
    worst
}

/// Compares a Rust path with R's path file; returns the largest coefficient difference.
fn compare_path(c: &Cohort, rust: &LassoPath, name: &str) -> f64 {
    let n = c.y.len() as f64;
    let means: Vec<f64> = c.x.iter().map(|x| x.iter().sum::<f64>() / n).collect();
    let centred = |a0: f64, beta: &dyn Fn(usize) -> f64| -> f64 {
        a0 + means
            .iter()
            .enumerate()
            .map(|(j, m)| beta(j) * m)
            .sum::<f64>()
    };
    let (headers, cols) = read_csv(name);
    let lambda = numbers(&cols, "lambda");
    assert_eq!(rust.lambdas.len(), lambda.len(), "{name}: path length");
    let dev = numbers(&cols, "dev_ratio");
    let df = numbers(&cols, "df");
    let a0 = numbers(&cols, "intercept");
    let features: Vec<Vec<f64>> = headers
        .iter()
        .filter(|h| h.starts_with('x'))
        .map(|h| numbers(&cols, h))
        .collect();
    let mut worst: f64 = 0.0;
    let (mut worst_lambda, mut worst_dev, mut worst_kkt): (f64, f64, f64) = (0.0, 0.0, 0.0);
    for k in 0..lambda.len() {
        let rel = (rust.lambdas[k] - lambda[k]).abs() / lambda[k];
        worst_lambda = worst_lambda.max(rel);
        worst_dev = worst_dev.max((rust.dev_ratio[k] - dev[k]).abs());
        assert!(
            rel <= 1e-10,
            "{name} step {k}: lambda {} vs R {}",
            rust.lambdas[k],
            lambda[k]
        );
        assert!(
            (rust.dev_ratio[k] - dev[k]).abs() <= 1e-9,
            "{name} step {k}: dev ratio {} vs R {}",
            rust.dev_ratio[k],
            dev[k]
        );
        assert_eq!(rust.df[k] as f64, df[k], "{name} step {k}: df");
        // The intercept at the feature means (the fitted intercept of the centred problem);
        // see the module documentation for why not the original-scale intercept.
        let ours = centred(rust.intercepts[k], &|j| rust.betas[k][j]);
        let theirs = centred(a0[k], &|j| features[j][k]);
        let d = (ours - theirs).abs();
        assert!(
            d <= 1e-6,
            "{name} step {k}: intercept at the feature means {ours} vs R {theirs}"
        );
        worst = worst.max(d);
        let rel = (rust.intercepts[k] - a0[k]).abs() / a0[k].abs().max(1.0);
        assert!(
            rel <= 1e-7,
            "{name} step {k}: intercept {} vs R {}",
            rust.intercepts[k],
            a0[k]
        );
        let kkt = kkt_residual(c, rust.intercepts[k], &rust.betas[k], rust.lambdas[k]);
        assert!(kkt <= 1e-9, "{name} step {k}: KKT residual {kkt:e}");
        worst_kkt = worst_kkt.max(kkt);
        for (j, col) in features.iter().enumerate() {
            let d = (rust.betas[k][j] - col[k]).abs();
            assert!(
                d <= 1e-6,
                "{name} step {k} feature {}: {} vs R {}",
                j + 1,
                rust.betas[k][j],
                col[k]
            );
            worst = worst.max(d);
        }
    }
    eprintln!(
        "{name}: max lambda rel diff = {worst_lambda:e}, max dev ratio diff = {worst_dev:e}, \
         max KKT residual = {worst_kkt:e}"
    );
    worst
}

#[test]
fn path_default_controls_matches_glmnet() {
    let c = cohort();
    let fit = fit_lasso_path(&c.x, &c.y, &LassoOptions::default()).unwrap();
    let worst = compare_path(&c, &fit, "path_default.csv");
    eprintln!("path_default: max |coef diff| = {worst:e}");
    // The constant feature (x120) is zero everywhere.
    assert!(fit.betas.iter().all(|b| b[119] == 0.0));
}

#[test]
fn path_full_matches_glmnet() {
    let c = cohort();
    let fit = fit_lasso_path(&c.x, &c.y, &LassoOptions::default().full_path()).unwrap();
    let worst = compare_path(&c, &fit, "path_full.csv");
    eprintln!("path_full: max |coef diff| = {worst:e}");
}

#[test]
fn path_user_lambda_matches_glmnet() {
    let c = cohort();
    let (_, cols) = read_csv("path_user.csv");
    let mut lambda = numbers(&cols, "lambda");
    lambda.reverse(); // any order is accepted and sorted decreasing
    let options = LassoOptions {
        lambda: Some(lambda),
        ..LassoOptions::default()
    };
    let fit = fit_lasso_path(&c.x, &c.y, &options).unwrap();
    let worst = compare_path(&c, &fit, "path_user.csv");
    eprintln!("path_user: max |coef diff| = {worst:e}");
}

#[test]
fn path_early_stop_matches_glmnet() {
    let c = cohort();
    let options = LassoOptions {
        lambda_min_ratio: Some(1e-4),
        ..LassoOptions::default()
    };
    let fit = fit_lasso_path(&c.x, &c.y, &options).unwrap();
    let worst = compare_path(&c, &fit, "path_early.csv");
    eprintln!("path_early: max |coef diff| = {worst:e}");
}

fn compare_cv(options: &LassoOptions, name: &str, controls: &str) {
    let c = cohort();
    let cv = cross_validate(&c.x, &c.y, &c.fold, options).unwrap();
    let (_, cols) = read_csv(name);
    let lambda = numbers(&cols, "lambda");
    let cvm = numbers(&cols, "cvm");
    let cvsd = numbers(&cols, "cvsd");
    let nzero = numbers(&cols, "nzero");
    assert_eq!(cv.cvm.len(), cvm.len(), "{name}: length");
    let (mut dm, mut ds): (f64, f64) = (0.0, 0.0);
    for k in 0..cvm.len() {
        assert!((cv.path.lambdas[k] - lambda[k]).abs() <= 1e-10 * lambda[k]);
        assert_eq!(cv.nzero[k] as f64, nzero[k], "{name} step {k}: nzero");
        dm = dm.max((cv.cvm[k] - cvm[k]).abs());
        ds = ds.max((cv.cvsd[k] - cvsd[k]).abs());
    }
    eprintln!("{name}: max |cvm diff| = {dm:e}, max |cvsd diff| = {ds:e}");
    assert!(dm <= 1e-6, "{name}: cvm differs by {dm}");
    assert!(ds <= 1e-6, "{name}: cvsd differs by {ds}");
    let (_, summary) = read_csv("cv_summary.csv");
    let row = summary["controls"]
        .iter()
        .position(|c| c == controls)
        .unwrap();
    let lmin: f64 = summary["lambda_min"][row].parse().unwrap();
    let l1se: f64 = summary["lambda_1se"][row].parse().unwrap();
    // Identical selection: the same index on the path as R's.
    let idx = |l: f64| lambda.iter().position(|&v| v == l).unwrap();
    assert_eq!(cv.index_min, idx(lmin), "{name}: lambda.min");
    assert_eq!(cv.index_1se, idx(l1se), "{name}: lambda.1se");
    assert!((cv.lambda_min - lmin).abs() <= 1e-10 * lmin);
    assert!((cv.lambda_1se - l1se).abs() <= 1e-10 * l1se);
}

#[test]
fn cv_default_controls_matches_cv_glmnet() {
    compare_cv(&LassoOptions::default(), "cv_default.csv", "default");
}

#[test]
fn cv_full_path_matches_cv_glmnet() {
    compare_cv(&LassoOptions::default().full_path(), "cv_full.csv", "full");
}

#[test]
fn wide_data_5000_features_runs() {
    // p >> n: 100 patients, 5,000 features, 3 true signals; no timing assertion.
    let (n, p) = (100, 5000);
    let mut state = 12345_u64;
    let mut unif = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut normal = move || {
        let (u, v) = (unif(), unif());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let x: Vec<Vec<f64>> = (0..p).map(|_| (0..n).map(|_| normal()).collect()).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let eta = 2.0 * x[0][i] - 2.0 * x[1][i] + 1.5 * x[2][i];
            f64::from(u8::from(eta + 0.5 * normal() > 0.0))
        })
        .collect();
    let fit = fit_lasso_path(&x, &y, &LassoOptions::default()).unwrap();
    assert!(fit.lambdas.len() >= 5);
    assert!(fit.lambdas.windows(2).all(|w| w[0] > w[1]));
    assert!(fit.dev_ratio.windows(2).all(|w| w[1] >= w[0] - 1e-12));
    // The first features to enter are the true signals.
    let first = fit
        .betas
        .iter()
        .find(|b| b.iter().any(|v| *v != 0.0))
        .unwrap();
    let entered: Vec<usize> = (0..p).filter(|&j| first[j] != 0.0).collect();
    assert!(entered.iter().all(|j| *j < 3), "first entries {entered:?}");
    let folds = fold_ids(n, 5, 7).unwrap();
    let cv = cross_validate(&x, &y, &folds, &LassoOptions::default()).unwrap();
    let (a0, beta) = fit.coefficients_at(cv.lambda_min);
    assert!(a0.is_finite());
    assert!(beta[0] > 0.0 && beta[1] < 0.0 && beta[2] > 0.0);
}

#[test]
fn fold_ids_are_balanced_and_deterministic() {
    let f = fold_ids(83, 10, 42).unwrap();
    assert_eq!(f, fold_ids(83, 10, 42).unwrap());
    assert_ne!(f, fold_ids(83, 10, 43).unwrap());
    let mut sizes = [0; 10];
    f.iter().for_each(|&k| sizes[k - 1] += 1);
    assert!(sizes.iter().all(|&s| s == 8 || s == 9));
    assert!(fold_ids(5, 10, 1).is_err());
}

#[test]
fn degenerate_inputs_give_clear_errors() {
    let c = cohort();
    let ones = vec![1.0; c.y.len()];
    assert!(matches!(
        fit_lasso_path(&c.x, &ones, &LassoOptions::default()),
        Err(StatsError::OneClass { .. })
    ));
    let constant = vec![vec![2.0; c.y.len()]; 3];
    let err = fit_lasso_path(&constant, &c.y, &LassoOptions::default()).unwrap_err();
    assert!(err.to_string().contains("constant"), "{err}");
    let mut bad = c.x.clone();
    bad[4][7] = f64::NAN;
    assert!(matches!(
        fit_lasso_path(&bad, &c.y, &LassoOptions::default()),
        Err(StatsError::NonFinite { index: 7, .. })
    ));
    let two_folds: Vec<usize> = (0..c.y.len()).map(|i| i % 2 + 1).collect();
    assert!(cross_validate(&c.x, &c.y, &two_folds, &LassoOptions::default()).is_err());
}
