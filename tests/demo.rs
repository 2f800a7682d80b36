//! The built-in study end to end through the binary: `gpurad demo` writes a synthetic cohort,
//! extracts it, selects the clinical factors, fits and validates the nomogram and writes a
//! report that parses as XML and holds every table and figure; a second run reuses the cohort and every extracted row.

mod common;

use std::process::Command;

use common::png_fonts_available;

fn demo(dir: &std::path::Path) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gpurad"))
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .args([
            "demo",
            "--patients",
            "200",
            "--progress",
            "log",
            "--device",
            "cpu",
            "-o",
        ])
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "demo failed:\n{stderr}");
    (String::from_utf8_lossy(&out.stdout).to_string(), stderr)
}

#[test]
fn demo_writes_a_readable_report_and_reruns_from_its_results() {
    let dir = tempfile::tempdir().unwrap();
    let (stdout, stderr) = demo(dir.path());
    assert!(
        stderr.contains("writing a synthetic cohort of 200 patients"),
        "{stderr}"
    );
    for line in [
        "train        combined",
        "validation   combined",
        "validation   DeLong",
    ] {
        assert!(stdout.contains(line), "summary lacks '{line}':\n{stdout}");
    }
    let manifest = std::fs::read_to_string(dir.path().join("data/manifest.csv")).unwrap();
    assert!(manifest.starts_with(
        "ID,Image_T1WI,Image_T2WI,Image_FST2WI,Mask,age,alp,metastatic,cohort,centre\n"
    ));
    assert_eq!(manifest.lines().count(), 201);

    let study = dir.path().join("study");
    let features = std::fs::read_to_string(study.join("features.csv")).unwrap();
    let header = features.lines().next().unwrap();
    for col in [
        "T1WI_original_glcm_JointEnergy",
        "FST2WI_original_ngtdm_Busyness",
        "T2WI_diagnostics_Device",
        "diagnostics_CaseKey",
        "error",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "features.csv lacks {col}"
        );
    }
    for f in [
        "model.json",
        "table1.json",
        "table1.csv",
        "harmonization.combat.json",
        "validation/metrics.json",
        "validation/predictions.csv",
    ] {
        assert!(study.join(f).is_file(), "{f}");
    }
    // Every figure is written as SVG and, beside it, as a 300 dpi PNG where a font is
    // installed (tests/report_png.rs covers the rendering itself).
    let pngs = png_fonts_available("the demo's PNG figures");
    let mut svgs = 0;
    for dir in [study.to_path_buf(), study.join("validation")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "svg") {
                svgs += 1;
                if !pngs {
                    continue;
                }
                let png = path.with_extension("png");
                let bytes =
                    std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
                assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", png.display());
            }
        }
    }
    assert_eq!(svgs, 4 + 13, "figures in the study and validation folders");

    // The report is well-formed XML (XHTML syntax) with the study's tables and figures.
    let html = std::fs::read_to_string(study.join("report.html")).unwrap();
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, options)
        .expect("report.html is well-formed");
    let figures: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("figure"))
        .filter_map(|n| n.attribute("id"))
        .collect();
    for id in [
        "roc_train",
        "roc_validation",
        "calibration_train",
        "calibration_validation",
        "calibration-clinical_train",
        "calibration-clinical_validation",
        "calibration-radscore_train",
        "calibration-radscore_validation",
        "radscore-by-outcome_train",
        "radscore-by-outcome_validation",
        "decision_curve_train",
        "decision_curve_validation",
        "nomogram",
        "lasso_path",
        "lasso_cv",
        "radscore_coefficients",
    ] {
        assert!(
            figures.contains(&id),
            "report lacks figure {id}: {figures:?}"
        );
    }
    let svgs = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "svg")
        .count();
    assert_eq!(svgs, 16, "each figure is an inline SVG");
    // The training cohort's calibration plot carries the bootstrap's apparent and
    // bias-corrected curves; the validation cohort's does not.
    let smooth_in = |id: &str| {
        doc.descendants()
            .find(|n| n.attribute("id") == Some(id))
            .map(|f| {
                f.descendants()
                    .filter(|n| n.attribute("class") == Some("smooth"))
                    .count()
            })
    };
    assert_eq!(smooth_in("calibration_train"), Some(2));
    assert_eq!(smooth_in("calibration_validation"), Some(0));
    // And a real browser draws every figure of the report.
    match common::browser::chromium() {
        Some(browser) => {
            let ids: Vec<&str> = figures.to_vec();
            common::browser::check_report_figures(
                &browser,
                &study.join("report.html"),
                &ids,
                &["nomogram"],
            );
        }
        None => common::skipped_because(
            "rendering the report in a browser",
            "no Chromium found (Debian: apt-get install chromium)",
        ),
    }
    let series = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("series"))
        .count();
    assert!(series >= 6, "figures draw data series ({series})");
    // The performance table follows its heading (Table 1's tables come before it).
    let heading = doc
        .descendants()
        .find(|n| n.has_tag_name("h2") && n.text() == Some("Performance"))
        .expect("a Performance heading");
    let performance = heading
        .next_siblings()
        .find(|n| n.has_tag_name("table"))
        .unwrap();
    let rows = performance
        .descendants()
        .filter(|n| n.has_tag_name("tr"))
        .count();
    assert_eq!(rows, 1 + 6, "performance: header + 3 models × 2 cohorts");
    let text: String = doc
        .descendants()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap())
        .collect();
    for s in [
        "DeLong tests",
        "Selected feature",
        "Combined (nomogram) model",
        "Radscore = ",
        "Clinical-factor selection",
        "Univariable OR (95% CI)",
        "Baseline characteristics",
        "age, median [Q1, Q3]",
        "Harmonisation",
        "Internal validation",
        "Confusion matrices",
        "Clinical predictors of the combined model:",
    ] {
        assert!(text.contains(s), "report lacks '{s}'");
    }

    // A second run reuses the cohort files and every extracted row.
    let (stdout2, stderr2) = demo(dir.path());
    assert!(
        stderr2.contains("reusing the synthetic cohort"),
        "{stderr2}"
    );
    assert!(stderr2.contains("200 reused"), "{stderr2}");
    assert_eq!(stdout, stdout2, "same results on the rerun");

    // An outcome corrected in the manifest after the run: `study` reuses every extracted row
    // but takes the outcome from the manifest, and refits on it.
    let events = |model: &std::path::Path| -> u64 {
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(model).unwrap()).unwrap();
        m["training"]["events"].as_u64().unwrap()
    };
    let before = events(&study.join("model.json"));
    let manifest_path = dir.path().join("data/manifest.csv");
    let mut lines: Vec<String> = manifest.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let (y, cohort) = (
        header.iter().position(|c| *c == "metastatic").unwrap(),
        header.iter().position(|c| *c == "cohort").unwrap(),
    );
    let k = (1..lines.len())
        .find(|&k| lines[k].split(',').nth(cohort) == Some("train"))
        .unwrap();
    let mut cells: Vec<String> = lines[k].split(',').map(String::from).collect();
    let flipped = if cells[y] == "1" { "0" } else { "1" };
    cells[y] = flipped.into();
    let id = cells[0].clone();
    lines[k] = cells.join(",");
    std::fs::write(&manifest_path, lines.join("\n") + "\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gpurad"))
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .args([
            "study",
            "--outcome",
            "metastatic",
            "--clinical",
            "age>60,alp>120",
        ])
        .args(["--device", "cpu", "--progress", "quiet", "--manifest"])
        .arg(&manifest_path)
        .arg("--params")
        .arg(dir.path().join("data/params.yaml"))
        .arg("-o")
        .arg(&study)
        .output()
        .unwrap();
    let stderr3 = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr3}");
    assert!(stderr3.contains("200 reused"), "{stderr3}");
    let mut r = csv::Reader::from_path(study.join("features.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let (id_col, y_col) = (
        h.iter().position(|c| c == "ID").unwrap(),
        h.iter().position(|c| c == "metastatic").unwrap(),
    );
    let row = r
        .records()
        .map(|x| x.unwrap())
        .find(|x| x[id_col] == id)
        .unwrap();
    assert_eq!(
        &row[y_col], flipped,
        "features.csv keeps the corrected outcome"
    );
    let after = events(&study.join("model.json"));
    let expected = if flipped == "1" {
        before + 1
    } else {
        before - 1
    };
    assert_eq!(
        after, expected,
        "the model is refitted on the corrected outcome"
    );
    // That study's fixed predictors are 0/1 indicators: the nomogram labels them No / Yes.
    let nomogram = std::fs::read_to_string(study.join("nomogram.svg")).unwrap();
    assert!(
        nomogram.contains(">No<") && nomogram.contains(">Yes<"),
        "binary axes lack No/Yes labels"
    );
}

/// 40 synthetic patients (20 for training): the Radscore separates the training outcomes, so
/// maximum likelihood has no estimates. The study still ends with a report: the models are
/// fitted by Firth's penalised likelihood with a note saying why, and the low events per
/// variable are flagged.
#[test]
fn a_separated_small_study_ends_with_a_report_fitted_by_firth() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gpurad"))
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .args([
            "demo",
            "--patients",
            "40",
            "--progress",
            "quiet",
            "--device",
            "cpu",
            "-o",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let study = dir.path().join("study");
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(study.join("model.json")).unwrap()).unwrap();
    let radscore = &model["models"]["radscore"];
    assert_eq!(radscore["method"], "firth", "{radscore}");
    assert!(
        radscore["note"].as_str().unwrap().contains("separation"),
        "{radscore}"
    );
    assert!(radscore["coefficients"][1].as_f64().unwrap().is_finite());
    assert!(model["warnings"][0]
        .as_str()
        .unwrap()
        .contains("events per variable"));
    let html = std::fs::read_to_string(study.join("report.html")).unwrap();
    assert!(html.contains("Firth's penalised likelihood"));
    assert!(html.contains("events per variable"));
}
