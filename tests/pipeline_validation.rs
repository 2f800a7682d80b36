//! Bootstrap validation of the whole pipeline (`--bootstrap-pipeline`) on a synthetic cohort
//! whose truth is known: one informative feature among 120 noise features, 100 patients and a clinical
//! factor. Refitting the LASSO on each resample exposes the optimism of the feature
//! selection that the fixed-Radscore bootstrap cannot see: the pipeline's AUC optimism is
//! larger, its corrected AUC lower, and the informative feature is the one selected again
//! most often. The result is reproducible from the seed.

use gpurad::study::clinical::Clinical;
use gpurad::study::dataset::Dataset;
use gpurad::study::fit::{FitOptions, LambdaRule};
use gpurad::study::pipeline_validation::fit_validated;

/// Uniform numbers in (0, 1) from SplitMix64 (Steele, Lea & Flood 2014).
struct Uniform(u64);

impl Uniform {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// 100 patients: `signal` shifts the log odds by 2 per SD, `age` by 0.04 per year; the
/// `noise_*` columns are independent of the outcome.
fn cohort(dir: &std::path::Path) -> std::path::PathBuf {
    let mut rng = Uniform(2026);
    let normal = |rng: &mut Uniform| {
        // Box–Muller from two uniforms in (0, 1).
        let (u1, u2) = (rng.next(), rng.next());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    let noise = 120;
    let mut csv = String::from("ID,outcome,age,signal");
    for k in 0..noise {
        csv.push_str(&format!(",noise_{k}"));
    }
    csv.push('\n');
    for i in 0..100 {
        let signal = normal(&mut rng);
        let age = 60.0 + 10.0 * normal(&mut rng);
        let eta = 2.0 * signal + 0.04 * (age - 60.0);
        let p = 1.0 / (1.0 + (-eta).exp());
        let y = u8::from(rng.next() < p);
        csv.push_str(&format!("P{i},{y},{age:.1},{signal:.6}"));
        for _ in 0..noise {
            csv.push_str(&format!(",{:.6}", normal(&mut rng)));
        }
        csv.push('\n');
    }
    let path = dir.join("cohort.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn options(b: usize) -> FitOptions {
    FitOptions {
        outcome: "outcome".into(),
        id: None,
        clinical: vec![Clinical::parse("age").unwrap()],
        clinical_candidates: Vec::new(),
        enter_p: 0.05,
        exclude: Vec::new(),
        cohort: None,
        train_value: "train".into(),
        foldid: None,
        nfolds: 5,
        seed: 7,
        lambda: LambdaRule::Min,
        drop_incomplete: false,
        filters: Vec::new(),
        repeats: Vec::new(),
        firth: false,
        bootstrap: 200,
        bootstrap_pipeline: b,
    }
}

#[test]
fn the_pipeline_bootstrap_sees_the_optimism_of_feature_selection() {
    let dir = tempfile::tempdir().unwrap();
    let ds = Dataset::read(&cohort(dir.path())).unwrap();
    let model = fit_validated(&ds, &options(40)).unwrap();
    let fixed = model.internal_validation.as_ref().unwrap();
    let pipeline = model.internal_validation_pipeline.as_ref().unwrap();
    assert_eq!(pipeline.b, 40);
    let failed: usize = pipeline.failures.iter().map(|(_, c)| c).sum();
    assert_eq!(pipeline.successful + failed, 40, "{:?}", pipeline.failures);
    assert!(pipeline.successful >= 30, "{:?}", pipeline.failures);
    let c = |rows: &[gpurad::model::bootstrap::IndexRow]| {
        rows.iter().find(|r| r.index == "C").unwrap().clone()
    };
    let (cf, cp) = (c(&fixed.indexes), c(&pipeline.indexes));
    // Both start from the same fitted model.
    assert!((cf.apparent - cp.apparent).abs() < 1e-12);
    // Selecting among 121 features on 100 patients is optimistic; holding the Radscore fixed
    // hides it.
    assert!(
        cp.optimism > cf.optimism + 0.01,
        "pipeline optimism {} vs fixed {}",
        cp.optimism,
        cf.optimism
    );
    assert!(cp.corrected < cf.corrected);
    assert!(cp.corrected > 0.5 && cp.corrected < cp.apparent);
    // The informative feature is found again in most resamples, more often than any noise
    // feature the final Radscore kept.
    let freq = &pipeline.feature_frequency;
    if let Some(signal) = freq.iter().find(|(f, _)| f == "signal") {
        assert_eq!(freq[0].0, "signal", "{freq:?}");
        assert!(signal.1 > 0.8, "{freq:?}");
    } else {
        panic!("the Radscore did not keep the informative feature: {freq:?}");
    }
    let [lo, median, hi] = pipeline.radscore_size;
    assert!(lo <= median && median <= hi && hi <= 121.0);
    // Reproducible from the seed (resample r uses stream r, whatever the thread count).
    let again = fit_validated(&ds, &options(40)).unwrap();
    assert_eq!(again.internal_validation_pipeline.as_ref(), Some(pipeline));
}

#[test]
fn resampled_patients_keep_unique_ids_and_too_many_resamples_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ds = Dataset::read(&cohort(dir.path())).unwrap();
    let r = ds.resampled(&[3, 3, 0, 3], Some("ID")).unwrap();
    assert_eq!(r.text("ID").unwrap(), vec!["P3", "P3#2", "P0", "P3#3"]);
    r.check_unique("ID").unwrap();
    let mut with_fold = r.clone();
    with_fold
        .add_column("fold", vec!["1".into(), "1".into(), "2".into(), "1".into()])
        .unwrap();
    assert!(with_fold
        .add_column("fold", vec![String::new(); 4])
        .is_err());
    assert!(with_fold
        .add_column("other", vec![String::new(); 3])
        .is_err());
    let e = fit_validated(&ds, &options(1_000_000))
        .unwrap_err()
        .to_string();
    assert!(e.contains("--bootstrap-pipeline"), "{e}");
}
