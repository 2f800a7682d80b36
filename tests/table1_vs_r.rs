//! The baseline table against R (`tests/fixtures/table1/make_fixtures.R`): per cohort and
//! outcome group, n, mean, SD, median and quartiles (type 7), counts and percentages; Welch
//! t, Wilcoxon (exact and normal approximation), χ² (Yates on 2×2) and Fisher p-values.
//!
//! Tolerance 1e-9 relative: every quantity is a closed-form computation (sums, sorted order
//! statistics, a χ² or normal tail, exact enumerations) done by both sides in double
//! precision.

use std::collections::HashMap;
use std::path::PathBuf;

use gpurad::study::dataset::Dataset;
use gpurad::study::table1::{table1, Continuous, Table1Options, Variable};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/table1")
}

fn close(got: f64, want: f64, what: &str) {
    let d = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        d <= 1e-9 || got == want,
        "{what}: got {got}, R {want} (rel {d:e})"
    );
}

#[test]
fn table1_equals_r() {
    let expected: HashMap<(String, String, String), f64> =
        std::fs::read_to_string(dir().join("expected.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (
                    (f[0].into(), f[1].into(), f[2].into()),
                    f[3].parse().unwrap(),
                )
            })
            .collect();
    let ds = Dataset::read(&dir().join("cohort.csv")).unwrap();
    let t = table1(
        &ds,
        &Table1Options {
            group: "outcome".into(),
            strata: Some("cohort".into()),
            vars: vec![],
            categorical: vec![],
        },
    )
    .unwrap();
    let mut checked = 0;
    for st in &t.strata_tables {
        assert_eq!(st.groups[0].value, "0");
        let want = |v: &str, q: &str| -> f64 {
            *expected
                .get(&(st.stratum.clone(), v.to_string(), q.to_string()))
                .unwrap_or_else(|| panic!("R has no {} {v} {q}", st.stratum))
        };
        let names: Vec<&str> = st
            .variables
            .iter()
            .map(|v| match v {
                Variable::Continuous { name, .. } | Variable::Categorical { name, .. } => {
                    name.as_str()
                }
            })
            .collect();
        assert_eq!(names, ["age", "alp", "crp", "sex", "grade", "site"]);
        for v in &st.variables {
            match v {
                Variable::Continuous {
                    name,
                    overall,
                    by_group,
                    welch_t_p,
                    wilcoxon_p,
                    wilcoxon_exact,
                    ..
                } => {
                    let summary = |c: &Continuous, g: &str| {
                        let what = |q: &str| format!("{} {name} {q}_{g}", st.stratum);
                        assert_eq!(c.n as f64, want(name, &format!("n_{g}")));
                        close(c.mean, want(name, &format!("mean_{g}")), &what("mean"));
                        close(c.sd, want(name, &format!("sd_{g}")), &what("sd"));
                        close(
                            c.median,
                            want(name, &format!("median_{g}")),
                            &what("median"),
                        );
                        close(c.q1, want(name, &format!("q1_{g}")), &what("q1"));
                        close(c.q3, want(name, &format!("q3_{g}")), &what("q3"));
                    };
                    summary(overall, "all");
                    summary(&by_group[0], "0");
                    summary(&by_group[1], "1");
                    close(welch_t_p.unwrap(), want(name, "welch_p"), "Welch p");
                    close(wilcoxon_p.unwrap(), want(name, "wilcoxon_p"), "Wilcoxon p");
                    assert_eq!(
                        f64::from(u8::from(wilcoxon_exact.unwrap())),
                        want(name, "wilcoxon_exact"),
                        "{} {name}: exact or not",
                        st.stratum
                    );
                    checked += 1;
                }
                Variable::Categorical {
                    name,
                    levels,
                    chi_square,
                    chi_square_p,
                    fisher_p,
                    ..
                } => {
                    for l in levels {
                        for (k, g) in ["0", "1"].iter().enumerate() {
                            assert_eq!(
                                l.by_group[k].n as f64,
                                want(name, &format!("count_{}_{g}", l.level))
                            );
                        }
                        close(
                            l.overall.percent,
                            want(name, &format!("percent_{}_all", l.level)),
                            "percent",
                        );
                    }
                    close(chi_square.unwrap(), want(name, "chisq"), "chi-square");
                    close(chi_square_p.unwrap(), want(name, "chisq_p"), "chi-square p");
                    close(fisher_p.unwrap(), want(name, "fisher_p"), "Fisher p");
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 12);
}
