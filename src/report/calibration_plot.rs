//! Calibration plot: observed event fraction against mean predicted risk in risk groups
//! (e.g. the Hosmer–Lemeshow deciles), with Wilson 95 % intervals, the ideal diagonal,
//! optional smooth calibration curves (e.g. `rms::calibrate`'s apparent and bias-corrected
//! curves) and a caption with the calibration intercept, slope and Hosmer–Lemeshow p-value.

use super::svg::{
    draw_legend, fmt_number, fmt_p_value, labelled_ticks, legend_position, legend_size,
    no_data_figure, plot_canvas, series_color, Anchor, Axis, Corner, Frame, LegendEntry, Marker,
    Stroke, TextStyle, GREY, HEIGHT, WIDTH,
};
use super::{finite, in_range, invalid, ReportResult};
use crate::evaluate::hosmer_lemeshow::HosmerLemeshow;

const FIGURE: &str = "calibration plot";
/// Normal quantile for the 95 % Wilson interval.
const Z95: f64 = 1.959_963_984_540_054;

/// One risk group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationGroup {
    /// Mean predicted probability in the group, in [0, 1].
    pub mean_predicted: f64,
    /// Observed event fraction in the group, in [0, 1].
    pub observed: f64,
    /// Number of patients in the group (> 0).
    pub n: usize,
}

impl CalibrationGroup {
    /// The groups of a Hosmer–Lemeshow test: mean predicted `expected_events / n`, observed
    /// `observed_events / n` (empty groups are skipped).
    pub fn from_hosmer_lemeshow(hl: &HosmerLemeshow) -> Vec<Self> {
        hl.groups
            .iter()
            .filter(|g| g.n > 0)
            .map(|g| CalibrationGroup {
                mean_predicted: g.expected_events / g.n as f64,
                observed: g.observed_events / g.n as f64,
                n: g.n,
            })
            .collect()
    }

    /// Wilson score 95 % interval of the observed fraction (Wilson 1927).
    pub fn wilson_interval(&self) -> (f64, f64) {
        let n = self.n as f64;
        let p = self.observed;
        let z2 = Z95 * Z95;
        let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        ((centre - half).max(0.0), (centre + half).min(1.0))
    }
}

/// Input of [`calibration_svg`].
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationPlot {
    /// Figure title.
    pub title: String,
    /// Risk groups, in any order.
    pub groups: Vec<CalibrationGroup>,
    /// Calibration intercept (calibration-in-the-large), shown in the caption when present.
    pub intercept: Option<f64>,
    /// Calibration slope, shown in the caption when present.
    pub slope: Option<f64>,
    /// Hosmer–Lemeshow p-value, shown in the caption when present.
    pub hosmer_lemeshow_p: Option<f64>,
    /// Smooth calibration curves drawn over the groups, each named in the legend.
    pub curves: Vec<CalibrationCurveLine>,
}

/// A smooth calibration curve: observed against predicted probability.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationCurveLine {
    /// Legend label, e.g. `Bias-corrected (bootstrap)`.
    pub label: String,
    /// (predicted, observed) points in increasing predicted order, both in [0, 1]; a gap
    /// (undefined point) is left out.
    pub points: Vec<(f64, f64)>,
    /// Dash pattern, or solid.
    pub dash: Option<&'static str>,
}

impl CalibrationPlot {
    /// The caption line: e.g. `"Calibration intercept −0.12 · slope 0.91 · Hosmer–Lemeshow
    /// p = 0.43"`, only the statistics present; empty when none is.
    pub fn caption(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = self.intercept {
            parts.push(format!("Calibration intercept {}", fmt_number(a, 2)));
        }
        if let Some(b) = self.slope {
            let prefix = if parts.is_empty() {
                "Calibration slope"
            } else {
                "slope"
            };
            parts.push(format!("{prefix} {}", fmt_number(b, 2)));
        }
        if let Some(p) = self.hosmer_lemeshow_p {
            parts.push(format!("Hosmer\u{2013}Lemeshow p {}", fmt_p_value(p)));
        }
        parts.join(" \u{00b7} ")
    }
}

/// Calibration plot of `plot`: x = mean predicted probability, y = observed fraction, both
/// 0–1; the ideal diagonal (`class="reference"`); the groups joined by one
/// `<path class="series">`, each drawn as a dot (`class="group"`, area ∝ group size) with a
/// Wilson 95 % interval (`class="errorbar"`); the caption below the x-axis title.
///
/// No groups gives a "no data" figure.
///
/// # Errors
/// A group with `n = 0` or a probability that is not a finite number in [0, 1]; a
/// non-finite intercept or slope; a p-value outside [0, 1].
pub fn calibration_svg(plot: &CalibrationPlot) -> ReportResult<String> {
    let title = plot.title.as_str();
    if plot.groups.is_empty() {
        return Ok(no_data_figure(title, "no risk groups to show"));
    }
    for (i, g) in plot.groups.iter().enumerate() {
        in_range(
            FIGURE,
            || format!("mean predicted of group {i}"),
            g.mean_predicted,
            0.0,
            1.0,
        )?;
        in_range(
            FIGURE,
            || format!("observed fraction of group {i}"),
            g.observed,
            0.0,
            1.0,
        )?;
        if g.n == 0 {
            return Err(invalid(
                FIGURE,
                format!("group {i} has no patients (n = 0)"),
            ));
        }
    }
    if let Some(a) = plot.intercept {
        finite(FIGURE, || "calibration intercept".into(), a)?;
    }
    if let Some(b) = plot.slope {
        finite(FIGURE, || "calibration slope".into(), b)?;
    }
    if let Some(p) = plot.hosmer_lemeshow_p {
        in_range(FIGURE, || "Hosmer–Lemeshow p-value".into(), p, 0.0, 1.0)?;
    }
    for c in &plot.curves {
        for (k, &(x, y)) in c.points.iter().enumerate() {
            in_range(
                FIGURE,
                || format!("{}: predicted {k}", c.label),
                x,
                0.0,
                1.0,
            )?;
            // A smooth may overshoot [0, 1] slightly; the frame clips what lies outside.
            finite(FIGURE, || format!("{}: observed {k}", c.label), y)?;
        }
    }
    let mut groups = plot.groups.clone();
    groups.sort_by(|a, b| a.mean_predicted.total_cmp(&b.mean_predicted));
    let frame = Frame {
        left: 70.0,
        top: 44.0,
        right: WIDTH - 20.0,
        bottom: HEIGHT - 82.0,
        x_min: 0.0,
        x_max: 1.0,
        y_min: 0.0,
        y_max: 1.0,
    };
    let mut svg = plot_canvas(
        title,
        &frame,
        Axis::new(labelled_ticks(0.0, 1.0, 6), "Predicted probability"),
        Axis::new(labelled_ticks(0.0, 1.0, 6), "Observed fraction"),
    );
    svg.path(
        &frame.path_data(&[(0.0, 0.0), (1.0, 1.0)]),
        Stroke::dashed(GREY, 1.2, "5 4"),
        "reference",
        Some("Ideal"),
    );
    let color = series_color(0);
    let points: Vec<(f64, f64)> = groups
        .iter()
        .map(|g| (g.mean_predicted, g.observed))
        .collect();
    svg.path(
        &frame.path_data(&points),
        Stroke::solid(color, 1.6),
        "series",
        Some("Observed"),
    );
    let max_n = groups.iter().map(|g| g.n).max().unwrap_or(1) as f64;
    for g in &groups {
        let (lo, hi) = g.wilson_interval();
        let x = frame.px(g.mean_predicted);
        svg.line(
            (x, frame.py(lo)),
            (x, frame.py(hi)),
            Stroke::solid(color, 1.2),
            "errorbar",
        );
        let r = 2.5 + 4.5 * (g.n as f64 / max_n).sqrt();
        svg.circle((x, frame.py(g.observed)), r, color, "group");
    }
    let mut entries = vec![
        LegendEntry {
            marker: Marker::LinePoint,
            ..LegendEntry::line("Groups (95% CI; area \u{221d} n)", color, None)
        },
        LegendEntry::line("Ideal", GREY, Some("5 4")),
    ];
    let mut drawn: Vec<Vec<(f64, f64)>> = vec![points.clone()];
    for (i, c) in plot.curves.iter().enumerate() {
        let line_color = series_color(i + 1);
        let kept: Vec<(f64, f64)> = c
            .points
            .iter()
            .map(|&(x, y)| (x, y.clamp(0.0, 1.0)))
            .collect();
        svg.path(
            &frame.path_data(&kept),
            Stroke {
                color: line_color,
                width: 2.0,
                dash: c.dash,
            },
            "smooth",
            Some(&c.label),
        );
        entries.push(LegendEntry::line(c.label.clone(), line_color, c.dash));
        drawn.push(kept);
    }
    let corners = [Corner::TopLeft, Corner::BottomRight];
    let curves: Vec<&[(f64, f64)]> = drawn.iter().map(|c| c.as_slice()).collect();
    let at = legend_position(&frame, legend_size(&entries), &curves, &corners);
    draw_legend(&mut svg, at, &entries);
    let caption = plot.caption();
    if !caption.is_empty() {
        svg.text(
            WIDTH / 2.0,
            HEIGHT - 14.0,
            &caption,
            TextStyle::new(12.5, Anchor::Middle),
            Some("caption"),
        );
    }
    Ok(svg.finish())
}
