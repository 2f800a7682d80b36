//! The baseline-characteristics table of a study ("Table 1"): per cohort (or for all patients)
//! and, within it, by group (usually the outcome), each variable's summary and a test of
//! the difference between the two groups — as R computes them
//! ([`crate::model::two_group`], [`crate::model::filter::welch_t`]).
//!
//! * A **continuous** variable: n, mean (SD), median [Q1, Q3] (R `quantile` type 7); Welch's
//!   t test (`t.test`) and the Wilcoxon rank-sum test (`wilcox.test` defaults).
//! * A **categorical** variable (text, or whole numbers with at most 5 distinct values, or
//!   named in `categorical`): counts and percentages per level (levels sorted as numbers
//!   where they all are, else as text); Pearson's χ² (`chisq.test`, Yates on 2×2) and
//!   Fisher's exact test (`fisher.test`).
//!
//! Missing cells are left out of each variable's summaries and tests (and counted).

use serde::{Deserialize, Serialize};

use super::dataset::{is_missing, Dataset};
use crate::error::{Error, Result};
use crate::model::filter::welch_t;
use crate::model::two_group::{chi_square, fisher_exact, quantile7, wilcoxon};

/// What to tabulate.
#[derive(Debug, Clone, Default)]
pub struct Table1Options {
    /// The column whose two values split each stratum (e.g. the 0/1 outcome).
    pub group: String,
    /// The column of strata (e.g. the cohort); `None`: all patients in one stratum.
    pub strata: Option<String>,
    /// Variables, in order; empty: every column but the group, strata and ID columns.
    pub vars: Vec<String>,
    /// Variables to treat as categorical whatever their values.
    pub categorical: Vec<String>,
}

/// Summary of a continuous variable in a set of patients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Continuous {
    /// Patients with a value.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1).
    pub sd: f64,
    /// Median.
    pub median: f64,
    /// First quartile (type 7).
    pub q1: f64,
    /// Third quartile (type 7).
    pub q3: f64,
}

/// Count of one level in a set of patients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    /// Patients at this level.
    pub n: usize,
    /// Percentage of the patients with a value.
    pub percent: f64,
}

/// One level of a categorical variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// The level as written.
    pub level: String,
    /// All patients of the stratum.
    pub overall: Count,
    /// Per group, in the order of [`Stratum::groups`].
    pub by_group: Vec<Count>,
}

/// One variable of a stratum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Variable {
    /// A continuous variable.
    Continuous {
        /// Column name.
        name: String,
        /// All patients of the stratum.
        overall: Continuous,
        /// Per group.
        by_group: Vec<Continuous>,
        /// Patients without a value.
        missing: usize,
        /// Welch t test p-value (`null` when undefined, e.g. a constant variable).
        welch_t_p: Option<f64>,
        /// Wilcoxon rank-sum p-value.
        wilcoxon_p: Option<f64>,
        /// Whether the Wilcoxon p-value is exact.
        wilcoxon_exact: Option<bool>,
    },
    /// A categorical variable.
    Categorical {
        /// Column name.
        name: String,
        /// Its levels.
        levels: Vec<Level>,
        /// Patients without a value.
        missing: usize,
        /// χ² statistic (Yates-corrected on 2×2).
        chi_square: Option<f64>,
        /// χ² p-value.
        chi_square_p: Option<f64>,
        /// Fisher's exact p-value.
        fisher_p: Option<f64>,
    },
}

/// A group of a stratum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The group column's value.
    pub value: String,
    /// Patients.
    pub n: usize,
}

/// One stratum (cohort).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stratum {
    /// The strata column's value (`all` without strata).
    pub stratum: String,
    /// Patients.
    pub n: usize,
    /// The two groups.
    pub groups: Vec<Group>,
    /// The variables.
    pub variables: Vec<Variable>,
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table1 {
    /// The group column.
    pub group: String,
    /// The strata column, if any.
    pub strata: Option<String>,
    /// One entry per stratum, in order of first appearance.
    pub strata_tables: Vec<Stratum>,
}

fn continuous(v: &[f64]) -> Continuous {
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    Continuous {
        n,
        mean,
        sd,
        median: quantile7(v, 0.5),
        q1: quantile7(v, 0.25),
        q3: quantile7(v, 0.75),
    }
}

/// Distinct values in first-appearance order.
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Builds Table 1 of `ds`.
///
/// # Errors
/// A missing column, a group column without exactly two values in a stratum, or a
/// continuous variable with text cells.
pub fn table1(ds: &Dataset, o: &Table1Options) -> Result<Table1> {
    let g = ds.column(&o.group)?;
    let s = o.strata.as_deref().map(|c| ds.column(c)).transpose()?;
    let vars: Vec<String> = if o.vars.is_empty() {
        ds.columns
            .iter()
            .filter(|c| {
                **c != o.group && Some(c.as_str()) != o.strata.as_deref() && c.as_str() != "ID"
            })
            .cloned()
            .collect()
    } else {
        o.vars.clone()
    };
    for v in vars.iter().chain(&o.categorical) {
        ds.column(v)?;
    }
    let stratum_of = |i: usize| s.map_or("all".to_string(), |c| ds.rows[i][c].clone());
    let strata = distinct((0..ds.rows.len()).map(stratum_of));
    let mut tables = Vec::new();
    for st in strata {
        let rows: Vec<usize> = (0..ds.rows.len())
            .filter(|&i| stratum_of(i) == st && !is_missing(&ds.rows[i][g]))
            .collect();
        let mut group_values = distinct(rows.iter().map(|&i| ds.rows[i][g].clone()));
        sort_levels(&mut group_values);
        if group_values.len() != 2 {
            return Err(Error::Table {
                path: ds.path.clone(),
                detail: format!(
                    "Table 1: column '{}' has {} value(s) in stratum '{st}' ({}); it must split the patients in two",
                    o.group,
                    group_values.len(),
                    group_values.join(", ")
                ),
            });
        }
        let in_group = |k: usize| -> Vec<usize> {
            rows.iter()
                .copied()
                .filter(|&i| ds.rows[i][g] == group_values[k])
                .collect()
        };
        let groups_rows = [in_group(0), in_group(1)];
        let mut variables = Vec::new();
        for v in &vars {
            variables.push(variable(ds, v, &rows, &groups_rows, o)?);
        }
        tables.push(Stratum {
            stratum: st,
            n: rows.len(),
            groups: group_values
                .iter()
                .zip(&groups_rows)
                .map(|(value, r)| Group {
                    value: value.clone(),
                    n: r.len(),
                })
                .collect(),
            variables,
        });
    }
    Ok(Table1 {
        group: o.group.clone(),
        strata: o.strata.clone(),
        strata_tables: tables,
    })
}

/// Levels sorted as numbers where every one is a number, else as text.
fn sort_levels(levels: &mut [String]) {
    if levels.iter().all(|l| l.parse::<f64>().is_ok()) {
        levels.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap()
                .total_cmp(&b.parse::<f64>().unwrap())
        });
    } else {
        levels.sort();
    }
}

fn variable(
    ds: &Dataset,
    name: &str,
    rows: &[usize],
    groups: &[Vec<usize>; 2],
    o: &Table1Options,
) -> Result<Variable> {
    let c = ds.column(name)?;
    let present = |r: &[usize]| -> Vec<usize> {
        r.iter()
            .copied()
            .filter(|&i| !is_missing(&ds.rows[i][c]))
            .collect()
    };
    let all = present(rows);
    let missing = rows.len() - all.len();
    let numbers: Option<Vec<f64>> = all.iter().map(|&i| ds.rows[i][c].parse().ok()).collect();
    let categorical = o.categorical.iter().any(|k| k == name)
        || match &numbers {
            None => true,
            Some(v) => {
                let d = distinct(v.iter().map(|x| x.to_string()));
                v.iter().all(|x| x.fract() == 0.0) && d.len() <= 5
            }
        };
    if !categorical {
        let values = |r: &[usize]| -> Result<Vec<f64>> { ds.numeric(name, &present(r)) };
        let (a, b) = (values(&groups[0])?, values(&groups[1])?);
        let overall = continuous(&values(rows)?);
        let indicator: Vec<f64> = a.iter().map(|_| 0.0).chain(b.iter().map(|_| 1.0)).collect();
        let joined: Vec<f64> = a.iter().chain(&b).copied().collect();
        let t = welch_t(&joined, &indicator).ok().map(|r| r.p_value);
        let w = wilcoxon(&a, &b).ok();
        return Ok(Variable::Continuous {
            name: name.to_string(),
            overall,
            by_group: vec![continuous(&a), continuous(&b)],
            missing,
            welch_t_p: t,
            wilcoxon_p: w.map(|w| w.p_value),
            wilcoxon_exact: w.map(|w| w.exact),
        });
    }
    let mut levels = distinct(all.iter().map(|&i| ds.rows[i][c].clone()));
    sort_levels(&mut levels);
    let count = |r: &[usize], level: &str| -> Count {
        let with = present(r);
        let n = with.iter().filter(|&&i| ds.rows[i][c] == level).count();
        Count {
            n,
            percent: 100.0 * n as f64 / with.len().max(1) as f64,
        }
    };
    let table: Vec<Vec<f64>> = levels
        .iter()
        .map(|l| {
            groups
                .iter()
                .map(|r| count(r, l).n as f64)
                .collect::<Vec<f64>>()
        })
        .collect();
    let chi = chi_square(&table).ok();
    Ok(Variable::Categorical {
        name: name.to_string(),
        levels: levels
            .iter()
            .map(|l| Level {
                level: l.clone(),
                overall: count(rows, l),
                by_group: groups.iter().map(|r| count(r, l)).collect(),
            })
            .collect(),
        missing,
        chi_square: chi.map(|c| c.statistic),
        chi_square_p: chi.map(|c| c.p_value),
        fisher_p: fisher_exact(&table).ok(),
    })
}

/// `x` with 1 decimal, or 2 below 10, or 3 below 1 (a reader's precision).
fn fmt_value(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        "NA".into()
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A p-value as journals print it (`<0.001` below 0.001).
pub fn fmt_p(p: Option<f64>) -> String {
    match p {
        None => "NA".into(),
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{p:.3}"),
    }
}

/// One line of a printed Table 1.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintedRow {
    /// The stratum (cohort).
    pub stratum: String,
    /// The variable (`n` for the patient counts).
    pub variable: String,
    /// What the line shows: `patients`, `mean (SD)`, `median [Q1, Q3]` or `sex = M`.
    pub statistic: String,
    /// All patients of the stratum, then the two groups.
    pub cells: [String; 3],
    /// The p-value, on the line of its test.
    pub p: String,
    /// The test (`Welch t`, `Wilcoxon`, `Wilcoxon (exact)`, `chi-square`, `Fisher`).
    pub test: String,
}

/// The lines of a printed Table 1, per stratum: the patient counts; each continuous variable
/// on two lines, mean (SD) with Welch's p and median [Q1, Q3] with Wilcoxon's; each
/// categorical one a line per level, the χ² p on the first and Fisher's on the second.
pub fn printed_rows(t: &Table1) -> Vec<PrintedRow> {
    let mut out = Vec::new();
    for st in &t.strata_tables {
        let row = |variable: &str, statistic: String, cells: [String; 3], p: String, test: &str| {
            PrintedRow {
                stratum: st.stratum.clone(),
                variable: variable.to_string(),
                statistic,
                cells,
                p,
                test: test.to_string(),
            }
        };
        out.push(row(
            "n",
            "patients".into(),
            [st.n, st.groups[0].n, st.groups[1].n].map(|n| n.to_string()),
            String::new(),
            "",
        ));
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
                    let all = [overall, &by_group[0], &by_group[1]];
                    out.push(row(
                        name,
                        "mean (SD)".into(),
                        all.map(|c| format!("{} ({})", fmt_value(c.mean), fmt_value(c.sd))),
                        fmt_p(*welch_t_p),
                        "Welch t",
                    ));
                    out.push(row(
                        name,
                        "median [Q1, Q3]".into(),
                        all.map(|c| {
                            format!(
                                "{} [{}, {}]",
                                fmt_value(c.median),
                                fmt_value(c.q1),
                                fmt_value(c.q3)
                            )
                        }),
                        fmt_p(*wilcoxon_p),
                        if *wilcoxon_exact == Some(true) {
                            "Wilcoxon (exact)"
                        } else {
                            "Wilcoxon"
                        },
                    ));
                }
                Variable::Categorical {
                    name,
                    levels,
                    chi_square_p,
                    fisher_p,
                    ..
                } => {
                    for (k, l) in levels.iter().enumerate() {
                        let (p, test) = match k {
                            0 => (fmt_p(*chi_square_p), "chi-square"),
                            1 => (fmt_p(*fisher_p), "Fisher"),
                            _ => (String::new(), ""),
                        };
                        out.push(row(
                            name,
                            format!("{name} = {}", l.level),
                            [&l.overall, &l.by_group[0], &l.by_group[1]]
                                .map(|c| format!("{} ({:.1}%)", c.n, c.percent)),
                            p,
                            test,
                        ));
                    }
                }
            }
        }
    }
    out
}

/// The table as CSV, one row per line of [`printed_rows`]: `stratum, variable, statistic,
/// overall, <group 0>, <group 1>, p, test`.
pub fn to_csv(t: &Table1) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    if let Some(first) = t.strata_tables.first() {
        out += &format!(
            "stratum,variable,statistic,overall,{},{},p,test\n",
            quote(&format!("{} = {}", t.group, first.groups[0].value)),
            quote(&format!("{} = {}", t.group, first.groups[1].value))
        );
    }
    for r in printed_rows(t) {
        let cells = [
            &r.stratum,
            &r.variable,
            &r.statistic,
            &r.cells[0],
            &r.cells[1],
            &r.cells[2],
            &r.p,
            &r.test,
        ];
        out += &cells.map(|c| quote(c)).join(",");
        out.push('\n');
    }
    out
}
