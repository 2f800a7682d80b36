//! A score by group (e.g. the Radscore by outcome): per group a Tukey box plot (quartiles
//! by R's default type-7 quantiles, whiskers to the most extreme values within 1.5 IQR of
//! the box) over the patients' values as jittered dots, and a caption with a two-group
//! test's p-value.

use super::svg::{
    fmt_p_value, labelled_ticks, no_data_figure, padded_range, plot_canvas, series_color, Anchor,
    Axis, Frame, Stroke, TextStyle, HEIGHT, WIDTH,
};
use super::{finite, ReportResult};
use crate::model::two_group::quantile7;

const FIGURE: &str = "score by group";

/// Input of [`group_svg`].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPlot {
    /// Figure title.
    pub title: String,
    /// Label of the value axis (e.g. `Radscore`).
    pub value_label: String,
    /// The groups, left to right: label and values.
    pub groups: Vec<(String, Vec<f64>)>,
    /// Caption under the plot (e.g. the test and its p-value); empty for none.
    pub caption: String,
}

/// A deterministic jitter in [−1, 1] for the `i`-th point (a low-discrepancy sequence, so
/// that the same data always give the same figure).
fn jitter(i: usize) -> f64 {
    // The golden-ratio sequence spreads consecutive points evenly.
    let t = (i as f64 * 0.618_033_988_749_895).fract();
    2.0 * t - 1.0
}

/// The figure: one box per group (`<rect class="box">`, `<line class="median">`,
/// `<line class="whisker">`) and one `<circle class="point">` per value.
///
/// No group with values gives a "no data" figure.
///
/// # Errors
/// A value that is not a finite number.
pub fn group_svg(plot: &GroupPlot) -> ReportResult<String> {
    let title = plot.title.as_str();
    if plot.groups.iter().all(|(_, v)| v.is_empty()) {
        return Ok(no_data_figure(title, "no values to show"));
    }
    for (label, values) in &plot.groups {
        for (i, &v) in values.iter().enumerate() {
            finite(FIGURE, || format!("value {i} of group '{label}'"), v)?;
        }
    }
    let (lo, hi) = plot
        .groups
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let (y_min, y_max) = padded_range(lo, hi, 0.06, 0.5);
    let k = plot.groups.len() as f64;
    let frame = Frame {
        left: 74.0,
        top: 44.0,
        right: WIDTH - 20.0,
        bottom: HEIGHT - 82.0,
        x_min: 0.0,
        x_max: k,
        y_min,
        y_max,
    };
    let mut svg = plot_canvas(
        title,
        &frame,
        Axis::new(Vec::new(), ""),
        Axis::new(labelled_ticks(y_min, y_max, 7), &plot.value_label),
    );
    let slot = (frame.right - frame.left) / k;
    for (g, (label, values)) in plot.groups.iter().enumerate() {
        let centre = frame.left + slot * (g as f64 + 0.5);
        let color = series_color(g);
        svg.text(
            centre,
            frame.bottom + 19.0,
            &format!("{label} (n = {})", values.len()),
            TextStyle::new(12.0, Anchor::Middle),
            Some("group-label"),
        );
        if values.is_empty() {
            continue;
        }
        let q1 = quantile7(values, 0.25);
        let median = quantile7(values, 0.5);
        let q3 = quantile7(values, 0.75);
        let iqr = q3 - q1;
        let low = values
            .iter()
            .copied()
            .filter(|&v| v >= q1 - 1.5 * iqr)
            .fold(f64::INFINITY, f64::min);
        let high = values
            .iter()
            .copied()
            .filter(|&v| v <= q3 + 1.5 * iqr)
            .fold(f64::NEG_INFINITY, f64::max);
        let half = (slot * 0.22).min(70.0);
        for (i, &v) in values.iter().enumerate() {
            svg.raw(&format!(
                "<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"2.6\" fill=\"{color}\" \
                 fill-opacity=\"0.45\"/>\n",
                super::svg::fmt_coord(centre + jitter(i) * half * 0.9),
                super::svg::fmt_coord(frame.py(v))
            ));
        }
        let box_stroke = Stroke::solid("#222222", 1.4);
        for (a, b) in [(low, q1), (q3, high)] {
            svg.line(
                (centre, frame.py(a)),
                (centre, frame.py(b)),
                box_stroke,
                "whisker",
            );
        }
        for w in [low, high] {
            svg.line(
                (centre - half * 0.4, frame.py(w)),
                (centre + half * 0.4, frame.py(w)),
                box_stroke,
                "whisker",
            );
        }
        svg.raw(&format!(
            "<rect class=\"box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" \
             stroke=\"#222222\" stroke-width=\"1.4\"/>\n",
            super::svg::fmt_coord(centre - half),
            super::svg::fmt_coord(frame.py(q3)),
            super::svg::fmt_coord(2.0 * half),
            super::svg::fmt_coord(frame.py(q1) - frame.py(q3)),
        ));
        svg.line(
            (centre - half, frame.py(median)),
            (centre + half, frame.py(median)),
            Stroke::solid("#222222", 2.4),
            "median",
        );
    }
    if !plot.caption.is_empty() {
        svg.text(
            WIDTH / 2.0,
            HEIGHT - 14.0,
            &plot.caption,
            TextStyle::new(12.5, Anchor::Middle),
            Some("caption"),
        );
    }
    Ok(svg.finish())
}

/// The caption of a Wilcoxon rank-sum comparison: `Wilcoxon rank-sum p = 0.012`.
pub fn wilcoxon_caption(p: f64) -> String {
    format!("Wilcoxon rank-sum test p {}", fmt_p_value(p))
}
