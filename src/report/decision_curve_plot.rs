//! Decision curves (Vickers & Elkin 2006): net benefit against threshold probability for
//! the models and the treat-all and treat-none strategies, with the y-axis clipped to a
//! readable range: from −0.05, or lower where a model's curve goes lower (down to minus the
//! largest net benefit, so the useful part stays readable), to a little above the largest
//! net benefit. Treat-all, which falls fast, is clipped.

use super::svg::{
    draw_legend, fmt_coord, fmt_number, labelled_ticks, legend_position, legend_size,
    no_data_figure, plot_canvas, series_color, series_dash, Axis, Corner, Frame, LegendEntry,
    Stroke, GREY, HEIGHT, WIDTH,
};
use super::{finite, in_range, invalid, ReportResult};
use crate::evaluate::decision_curve::NetBenefit;

const FIGURE: &str = "decision curve";
/// Highest lower end of the y-axis: net benefits below are clipped (treat-all drops fast)
/// unless a model's curve goes lower.
pub const Y_FLOOR: f64 = -0.05;

/// Net benefit of one model at every threshold of [`DecisionCurvePlot::thresholds`].
#[derive(Debug, Clone, PartialEq)]
pub struct NetBenefitSeries {
    /// Model name shown in the legend.
    pub name: String,
    /// Net benefit at each threshold.
    pub net_benefit: Vec<f64>,
}

/// Input of [`decision_curve_svg`].
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionCurvePlot {
    /// Figure title.
    pub title: String,
    /// Threshold probabilities, increasing, in [0, 1].
    pub thresholds: Vec<f64>,
    /// The models' curves.
    pub models: Vec<NetBenefitSeries>,
    /// Net benefit of treating everyone at each threshold.
    pub treat_all: Vec<f64>,
}

impl DecisionCurvePlot {
    /// Builds the input from [`crate::evaluate::decision_curve::decision_curve`] results,
    /// one `(name, curve)` per model, all on the same thresholds; treat-all is taken from
    /// the first curve.
    ///
    /// # Errors
    /// When the curves do not share the thresholds of the first one.
    pub fn from_curves(title: &str, curves: &[(&str, &[NetBenefit])]) -> ReportResult<Self> {
        let first = curves.first().map(|c| c.1).unwrap_or(&[]);
        let thresholds: Vec<f64> = first.iter().map(|nb| nb.threshold).collect();
        for (name, curve) in curves {
            let same = curve.len() == thresholds.len()
                && curve
                    .iter()
                    .zip(&thresholds)
                    .all(|(nb, &t)| nb.threshold == t);
            if !same {
                return Err(invalid(
                    FIGURE,
                    format!("curve '{name}' does not use the thresholds of the first curve"),
                ));
            }
        }
        Ok(DecisionCurvePlot {
            title: title.to_string(),
            thresholds,
            models: curves
                .iter()
                .map(|(name, curve)| NetBenefitSeries {
                    name: name.to_string(),
                    net_benefit: curve.iter().map(|nb| nb.model).collect(),
                })
                .collect(),
            treat_all: first.iter().map(|nb| nb.treat_all).collect(),
        })
    }
}

/// Rounds `v` down (`up = false`) or up to a multiple of `step`.
fn round_to(v: f64, step: f64, up: bool) -> f64 {
    let k = v / step;
    let k = if up {
        (k - 1e-9).ceil()
    } else {
        (k + 1e-9).floor()
    };
    k * step
}

/// y ticks over the frame's range, always labelling the clipping floor (`frame.y_min`) when
/// it is at least 16 px from the next tick.
fn y_ticks(frame: &Frame) -> Vec<(f64, String)> {
    let floor = frame.y_min;
    let mut ticks = labelled_ticks(frame.y_min, frame.y_max, 8);
    let floor_missing = ticks
        .first()
        .is_some_and(|t| (t.0 - floor).abs() > 1e-9 && frame.py(floor) - frame.py(t.0) >= 16.0);
    if floor_missing {
        ticks.insert(0, (floor, fmt_number(floor, 2)));
    }
    ticks
}

/// Decision curves of `plot`: x = threshold probability, y = net benefit from
/// [`Y_FLOOR`] (or lower, as far as the models' curves go, at most minus the largest net
/// benefit) to the largest net benefit plus a 10 % margin; one `<path class="series">`
/// per model, then treat-all (grey) and treat-none (black, y = 0), so there are
/// `models.len() + 2` series; curves are clipped to the plot area.
///
/// No thresholds gives a "no data" figure.
///
/// # Errors
/// A threshold outside [0, 1] or not increasing, a series whose length differs from the
/// thresholds, or a non-finite net benefit.
pub fn decision_curve_svg(plot: &DecisionCurvePlot) -> ReportResult<String> {
    let title = plot.title.as_str();
    let t = &plot.thresholds;
    if t.is_empty() {
        return Ok(no_data_figure(title, "no threshold probabilities"));
    }
    for (i, &v) in t.iter().enumerate() {
        in_range(FIGURE, || format!("threshold {i}"), v, 0.0, 1.0)?;
        if i > 0 && v <= t[i - 1] {
            return Err(invalid(
                FIGURE,
                format!(
                    "thresholds must increase, but threshold {i} is {v} after {}",
                    t[i - 1]
                ),
            ));
        }
    }
    let all: Vec<(&str, &[f64])> = plot
        .models
        .iter()
        .map(|m| (m.name.as_str(), m.net_benefit.as_slice()))
        .chain(std::iter::once(("treat all", plot.treat_all.as_slice())))
        .collect();
    let mut y_top = 0.0f64;
    for (name, nb) in &all {
        if nb.len() != t.len() {
            return Err(invalid(
                FIGURE,
                format!(
                    "'{name}' has {} net benefits for {} thresholds",
                    nb.len(),
                    t.len()
                ),
            ));
        }
        for (i, &v) in nb.iter().enumerate() {
            y_top = y_top.max(finite(
                FIGURE,
                || format!("net benefit of '{name}' at threshold {i}"),
                v,
            )?);
        }
    }
    // The models' curves stay in view down to minus the largest net benefit.
    let model_min = plot
        .models
        .iter()
        .flat_map(|m| m.net_benefit.iter().copied())
        .fold(f64::INFINITY, f64::min);
    let y_floor = if model_min < Y_FLOOR {
        let limit = -y_top.max(-Y_FLOOR);
        (model_min - 0.05 * (y_top - model_min)).max(limit)
    } else {
        Y_FLOOR
    };
    let y_max = y_top + ((y_top - y_floor) * 0.1).max(0.01);
    let (mut x_min, mut x_max) = (
        round_to(t[0], 0.1, false),
        round_to(t[t.len() - 1], 0.1, true),
    );
    if x_max - x_min < 0.1 {
        x_min = (x_min - 0.05).max(0.0);
        x_max = (x_max + 0.05).min(1.0);
    }
    let frame = Frame {
        left: 74.0,
        top: 44.0,
        right: WIDTH - 20.0,
        bottom: HEIGHT - 60.0,
        x_min,
        x_max,
        y_min: y_floor,
        y_max,
    };
    let mut svg = plot_canvas(
        title,
        &frame,
        Axis::new(labelled_ticks(x_min, x_max, 8), "Threshold probability"),
        Axis::new(y_ticks(&frame), "Net benefit"),
    );
    let mut entries = Vec::with_capacity(plot.models.len() + 2);
    for (i, m) in plot.models.iter().enumerate() {
        let pts: Vec<(f64, f64)> = t
            .iter()
            .copied()
            .zip(m.net_benefit.iter().copied())
            .collect();
        let stroke = Stroke {
            color: series_color(i),
            width: 2.2,
            dash: series_dash(i),
        };
        svg.path(&frame.path_data(&pts), stroke, "series", Some(&m.name));
        entries.push(LegendEntry::line(
            m.name.clone(),
            series_color(i),
            series_dash(i),
        ));
    }
    let pts: Vec<(f64, f64)> = t
        .iter()
        .copied()
        .zip(plot.treat_all.iter().copied())
        .collect();
    // Treat-all can leave the plot right away; keep an (empty-looking) element so that the
    // series count does not depend on the data.
    let d = frame.path_data(&pts);
    let d = if d.is_empty() {
        format!("M{} {}", fmt_coord(frame.left), fmt_coord(frame.bottom))
    } else {
        d
    };
    svg.path(&d, Stroke::solid(GREY, 1.6), "series", Some("Treat all"));
    entries.push(LegendEntry::line("Treat all", GREY, None));
    svg.path(
        &frame.path_data(&[(x_min, 0.0), (x_max, 0.0)]),
        Stroke::solid("#000000", 1.4),
        "series",
        Some("Treat none"),
    );
    entries.push(LegendEntry::line("Treat none", "#000000", None));
    let mut curves: Vec<Vec<(f64, f64)>> = plot
        .models
        .iter()
        .map(|m| {
            t.iter()
                .copied()
                .zip(m.net_benefit.iter().copied())
                .collect()
        })
        .collect();
    curves.push(pts);
    curves.push(vec![(x_min, 0.0), (x_max, 0.0)]);
    let curves: Vec<&[(f64, f64)]> = curves.iter().map(Vec::as_slice).collect();
    let corners = [
        Corner::TopRight,
        Corner::BottomLeft,
        Corner::TopLeft,
        Corner::BottomRight,
    ];
    let at = legend_position(&frame, legend_size(&entries), &curves, &corners);
    draw_legend(&mut svg, at, &entries);
    Ok(svg.finish())
}
