//! The study's figures as SVG files: LASSO path and CV curve and the nomogram (from the
//! model), and per cohort the ROC curves of the three models, the calibration plot and the
//! decision curves (from the predictions).

use super::fit::Model;
use super::validate::Predictions;
use crate::error::{Error, Result};
use crate::evaluate::calibration::logistic_calibration;
use crate::evaluate::decision_curve::{decision_curve, threshold_grid};
use crate::evaluate::hosmer_lemeshow::hosmer_lemeshow;
use crate::evaluate::roc::auc_delong_ci;
use crate::evaluate::threshold::roc_curve;
use crate::model::bootstrap::{BootstrapValidation, CalibrationCurve};
use crate::model::two_group::wilcoxon;
use crate::report::group_plot::{group_svg, wilcoxon_caption, GroupPlot};
use crate::report::{
    calibration_svg, decision_curve_svg, lasso_cv_svg, lasso_path_svg, nomogram_svg, roc_svg,
    CalibrationCurveLine, CalibrationGroup, CalibrationPlot, DecisionCurvePlot, LassoCvPlot,
    LassoPathPlot, NomogramPlot, NomogramPredictor, RocSeries,
};

/// Resolution of the PNG copies of the figures.
pub const PNG_DPI: f64 = 300.0;

/// Writes each figure `(name.svg, SVG)` into `dir`, and beside it `name.png` rendered at
/// [`PNG_DPI`]. A figure that cannot be rendered (e.g. no font installed) keeps its SVG and
/// gets a warning on standard error naming the file and the cause; the study goes on.
///
/// # Errors
/// When a file cannot be written.
pub fn write_figures(dir: &std::path::Path, figures: &[(String, String)]) -> Result<()> {
    use rayon::prelude::*;
    // Rendering dominates: the figures are rendered in parallel, then written in order.
    let rendered: Vec<_> = figures
        .par_iter()
        .map(|(_, svg)| crate::report::png::svg_to_png(svg, PNG_DPI))
        .collect();
    for ((name, svg), png_bytes) in figures.iter().zip(rendered) {
        let path = dir.join(name);
        crate::io::output::write(&path, svg)?;
        let png = path.with_extension("png");
        match png_bytes {
            Ok(bytes) => crate::io::output::write(&png, bytes)?,
            Err(e) => {
                crate::note!("warning: {} not written: {e}", png.display());
            }
        }
    }
    Ok(())
}

fn fig(e: impl std::fmt::Display) -> Error {
    Error::Compute(format!("figure: {e}"))
}

/// Figures of the fitted model: `lasso_path.svg`, `lasso_cv.svg`, `nomogram.svg`.
pub fn model_figures(model: &Model) -> Result<Vec<(String, String)>> {
    let path = LassoPathPlot {
        title: "LASSO coefficient path".into(),
        lambdas: model.lambda_path.clone(),
        feature_names: model.features.clone(),
        coefficients: model.path_betas.clone(),
        chosen_lambda: Some(model.lambda),
    };
    let cv = LassoCvPlot {
        title: format!(
            "{}-fold cross-validation (binomial deviance)",
            model.cv.nfolds
        ),
        lambdas: model.lambda_path.clone(),
        mean_deviance: model.cv.cvm.clone(),
        sd: model.cv.cvsd.clone(),
        lambda_min: model.lambda_min,
        lambda_1se: model.lambda_1se,
        nonzero: crate::report::lasso_plot::nonzero_counts(&model.path_betas),
    };
    let n = &model.nomogram;
    let nomo = NomogramPlot {
        title: format!("Nomogram ({} model)", n.model),
        predictors: n
            .axes
            .iter()
            .map(|a| NomogramPredictor {
                name: a.name.clone(),
                // A 0/1 indicator (age > 60) reads No / Yes, as published nomograms label it.
                ticks: if a.values == [0.0, 1.0] {
                    vec![("No".into(), a.points[0]), ("Yes".into(), a.points[1])]
                } else {
                    a.values
                        .iter()
                        .zip(&a.points)
                        .map(|(v, p)| (format_value(*v), *p))
                        .collect()
                },
            })
            .collect(),
        total_points_range: n.total_points_range,
        risk_ticks: n.risk_ticks.clone(),
    };
    let coefficients: Vec<(String, f64)> = model
        .radscore
        .coefficients
        .iter()
        .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN)))
        .collect();
    Ok(vec![
        (
            "radscore_coefficients.svg".into(),
            crate::report::coefficient_plot::coefficient_svg(
                "Radscore coefficients",
                &coefficients,
            )
            .map_err(fig)?,
        ),
        ("lasso_path.svg".into(), lasso_path_svg(&path).map_err(fig)?),
        ("lasso_cv.svg".into(), lasso_cv_svg(&cv).map_err(fig)?),
        ("nomogram.svg".into(), nomogram_svg(&nomo).map_err(fig)?),
    ])
}

/// `rms::calibrate`'s apparent (lowess) and bias-corrected curves as plot lines.
fn bootstrap_lines(c: &CalibrationCurve, b: usize) -> Vec<CalibrationCurveLine> {
    let apparent = c
        .predicted
        .iter()
        .zip(&c.apparent)
        .filter(|(_, a)| a.is_finite())
        .map(|(&p, &a)| (p, a))
        .collect();
    let corrected = c
        .predicted
        .iter()
        .zip(&c.corrected)
        .filter_map(|(&p, a)| a.map(|a| (p, a)))
        .collect();
    vec![
        CalibrationCurveLine {
            label: "Apparent (lowess)".into(),
            points: apparent,
            dash: Some("6 3"),
        },
        CalibrationCurveLine {
            label: format!("Bias-corrected (bootstrap, B = {b})"),
            points: corrected,
            dash: None,
        },
    ]
}

/// `name` with every character but ASCII letters, digits and `-` replaced by `_`, for a
/// file name.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// An axis value as typeset: whole numbers without decimals, the minus sign U+2212 as on
/// every other axis of the report.
fn format_value(v: f64) -> String {
    let text = if v.fract() == 0.0 && v.abs() < 1e9 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    };
    text.replace('-', "\u{2212}")
}

/// Figures of one cohort: `roc_<cohort>.svg`; a calibration plot per model,
/// `calibration_<cohort>.svg` for the first (the combined model when it exists) and
/// `calibration-<model>_<cohort>.svg` for the others; `decision_curve_<cohort>.svg`. The
/// patients are those of `p` (with outcomes). `bootstrap`, given for the cohort the model
/// was fitted on, adds its apparent and bias-corrected smooth curves (`rms::calibrate`) to
/// the first model's calibration plot. Also `radscore-by-outcome_<cohort>.svg`: the
/// Radscore of the patients without and with the outcome (named `outcome`), with the
/// Wilcoxon rank-sum p-value.
pub fn cohort_figures(
    p: &Predictions,
    label: &str,
    outcome: &str,
    bootstrap: Option<&BootstrapValidation>,
) -> Result<Vec<(String, String)>> {
    let y = p
        .outcome
        .as_ref()
        .ok_or_else(|| Error::Compute("figures need the outcome".into()))?;
    let safe = file_safe(label);
    let mut series = Vec::new();
    for (name, probs) in &p.probabilities {
        let curve = roc_curve(y, probs).map_err(fig)?;
        let ci = auc_delong_ci(y, probs, 0.95).map_err(fig)?;
        series.push(RocSeries::from_curve(name.clone(), &curve, &ci));
    }
    let mut out = vec![(
        format!("roc_{safe}.svg"),
        roc_svg(&format!("ROC curves — {label}"), &series).map_err(fig)?,
    )];
    for (k, (model, probs)) in p.probabilities.iter().enumerate() {
        let hl = hosmer_lemeshow(y, probs, 10).ok();
        let cal = logistic_calibration(y, probs).ok();
        let groups = match &hl {
            Some(h) => CalibrationGroup::from_hosmer_lemeshow(h),
            None => Vec::new(),
        };
        let curves = match bootstrap.and_then(|v| v.calibration.as_ref().map(|c| (c, v.b))) {
            Some((c, b)) if k == 0 => bootstrap_lines(c, b),
            _ => Vec::new(),
        };
        let plot = CalibrationPlot {
            title: format!("Calibration ({model} model) — {label}"),
            groups,
            intercept: cal.map(|c| c.intercept),
            slope: cal.map(|c| c.slope),
            hosmer_lemeshow_p: hl.as_ref().map(|h| h.p_value),
            curves,
        };
        let name = if k == 0 {
            format!("calibration_{safe}.svg")
        } else {
            format!("calibration-{}_{safe}.svg", file_safe(model))
        };
        out.push((name, calibration_svg(&plot).map_err(fig)?));
    }
    let by_outcome = |event: f64| -> Vec<f64> {
        p.radscore
            .iter()
            .zip(y)
            .filter(|(_, &o)| o == event)
            .map(|(&r, _)| r)
            .collect()
    };
    let (without, with) = (by_outcome(0.0), by_outcome(1.0));
    let caption = wilcoxon(&without, &with)
        .map(|w| wilcoxon_caption(w.p_value))
        .unwrap_or_default();
    let groups = GroupPlot {
        title: format!("Radscore by outcome — {label}"),
        value_label: "Radscore".into(),
        groups: vec![
            (format!("{outcome} = 0"), without),
            (format!("{outcome} = 1"), with),
        ],
        caption,
    };
    out.push((
        format!("radscore-by-outcome_{safe}.svg"),
        group_svg(&groups).map_err(fig)?,
    ));
    let grid = threshold_grid(0.01, 0.99, 0.01).map_err(fig)?;
    let curves: Vec<(String, Vec<_>)> = p
        .probabilities
        .iter()
        .map(|(n, pr)| Ok((n.clone(), decision_curve(y, pr, &grid).map_err(fig)?)))
        .collect::<Result<_>>()?;
    let refs: Vec<(&str, &[_])> = curves
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    let dc = DecisionCurvePlot::from_curves(&format!("Decision curves — {label}"), &refs)
        .map_err(fig)?;
    out.push((
        format!("decision_curve_{safe}.svg"),
        decision_curve_svg(&dc).map_err(fig)?,
    ));
    Ok(out)
}
