//! The study report: one self-contained HTML file (inline CSS and SVG figures, no scripts,
//! no external resources) laid out like the results section of a radiomics nomogram paper —
//! performance table (AUC with DeLong 95% CI, sensitivity, specificity, PPV, NPV, accuracy,
//! Hosmer–Lemeshow, calibration), DeLong comparisons, the Radscore and its selected features,
//! the logistic models with odds ratios, the figures, and how the cohort was processed
//! (extraction, failures, filters, timings).
//!
//! The document is well-formed XML (XHTML syntax: escaped text, closed elements, numeric
//! character references only), so it can be checked by an XML parser as well as a browser.

use std::path::Path;

use crate::cohort;
use crate::study::fit::{LogisticSummary, Model};
use crate::study::validate::CohortMetrics;

/// Wall-clock seconds of each stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Feature extraction.
    pub extract: f64,
    /// Model fitting.
    pub fit: f64,
    /// Validation, figures and report.
    pub validate: f64,
}

/// Everything the report shows.
pub struct StudyReport<'a> {
    /// Title (first heading and `<title>`).
    pub title: &'a str,
    /// The manifest the cohort came from.
    pub manifest: &'a Path,
    /// The extraction run.
    pub extraction: &'a cohort::Summary,
    /// Patients whose extraction failed: (ID, cause).
    pub failed: &'a [(String, String)],
    /// The fitted model.
    pub model: &'a Model,
    /// Metrics per cohort.
    pub metrics: &'a [CohortMetrics],
    /// The plain-text summary table.
    pub summary: &'a str,
    /// Stage timings.
    pub timings: &'a Timings,
    /// Figures `(file name, SVG)`.
    pub figures: &'a [(String, String)],
    /// Label of the training cohort.
    pub train_value: &'a str,
    /// Baseline characteristics of the clinical variables, if any.
    pub table1: Option<&'a crate::study::table1::Table1>,
    /// With ComBat harmonisation: the metrics the same model has on the unharmonised
    /// features, for comparison.
    pub unharmonized: Option<&'a [CohortMetrics]>,
}

/// Escapes text for HTML/XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #222;
       max-width: 1280px; margin: 0 auto; padding: 24px 32px; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; border-bottom: 2px solid #0072B2; padding-bottom: 4px; margin-top: 1.8em; }
h3 { font-size: 1.05em; margin-bottom: 0.4em; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.92em; }
th, td { padding: 4px 10px; text-align: right; border-bottom: 1px solid #ddd; }
th { background: #f2f6fa; border-bottom: 2px solid #bbb; }
td.l, th.l { text-align: left; }
tr.group td { border-top: 2px solid #bbb; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px; }
figure { margin: 0; border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px; background: #fff; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 0.88em; color: #444; margin-top: 4px; }
code, pre { font-family: Menlo, Consolas, monospace; font-size: 0.88em; }
pre { background: #f7f7f7; padding: 10px; overflow-x: auto; }
.formula { font-family: Menlo, Consolas, monospace; font-size: 0.88em; background: #f7f7f7; padding: 10px; overflow-wrap: anywhere; }
.note { color: #555; font-size: 0.9em; }
.bad { color: #B00020; }
";

fn num(v: &serde_json::Value, digits: usize) -> String {
    v.as_f64()
        .map_or_else(|| "–".to_string(), |x| format!("{x:.digits$}"))
}

/// A proportion with its exact interval below it (`0.850` / `(0.721–0.934)`), as metrics.json
/// holds them under `key` and `key_ci`.
fn proportion(m: &serde_json::Value, key: &str) -> String {
    let ci = &m[format!("{key}_ci")];
    if ci.is_array() {
        format!(
            "{}<br/><span class=\"note\">({}–{})</span>",
            num(&m[key], 3),
            num(&ci[0], 3),
            num(&ci[1], 3)
        )
    } else {
        num(&m[key], 3)
    }
}

/// The confusion matrices at each model's training threshold: one small table per cohort,
/// a row per model with its true and false positives and negatives.
fn confusion_tables(metrics: &[CohortMetrics]) -> String {
    let mut h = String::from(
        "<h3>Confusion matrices</h3><table><thead><tr><th class=\"l\">Cohort</th>\
         <th class=\"l\">Model</th><th>True positive</th><th>False negative</th>\
         <th>False positive</th><th>True negative</th></tr></thead><tbody>",
    );
    for c in metrics {
        for (name, m) in &c.models {
            let n = |k: &str| m[k].as_u64().map_or("–".to_string(), |v| v.to_string());
            h += &format!(
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&c.cohort),
                escape(name),
                n("tp"),
                n("fn"),
                n("fp"),
                n("tn")
            );
        }
    }
    h += "</tbody></table>";
    h
}

fn p_value(p: f64) -> String {
    if p.is_nan() {
        "–".into()
    } else if p < 0.001 {
        "&lt; 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

fn performance_table(metrics: &[CohortMetrics], train_value: &str) -> String {
    let mut h = String::from(
        "<table><thead><tr><th class=\"l\">Cohort</th><th class=\"l\">Model</th><th>n (events)</th>\
         <th>AUC (95% CI)</th><th>Sensitivity</th><th>Specificity</th><th>PPV</th><th>NPV</th>\
         <th>Accuracy</th><th>H–L p</th><th>Calibration slope</th></tr></thead><tbody>",
    );
    for c in metrics {
        let role = if c.cohort == train_value {
            "training"
        } else {
            "validation"
        };
        for (i, (name, m)) in c.models.iter().enumerate() {
            let class = if i == 0 { " class=\"group\"" } else { "" };
            h += &format!(
                "<tr{class}><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{} ({})</td>\
                 <td>{} ({}–{})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td></tr>",
                if i == 0 && c.cohort.to_lowercase().starts_with(&role[..5]) {
                    // `train (training)` says nothing twice.
                    escape(&c.cohort)
                } else if i == 0 {
                    format!("{} <span class=\"note\">({role})</span>", escape(&c.cohort))
                } else {
                    String::new()
                },
                escape(name),
                c.n,
                c.events,
                num(&m["auc"], 3),
                num(&m["auc_ci"][0], 3),
                num(&m["auc_ci"][1], 3),
                proportion(m, "sensitivity"),
                proportion(m, "specificity"),
                proportion(m, "ppv"),
                proportion(m, "npv"),
                proportion(m, "accuracy"),
                m["hosmer_lemeshow"]["p"]
                    .as_f64()
                    .map_or("–".into(), p_value),
                num(&m["calibration"]["slope"], 2),
            );
        }
    }
    h += "</tbody></table>";
    h += "<p class=\"note\">AUC with DeLong 95% confidence interval; sensitivity, specificity, PPV, \
          NPV and accuracy (Clopper–Pearson exact 95% interval below each) at each model's \
          Youden-optimal threshold on the training cohort; \
          Hosmer–Lemeshow test with 10 groups; calibration slope of the logit of the predicted \
          probability.</p>";
    h += &confusion_tables(metrics);
    let mut rows = String::new();
    for c in metrics {
        for (k, v) in &c.delong {
            rows += &format!(
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td></tr>",
                escape(&c.cohort),
                escape(&k.replace("_vs_", " vs ")),
                num(&v["z"], 3),
                v["p"].as_f64().map_or("–".into(), p_value)
            );
        }
    }
    if !rows.is_empty() {
        h += "<h3>DeLong tests (paired, two-sided)</h3><table><thead><tr><th class=\"l\">Cohort</th>\
              <th class=\"l\">Comparison</th><th>z</th><th>p</th></tr></thead><tbody>";
        h += &rows;
        h += "</tbody></table>";
    }
    h
}

fn logistic_table(name: &str, s: &LogisticSummary) -> String {
    let mut h = format!(
        "<h3>{} model</h3><table><thead><tr><th class=\"l\">Term</th><th>β</th><th>SE</th>\
         <th>OR (95% CI)</th><th>p</th></tr></thead><tbody>",
        escape(name)
    );
    for i in 0..s.terms.len() {
        h += &format!(
            "<tr><td class=\"l\">{}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.terms[i]),
            s.coefficients[i],
            s.se[i],
            if i == 0 {
                "–".to_string()
            } else {
                format!("{:.2} ({:.2}–{:.2})", s.or[i], s.or_ci[i][0], s.or_ci[i][1])
            },
            p_value(s.p[i])
        );
    }
    let method = if s.method == "firth" {
        format!(
            " Fitted by Firth's penalised likelihood (R <code>logistf</code>): profile \
             penalised-likelihood 95% intervals, penalised likelihood-ratio p-values.{}",
            s.note
                .as_ref()
                .map_or(String::new(), |n| format!(" {}", escape(n)))
        )
    } else {
        String::new()
    };
    h += &format!(
        "</tbody></table><p class=\"note\">Youden threshold on the training cohort: {:.3}.{method}</p>",
        s.threshold
    );
    h
}

/// The univariable and multivariable table of the clinical-factor selection: one row per
/// term, its univariable OR (95% CI) and p, and its OR and p in the final multivariable
/// model (blank for a term that did not enter or was eliminated); the steps below.
fn selection_section(sel: &crate::study::selection::ClinicalSelection) -> String {
    let or = |r: &crate::study::selection::TermRow| {
        format!("{:.3} ({:.3}–{:.3})", r.or, r.or_ci[0], r.or_ci[1])
    };
    let mut h = String::from(
        "<h2>Clinical-factor selection</h2><table><thead><tr><th class=\"l\">Term</th>\
         <th>Univariable OR (95% CI)</th><th>p</th><th>Multivariable OR (95% CI)</th><th>p</th>\
         </tr></thead><tbody>",
    );
    for u in &sel.univariable {
        let m = sel.multivariable.iter().find(|m| m.term == u.term);
        h += &format!(
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&u.term),
            or(u),
            p_value(u.p),
            m.map_or(String::new(), or),
            m.map_or(String::new(), |m| p_value(m.p)),
        );
    }
    for f in &sel.univariable_failed {
        h += &format!(
            "<tr><td class=\"l\">{}</td><td colspan=\"4\" class=\"l\">not estimable: {}</td></tr>",
            escape(&f.term),
            escape(&f.error)
        );
    }
    h += "</tbody></table>";
    if !sel.univariable_groups.is_empty() {
        let tests: Vec<String> = sel
            .univariable_groups
            .iter()
            .map(|g| {
                format!(
                    "<code>{}</code>: likelihood-ratio χ² {:.2}, df {}, p {}",
                    escape(&g.term),
                    g.chi2,
                    g.df,
                    p_value(g.p)
                )
            })
            .collect();
        h += &format!(
            "<p class=\"note\">Categorical candidates, one indicator per level against the \
             smallest (the reference), entered and eliminated as one term by their \
             univariable likelihood-ratio test: {}.</p>",
            tests.join("; ")
        );
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter().map(|t| escape(t)).collect::<Vec<_>>().join(", ")
        }
    };
    let steps = if sel.steps.is_empty() {
        "no term was removed".to_string()
    } else {
        sel.steps
            .iter()
            .map(|s| {
                format!(
                    "{} removed (AIC {:.2} → {:.2})",
                    escape(&s.removed),
                    s.aic_before,
                    s.aic_after
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    h += &format!(
        "<p class=\"note\">Logistic regression on the training cohort, Wald 95% intervals. \
         Candidates with univariable p &lt; {} entered the multivariable model with the \
         Radscore: {}. Backward elimination on AIC (R's <code>step</code>, the Radscore kept): \
         {}. Final AIC {:.2}. Clinical predictors of the combined model: {}.</p>",
        sel.enter_p,
        list(&sel.entered),
        steps,
        sel.aic,
        list(&sel.selected)
    );
    if sel.method == "firth" {
        h += &format!(
            "<p class=\"note\">Multivariable models fitted by Firth's penalised likelihood \
             (AIC = −2 × penalised log-likelihood + 2k).{}</p>",
            sel.note
                .as_ref()
                .map_or(String::new(), |n| format!(" {}", escape(n)))
        );
    }
    h
}

/// Table 1: one table per cohort, the lines of [`crate::study::table1::printed_rows`].
fn table1_section(t: &crate::study::table1::Table1) -> String {
    let rows = crate::study::table1::printed_rows(t);
    let mut h = String::from("<h2>Baseline characteristics</h2>\n");
    for st in &t.strata_tables {
        h += &format!(
            "<h3>{}</h3><table><thead><tr><th class=\"l\">Variable</th><th>All</th>\
             <th>{} = {}</th><th>{} = {}</th><th>p</th><th class=\"l\">Test</th>\
             </tr></thead><tbody>",
            escape(&st.stratum),
            escape(&t.group),
            escape(&st.groups[0].value),
            escape(&t.group),
            escape(&st.groups[1].value),
        );
        for r in rows.iter().filter(|r| r.stratum == st.stratum) {
            let label = if r.variable == "n" {
                "Patients".to_string()
            } else if r.statistic.starts_with(&format!("{} = ", r.variable)) {
                r.statistic.clone()
            } else {
                format!("{}, {}", r.variable, r.statistic)
            };
            h += &format!(
                "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
                escape(&label),
                escape(&r.cells[0]),
                escape(&r.cells[1]),
                escape(&r.cells[2]),
                escape(&r.p),
                escape(&r.test)
            );
        }
        h += "</tbody></table>";
    }
    h += "<p class=\"note\">Continuous variables: mean (SD) with Welch's t test and median \
          [Q1, Q3] with the Wilcoxon rank-sum test (exact for fewer than 50 patients per group \
          without ties); categorical variables: n (%) with Pearson's χ² test (Yates-corrected \
          on 2×2 tables) and Fisher's exact test. As R's t.test, wilcox.test, chisq.test and \
          fisher.test.</p>";
    h
}

/// External validation with and without ComBat harmonisation: per non-training cohort and
/// model, AUC, calibration intercept and slope and the Hosmer–Lemeshow p.
fn harmonization_section(
    with: &[CohortMetrics],
    without: &[CohortMetrics],
    train_value: &str,
) -> String {
    let mut h = String::from(
        "<h2>Harmonisation</h2><table><thead><tr><th class=\"l\">Cohort</th>\
         <th class=\"l\">Model</th><th class=\"l\">Features</th><th>AUC</th>\
         <th>Calibration intercept</th><th>Calibration slope</th><th>H–L p</th></tr></thead><tbody>",
    );
    for (c, raw) in with.iter().zip(without) {
        if c.cohort == train_value {
            continue;
        }
        for (name, m) in &c.models {
            for (label, m) in [("unharmonised", &raw.models[name]), ("ComBat", m)] {
                h += &format!(
                    "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{label}</td>\
                     <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&c.cohort),
                    escape(name),
                    num(&m["auc"], 3),
                    num(&m["calibration"]["intercept"], 2),
                    num(&m["calibration"]["slope"], 2),
                    m["hosmer_lemeshow"]["p"].as_f64().map_or("–".into(), p_value),
                );
            }
        }
    }
    h += "</tbody></table><p class=\"note\">The same model applied to the validation \
          features as extracted and after ComBat harmonisation (R's sva::ComBat, parametric \
          empirical Bayes) with the training centre as the reference batch, whose features \
          are unchanged.</p>";
    h
}

/// Head of a table of validated indexes ([`index_rows`]).
const INDEX_TABLE_HEAD: &str = "<table><thead><tr><th class=\"l\">Index</th><th>Apparent</th>\
     <th>Training</th><th>Test</th><th>Optimism</th><th>Corrected</th></tr></thead><tbody>";

/// One table row per validated index (`rms::validate`'s columns).
fn index_rows(rows: &[crate::model::bootstrap::IndexRow]) -> String {
    rows.iter()
        .map(|r| {
            let label = match r.index.as_str() {
                "C" => "C (AUC)",
                "Intercept" => "Calibration intercept",
                "Slope" => "Calibration slope",
                "Brier" => "Brier score",
                other => other,
            };
            format!(
                "<tr><td class=\"l\">{}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr>",
                escape(label),
                r.apparent,
                r.training,
                r.test,
                r.optimism,
                r.corrected
            )
        })
        .collect()
}

/// The bootstrap internal validation of the nomogram's model (as `rms::validate`).
fn internal_validation_section(v: &crate::model::bootstrap::BootstrapValidation) -> String {
    let mut h = format!("<h2>Internal validation</h2>{INDEX_TABLE_HEAD}");
    h += &index_rows(&v.indexes);
    h += &format!(
        "</tbody></table><p class=\"note\">Bootstrap validation of the nomogram's model on the \
         training cohort (as R's <code>rms::validate</code>): the model refitted on {} resamples \
         ({} fitted; seed {}); optimism = mean index on the resample − on the original \
         patients; corrected = apparent − optimism. The Radscore's features and coefficients \
         are held fixed, so the LASSO's own optimism is not included.</p>",
        v.b, v.successful, v.seed
    );
    if let Some(c) = &v.calibration {
        h += &format!(
            "<p class=\"note\">Bias-corrected calibration curve (as R's \
             <code>rms::calibrate</code>, same resamples; drawn on the training cohort's \
             calibration plot): mean absolute error {:.3}, mean squared error {:.5}, 0.9 \
             quantile of the absolute error {:.3}.</p>",
            c.mean_absolute_error, c.mean_squared_error, c.quantile_90_error
        );
    }
    h
}

fn pipeline_validation_section(v: &crate::model::bootstrap::PipelineValidation) -> String {
    let mut h = format!("<h3>Whole pipeline</h3>{INDEX_TABLE_HEAD}");
    h += &index_rows(&v.indexes);
    h += &format!(
        "</tbody></table><p class=\"note\">The whole pipeline — feature filters, \
         cross-validated LASSO (folds drawn per patient), clinical-factor selection and the \
         models — refitted on each of {} bootstrap resamples ({} refitted; seed {}): the \
         honest optimism of a Radscore selected from many features. The refitted Radscores \
         kept {}–{} features (median {}).</p>",
        v.b, v.successful, v.seed, v.radscore_size[0], v.radscore_size[2], v.radscore_size[1]
    );
    if !v.failures.is_empty() {
        h += "<p class=\"note\">Refits that failed, by cause: ";
        h += &v
            .failures
            .iter()
            .map(|(m, c)| format!("{c} × {}", escape(m)))
            .collect::<Vec<_>>()
            .join("; ");
        h += ".</p>";
    }
    h += "<table><thead><tr><th class=\"l\">Radscore feature</th><th>Selected again</th></tr></thead><tbody>";
    for (f, share) in &v.feature_frequency {
        h += &format!(
            "<tr><td class=\"l\"><code>{}</code></td><td>{:.0}%</td></tr>",
            escape(f),
            100.0 * share
        );
    }
    h += "</tbody></table>";
    h
}

fn radscore_section(model: &Model) -> String {
    let mut h = format!(
        "<p>{} patients ({} events) in the training cohort; {} candidate features \
         (non-constant), {} after filtering, <b>{} selected</b> by the LASSO at λ = {:.4e} \
         ({:?} rule; λ.min = {:.4e}, λ.1se = {:.4e}; {}-fold cross-validation on binomial \
         deviance).</p>",
        model.training.n,
        model.training.events,
        model.candidates,
        model.features.len(),
        model.radscore.coefficients.len(),
        model.lambda,
        model.lambda_rule,
        model.lambda_min,
        model.lambda_1se,
        model.cv.nfolds
    );
    if !model.filters.is_empty() {
        h += "<table><thead><tr><th class=\"l\">Filter step</th><th>Features in</th>\
              <th>Kept</th><th>Removed</th></tr></thead><tbody>";
        for f in &model.filters {
            h += &format!(
                "<tr><td class=\"l\"><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&f.step),
                f.before,
                f.kept,
                f.removed.len()
            );
        }
        h += "</tbody></table>";
    }
    h += "<table><thead><tr><th class=\"l\">Selected feature</th><th>β (per SD)</th>\
          <th>Training mean</th><th>Training SD</th></tr></thead><tbody>";
    let mut selected: Vec<(&String, f64)> = model
        .radscore
        .coefficients
        .iter()
        .map(|(k, v)| (k, v.as_f64().unwrap_or(f64::NAN)))
        .collect();
    selected.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    for (name, beta) in selected {
        let j = model.features.iter().position(|f| f == name);
        let (m, s) = j.map_or((f64::NAN, f64::NAN), |j| {
            (model.standardization.mean[j], model.standardization.sd[j])
        });
        h += &format!(
            "<tr><td class=\"l\"><code>{}</code></td><td>{beta:+.4}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            short(m),
            short(s)
        );
    }
    h += "</tbody></table>";
    h += &image_type_table(model);
    h += &format!(
        "<p class=\"formula\">{}</p>",
        escape(&model.radscore.formula)
    );
    h
}

/// The image a feature column was computed on (`original`, `wavelet-LLH`,
/// `log-sigma-3-0-mm-3D`, …): the name part before the feature class, after any sequence
/// prefix (`T2WI_wavelet-LLH_glcm_Contrast` → `wavelet-LLH`). `None` for a column that is
/// not a radiomics feature name.
pub fn image_type_of(feature: &str) -> Option<&str> {
    let parts: Vec<&str> = feature.split('_').collect();
    let class = parts
        .iter()
        .rposition(|p| crate::features::registry::FeatureClass::from_name(p).is_some())?;
    (class >= 1 && class + 1 < parts.len()).then(|| parts[class - 1])
}

/// How many features of each image type entered the LASSO and how many the Radscore kept.
fn image_type_table(model: &Model) -> String {
    let mut rows: Vec<(&str, usize, usize)> = Vec::new();
    for f in &model.features {
        let t = image_type_of(f).unwrap_or("other");
        let i = match rows.iter().position(|r| r.0 == t) {
            Some(i) => i,
            None => {
                rows.push((t, 0, 0));
                rows.len() - 1
            }
        };
        rows[i].1 += 1;
        if model.radscore.coefficients.contains_key(f) {
            rows[i].2 += 1;
        }
    }
    if rows.len() < 2 {
        return String::new();
    }
    let kept: Vec<&str> = rows.iter().filter(|r| r.2 > 0).map(|r| r.0).collect();
    let mut h = format!(
        "<p>Image types in the Radscore: <b>{}</b>.</p>",
        escape(&kept.join(", "))
    );
    h += "<table><thead><tr><th class=\"l\">Image type</th><th>Features after filtering</th>\
          <th>In the Radscore</th></tr></thead><tbody>";
    for (t, n, k) in rows {
        h += &format!(
            "<tr><td class=\"l\"><code>{}</code></td><td>{n}</td><td>{k}</td></tr>",
            escape(t)
        );
    }
    h + "</tbody></table>"
}

fn short(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e5 || x.abs() < 1e-3) {
        format!("{x:.4e}")
    } else {
        format!("{x:.4}")
    }
}

fn caption(name: &str) -> String {
    let stem = name.trim_end_matches(".svg");
    let (kind, cohort) = stem.split_once('_').unwrap_or((stem, ""));
    match (kind, stem) {
        (_, "lasso_path") => "LASSO coefficient path (standardised features); the dashed line marks the chosen λ.".into(),
        (_, "lasso_cv") => "Cross-validated binomial deviance (mean ± SE) along the λ path, with λ.min and λ.1se.".into(),
        (_, "radscore_coefficients") => "The Radscore's features and their LASSO coefficients (per standard deviation of the feature), largest first.".into(),
        (_, "nomogram") => "Nomogram of the combined model: points per predictor, total points and predicted probability.".into(),
        ("roc", _) => format!("ROC curves, {} cohort.", escape(cohort)),
        ("radscore-by-outcome", _) => format!("Radscore of the patients without and with the outcome, {} cohort: box (quartiles, whiskers to 1.5 IQR) over each patient's value; Wilcoxon rank-sum test.", escape(cohort)),
        ("calibration", _) => format!("Calibration, {} cohort: deciles of predicted risk with 95% intervals; on the training cohort also the lowess curve and its bootstrap bias-corrected version (as rms::calibrate).", escape(cohort)),
        (k, _) if k.starts_with("calibration-") => format!("Calibration of the {} model, {} cohort: deciles of predicted risk with 95% intervals.", escape(k.trim_start_matches("calibration-")), escape(cohort)),
        ("decision", _) => format!("Decision curves, {} cohort: net benefit against threshold probability.", escape(cohort.trim_start_matches("curve_"))),
        _ => escape(stem),
    }
}

/// Renders the report (see the module documentation).
pub fn study_report(r: &StudyReport<'_>) -> String {
    let mut h = String::from("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
    h += &format!(
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(r.title)
    );
    h += &format!(
        "<h1>{}</h1>\n<p class=\"sub\">Outcome <code>{}</code>; clinical predictors {}; \
         manifest <code>{}</code>; gpurad {}.</p>\n",
        escape(r.title),
        escape(&r.model.outcome),
        if r.model.clinical.is_empty() {
            "none".to_string()
        } else {
            r.model
                .clinical
                .iter()
                .map(|c| format!("<code>{}</code>", escape(&c.name)))
                .collect::<Vec<_>>()
                .join(", ")
        },
        escape(&r.manifest.display().to_string()),
        crate::extract::VERSION
    );
    if let Some(t) = r.table1 {
        h += &table1_section(t);
    }
    h += "<h2>Performance</h2>\n";
    h += &performance_table(r.metrics, r.train_value);
    if let Some(v) = &r.model.internal_validation {
        h += &internal_validation_section(v);
    }
    if let Some(v) = &r.model.internal_validation_pipeline {
        if r.model.internal_validation.is_none() {
            h += "<h2>Internal validation</h2>";
        }
        h += &pipeline_validation_section(v);
    }
    if let Some(raw) = r.unharmonized {
        h += &harmonization_section(r.metrics, raw, r.train_value);
    }
    h += "<h2>Figures</h2>\n<div class=\"figures\">\n";
    let order = [
        "roc_",
        "calibration",
        "radscore-by-outcome",
        "decision_curve_",
        "nomogram",
        "lasso_path",
        "lasso_cv",
    ];
    let mut figs: Vec<&(String, String)> = r.figures.iter().collect();
    figs.sort_by_key(|(n, _)| {
        order
            .iter()
            .position(|p| n.starts_with(p))
            .unwrap_or(order.len())
    });
    for (name, svg) in figs {
        let body = svg.trim_start();
        let body = body
            .strip_prefix("<?xml")
            .and_then(|rest| rest.split_once("?>").map(|(_, b)| b.trim_start()))
            .unwrap_or(body);
        h += &format!(
            "<figure id=\"{}\">{body}<figcaption>{}</figcaption></figure>\n",
            escape(name.trim_end_matches(".svg")),
            caption(name)
        );
    }
    h += "</div>\n<h2>Radscore</h2>\n";
    h += &radscore_section(r.model);
    if let Some(sel) = &r.model.clinical_selection {
        h += &selection_section(sel);
    }
    for w in &r.model.warnings {
        h += &format!(
            "<p class=\"note\"><strong>Warning:</strong> {}</p>",
            escape(w)
        );
    }
    h += "<h2>Logistic models</h2>\n";
    if let Some(c) = &r.model.models.combined {
        h += &logistic_table("Combined (nomogram)", c);
    }
    if let Some(c) = &r.model.models.clinical {
        h += &logistic_table("Clinical", c);
    }
    h += &logistic_table("Radscore", &r.model.models.radscore);
    h += "<h2>Cohort processing</h2>\n";
    let e = r.extraction;
    h += &format!(
        "<p>{} patients in the manifest: {} extracted in this run, {} reused from an earlier \
         run of the same inputs and settings, <span class=\"{}\">{} failed</span>. \
         Time: extraction {:.1} s, model fitting {:.1} s, validation and report {:.1} s.</p>\n",
        e.cases,
        e.extracted,
        e.resumed,
        if r.failed.is_empty() { "" } else { "bad" },
        r.failed.len(),
        r.timings.extract,
        r.timings.fit,
        r.timings.validate
    );
    if !r.failed.is_empty() {
        h += "<table><thead><tr><th class=\"l\">Patient</th><th class=\"l\">Why the extraction \
              failed (left out of the model)</th></tr></thead><tbody>";
        for (id, why) in r.failed {
            h += &format!(
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
                escape(id),
                escape(why)
            );
        }
        h += "</tbody></table>\n";
    }
    // The plain-text summary is what the command prints; the tables above hold it all.
    h += "</body>\n</html>\n";
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_types_are_read_from_feature_names() {
        assert_eq!(image_type_of("original_glcm_Contrast"), Some("original"));
        assert_eq!(
            image_type_of("T2WI_wavelet-LLH_firstorder_Mean"),
            Some("wavelet-LLH")
        );
        assert_eq!(
            image_type_of("FS_T2_log-sigma-3-0-mm-3D_ngtdm_Busyness"),
            Some("log-sigma-3-0-mm-3D")
        );
        assert_eq!(image_type_of("age"), None);
        assert_eq!(image_type_of("glcm_Contrast"), None);
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\"'"), "a&lt;b &amp; &quot;c&quot;&#39;");
        assert_eq!(p_value(0.0004), "&lt; 0.001");
        assert_eq!(p_value(0.0421), "0.042");
    }
}
