//! Firth's penalised logistic regression against an independent reference
//! (`tests/fixtures/firth/make_fixtures.py`: firthlogist's Newton–Raphson for the estimates,
//! scipy's BFGS for the constrained maxima, brentq for the profile limits) on a cohort with
//! quasi-complete separation, where maximum likelihood has no finite estimate.
//!
//! Tolerances: estimates, standard errors, χ² statistics and p-values 1e-6 relative (both
//! sides maximise to ~1e-10 in the gradient); profile limits 1e-6 relative (each side finds
//! a root of a smooth function to ~1e-12; BFGS' constrained maxima limit the reference).

use std::path::PathBuf;

use gpurad::model::firth::fit_firth;
use gpurad::model::{fit_logistic, LogisticOptions, StatsError};

fn fixture(name: &str) -> Vec<Vec<String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/firth")
        .join(name);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

fn close(got: f64, want: f64, what: &str) {
    let d = (got - want).abs() / want.abs().max(1e-300);
    assert!(d <= 1e-6, "{what}: got {got}, reference {want} (rel {d:e})");
}

#[test]
fn firth_equals_the_reference_under_separation() {
    let rows = fixture("cohort.csv");
    let col = |k: usize| {
        rows.iter()
            .map(|r| r[k].parse::<f64>().unwrap())
            .collect::<Vec<_>>()
    };
    let (y, x1, x2, x3) = (col(0), col(1), col(2), col(3));
    let preds = [("x1", x1.as_slice()), ("x2", &x2), ("x3", &x3)];
    // Maximum likelihood refuses these data: x1 = 1 separates.
    assert!(matches!(
        fit_logistic(&y, &preds, None, &LogisticOptions::default()),
        Err(StatsError::Separation { .. })
    ));
    let fit = fit_firth(&y, &preds).unwrap();
    let want = fixture("expected.csv");
    assert_eq!(fit.coefficients.len(), want.len());
    for (c, w) in fit.coefficients.iter().zip(&want) {
        assert_eq!(c.term, w[0]);
        let v = |k: usize| w[k].parse::<f64>().unwrap();
        close(c.estimate, v(1), &format!("{} estimate", c.term));
        close(c.std_error, v(2), &format!("{} SE", c.term));
        close(c.chi_square, v(3), &format!("{} chi-square", c.term));
        close(c.p_value, v(4), &format!("{} p", c.term));
        close(c.ci[0], v(5), &format!("{} CI low", c.term));
        close(c.ci[1], v(6), &format!("{} CI high", c.term));
    }
    assert!(fit.fitted.iter().all(|p| *p > 0.0 && *p < 1.0));
}
