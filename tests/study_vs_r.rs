//! The study pipeline end to end — `gpurad fit` then `gpurad validate` through the command
//! line — against the same pipeline done in R (`tests/fixtures/study/make_fixtures.R`:
//! training-set standardisation, `cv.glmnet` with the table's fold ids, the Radscore at
//! `lambda.min`, `glm` combined / clinical / Radscore models with `age>60` and `alp>120`,
//! pROC Youden thresholds on training, and on the external validation cohort AUC with DeLong
//! CI, sensitivity, specificity and paired DeLong tests).
//!
//! Tolerances: λ.min and λ.1se 1e-10 relative (both are values of the same λ path, picked
//! identically); Radscore and logistic coefficients 1e-6 absolute and SEs 1e-6 (the LASSO
//! is converged to a KKT residual of 1e-9, which bounds how far its coefficients — and so
//! everything downstream — can be from R's); AUC, CI and p-values 1e-6; the thresholds and
//! the sensitivity/specificity they give must agree exactly up to 1e-9.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

mod common;

fn expected() -> BTreeMap<String, f64> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/study/expected.csv"
    );
    let mut r = csv::Reader::from_path(p).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].parse().unwrap())
        })
        .collect()
}

fn gpurad(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_gpurad"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gpurad {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn close(what: &str, got: f64, want: f64, tol: f64, failures: &mut Vec<String>) {
    if (got - want).abs() > tol || got.is_nan() {
        failures.push(format!(
            "{what}: gpurad {got} vs R {want} (tolerance {tol:e})"
        ));
    }
}

/// The Radscore features a model.json kept, in its order.
fn kept_features(model: &serde_json::Value) -> Vec<&str> {
    model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect()
}

/// Runs `gpurad fit` on the fixture cohort (outcome, `age>60,alp>120`, the table's fold ids)
/// with `extra` options, writing `dir/model.json`; returns the model.
fn fit_fixture(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let model = dir.join("model.json");
    let mut args = vec![
        "fit",
        "--train",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/study/cohort.csv"
        ),
        "--outcome",
        "outcome",
        "--clinical",
        "age>60,alp>120",
        "--foldid-col",
        "fold",
        "-o",
        model.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    gpurad(&args);
    serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap()
}

#[test]
fn fit_and_validate_match_r() {
    let e = expected();
    let dir = tempfile::tempdir().unwrap();
    let cohort = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/study/cohort.csv"
    );
    let m = fit_fixture(dir.path(), &["--lambda", "min"]);
    let model = dir.path().join("model.json");
    let model_s = model.to_str().unwrap();
    let mut failures = Vec::new();
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    for k in ["lambda_min", "lambda_1se"] {
        let got = m[k].as_f64().unwrap();
        if rel(got, e[k]) > 1e-10 {
            failures.push(format!("{k}: gpurad {got} vs R {}", e[k]));
        }
    }
    close(
        "Radscore intercept",
        m["radscore"]["intercept"].as_f64().unwrap(),
        e["radscore_intercept"],
        1e-6,
        &mut failures,
    );
    let betas = m["radscore"]["coefficients"].as_object().unwrap();
    assert_eq!(
        betas.len() as f64,
        e["radscore_nonzero"],
        "number of Radscore features"
    );
    for (name, b) in betas {
        let key = format!("radscore_beta_{name}");
        let want = *e
            .get(&key)
            .unwrap_or_else(|| panic!("R did not select {name}"));
        close(&key, b.as_f64().unwrap(), want, 1e-6, &mut failures);
    }
    for model_name in ["combined", "clinical", "radscore"] {
        let mm = &m["models"][model_name];
        let coefs = mm["coefficients"].as_array().unwrap();
        for (k, c) in coefs.iter().enumerate() {
            let key = format!("{model_name}_coef_{}", k + 1);
            close(&key, c.as_f64().unwrap(), e[&key], 1e-6, &mut failures);
            let key = format!("{model_name}_se_{}", k + 1);
            close(
                &key,
                mm["se"][k].as_f64().unwrap(),
                e[&key],
                1e-6,
                &mut failures,
            );
        }
        let key = format!("{model_name}_threshold");
        close(
            &key,
            mm["threshold"].as_f64().unwrap(),
            e[&key],
            1e-6,
            &mut failures,
        );
    }

    let out = dir.path().join("val");
    let stdout = gpurad(&[
        "validate",
        "--model",
        model_s,
        "--data",
        cohort,
        "-o",
        out.to_str().unwrap(),
    ]);
    let summary = String::from_utf8_lossy(&stdout.stdout);
    assert!(
        summary.contains("validation") && summary.contains("AUC"),
        "{summary}"
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let val = metrics["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cohort"] == "validation")
        .expect("a validation cohort");
    for model_name in ["combined", "clinical", "radscore"] {
        let mm = &val["models"][model_name];
        close(
            &format!("{model_name} AUC"),
            mm["auc"].as_f64().unwrap(),
            e[&format!("{model_name}_val_auc")],
            1e-6,
            &mut failures,
        );
        close(
            &format!("{model_name} AUC CI low"),
            mm["auc_ci"][0].as_f64().unwrap(),
            e[&format!("{model_name}_val_auc_lo")],
            1e-6,
            &mut failures,
        );
        close(
            &format!("{model_name} AUC CI high"),
            mm["auc_ci"][1].as_f64().unwrap(),
            e[&format!("{model_name}_val_auc_hi")],
            1e-6,
            &mut failures,
        );
        for k in ["sensitivity", "specificity"] {
            close(
                &format!("{model_name} {k}"),
                mm[k].as_f64().unwrap(),
                e[&format!("{model_name}_val_{k}")],
                1e-9,
                &mut failures,
            );
        }
    }
    for other in ["clinical", "radscore"] {
        let key = format!("delong_combined_vs_{other}");
        close(
            &key,
            val["delong"][format!("combined_vs_{other}")]["p"]
                .as_f64()
                .unwrap(),
            e[&key],
            1e-6,
            &mut failures,
        );
    }
    let dc = val["decision_curve"].as_array().unwrap();
    assert_eq!(dc.len(), 99, "decision-curve thresholds 0.01..0.99");
    let preds = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    assert_eq!(preds.lines().count(), 161, "header + 160 patients");
    assert!(preds.starts_with("ID,cohort,outcome,radscore,p_combined,p_clinical,p_radscore"));
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for f in [
        "roc_train.svg",
        "roc_validation.svg",
        "calibration_validation.svg",
        "decision_curve_validation.svg",
        "nomogram.svg",
    ] {
        let svg = std::fs::read_to_string(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{f} is not well-formed: {e}"));
    }
    // Predicted nomogram points map back to the combined model's probability (rms: total
    // points / scale + linear predictor at 0 points).
    let pred = gpurad(&["predict", "--model", model_s, "--data", cohort]);
    let nomo = &m["nomogram"];
    let (pi, scale) = (
        nomo["points_intercept"].as_f64().unwrap(),
        nomo["scale"].as_f64().unwrap(),
    );
    let mut r = csv::Reader::from_reader(&pred.stdout[..]);
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (pc, pp) = (col("p_combined"), col("nomogram_points"));
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let (p, pts): (f64, f64) = (rec[pc].parse().unwrap(), rec[pp].parse().unwrap());
        let from_points = 1.0 / (1.0 + (-(pi + pts / scale)).exp());
        assert!(
            (from_points - p).abs() < 1e-12,
            "{}: points {pts} give {from_points}, model {p}",
            &rec[0]
        );
        n += 1;
    }
    assert_eq!(n, 160);
    for f in ["lasso_path.svg", "lasso_cv.svg", "nomogram.svg"] {
        assert!(
            Path::new(&dir.path().join(f)).exists(),
            "fit writes {f} beside model.json"
        );
    }
}

#[test]
fn filtered_fit_matches_r() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/study/expected_filtered.csv"
    );
    let mut r = csv::Reader::from_path(path).unwrap();
    let e: BTreeMap<String, String> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string())
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let m = fit_fixture(dir.path(), &["--filter", "mwu:0.2,spearman:0.6"]);
    let kept = kept_features(&m);
    assert_eq!(kept.join(" "), e["kept"], "features kept by the filters");
    assert_eq!(
        m["filters"][0]["kept"].as_u64().unwrap().to_string(),
        e["n_after_mwu"]
    );
    assert_eq!(m["filters"][1]["step"], "spearman:0.6");
    let num = |k: &str| e[k].parse::<f64>().unwrap();
    let mut failures = Vec::new();
    let rel = (m["lambda_min"].as_f64().unwrap() - num("lambda_min")).abs() / num("lambda_min");
    if rel > 1e-10 {
        failures.push(format!("lambda_min relative difference {rel:e}"));
    }
    close(
        "Radscore intercept",
        m["radscore"]["intercept"].as_f64().unwrap(),
        num("radscore_intercept"),
        1e-6,
        &mut failures,
    );
    let betas = m["radscore"]["coefficients"].as_object().unwrap();
    let expected_betas: Vec<(&String, &String)> = e
        .iter()
        .filter(|(k, _)| k.starts_with("radscore_beta_"))
        .collect();
    assert_eq!(betas.len(), expected_betas.len(), "non-zero coefficients");
    for (k, v) in expected_betas {
        let name = k.trim_start_matches("radscore_beta_");
        close(
            name,
            betas[name].as_f64().unwrap(),
            v.parse().unwrap(),
            1e-6,
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn icc_filter_matches_r() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/study");
    let expected: Vec<(String, f64)> = csv::Reader::from_path(format!("{dir}/expected_icc.csv"))
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].parse().unwrap())
        })
        .collect();
    // ICC values: the library against R's ANOVA mean squares (same formula, different
    // arithmetic: agreement to rounding, 1e-12).
    let (h, cohort) = common::csv_columns(std::path::Path::new(&format!("{dir}/cohort.csv")));
    let (_, repeat) = common::csv_columns(std::path::Path::new(&format!("{dir}/repeat.csv")));
    let ids = &repeat["ID"];
    let row_of = |id: &String| cohort["ID"].iter().position(|c| c == id).unwrap();
    assert!(h.iter().any(|c| c == "original_glcm_F01"));
    for (f, want) in &expected {
        let first: Vec<f64> = ids
            .iter()
            .map(|id| cohort[f][row_of(id)].parse().unwrap())
            .collect();
        let second: Vec<f64> = repeat[f].iter().map(|v| v.parse().unwrap()).collect();
        let got = gpurad::model::icc::icc_agreement(&[&first, &second]).unwrap();
        assert!((got - want).abs() <= 1e-12, "{f}: ICC {got} vs R {want}");
    }
    // The filter in `gpurad fit` keeps exactly the features with ICC ≥ 0.75.
    let out = tempfile::tempdir().unwrap();
    let repeat = format!("{dir}/repeat.csv");
    let m = fit_fixture(
        out.path(),
        &["--filter", "icc:0.75", "--icc-repeat", &repeat],
    );
    let kept = kept_features(&m);
    let want: Vec<&str> = expected
        .iter()
        .filter(|(_, icc)| *icc >= 0.75)
        .map(|(f, _)| f.as_str())
        .collect();
    assert_eq!(kept, want);
    assert_eq!(m["filters"][0]["step"], "icc:0.75");
}

/// Runs `gpurad fit` on `table` expecting it to fail; returns its error output.
fn fit_error(table: &Path, dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gpurad"))
        .args(["fit", "--outcome", "outcome", "--nfolds", "3", "--train"])
        .arg(table)
        .arg("-o")
        .arg(dir.join("m.json"))
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "fit on {} should fail",
        table.display()
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn fit_refuses_a_single_class_and_missing_values_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let one_class = dir.path().join("one.csv");
    let mut text = String::from("ID,outcome,f1,f2,f3\n");
    for i in 0..30 {
        text.push_str(&format!(
            "P{i},1,{},{},{}\n",
            i as f64 * 0.3,
            (i * 7 % 11) as f64,
            (i % 5) as f64
        ));
    }
    std::fs::write(&one_class, &text).unwrap();
    let err = fit_error(&one_class, dir.path());
    assert!(err.contains("one class"), "{err}");

    let missing = dir.path().join("missing.csv");
    std::fs::write(
        &missing,
        text.replacen("P3,1,0.8999999999999999", "P3,1,", 1)
            .replace(",1,", ",0,")
            .replacen("P4,0", "P4,1", 1),
    )
    .unwrap();
    let mut t2 = std::fs::read_to_string(&missing).unwrap();
    t2 = t2.replacen("P5,0,1.5,", "P5,1,NA,", 1);
    std::fs::write(&missing, t2).unwrap();
    let err = fit_error(&missing, dir.path());
    assert!(
        err.contains("'f1'") && err.contains("missing") && err.contains("--drop-incomplete"),
        "{err}"
    );
}
