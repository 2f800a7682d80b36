//! Bootstrap internal validation against R's `rms::validate`
//! (`tests/fixtures/bootstrap/make_fixtures.R`): the apparent indexes equal R's to 1e-6
//! relative (the same fit on the same data); the optimism-corrected Dxy, calibration
//! intercept and slope and Brier score of one B = 2000 run lie within five Monte-Carlo
//! standard deviations of R's (measured over ten B = 2000 runs) — the resamples differ, so
//! only the distribution can agree.

use std::path::PathBuf;

use gpurad::model::bootstrap::validate;

fn csv(path: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn corrected_indexes_lie_within_the_spread_of_rms_validate() {
    let rows = csv("tests/fixtures/selection/cohort.csv");
    // ID,y,Radscore,age,alp,sex,bmi,smoker
    let col = |k: usize| {
        rows.iter()
            .map(|r| r[k].parse::<f64>().unwrap())
            .collect::<Vec<_>>()
    };
    let y = col(1);
    let rad = col(2);
    let age60: Vec<f64> = col(3).iter().map(|&a| f64::from(a > 60.0)).collect();
    let alp120: Vec<f64> = col(4).iter().map(|&a| f64::from(a > 120.0)).collect();
    let preds = [
        ("Radscore", rad.as_slice()),
        ("age>60", &age60),
        ("alp>120", &alp120),
    ];
    let v = validate(&y, &preds, 2000, 7).unwrap();
    assert_eq!(v.b, 2000);
    assert!(v.successful >= 1990, "{} of 2000 fits", v.successful);
    for r in csv("tests/fixtures/bootstrap/expected.csv") {
        let name = r[0].as_str();
        let num = |k: usize| r[k].parse::<f64>().unwrap();
        let got = v.indexes.iter().find(|i| i.index == name).unwrap();
        let apparent = num(1);
        assert!(
            (got.apparent - apparent).abs() <= 1e-6 * apparent.abs().max(1e-3),
            "{name} apparent {} vs R {apparent}",
            got.apparent
        );
        let (mean, sd) = (num(2), num(3));
        assert!(
            (got.corrected - mean).abs() <= 5.0 * sd,
            "{name} corrected {} vs R {mean} ± {sd}",
            got.corrected
        );
    }
    // The same seed gives the same result; AUC = Dxy/2 + ½.
    let again = validate(&y, &preds, 2000, 7).unwrap();
    assert_eq!(v, again);
    let c = v.indexes.iter().find(|i| i.index == "C").unwrap();
    let dxy = v.indexes.iter().find(|i| i.index == "Dxy").unwrap();
    assert!((c.corrected - (dxy.corrected / 2.0 + 0.5)).abs() < 1e-12);
}
