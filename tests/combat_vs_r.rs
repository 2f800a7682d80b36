//! ComBat harmonisation against R's `sva::ComBat` (`tests/fixtures/combat/make_fixtures.R`):
//! parametric, parametric with a covariate, non-parametric, mean-only and with a reference
//! batch, whose patients must come back unchanged bit for bit. Later patients harmonised
//! with the saved fit equal the fitted ones.
//!
//! Tolerance 1e-6 relative: both sides run the same closed-form steps and the same
//! iteration with the same stopping rule (1e-4 relative change); what differs is the
//! rounding of two least-squares solvers (LAPACK's and nalgebra's LU), ~1e-13.

use std::path::PathBuf;

use gpurad::model::combat::{apply, combat, CombatOptions};

fn read(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/combat")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn combat_equals_sva() {
    let (_, rows) = read("data.csv");
    let batch: Vec<String> = rows.iter().map(|r| r[1].clone()).collect();
    let outcome: Vec<f64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
    let data: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r[3..].iter().map(|v| v.parse().unwrap()).collect())
        .collect();
    let cases: [(&str, bool, CombatOptions); 5] = [
        ("parametric", false, CombatOptions::default()),
        ("parametric_covariate", true, CombatOptions::default()),
        (
            "nonparametric",
            false,
            CombatOptions {
                nonparametric: true,
                ..Default::default()
            },
        ),
        (
            "mean_only",
            false,
            CombatOptions {
                mean_only: true,
                ..Default::default()
            },
        ),
        (
            "reference",
            true,
            CombatOptions {
                reference: Some("A".into()),
                ..Default::default()
            },
        ),
    ];
    for (name, with_covariate, options) in cases {
        let covariates = if with_covariate {
            vec![outcome.clone()]
        } else {
            vec![]
        };
        let (got, fit) = combat(&data, &batch, &covariates, &options).unwrap();
        let (_, want) = read(&format!("{name}.csv"));
        let mut worst = 0.0f64;
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            for (f, (a, b)) in g.iter().zip(&w[1..]).enumerate() {
                let b: f64 = b.parse().unwrap();
                let d = (a - b).abs() / b.abs();
                worst = worst.max(d);
                assert!(d <= 1e-6, "{name}: patient {i} feature {f}: {a} vs sva {b}");
            }
        }
        eprintln!("{name}: largest relative difference {worst:e}");
        if options.reference.is_some() {
            for (i, b) in batch.iter().enumerate() {
                if b == "A" {
                    let same = got[i]
                        .iter()
                        .zip(&data[i])
                        .all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "reference patient {i} changed");
                }
            }
        }
        // The saved fit harmonises the same patients the same way.
        let again = apply(&fit, &data, &batch, &covariates).unwrap();
        for (g, a) in got.iter().zip(&again) {
            for (x, y) in g.iter().zip(a) {
                assert!(
                    (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                    "{name}: {x} vs {y}"
                );
            }
        }
    }
}

#[test]
fn bad_input_is_refused_with_the_cause() {
    let data = vec![vec![1.0, 2.0], vec![2.0, 3.0], vec![3.0, 5.0]];
    let one = vec!["A".to_string(); 3];
    let e = combat(&data, &one, &[], &CombatOptions::default()).unwrap_err();
    assert!(e.to_string().contains("at least two batches"), "{e}");
    let two: Vec<String> = ["A", "B", "B"].map(String::from).to_vec();
    let e = combat(
        &data,
        &two,
        &[],
        &CombatOptions {
            reference: Some("Z".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("reference batch 'Z'"), "{e}");
    // A covariate equal to the batch indicator is confounded with it.
    let e = combat(
        &data,
        &two,
        &[vec![0.0, 1.0, 1.0]],
        &CombatOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("confounded"), "{e}");
}

#[test]
fn a_damaged_saved_fit_is_refused_not_used() {
    let data = vec![
        vec![1.0, 2.0],
        vec![2.0, 3.5],
        vec![3.0, 5.0],
        vec![4.0, 4.0],
    ];
    let batch: Vec<String> = ["A", "A", "B", "B"].map(String::from).to_vec();
    let (_, fit) = combat(&data, &batch, &[], &CombatOptions::default()).unwrap();
    let mut short = fit.clone();
    short.gamma_star[1].pop();
    let e = apply(&short, &data, &batch, &[]).unwrap_err();
    assert!(e.to_string().contains("does not have 2 features"), "{e}");
    let mut zero = fit.clone();
    zero.delta_star[0][0] = 0.0;
    let e = apply(&zero, &data, &batch, &[]).unwrap_err();
    assert!(e.to_string().contains("must be positive"), "{e}");
    let e = apply(&fit, &data, &batch[..3], &[]).unwrap_err();
    assert!(e.to_string().contains("per patient"), "{e}");
}
