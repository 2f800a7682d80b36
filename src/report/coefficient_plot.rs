//! The Radscore's coefficients as a horizontal bar chart: one bar per selected feature
//! (LASSO coefficient of the standardised feature), sorted by absolute size, positive and
//! negative in two palette colours, the feature's full name beside its bar. The figure
//! grows with the number of features and the longest name, so nothing is cut.

use super::svg::{
    fmt_coord, labelled_ticks, no_data_figure, series_color, text_width, Anchor, Stroke, Svg,
    TextStyle, HEIGHT, WIDTH,
};
use super::{finite, ReportResult};

const FIGURE: &str = "Radscore coefficients";
/// Least height of one bar's row.
const ROW: f64 = 18.0;
/// Font size of the feature names.
const NAME_SIZE: f64 = 11.0;
/// Least width of the plotting area.
const PLOT_WIDTH: f64 = 320.0;

/// The bar chart of `coefficients` (feature name, coefficient), titled `title`.
///
/// No coefficients gives a "no data" figure.
///
/// # Errors
/// A coefficient that is not a finite number.
pub fn coefficient_svg(title: &str, coefficients: &[(String, f64)]) -> ReportResult<String> {
    if coefficients.is_empty() {
        return Ok(no_data_figure(title, "no selected features"));
    }
    for (name, b) in coefficients {
        finite(FIGURE, || format!("coefficient of '{name}'"), *b)?;
    }
    let mut sorted: Vec<&(String, f64)> = coefficients.iter().collect();
    sorted.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    let name_width = sorted
        .iter()
        .map(|(n, _)| text_width(n, NAME_SIZE))
        .fold(0.0, f64::max);
    // At least the report's standard 600 × 450; larger for many or long names.
    let left = 16.0 + name_width + 10.0;
    let top = 44.0;
    let width = (left + PLOT_WIDTH + 24.0).max(WIDTH);
    let plot_width = width - left - 24.0;
    let height = (top + ROW * sorted.len() as f64 + 56.0).max(HEIGHT);
    let bottom = height - 56.0;
    let row = (bottom - top) / sorted.len() as f64;
    let bar = (row - 6.0).min(24.0);
    let lo = sorted.iter().map(|c| c.1).fold(0.0, f64::min);
    let hi = sorted.iter().map(|c| c.1).fold(0.0, f64::max);
    let ticks = labelled_ticks(lo, hi, 6);
    let x_min = ticks.first().map_or(lo, |t| t.0.min(lo));
    let x_max = ticks.last().map_or(hi, |t| t.0.max(hi));
    let span = if x_max > x_min { x_max - x_min } else { 1.0 };
    let px = |x: f64| left + (x - x_min) / span * plot_width;
    let mut svg = Svg::new(width, height, title);
    svg.title(title);
    let axis = Stroke::solid("#000000", 1.0);
    let grid = Stroke::solid("#e5e5e5", 0.8);
    for (v, label) in &ticks {
        let x = px(*v);
        svg.line((x, top), (x, bottom), grid, "grid");
        svg.line((x, bottom), (x, bottom + 5.0), axis, "tick");
        svg.text(
            x,
            bottom + 18.0,
            label,
            TextStyle::new(12.0, Anchor::Middle),
            Some("tick-label"),
        );
    }
    svg.line((left, bottom), (left + plot_width, bottom), axis, "axis");
    for (k, (name, b)) in sorted.iter().enumerate() {
        let y = top + row * k as f64;
        let (x0, x1) = (px(0.0).min(px(*b)), px(0.0).max(px(*b)));
        let color = if *b >= 0.0 {
            series_color(0)
        } else {
            series_color(1)
        };
        svg.raw(&format!(
            "<rect class=\"series\" data-name=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{color}\"/>",
            super::svg::escape(name),
            fmt_coord(x0),
            fmt_coord(y + (row - bar) / 2.0),
            fmt_coord((x1 - x0).max(0.5)),
            fmt_coord(bar)
        ));
        svg.text(
            left - 8.0,
            y + row / 2.0 + 4.0,
            name,
            TextStyle::new(NAME_SIZE, Anchor::End),
            Some("bar-label"),
        );
    }
    svg.line((px(0.0), top), (px(0.0), bottom), axis, "reference");
    svg.text(
        left + plot_width / 2.0,
        bottom + 40.0,
        "Coefficient (per SD of the feature)",
        TextStyle::new(13.0, Anchor::Middle),
        Some("axis-title"),
    );
    Ok(svg.finish())
}
