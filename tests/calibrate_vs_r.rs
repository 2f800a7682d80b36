//! R's `lowess` and `rms::calibrate` against their outputs
//! (`tests/fixtures/bootstrap/make_calibrate.R`): the smooth equals R's to 1e-12 (same
//! arithmetic on the same points, ties and robustness steps included); the apparent
//! calibration curve equals `calibrated.orig` to 1e-9 (the same lowess of the same fit,
//! whose coefficients agree to ~1e-10); the bias-corrected curve of one B = 2000 run lies
//! within five Monte-Carlo standard deviations of R's at every grid point (measured over ten
//! B = 2000 runs: the resamples differ, so only the distribution can agree), and so does its
//! mean absolute error.

use std::path::PathBuf;

use gpurad::model::bootstrap::validate;
use gpurad::model::lowess::lowess;

fn csv(path: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

fn num(s: &str) -> f64 {
    s.parse().unwrap()
}

#[test]
fn lowess_equals_r() {
    let rows = csv("tests/fixtures/bootstrap/lowess.csv");
    for set in ["1", "2", "3"] {
        let r: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == set).collect();
        let iter = r[0][1].parse::<usize>().unwrap();
        let x: Vec<f64> = r.iter().map(|r| num(&r[3])).collect();
        let y: Vec<f64> = r.iter().map(|r| num(&r[4])).collect();
        let (sx, sy) = lowess(&x, &y, 2.0 / 3.0, iter);
        assert_eq!(sx, x, "set {set}: sorted x");
        for (k, (got, row)) in sy.iter().zip(&r).enumerate() {
            let want = num(&row[5]);
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "set {set} (iter {iter}) point {k}: {got} vs R {want}"
            );
        }
    }
}

#[test]
fn calibration_curve_lies_within_the_spread_of_rms_calibrate() {
    let rows = csv("tests/fixtures/selection/cohort.csv");
    let col = |k: usize| rows.iter().map(|r| num(&r[k])).collect::<Vec<_>>();
    let y = col(1);
    let rad = col(2);
    let age60: Vec<f64> = col(3).iter().map(|&a| f64::from(a > 60.0)).collect();
    let alp120: Vec<f64> = col(4).iter().map(|&a| f64::from(a > 120.0)).collect();
    let preds = [
        ("Radscore", rad.as_slice()),
        ("age>60", &age60),
        ("alp>120", &alp120),
    ];
    let v = validate(&y, &preds, 2000, 11).unwrap();
    let cal = v
        .calibration
        .expect("a calibration curve for 100+ patients");
    let r = csv("tests/fixtures/bootstrap/calibrate.csv");
    assert_eq!(cal.predicted.len(), r.len());
    for (k, row) in r.iter().enumerate() {
        let (predy, apparent, mean, sd) = (num(&row[0]), num(&row[1]), num(&row[2]), num(&row[3]));
        assert!(
            (cal.predicted[k] - predy).abs() <= 1e-9,
            "grid {k}: {} vs R {predy}",
            cal.predicted[k]
        );
        assert!(
            (cal.apparent[k] - apparent).abs() <= 1e-9,
            "apparent at {predy}: {} vs R {apparent}",
            cal.apparent[k]
        );
        let got = cal.corrected[k].expect("defined inside the grid");
        assert!(
            (got - mean).abs() <= 5.0 * sd,
            "bias-corrected at {predy}: {got} vs R {mean} ± {sd}"
        );
        // Refits whose predictions do not reach a grid point leave it undefined.
        let (n_mean, n_sd) = (num(&row[4]), num(&row[5]));
        assert!(
            (cal.n[k] as f64 - n_mean).abs() <= 5.0 * n_sd.max(1.0),
            "{} refits at {predy} vs R {n_mean} ± {n_sd}",
            cal.n[k]
        );
    }
    let (mae, mae_sd) = (num(&r[0][6]), num(&r[0][7]));
    assert!(
        (cal.mean_absolute_error - mae).abs() <= 5.0 * mae_sd,
        "mean absolute error {} vs R {mae} ± {mae_sd}",
        cal.mean_absolute_error
    );
}
