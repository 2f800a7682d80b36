//! Clinical-factor selection and exact proportion intervals against R
//! (`tests/fixtures/selection/make_fixtures.R`): univariable `glm` tables, the candidates that
//! enter, every step of `step(direction = "backward")` with its AIC, the final model's table,
//! and `binom.test`'s Clopper–Pearson intervals.
//!
//! Tolerances: coefficients, SEs, odds ratios, CIs and p-values 1e-6 relative (both sides
//! converge IRLS to 1e-14 in deviance; what remains is the rounding of two different
//! least-squares solvers); AIC 1e-9 relative; Clopper–Pearson bounds 1e-9 relative (R's
//! `qbeta` and our bisection on the regularised incomplete beta both reach ~1e-15).

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::csv_rows;
use gpurad::evaluate::proportion::clopper_pearson;
use gpurad::study::clinical::Clinical;
use gpurad::study::selection::{select, TermRow};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/selection")
}

/// Rows of a CSV as maps from column name to cell.
fn read_csv(name: &str) -> Vec<HashMap<String, String>> {
    csv_rows(&dir().join(name))
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s}"))
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    let d = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        d <= rel || got == want,
        "{what}: got {got}, R {want} (rel {d:e})"
    );
}

fn check_rows(got: &[TermRow], file: &str) {
    let want = read_csv(file);
    let names: Vec<&str> = got.iter().map(|r| r.term.as_str()).collect();
    let want_names: Vec<&str> = want.iter().map(|r| r["term"].as_str()).collect();
    assert_eq!(names, want_names, "{file}: terms");
    for (g, w) in got.iter().zip(&want) {
        let what = |k: &str| format!("{file} {} {k}", g.term);
        close(g.coef, num(&w["coef"]), 1e-6, &what("coef"));
        close(g.se, num(&w["se"]), 1e-6, &what("se"));
        close(g.or, num(&w["or"]), 1e-6, &what("or"));
        close(g.or_ci[0], num(&w["or_low"]), 1e-6, &what("or_low"));
        close(g.or_ci[1], num(&w["or_high"]), 1e-6, &what("or_high"));
        close(g.p, num(&w["p"]), 1e-6, &what("p"));
    }
}

const CANDIDATES: [&str; 7] = ["age>60", "alp>120", "age", "alp", "sex", "bmi", "smoker"];

/// Clinical predictors with their values, one per patient.
type Valued = Vec<(Clinical, Vec<f64>)>;

/// (y, Radscore, candidates with their values) of the fixture cohort.
fn cohort() -> (Vec<f64>, Vec<f64>, Valued) {
    let rows = read_csv("cohort.csv");
    let col = |k: &str| rows.iter().map(|r| num(&r[k])).collect::<Vec<f64>>();
    let candidates = CANDIDATES
        .iter()
        .map(|e| {
            let c = Clinical::parse(e).unwrap();
            let v = col(&c.column).into_iter().map(|x| c.value(x)).collect();
            (c, v)
        })
        .collect();
    (col("y"), col("Radscore"), candidates)
}

#[test]
fn univariable_entry_and_backward_elimination_equal_r_step() {
    let (y, rad, candidates) = cohort();
    for enter in ["0.05", "0.5"] {
        let (s, chosen) = select(&y, &rad, &[], &candidates, num(enter), false).unwrap();
        assert!(s.univariable_failed.is_empty());
        check_rows(&s.univariable, "univariable.csv");
        let keys = read_csv(&format!("selection_{enter}.csv"));
        let get = |k: &str| -> Vec<&str> {
            keys.iter()
                .filter(|r| r["key"] == k)
                .map(|r| r["value"].as_str())
                .collect()
        };
        let entered: Vec<&str> = get("entered")[0]
            .split(';')
            .filter(|t| !t.is_empty())
            .collect();
        assert_eq!(s.entered, entered, "entry {enter}");
        let steps = get("step");
        assert_eq!(
            s.steps.len(),
            steps.len(),
            "entry {enter}: steps {:?}",
            s.steps
        );
        for (g, w) in s.steps.iter().zip(steps) {
            let f: Vec<&str> = w.split(';').collect();
            assert_eq!(g.removed, f[0], "entry {enter}");
            close(g.aic_before, num(f[1]), 1e-9, "AIC before");
            close(g.aic_after, num(f[2]), 1e-9, "AIC after");
        }
        close(s.aic, num(get("aic_final")[0]), 1e-9, "final AIC");
        check_rows(&s.multivariable, &format!("final_{enter}.csv"));
        let final_terms: Vec<String> = s
            .multivariable
            .iter()
            .skip(1)
            .map(|r| r.term.clone())
            .collect();
        let chosen: Vec<String> = chosen.iter().map(|c| c.name.clone()).collect();
        assert_eq!(chosen, final_terms);
        assert_eq!(s.selected, final_terms);
    }
}

#[test]
fn a_fixed_predictor_is_kept_and_tabled_first() {
    let (y, rad, candidates) = cohort();
    // `bmi` is noise: fixed, it stays in the combined model all the same.
    let (fixed, rest): (Vec<_>, Vec<_>) =
        candidates.into_iter().partition(|(c, _)| c.name == "bmi");
    let (s, chosen) = select(&y, &rad, &fixed, &rest, 0.05, false).unwrap();
    assert_eq!(chosen[0].name, "bmi");
    assert_eq!(s.univariable[1].term, "bmi");
    assert_eq!(s.multivariable[1].term, "bmi");
    assert!(s
        .steps
        .iter()
        .all(|st| st.removed != "bmi" && st.removed != "Radscore"));
}

#[test]
fn clopper_pearson_equals_binom_test() {
    for r in read_csv("clopper_pearson.csv") {
        let (x, n) = (num(&r["x"]) as usize, num(&r["n"]) as usize);
        let [lo, hi] = clopper_pearson(x, n, 0.95).unwrap();
        close(lo, num(&r["lower"]), 1e-9, &format!("{x}/{n} lower"));
        close(hi, num(&r["upper"]), 1e-9, &format!("{x}/{n} upper"));
    }
}
