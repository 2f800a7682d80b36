//! Model-stage statistics (`gpurad::model`, `gpurad::evaluate`) against R.
//!
//! Reference: `tests/fixtures/stats/make_fixtures.R` (R 4.2.2, pROC 1.18.0; run it from the
//! repository root to regenerate), which simulates a seeded cohort of 150 training and 100
//! validation patients and writes every reference number with `%.17g`:
//! `glm(binomial)` (epsilon 1e-14), pROC's `auc`, `ci.auc(method = "delong")`, `var`,
//! `roc.test(method = "delong", paired = TRUE)` and `coords(best.method = "youden")`,
//! `ResourceSelection::hoslem.test` (re-implemented line by line), calibration glms and
//! decision-curve net benefit.
//!
//! Tolerances (absolute unless stated) and why:
//! * logistic coefficients ≤ 1e-8, deviance ≤ 1e-9: both sides iterate to a 1e-14 relative
//!   deviance change, so only rounding in the QR solves differs;
//! * standard errors, z ≤ 1e-6, odds ratios and CIs ≤ 1e-6 relative: the covariance depends
//!   on the weights of the last iteration, the quantity most sensitive to the path;
//! * AUC, DeLong variance/CI, DeLong test z and p ≤ 1e-9: closed forms over the same
//!   predictions, differing only in summation order and the normal quantile routine;
//! * Hosmer–Lemeshow statistic and p ≤ 1e-9: same groups, sums in a different order;
//! * decision-curve net benefit ≤ 1e-12: integer counts in the same formula;
//! * calibration intercept/slope ≤ 1e-6: each is a glm fit, as above;
//! * Youden threshold, sensitivity, specificity: exact (the same midpoint arithmetic on the
//!   same doubles); validation confusion counts exact, derived metrics ≤ 1e-12.
//!
//! The evaluation statistics are computed on R's own predicted probabilities
//! (`predictions.csv`), so each is tested in isolation; Rust's predictions are checked
//! against R's separately. The last tests check that degenerate data (one outcome class,
//! perfect and quasi-perfect separation, collinear predictors) give clear errors.

use std::collections::HashMap;
use std::path::PathBuf;

mod common;
use common::{csv_columns, MaxDiff};

use gpurad::evaluate::calibration::logistic_calibration;
use gpurad::evaluate::decision_curve::{decision_curve, threshold_grid};
use gpurad::evaluate::hosmer_lemeshow::hosmer_lemeshow;
use gpurad::evaluate::roc::{auc, auc_delong_ci, delong_paired_test};
use gpurad::evaluate::threshold::{confusion_at, youden};
use gpurad::model::logistic::INTERCEPT;
use gpurad::model::{fit_logistic, LogisticOptions, StatsError};

const MODELS: [&str; 3] = ["combined", "radiomics", "clinical"];
const SETS: [&str; 2] = ["train", "validation"];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/stats")
        .join(name)
}

/// A CSV file as columns keyed by header.
fn read_csv(name: &str) -> HashMap<String, Vec<String>> {
    csv_columns(&fixture(name)).1
}

fn num(v: &str) -> f64 {
    v.parse()
        .unwrap_or_else(|_| panic!("'{v}' is not a number"))
}

fn numbers(cols: &HashMap<String, Vec<String>>, name: &str) -> Vec<f64> {
    cols[name].iter().map(|v| num(v)).collect()
}

/// The cohort and R's predictions, split by set.
struct Data {
    cohort: HashMap<String, Vec<String>>,
    predictions: HashMap<String, Vec<String>>,
    reference: HashMap<String, f64>,
}

impl Data {
    fn load() -> Self {
        let reference = read_csv("reference.csv");
        let reference = reference["quantity"]
            .iter()
            .zip(&reference["value"])
            .map(|(k, v)| (k.clone(), num(v)))
            .collect();
        Self {
            cohort: read_csv("cohort.csv"),
            predictions: read_csv("predictions.csv"),
            reference,
        }
    }

    fn rows(&self, set: &str) -> Vec<usize> {
        (0..self.cohort["set"].len())
            .filter(|&i| self.cohort["set"][i] == set)
            .collect()
    }

    fn column(&self, name: &str, set: &str) -> Vec<f64> {
        let all = if self.cohort.contains_key(name) {
            numbers(&self.cohort, name)
        } else {
            numbers(&self.predictions, name)
        };
        self.rows(set).into_iter().map(|i| all[i]).collect()
    }

    fn r(&self, key: &str) -> f64 {
        *self
            .reference
            .get(key)
            .unwrap_or_else(|| panic!("reference.csv has no '{key}'"))
    }
}

fn model_predictors(model: &str) -> &'static [&'static str] {
    match model {
        "combined" => &["rad_score", "age_gt60", "alp_gt120"],
        "radiomics" => &["rad_score"],
        _ => &["age_gt60", "alp_gt120"],
    }
}

#[test]
fn logistic_regression_matches_glm() {
    let data = Data::load();
    let coefs = read_csv("glm_coefficients.csv");
    let d = MaxDiff::default();
    let y = data.column("y", "train");
    for model in MODELS {
        let cols: Vec<(String, Vec<f64>)> = model_predictors(model)
            .iter()
            .map(|&n| (n.to_string(), data.column(n, "train")))
            .collect();
        let predictors: Vec<(&str, &[f64])> = cols
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let fit = fit_logistic(&y, &predictors, None, &LogisticOptions::default()).unwrap();
        assert_eq!(
            fit.iterations as f64,
            data.r(&format!("glm.{model}.iterations")),
            "{model}: IRLS iterations differ from glm's"
        );
        d.check(
            "deviance",
            model,
            fit.deviance,
            data.r(&format!("glm.{model}.deviance")),
            1e-9,
        );
        d.check(
            "deviance",
            model,
            fit.null_deviance,
            data.r(&format!("glm.{model}.null_deviance")),
            1e-9,
        );
        let rows: Vec<usize> = (0..coefs["model"].len())
            .filter(|&i| coefs["model"][i] == model)
            .collect();
        assert_eq!(rows.len(), fit.coefficients.len());
        for (c, &i) in fit.coefficients.iter().zip(&rows) {
            assert_eq!(c.term, coefs["term"][i]);
            let what = format!("{model} {}", c.term);
            let r = |col: &str| num(&coefs[col][i]);
            d.check("coefficient", &what, c.estimate, r("estimate"), 1e-8);
            d.check("standard error", &what, c.std_error, r("se"), 1e-6);
            d.check("z", &what, c.z, r("z"), 1e-6);
            d.check("p", &what, c.p_value, r("p"), 1e-9);
            d.relative(
                "odds ratio (rel.)",
                &what,
                c.odds_ratio,
                r("odds_ratio"),
                1e-8,
            );
            d.relative("Wald CI (rel.)", &what, c.ci_low, r("ci_low"), 1e-6);
            d.relative("Wald CI (rel.)", &what, c.ci_high, r("ci_high"), 1e-6);
        }
        assert_eq!(fit.coefficients[0].term, INTERCEPT);

        // Predictions for every patient against R's predict(type = "response").
        for set in SETS {
            let cols: Vec<(String, Vec<f64>)> = model_predictors(model)
                .iter()
                .map(|&n| (n.to_string(), data.column(n, set)))
                .collect();
            let predictors: Vec<(&str, &[f64])> = cols
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_slice()))
                .collect();
            let p = fit.predict(&predictors).unwrap();
            for (got, want) in p.iter().zip(data.column(model, set)) {
                d.check("predicted probability", model, *got, want, 1e-9);
            }
        }
    }
    d.report("glm");
}

#[test]
fn auc_and_delong_match_proc() {
    let data = Data::load();
    let d = MaxDiff::default();
    for set in SETS {
        let y = data.column("y", set);
        for model in MODELS {
            let p = data.column(model, set);
            let key = |q: &str| data.r(&format!("roc.{set}.{model}.{q}"));
            let what = format!("{set} {model}");
            let ci = auc_delong_ci(&y, &p, 0.95).unwrap();
            d.check("AUC", &what, ci.auc, key("auc"), 1e-9);
            d.check("AUC", &what, auc(&y, &p).unwrap(), key("auc"), 1e-9);
            d.check("DeLong variance", &what, ci.variance, key("var"), 1e-9);
            d.check("DeLong CI", &what, ci.ci_low, key("ci_low"), 1e-9);
            d.check("DeLong CI", &what, ci.ci_high, key("ci_high"), 1e-9);
        }
        let combined = data.column("combined", set);
        for other in ["radiomics", "clinical"] {
            let t = delong_paired_test(&y, &combined, &data.column(other, set)).unwrap();
            let key = |q: &str| data.r(&format!("roctest.{set}.combined_vs_{other}.{q}"));
            let what = format!("{set} combined vs {other}");
            d.check("DeLong test z", &what, t.z, key("z"), 1e-9);
            d.check("DeLong test p", &what, t.p_value, key("p"), 1e-9);
        }
    }
    d.report("roc");
}

#[test]
fn youden_threshold_matches_proc_coords() {
    let data = Data::load();
    let d = MaxDiff::default();
    let y_train = data.column("y", "train");
    let y_val = data.column("y", "validation");
    for model in MODELS {
        let best = youden(&y_train, &data.column(model, "train")).unwrap();
        assert_eq!(best.len() as f64, data.r(&format!("youden.{model}.count")));
        for (k, point) in best.iter().enumerate() {
            let key = |q: &str| data.r(&format!("youden.{model}.{}.{q}", k + 1));
            d.check(
                "Youden threshold",
                model,
                point.threshold,
                key("threshold"),
                0.0,
            );
            d.check(
                "Youden sensitivity",
                model,
                point.sensitivity,
                key("sensitivity"),
                0.0,
            );
            d.check(
                "Youden specificity",
                model,
                point.specificity,
                key("specificity"),
                0.0,
            );
        }
        let c = confusion_at(&y_val, &data.column(model, "validation"), best[0].threshold).unwrap();
        let key = |q: &str| data.r(&format!("youden_validation.{model}.{q}"));
        assert_eq!(
            [c.tp, c.fp, c.tn, c.fn_].map(|v| v as f64),
            [key("tp"), key("fp"), key("tn"), key("fn")],
            "{model}: validation confusion matrix"
        );
        d.check(
            "validation metric",
            model,
            c.sensitivity(),
            key("sensitivity"),
            1e-12,
        );
        d.check(
            "validation metric",
            model,
            c.specificity(),
            key("specificity"),
            1e-12,
        );
        d.check("validation metric", model, c.ppv(), key("ppv"), 1e-12);
        d.check("validation metric", model, c.npv(), key("npv"), 1e-12);
        d.check(
            "validation metric",
            model,
            c.accuracy(),
            key("accuracy"),
            1e-12,
        );
    }
    d.report("youden");
}

#[test]
fn hosmer_lemeshow_matches_hoslem_test() {
    let data = Data::load();
    let d = MaxDiff::default();
    for set in SETS {
        let y = data.column("y", set);
        for model in MODELS {
            let hl = hosmer_lemeshow(&y, &data.column(model, set), 10).unwrap();
            let key = |q: &str| data.r(&format!("hl.{set}.{model}.{q}"));
            let what = format!("{set} {model}");
            d.check("HL statistic", &what, hl.statistic, key("statistic"), 1e-9);
            d.check("HL p", &what, hl.p_value, key("p"), 1e-9);
            assert_eq!(hl.df as f64, key("df"));
            assert_eq!(hl.groups.len() as f64, key("groups"), "{what}: groups");
            assert_eq!(hl.groups.iter().map(|g| g.n).sum::<usize>(), y.len());
        }
    }
    d.report("hosmer-lemeshow");
}

#[test]
fn calibration_matches_recalibration_glms() {
    let data = Data::load();
    let d = MaxDiff::default();
    let y = data.column("y", "validation");
    for model in MODELS {
        let cal = logistic_calibration(&y, &data.column(model, "validation")).unwrap();
        let key = |q: &str| data.r(&format!("calibration.validation.{model}.{q}"));
        d.check(
            "calibration intercept",
            model,
            cal.intercept,
            key("intercept"),
            1e-6,
        );
        d.check("calibration slope", model, cal.slope, key("slope"), 1e-6);
        d.check(
            "calibration slope-model intercept",
            model,
            cal.slope_model_intercept,
            key("slope_model_intercept"),
            1e-6,
        );
    }
    d.report("calibration");
}

#[test]
fn decision_curve_matches_net_benefit() {
    let data = Data::load();
    let d = MaxDiff::default();
    let reference = read_csv("decision_curve.csv");
    let grid = threshold_grid(0.01, 0.99, 0.01).unwrap();
    assert_eq!(
        grid,
        numbers(&reference, "threshold"),
        "seq(0.01, 0.99, 0.01)"
    );
    let curve = decision_curve(
        &data.column("y", "validation"),
        &data.column("combined", "validation"),
        &grid,
    )
    .unwrap();
    let model = numbers(&reference, "net_benefit_model");
    let all = numbers(&reference, "net_benefit_all");
    let none = numbers(&reference, "net_benefit_none");
    for (i, nb) in curve.iter().enumerate() {
        let what = format!("pt = {}", nb.threshold);
        d.check("net benefit (model)", &what, nb.model, model[i], 1e-12);
        d.check(
            "net benefit (treat all)",
            &what,
            nb.treat_all,
            all[i],
            1e-12,
        );
        d.check(
            "net benefit (treat none)",
            &what,
            nb.treat_none,
            none[i],
            1e-12,
        );
    }
    d.report("decision curve");
}

// ------------------------------------------------------------------ degenerate inputs

fn opts() -> LogisticOptions {
    LogisticOptions::default()
}

#[test]
fn one_outcome_class_is_a_clear_error() {
    let y = [0.0; 6];
    let x = [0.1, 0.5, 0.2, 0.9, 0.4, 0.3];
    let err = fit_logistic(&y, &[("x", &x)], None, &opts()).unwrap_err();
    assert!(matches!(err, StatsError::OneClass { class: 0, n: 6, .. }));
    let msg = err.to_string();
    eprintln!("one class: {msg}");
    assert!(
        msg.contains("only one class") && msg.contains("all 6 patients are 0"),
        "{msg}"
    );
    for err in [
        auc(&y, &x).unwrap_err(),
        youden(&[1.0; 6], &x).unwrap_err(),
        auc_delong_ci(&y, &x, 0.95).unwrap_err(),
    ] {
        assert!(err.to_string().contains("only one class"), "{err}");
    }
}

#[test]
fn perfect_separation_is_a_clear_error() {
    let x = [-2.0, -1.5, -1.0, -0.5, -0.2, 0.3, 0.6, 1.0, 1.4, 2.0];
    let y = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    let err = fit_logistic(&y, &[("rad_score", &x)], None, &opts()).unwrap_err();
    let msg = err.to_string();
    eprintln!("perfect separation: {msg}");
    assert!(matches!(err, StatsError::Separation { .. }), "{msg}");
    assert!(
        msg.contains("separation") && msg.contains("'rad_score'"),
        "{msg}"
    );
}

#[test]
fn quasi_complete_separation_is_a_clear_error() {
    // Every patient with flag = 1 has the event; flag = 0 patients have both outcomes.
    let flag = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
    let x = [0.3, -0.2, 1.1, 0.4, -0.7, 0.9, 0.1, -0.4, 0.6, 0.2];
    let y = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
    let err = fit_logistic(&y, &[("flag", &flag), ("x", &x)], None, &opts()).unwrap_err();
    let msg = err.to_string();
    eprintln!("quasi-complete separation: {msg}");
    assert!(matches!(err, StatsError::Separation { .. }), "{msg}");
    assert!(msg.contains("'flag'"), "{msg}");

    // With R's default tolerance the deviance criterion is met while 'flag' still drifts
    // (glm would return it silently); the post-convergence probe still rejects the fit.
    let loose = LogisticOptions {
        tolerance: 1e-8,
        ..opts()
    };
    let err = fit_logistic(&y, &[("flag", &flag), ("x", &x)], None, &loose).unwrap_err();
    let msg = err.to_string();
    eprintln!("quasi-complete separation, tolerance 1e-8: {msg}");
    assert!(matches!(err, StatsError::Separation { .. }), "{msg}");
    assert!(msg.contains("'flag'"), "{msg}");
}

#[test]
fn collinear_predictors_are_a_clear_error() {
    let a = [0.1, 0.5, 0.2, 0.9, 0.4, 0.3, 0.8, 0.7];
    let b: Vec<f64> = a.iter().map(|v| 2.0 * v + 1.0).collect();
    let y = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
    let err = fit_logistic(&y, &[("a", &a), ("b", &b)], None, &opts()).unwrap_err();
    let msg = err.to_string();
    eprintln!("collinear: {msg}");
    assert!(matches!(err, StatsError::SingularDesign(_)), "{msg}");
    assert!(msg.contains("'a'") && msg.contains("'b'"), "{msg}");

    let constant = [3.0; 8];
    let err = fit_logistic(&y, &[("c", &constant)], None, &opts()).unwrap_err();
    assert!(
        err.to_string().contains("collinear with the intercept"),
        "{err}"
    );
}

#[test]
fn non_binary_outcome_and_bad_probabilities_are_rejected() {
    let x = [0.1, 0.5, 0.2];
    let err = fit_logistic(&[0.0, 2.0, 1.0], &[("x", &x)], None, &opts()).unwrap_err();
    assert!(err.to_string().contains("patient 1 has 2"), "{err}");
    let err = logistic_calibration(&[0.0, 1.0, 1.0], &[0.2, 1.0, 0.5]).unwrap_err();
    assert!(err.to_string().contains("outside (0, 1)"), "{err}");
    let err = hosmer_lemeshow(&[0.0, 1.0], &[0.2], 10).unwrap_err();
    assert!(err.to_string().contains("length mismatch"), "{err}");
}
