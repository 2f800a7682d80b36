//! ROC curves of several models on one plot, with the chance diagonal and each model's AUC
//! and 95 % confidence interval in the legend ("Combined: AUC 0.86 (0.79–0.93)").

use super::svg::{
    draw_legend, labelled_ticks, legend_position, legend_size, no_data_figure, plot_canvas,
    series_color, series_dash, Axis, Corner, Frame, LegendEntry, Stroke, GREY, HEIGHT, WIDTH,
};
use super::{in_range, invalid, ReportResult};
use crate::evaluate::roc::AucCi;
use crate::evaluate::threshold::RocPoint;

const FIGURE: &str = "ROC plot";

/// One model's ROC curve.
#[derive(Debug, Clone, PartialEq)]
pub struct RocSeries {
    /// Model name shown in the legend.
    pub name: String,
    /// Points (1 − specificity, sensitivity), each in [0, 1]. They are drawn in increasing
    /// (1 − specificity, sensitivity) order whatever order they are given in.
    pub points: Vec<(f64, f64)>,
    /// Area under the curve.
    pub auc: f64,
    /// Confidence interval of the AUC (lower, upper), shown in the legend when present.
    pub auc_ci: Option<(f64, f64)>,
}

impl RocSeries {
    /// A series from [`crate::evaluate::threshold::roc_curve`] and
    /// [`crate::evaluate::roc::auc_delong_ci`].
    pub fn from_curve(name: impl Into<String>, curve: &[RocPoint], auc: &AucCi) -> Self {
        RocSeries {
            name: name.into(),
            points: curve
                .iter()
                .map(|p| (1.0 - p.specificity, p.sensitivity))
                .collect(),
            auc: auc.auc,
            auc_ci: Some((auc.ci_low, auc.ci_high)),
        }
    }

    /// Legend text: `"name: AUC 0.86 (0.79–0.93)"`, two decimals, or `"name: AUC 0.86"`
    /// without an interval.
    pub fn legend_label(&self) -> String {
        match self.auc_ci {
            Some((lo, hi)) => format!(
                "{}: AUC {:.2} ({:.2}\u{2013}{:.2})",
                self.name, self.auc, lo, hi
            ),
            None => format!("{}: AUC {:.2}", self.name, self.auc),
        }
    }
}

/// Checks one series; returns its points sorted for drawing.
fn validated(i: usize, s: &RocSeries) -> ReportResult<Vec<(f64, f64)>> {
    if s.points.is_empty() {
        return Err(invalid(
            FIGURE,
            format!("series {i} ('{}') has no points", s.name),
        ));
    }
    in_range(FIGURE, || format!("AUC of '{}'", s.name), s.auc, 0.0, 1.0)?;
    if let Some((lo, hi)) = s.auc_ci {
        in_range(
            FIGURE,
            || format!("AUC CI lower limit of '{}'", s.name),
            lo,
            0.0,
            1.0,
        )?;
        in_range(
            FIGURE,
            || format!("AUC CI upper limit of '{}'", s.name),
            hi,
            0.0,
            1.0,
        )?;
        if lo > hi {
            return Err(invalid(
                FIGURE,
                format!(
                    "AUC CI of '{}' has lower limit {lo} above upper limit {hi}",
                    s.name
                ),
            ));
        }
    }
    for (k, &(x, y)) in s.points.iter().enumerate() {
        in_range(
            FIGURE,
            || format!("1 − specificity of '{}' point {k}", s.name),
            x,
            0.0,
            1.0,
        )?;
        in_range(
            FIGURE,
            || format!("sensitivity of '{}' point {k}", s.name),
            y,
            0.0,
            1.0,
        )?;
    }
    let mut pts = s.points.clone();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    Ok(pts)
}

/// ROC curves of `series` on one 600 × 450 plot: x = 1 − specificity, y = sensitivity,
/// both 0–1, the chance diagonal (`class="reference"`), one `<path class="series">` per
/// model and a legend with [`RocSeries::legend_label`] of each model.
///
/// No series gives a "no data" figure.
///
/// # Errors
/// A series without points, or a point, AUC or CI limit that is not a finite number in
/// [0, 1].
pub fn roc_svg(title: &str, series: &[RocSeries]) -> ReportResult<String> {
    if series.is_empty() {
        return Ok(no_data_figure(title, "no ROC curves to show"));
    }
    let sorted = series
        .iter()
        .enumerate()
        .map(|(i, s)| validated(i, s))
        .collect::<ReportResult<Vec<_>>>()?;
    let frame = Frame {
        left: 70.0,
        top: 44.0,
        right: WIDTH - 20.0,
        bottom: HEIGHT - 60.0,
        x_min: 0.0,
        x_max: 1.0,
        y_min: 0.0,
        y_max: 1.0,
    };
    let mut svg = plot_canvas(
        title,
        &frame,
        Axis::new(
            labelled_ticks(0.0, 1.0, 6),
            "1 \u{2212} specificity (false-positive rate)",
        ),
        Axis::new(
            labelled_ticks(0.0, 1.0, 6),
            "Sensitivity (true-positive rate)",
        ),
    );
    svg.path(
        &frame.path_data(&[(0.0, 0.0), (1.0, 1.0)]),
        Stroke::dashed(GREY, 1.2, "5 4"),
        "reference",
        Some("Chance"),
    );
    let mut entries = Vec::with_capacity(series.len() + 1);
    for (i, (s, pts)) in series.iter().zip(&sorted).enumerate() {
        let stroke = Stroke {
            color: series_color(i),
            width: 2.2,
            dash: series_dash(i),
        };
        svg.path(&frame.path_data(pts), stroke, "series", Some(&s.name));
        entries.push(LegendEntry::line(
            s.legend_label(),
            series_color(i),
            series_dash(i),
        ));
    }
    entries.push(LegendEntry::line("Chance", GREY, Some("5 4")));
    let curves: Vec<&[(f64, f64)]> = sorted.iter().map(Vec::as_slice).collect();
    let corners = [
        Corner::BottomRight,
        Corner::TopLeft,
        Corner::TopRight,
        Corner::BottomLeft,
    ];
    let at = legend_position(&frame, legend_size(&entries), &curves, &corners);
    draw_legend(&mut svg, at, &entries);
    Ok(svg.finish())
}
