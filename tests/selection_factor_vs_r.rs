//! Clinical-factor selection with categorical candidates against R
//! (`tests/fixtures/selection/make_factor_fixtures.R`): `factor(stage)` and `factor(grade)`
//! coded as R codes factors (treatment contrasts, the smallest level the reference), the
//! univariable screen of a factor by its likelihood-ratio test (`anova(glm, test =
//! "Chisq")`), and `step(direction = "backward")` keeping or dropping a factor's indicators
//! together.
//!
//! Tolerances as `tests/selection_vs_r.rs`: coefficients, SEs and p-values 1e-6 relative
//! (IRLS converged to 1e-14 in deviance on both sides), AIC 1e-9 relative.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::csv_rows;
use gpurad::study::clinical::Clinical;
use gpurad::study::selection::{select, TermRow};

fn read_csv(name: &str) -> Vec<HashMap<String, String>> {
    csv_rows(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/selection")
            .join(name),
    )
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

fn check_rows(got: &[TermRow], want: &[HashMap<String, String>], what: &str) {
    let names: Vec<&str> = got.iter().map(|r| r.term.as_str()).collect();
    let want_names: Vec<&str> = want.iter().map(|r| r["term"].as_str()).collect();
    assert_eq!(names, want_names, "{what}: terms");
    for (g, w) in got.iter().zip(want) {
        let at = |k: &str| format!("{what} {} {k}", g.term);
        close(g.coef, num(&w["coef"]), 1e-6, &at("coef"));
        close(g.se, num(&w["se"]), 1e-6, &at("se"));
        close(g.p, num(&w["p"]), 1e-6, &at("p"));
    }
}

const CANDIDATES: [&str; 5] = ["age>60", "alp>120", "factor(stage)", "bmi", "factor(grade)"];

/// Clinical predictors with their values, one per patient.
type Valued = Vec<(Clinical, Vec<f64>)>;

/// (y, Radscore, candidates with their values; factors expanded) of the fixture cohort.
fn cohort() -> (Vec<f64>, Vec<f64>, Valued) {
    let rows = read_csv("cohort_factor.csv");
    let col = |k: &str| rows.iter().map(|r| num(&r[k])).collect::<Vec<f64>>();
    let mut candidates = Vec::new();
    for e in CANDIDATES {
        let c = Clinical::parse(e).unwrap();
        for d in c.expand_factor(&col(&c.column)).unwrap() {
            let v = col(&d.column).into_iter().map(|x| d.value(x)).collect();
            candidates.push((d, v));
        }
    }
    (col("y"), col("Radscore"), candidates)
}

#[test]
fn factors_are_screened_entered_and_eliminated_as_r_does() {
    let (y, rad, candidates) = cohort();
    let uni = read_csv("factor_univariable.csv");
    for enter in ["0.05", "1"] {
        let (s, chosen) = select(&y, &rad, &[], &candidates, num(enter), false).unwrap();
        assert!(s.univariable_failed.is_empty());
        // Univariable rows: the Radscore first (not in R's file), then every indicator.
        check_rows(&s.univariable[1..], &uni, "univariable");
        // The factors' likelihood-ratio tests are their entry p-values.
        let groups: Vec<&str> = s
            .univariable_groups
            .iter()
            .map(|g| g.term.as_str())
            .collect();
        assert_eq!(groups, ["factor(stage)", "factor(grade)"]);
        for g in &s.univariable_groups {
            let r = uni.iter().find(|r| r["group"] == g.term).unwrap();
            assert_eq!(g.df, r["df"].parse::<usize>().unwrap());
            close(g.p, num(&r["entry_p"]), 1e-6, &format!("{} LR p", g.term));
        }
        let keys = read_csv(&format!("factor_selection_{enter}.csv"));
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
        assert_eq!(s.steps.len(), steps.len(), "entry {enter}: {:?}", s.steps);
        for (g, w) in s.steps.iter().zip(steps) {
            let f: Vec<&str> = w.split(';').collect();
            assert_eq!(g.removed, f[0], "entry {enter}");
            close(g.aic_before, num(f[1]), 1e-9, "AIC before");
            close(g.aic_after, num(f[2]), 1e-9, "AIC after");
        }
        close(s.aic, num(get("aic_final")[0]), 1e-9, "final AIC");
        check_rows(
            &s.multivariable,
            &read_csv(&format!("factor_final_{enter}.csv")),
            &format!("final {enter}"),
        );
        // The combined model's clinical predictors: every indicator of a kept factor.
        let chosen: Vec<String> = chosen.iter().map(|c| c.name.clone()).collect();
        let final_terms: Vec<String> = s
            .multivariable
            .iter()
            .skip(1)
            .map(|r| r.term.clone())
            .collect();
        assert_eq!(chosen, final_terms);
    }
}
