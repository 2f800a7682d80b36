//! Cohort batch extraction through the binary: multi-sequence manifests, bad cases mixed in,
//! a run killed with SIGKILL and resumed, and sharded runs merged — each compared with an
//! uninterrupted single run of the same manifest, byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{ibsi_phantom, pyradiomics_case};

fn gpurad() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gpurad"));
    c.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    c
}

/// Copies the inputs into `dir` and writes a two-sequence manifest of `n` patients cycling
/// through real cases (brain2, breast1, the IBSI phantom; all bundled), plus the given extra
/// rows.
fn cohort(dir: &Path, n: usize, extra_rows: &[&str]) -> PathBuf {
    let (b_img, b_mask) = pyradiomics_case("brain2");
    let (r_img, r_mask) = pyradiomics_case("breast1");
    let (ph_img, ph_mask) = ibsi_phantom();
    for (src, name) in [
        (b_img, "brain_img.nii.gz"),
        (b_mask, "brain_mask.nii.gz"),
        (r_img, "breast_img.nii.gz"),
        (r_mask, "breast_mask.nii.gz"),
        (ph_img, "ph_img.nii.gz"),
        (ph_mask, "ph_mask.nii.gz"),
    ] {
        std::fs::copy(src, dir.join(name)).unwrap();
    }
    std::fs::write(dir.join("corrupt.nii.gz"), b"\x1f\x8b\x08\x00not a nifti").unwrap();
    let mut text = String::from("ID,Image_T1WI,Image_T2WI,Mask,age,outcome,cohort\n");
    for i in 0..n {
        let case = ["brain", "breast", "ph"][i % 3];
        text += &format!(
            "P{i:03},{case}_img.nii.gz,{case}_img.nii.gz,{case}_mask.nii.gz,{},{},{}\n",
            40 + i % 37,
            i % 2,
            if i % 4 == 0 { "validation" } else { "train" }
        );
    }
    for r in extra_rows {
        text += r;
        text += "\n";
    }
    let m = dir.join("cases.csv");
    std::fs::write(&m, text).unwrap();
    m
}

fn extract(manifest: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    gpurad()
        .args([
            "extract",
            "--device",
            "cpu",
            "--progress",
            "log",
            "--manifest",
        ])
        .arg(manifest)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn rows(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    (h, r.records().map(|x| x.unwrap()).collect())
}

#[test]
fn multi_sequence_rows_and_bad_cases() {
    let dir = tempfile::tempdir().unwrap();
    let m = cohort(
        dir.path(),
        3,
        &[
            "corrupt,ph_img.nii.gz,corrupt.nii.gz,ph_mask.nii.gz,50,0,train",
            "mismatch,ph_img.nii.gz,brain_img.nii.gz,ph_mask.nii.gz,51,1,train",
            "nofile,ph_img.nii.gz,,ph_mask.nii.gz,52,0,train",
            "missing,ph_img.nii.gz,gone.nii.gz,ph_mask.nii.gz,53,1,train",
        ],
    );
    let out = dir.path().join("features.csv");
    let o = extract(&m, &out, &[]);
    assert_eq!(o.status.code(), Some(1), "failed cases give exit code 1");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    let (h, rows) = rows(&out);
    let col = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert_eq!(rows.len(), 7, "every case has a row, in manifest order");
    let ids: Vec<&str> = rows.iter().map(|r| &r[col("ID")]).collect();
    assert_eq!(
        ids,
        ["P000", "P001", "P002", "corrupt", "mismatch", "nofile", "missing"]
    );
    // Both sequences extracted from the same image: identical values under both prefixes,
    // equal to a single-image extraction of that image.
    let single = gpurad()
        .args(["extract", "--device", "cpu", "--image"])
        .arg(dir.path().join("brain_img.nii.gz"))
        .arg("--mask")
        .arg(dir.path().join("brain_mask.nii.gz"))
        .output()
        .unwrap();
    let single_csv = dir.path().join("single.csv");
    std::fs::write(&single_csv, &single.stdout).unwrap();
    let (sh, srows) = self::rows(&single_csv);
    let mut compared = 0;
    for (k, name) in sh.iter().enumerate() {
        if !name.starts_with("original_") {
            continue;
        }
        for seq in ["T1WI", "T2WI"] {
            assert_eq!(
                &rows[0][col(&format!("{seq}_{name}"))],
                &srows[0][k],
                "{seq}_{name}"
            );
        }
        compared += 1;
    }
    assert_eq!(compared, 107, "all default features under each prefix");
    for row in &rows[..3] {
        assert_eq!(&row[col("error")], "");
    }
    let error =
        |id: &str| rows.iter().find(|r| &r[col("ID")] == id).unwrap()[col("error")].to_string();
    assert!(error("corrupt").starts_with("T2WI: ") && error("corrupt").contains("corrupt.nii.gz"));
    assert!(
        error("mismatch").contains("do not match"),
        "{}",
        error("mismatch")
    );
    assert!(
        error("nofile").contains("column 'Image_T2WI'"),
        "{}",
        error("nofile")
    );
    assert!(
        error("missing").contains("gone.nii.gz"),
        "{}",
        error("missing")
    );
    let bad = rows.iter().find(|r| &r[col("ID")] == "corrupt").unwrap();
    assert_eq!(&bad[col("age")], "50", "passthrough kept on a failed row");
    assert_eq!(&bad[col("T1WI_original_firstorder_Mean")], "");
}

#[test]
fn killed_run_resumes_to_the_uninterrupted_table() {
    let dir = tempfile::tempdir().unwrap();
    let n = 45;
    let m = cohort(
        dir.path(),
        n,
        &["corrupt,ph_img.nii.gz,corrupt.nii.gz,ph_mask.nii.gz,50,0,train"],
    );
    let reference = dir.path().join("reference.csv");
    extract(&m, &reference, &["--jobs", "1"]);

    let out = dir.path().join("features.csv");
    let mut child = gpurad()
        .args([
            "extract",
            "--device",
            "cpu",
            "--jobs",
            "1",
            "--progress",
            "quiet",
        ])
        .arg("--manifest")
        .arg(&m)
        .arg("-o")
        .arg(&out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let lines = |p: &Path| {
        std::fs::read(p)
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .unwrap_or(0)
    };
    while lines(&out) < 6 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = lines(&out);
    assert!(
        at_kill > 1 && at_kill < n + 1,
        "killed mid-way: {at_kill} lines of {}",
        n + 2
    );

    let o = extract(&m, &out, &["--jobs", "1", "--resume"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("resuming:"), "{err}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&reference).unwrap(),
        "resumed table equals the uninterrupted run's"
    );
    // A second resume finds everything done except the failing case, which is retried.
    let o = extract(&m, &out, &["--resume"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{n} case(s) already done, 1 to extract")),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&reference).unwrap()
    );
}

#[test]
fn shards_merge_to_the_unsharded_table() {
    let dir = tempfile::tempdir().unwrap();
    let m = cohort(
        dir.path(),
        10,
        &["corrupt,ph_img.nii.gz,corrupt.nii.gz,ph_mask.nii.gz,50,0,train"],
    );
    let whole = dir.path().join("whole.csv");
    extract(&m, &whole, &[]);
    let mut parts = Vec::new();
    for k in 1..=3 {
        let p = dir.path().join(format!("shard{k}.csv"));
        extract(&m, &p, &["--shard", &format!("{k}/3")]);
        assert_eq!(rows(&p).1.len(), [4, 4, 3][k - 1], "shard {k}/3");
        parts.push(p);
    }
    let merged = dir.path().join("merged.csv");
    let merge = |files: &[&PathBuf]| {
        gpurad()
            .args(["merge", "--manifest"])
            .arg(&m)
            .arg("-o")
            .arg(&merged)
            .args(files)
            .output()
            .unwrap()
    };
    let o = merge(&[&parts[2], &parts[0], &parts[1]]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(&merged).unwrap(),
        std::fs::read(&whole).unwrap()
    );

    let o = merge(&[&parts[0], &parts[1]]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("3 case(s) of the manifest are in no shard"),
        "{err}"
    );
    let o = merge(&[&parts[0], &parts[1], &parts[2], &parts[0]]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("appear in more than one row: P000"),
        "{err}"
    );
}
