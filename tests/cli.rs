//! The `gpurad` binary: single-case output, batch manifests with failing cases, help texts.

mod common;

use std::process::Command;

use common::*;

fn gpurad() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gpurad"))
}

#[test]
fn single_case_csv_and_json() {
    let (img, mask) = pyradiomics_case("breast1");
    let out = gpurad()
        .args(["extract", "--image"])
        .arg(&img)
        .arg("--mask")
        .arg(&mask)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert!(header.contains(&"original_firstorder_Mean"));
    assert!(header.contains(&"original_shape_MeshVolume"));
    assert!(header.contains(&"diagnostics_Configuration_SettingsHash"));
    assert_eq!(text.lines().count(), 2);

    let out = gpurad()
        .args([
            "extract",
            "--format",
            "json",
            "--setting",
            "binWidth:5",
            "--image",
        ])
        .arg(&img)
        .arg("--mask")
        .arg(&mask)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["original_firstorder_Mean"].as_f64().unwrap() > 0.0);
    assert!(v["diagnostics_Configuration_Settings"]
        .as_str()
        .unwrap()
        .contains("\"binWidth\":5.0"));
}

#[test]
fn manifest_with_bad_cases_completes_and_records_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (img, mask) = pyradiomics_case("breast1");
    let (pimg, pmask) = pyradiomics_case("prostate");
    std::fs::copy(&img, dir.path().join("b_img.nii.gz")).unwrap();
    std::fs::copy(&mask, dir.path().join("b_mask.nii.gz")).unwrap();
    std::fs::write(
        dir.path().join("corrupt.nii.gz"),
        b"\x1f\x8b\x08\x00garbage",
    )
    .unwrap();
    let manifest = dir.path().join("cases.csv");
    std::fs::write(
        &manifest,
        format!(
            "ID,Image,Mask,age,outcome\n\
             good1,b_img.nii.gz,b_mask.nii.gz,64,1\n\
             corrupt,corrupt.nii.gz,b_mask.nii.gz,51,0\n\
             missing,nothere.nii.gz,b_mask.nii.gz,70,1\n\
             mismatch,b_img.nii.gz,{},58,0\n\
             good2,{},{},49,1\n",
            pmask.display(),
            pimg.display(),
            pmask.display()
        ),
    )
    .unwrap();
    let out_csv = dir.path().join("features.csv");
    let out = gpurad()
        .args(["extract", "--manifest"])
        .arg(&manifest)
        .arg("-o")
        .arg(&out_csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "some cases failed: exit code 1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let mut r = csv::Reader::from_path(&out_csv).unwrap();
    let headers = r.headers().unwrap().clone();
    let col = |n: &str| {
        headers
            .iter()
            .position(|h| h == n)
            .unwrap_or_else(|| panic!("no column {n}"))
    };
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 5, "every case has a row");
    let by_id = |id: &str| rows.iter().find(|r| &r[col("ID")] == id).unwrap();
    for id in ["good1", "good2"] {
        let row = by_id(id);
        assert_eq!(&row[col("error")], "", "{id}");
        assert!(row[col("original_firstorder_Mean")].parse::<f64>().is_ok());
    }
    assert_eq!(
        &by_id("good1")[col("age")],
        "64",
        "passthrough columns kept"
    );
    assert!(
        by_id("corrupt")[col("error")].contains("corrupt"),
        "{}",
        &by_id("corrupt")[col("error")]
    );
    assert!(by_id("missing")[col("error")].contains("nothere.nii.gz"));
    assert!(by_id("mismatch")[col("error")].contains("do not match"));
    assert_eq!(&by_id("mismatch")[col("outcome")], "0");
    assert_eq!(&by_id("corrupt")[col("original_firstorder_Mean")], "");
}

#[test]
fn bad_settings_fail_cleanly() {
    let (img, mask) = pyradiomics_case("breast1");
    let out = gpurad()
        .args(["extract", "--setting", "binWidht:5", "--image"])
        .arg(&img)
        .arg("--mask")
        .arg(&mask)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown setting 'binWidht'") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn help_explains_options() {
    let out = gpurad().args(["extract", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--image",
        "--mask",
        "--manifest",
        "--params",
        "--setting",
        "--label",
        "--format",
        "--output",
    ] {
        assert!(text.contains(opt), "help lacks {opt}");
    }
}

/// The study options added for the published study refuse bad values with the option named,
/// before reading the table (no unbounded bootstrap, no entry level outside (0, 1]).
#[test]
fn study_statistics_options_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t.csv");
    std::fs::write(&table, "ID,y,f_glcm_a,age\n1,0,1.5,50\n2,1,2.5,70\n").unwrap();
    for (args, want) in [
        (vec!["--bootstrap", "1000000000"], "--bootstrap 1000000000"),
        (
            vec!["--enter-p", "2", "--clinical-candidates", "age"],
            "--enter-p must be in (0, 1]",
        ),
    ] {
        let out = gpurad()
            .args(["fit", "--outcome", "y", "--train"])
            .arg(&table)
            .args(&args)
            .arg("-o")
            .arg(dir.path().join("m.json"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(want), "{stderr}");
    }
    let out = gpurad()
        .args([
            "study",
            "--harmonize",
            "combat",
            "--outcome",
            "y",
            "--manifest",
        ])
        .arg(&table)
        .arg("-o")
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("needs --batch-col"),
        "{stderr}"
    );
}
