//! LASSO figures as in R's `plot.glmnet(xvar = "lambda")` and `plot.cv.glmnet`: the
//! coefficient path against log(λ) with the chosen λ marked, and the cross-validated
//! deviance (mean ± its standard error, R's `cvsd`) against log(λ) with λ.min and λ.1se
//! marked.

use super::svg::{
    draw_axes, draw_legend, draw_top_axis, fmt_number, labelled_ticks, legend_position,
    legend_size, no_data_figure, padded_range, plot_canvas, series_color, series_dash, Axis,
    Corner, Frame, LegendEntry, Marker, Stroke, Svg, GREY, HEIGHT, WIDTH,
};
use super::{finite, invalid, ReportResult};
use crate::model::lasso::{LassoCv, LassoPath};

const PATH_FIGURE: &str = "LASSO path";
const CV_FIGURE: &str = "LASSO cross-validation";
/// At most this many features are named in the path legend; the rest are summarised.
pub const MAX_LEGEND_FEATURES: usize = 30;
/// Colour of the paths of features the chosen λ does not keep.
const DROPPED: &str = "#c8c8c8";

/// Input of [`lasso_path_svg`].
#[derive(Debug, Clone, PartialEq)]
pub struct LassoPathPlot {
    /// Figure title.
    pub title: String,
    /// The λ values (> 0, any order).
    pub lambdas: Vec<f64>,
    /// Feature names, one per coefficient.
    pub feature_names: Vec<String>,
    /// Coefficients: one vector per λ, one value per feature (as `LassoPath::betas`).
    pub coefficients: Vec<Vec<f64>>,
    /// The λ finally chosen, marked by a vertical line.
    pub chosen_lambda: Option<f64>,
}

impl LassoPathPlot {
    /// The input from a fitted path, with the names of its features in fit order.
    pub fn from_path(
        title: &str,
        path: &LassoPath,
        feature_names: &[String],
        chosen_lambda: Option<f64>,
    ) -> Self {
        LassoPathPlot {
            title: title.to_string(),
            lambdas: path.lambdas.clone(),
            feature_names: feature_names.to_vec(),
            coefficients: path.betas.clone(),
            chosen_lambda,
        }
    }
}

/// Input of [`lasso_cv_svg`].
#[derive(Debug, Clone, PartialEq)]
pub struct LassoCvPlot {
    /// Figure title.
    pub title: String,
    /// The λ values (> 0).
    pub lambdas: Vec<f64>,
    /// Mean cross-validated deviance at each λ.
    pub mean_deviance: Vec<f64>,
    /// Its error (R's `cvsd`) at each λ; bars span mean ± this.
    pub sd: Vec<f64>,
    /// λ with the smallest mean deviance.
    pub lambda_min: f64,
    /// Largest λ within one standard error of the minimum.
    pub lambda_1se: f64,
    /// Non-zero coefficients at each λ (glmnet's `nzero`), shown on a top axis; empty for
    /// none.
    pub nonzero: Vec<usize>,
}

/// The number of non-zero coefficients of each coefficient vector.
pub fn nonzero_counts(betas: &[Vec<f64>]) -> Vec<usize> {
    betas
        .iter()
        .map(|b| b.iter().filter(|&&v| v != 0.0).count())
        .collect()
}

impl LassoCvPlot {
    /// The input from a cross-validation result.
    pub fn from_cv(title: &str, cv: &LassoCv) -> Self {
        LassoCvPlot {
            title: title.to_string(),
            lambdas: cv.path.lambdas.clone(),
            mean_deviance: cv.cvm.clone(),
            sd: cv.cvsd.clone(),
            lambda_min: cv.lambda_min,
            lambda_1se: cv.lambda_1se,
            nonzero: nonzero_counts(&cv.path.betas),
        }
    }
}

/// `v` with about three significant digits: `0.0123`, `1.23`, `123`, or `1.23e-5` outside
/// [0.001, 10⁴).
pub fn fmt_significant(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..1e4).contains(&a) {
        return format!("{v:.2e}").replace('-', "\u{2212}");
    }
    let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
    fmt_number(v, decimals)
}

/// Checks the λ values and returns their natural logarithms.
fn log_lambdas(figure: &'static str, lambdas: &[f64]) -> ReportResult<Vec<f64>> {
    lambdas
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            finite(figure, || format!("lambda {i}"), l)?;
            if l <= 0.0 {
                return Err(invalid(figure, format!("lambda {i} is {l}; λ must be > 0")));
            }
            Ok(l.ln())
        })
        .collect()
}

/// Natural log of a marked λ, checked.
fn log_marker(figure: &'static str, what: &str, l: f64) -> ReportResult<f64> {
    finite(figure, || what.to_string(), l)?;
    if l <= 0.0 {
        return Err(invalid(figure, format!("{what} is {l}; λ must be > 0")));
    }
    Ok(l.ln())
}

/// x range covering the log λ values and the markers, padded by 3 %.
fn x_range(logs: &[f64], markers: &[f64]) -> (f64, f64) {
    let lo = logs
        .iter()
        .chain(markers)
        .copied()
        .fold(f64::INFINITY, f64::min);
    let hi = logs
        .iter()
        .chain(markers)
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    padded_range(lo, hi, 0.03, 0.5)
}

/// Top of the plot frame: room for the title and, above the frame, glmnet's axis of
/// non-zero coefficient counts.
const FRAME_TOP: f64 = 76.0;

/// glmnet's top axis: at each bottom tick inside the λ range, the number of non-zero
/// coefficients at the λ nearest to it (on the log scale).
fn count_ticks(logs: &[f64], nonzero: &[usize], x_ticks: &[(f64, String)]) -> Vec<(f64, String)> {
    let (lo, hi) = logs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    x_ticks
        .iter()
        .filter(|(x, _)| (lo..=hi).contains(x))
        .filter_map(|&(x, _)| {
            let k = (0..logs.len())
                .min_by(|&a, &b| (logs[a] - x).abs().total_cmp(&(logs[b] - x).abs()))?;
            Some((x, nonzero[k].to_string()))
        })
        .collect()
}

/// Draws a vertical marker line at data x `x`.
fn vline(svg: &mut Svg, frame: &Frame, x: f64, stroke: Stroke, name: &str) {
    svg.path(
        &frame.path_data(&[(x, frame.y_min), (x, frame.y_max)]),
        stroke,
        "vline",
        Some(name),
    );
}

/// Longest legend label of the path figure, in characters: what fits the figure's width
/// under the plot (PyRadiomics names with a sequence prefix are at most about 60).
const MAX_LABEL_CHARS: usize = 72;

/// A feature name as the legend shows it: whole, or cut to [`MAX_LABEL_CHARS`] with an
/// ellipsis when longer.
fn legend_label(name: &str) -> String {
    if name.chars().count() <= MAX_LABEL_CHARS {
        name.to_string()
    } else {
        let cut: String = name.chars().take(MAX_LABEL_CHARS - 1).collect();
        format!("{cut}\u{2026}")
    }
}

/// Coefficient path: one `<path class="series">` per feature kept at the chosen λ and one
/// light-grey `<path class="series-dropped">` per feature that is non-zero elsewhere on the
/// path only, against log(λ) (natural log, as glmnet), with a dashed `class="vline"` at the
/// chosen λ and, on a top axis, the number of non-zero coefficients (glmnet's `df`). The
/// legend under the plot names up to [`MAX_LEGEND_FEATURES`] kept features, whole, in the
/// order they enter the path, and counts the others.
///
/// No λ values, or no feature that is ever non-zero, gives a "no data" figure.
///
/// # Errors
/// A λ that is not finite and positive, a coefficient vector whose length differs from the
/// feature names, a count of vectors different from the λ count, or a non-finite
/// coefficient.
pub fn lasso_path_svg(plot: &LassoPathPlot) -> ReportResult<String> {
    let title = plot.title.as_str();
    if plot.lambdas.is_empty() {
        return Ok(no_data_figure(title, "no λ values"));
    }
    let logs = log_lambdas(PATH_FIGURE, &plot.lambdas)?;
    if plot.coefficients.len() != plot.lambdas.len() {
        return Err(invalid(
            PATH_FIGURE,
            format!(
                "{} coefficient vectors for {} λ values",
                plot.coefficients.len(),
                plot.lambdas.len()
            ),
        ));
    }
    let p = plot.feature_names.len();
    for (k, beta) in plot.coefficients.iter().enumerate() {
        if beta.len() != p {
            return Err(invalid(
                PATH_FIGURE,
                format!(
                    "coefficient vector {k} has {} values for {p} features",
                    beta.len()
                ),
            ));
        }
        for (j, &b) in beta.iter().enumerate() {
            finite(
                PATH_FIGURE,
                || format!("coefficient of '{}' at λ {k}", plot.feature_names[j]),
                b,
            )?;
        }
    }
    let chosen = plot
        .chosen_lambda
        .map(|l| log_marker(PATH_FIGURE, "chosen λ", l))
        .transpose()?;
    // Features in the order they enter the path (the λ values are given decreasing).
    let mut active: Vec<(usize, usize)> = (0..p)
        .filter_map(|j| {
            plot.coefficients
                .iter()
                .position(|b| b[j] != 0.0)
                .map(|k| (k, j))
        })
        .collect();
    active.sort_unstable();
    let active: Vec<usize> = active.into_iter().map(|(_, j)| j).collect();
    if active.is_empty() {
        return Ok(no_data_figure(
            title,
            "no coefficient is non-zero on the path",
        ));
    }
    let mut order: Vec<usize> = (0..logs.len()).collect();
    order.sort_by(|&a, &b| logs[a].total_cmp(&logs[b]));
    let (x_min, x_max) = x_range(&logs, chosen.as_slice());
    let (lo, hi) = active
        .iter()
        .flat_map(|&j| plot.coefficients.iter().map(move |b| b[j]))
        .fold((0.0f64, 0.0f64), |(lo, hi), b| (lo.min(b), hi.max(b)));
    let (y_min, y_max) = padded_range(lo, hi, 0.05, 0.05);
    // The features kept at the chosen λ (every feature ever active when none is chosen)
    // are coloured and named; the others are drawn light grey and counted.
    let kept_at = plot.chosen_lambda.map(|l| {
        (0..plot.lambdas.len())
            .min_by(|&a, &b| {
                (plot.lambdas[a] - l)
                    .abs()
                    .total_cmp(&(plot.lambdas[b] - l).abs())
            })
            .expect("λ values are present")
    });
    let kept: Vec<usize> = active
        .iter()
        .copied()
        .filter(|&j| kept_at.is_none_or(|k| plot.coefficients[k][j] != 0.0))
        .collect();
    let dropped = active.len() - kept.len();
    let mut entries: Vec<LegendEntry> = kept
        .iter()
        .enumerate()
        .take(MAX_LEGEND_FEATURES)
        .map(|(i, &j)| {
            LegendEntry::line(
                legend_label(&plot.feature_names[j]),
                series_color(i),
                series_dash(i),
            )
        })
        .collect();
    if kept.len() > MAX_LEGEND_FEATURES {
        entries.push(LegendEntry::line(
            format!("\u{2026} and {} more", kept.len() - MAX_LEGEND_FEATURES),
            "#ffffff",
            None,
        ));
    }
    if dropped > 0 {
        entries.push(LegendEntry::line(
            format!(
                "{dropped} feature{} not kept",
                if dropped == 1 { "" } else { "s" }
            ),
            DROPPED,
            None,
        ));
    }
    if chosen.is_some() {
        entries.push(LegendEntry::line("Chosen λ", GREY, Some("5 4")));
    }
    // The legend goes under the plot, full width, so that whole names fit and the plot
    // keeps its width; the figure grows by the legend's height.
    let legend_h = legend_size(&entries).1;
    let frame = Frame {
        left: 74.0,
        top: FRAME_TOP,
        right: WIDTH - 20.0,
        bottom: HEIGHT - 60.0,
        x_min,
        x_max,
        y_min,
        y_max,
    };
    let x_ticks = labelled_ticks(x_min, x_max, 7);
    let nonzero = nonzero_counts(&plot.coefficients);
    let mut svg = Svg::new(WIDTH, HEIGHT + legend_h + 6.0, title);
    svg.title(title);
    draw_axes(
        &mut svg,
        &frame,
        &Axis::new(x_ticks.clone(), "log(λ)"),
        &Axis::new(labelled_ticks(y_min, y_max, 7), "Coefficient"),
    );
    draw_top_axis(
        &mut svg,
        &frame,
        &count_ticks(&logs, &nonzero, &x_ticks),
        "Non-zero coefficients",
    );
    svg.line(
        (frame.left, frame.py(0.0)),
        (frame.right, frame.py(0.0)),
        Stroke::solid(GREY, 0.8),
        "zero",
    );
    let points = |j: usize| -> Vec<(f64, f64)> {
        order
            .iter()
            .map(|&k| (logs[k], plot.coefficients[k][j]))
            .collect()
    };
    // Dropped features first, so that the kept ones are drawn over them.
    for &j in active.iter().filter(|j| !kept.contains(j)) {
        svg.path(
            &frame.path_data(&points(j)),
            Stroke::solid(DROPPED, 1.0),
            "series-dropped",
            Some(&plot.feature_names[j]),
        );
    }
    for (i, &j) in kept.iter().enumerate() {
        let stroke = Stroke {
            color: series_color(i),
            width: 1.8,
            dash: series_dash(i),
        };
        svg.path(
            &frame.path_data(&points(j)),
            stroke,
            "series",
            Some(&plot.feature_names[j]),
        );
    }
    if let Some(x) = chosen {
        vline(
            &mut svg,
            &frame,
            x,
            Stroke::dashed(GREY, 1.4, "5 4"),
            "Chosen λ",
        );
    }
    draw_legend(&mut svg, (frame.left, HEIGHT), &entries);
    Ok(svg.finish())
}

/// Cross-validation curve: mean deviance at each log(λ) as dots joined by one
/// `<path class="series">`, ± SE bars (`class="errorbar"`, one per λ), and dashed
/// `class="vline"` lines at λ.min and λ.1se (values in the legend).
///
/// No λ values gives a "no data" figure.
///
/// # Errors
/// Lengths that differ from the λ count, a non-finite or negative value, or a λ (or λ.min,
/// λ.1se) that is not finite and positive.
pub fn lasso_cv_svg(plot: &LassoCvPlot) -> ReportResult<String> {
    let title = plot.title.as_str();
    if plot.lambdas.is_empty() {
        return Ok(no_data_figure(title, "no λ values"));
    }
    let logs = log_lambdas(CV_FIGURE, &plot.lambdas)?;
    let n = logs.len();
    if !plot.nonzero.is_empty() && plot.nonzero.len() != n {
        return Err(invalid(
            CV_FIGURE,
            format!("{} non-zero counts for {n} λ values", plot.nonzero.len()),
        ));
    }
    if plot.mean_deviance.len() != n || plot.sd.len() != n {
        return Err(invalid(
            CV_FIGURE,
            format!(
                "{} mean deviances and {} SDs for {n} λ values",
                plot.mean_deviance.len(),
                plot.sd.len()
            ),
        ));
    }
    for k in 0..n {
        finite(
            CV_FIGURE,
            || format!("mean deviance at λ {k}"),
            plot.mean_deviance[k],
        )?;
        let sd = finite(CV_FIGURE, || format!("SD at λ {k}"), plot.sd[k])?;
        if sd < 0.0 {
            return Err(invalid(
                CV_FIGURE,
                format!("SD at λ {k} is negative ({sd})"),
            ));
        }
    }
    let x_min_line = log_marker(CV_FIGURE, "λ.min", plot.lambda_min)?;
    let x_1se_line = log_marker(CV_FIGURE, "λ.1se", plot.lambda_1se)?;
    let (x_min, x_max) = x_range(&logs, &[x_min_line, x_1se_line]);
    let lo = (0..n)
        .map(|k| plot.mean_deviance[k] - plot.sd[k])
        .fold(f64::INFINITY, f64::min);
    let hi = (0..n)
        .map(|k| plot.mean_deviance[k] + plot.sd[k])
        .fold(f64::NEG_INFINITY, f64::max);
    let (y_min, y_max) = padded_range(lo, hi, 0.05, 0.01);
    let frame = Frame {
        left: 74.0,
        top: if plot.nonzero.is_empty() {
            44.0
        } else {
            FRAME_TOP
        },
        right: WIDTH - 20.0,
        bottom: HEIGHT - 60.0,
        x_min,
        x_max,
        y_min,
        y_max,
    };
    let x_ticks = labelled_ticks(x_min, x_max, 7);
    let mut svg = plot_canvas(
        title,
        &frame,
        Axis::new(x_ticks.clone(), "log(λ)"),
        Axis::new(labelled_ticks(y_min, y_max, 7), "Binomial deviance"),
    );
    if !plot.nonzero.is_empty() {
        draw_top_axis(
            &mut svg,
            &frame,
            &count_ticks(&logs, &plot.nonzero, &x_ticks),
            "Non-zero coefficients",
        );
    }
    let color = series_color(1);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| logs[a].total_cmp(&logs[b]));
    for &k in &order {
        let x = frame.px(logs[k]);
        let (m, s) = (plot.mean_deviance[k], plot.sd[k]);
        svg.line(
            (x, frame.py(m - s)),
            (x, frame.py(m + s)),
            Stroke::solid(GREY, 1.0),
            "errorbar",
        );
    }
    let pts: Vec<(f64, f64)> = order
        .iter()
        .map(|&k| (logs[k], plot.mean_deviance[k]))
        .collect();
    svg.path(
        &frame.path_data(&pts),
        Stroke::solid(color, 1.0),
        "series",
        Some("Mean deviance"),
    );
    for &(x, y) in &pts {
        svg.circle((frame.px(x), frame.py(y)), 3.0, color, "point");
    }
    let min_color = series_color(0);
    let se_color = series_color(2);
    vline(
        &mut svg,
        &frame,
        x_min_line,
        Stroke::dashed(min_color, 1.4, "5 4"),
        "lambda.min",
    );
    vline(
        &mut svg,
        &frame,
        x_1se_line,
        Stroke::dashed(se_color, 1.4, "2 3"),
        "lambda.1se",
    );
    let entries = [
        LegendEntry {
            marker: Marker::Point,
            ..LegendEntry::line("Mean deviance \u{00b1} SE", color, None)
        },
        LegendEntry::line(
            format!("λ.min = {}", fmt_significant(plot.lambda_min)),
            min_color,
            Some("5 4"),
        ),
        LegendEntry::line(
            format!("λ.1se = {}", fmt_significant(plot.lambda_1se)),
            se_color,
            Some("2 3"),
        ),
    ];
    // Deviance is highest at large λ (top right); take the emptiest corner.
    let corners = [
        Corner::TopLeft,
        Corner::BottomRight,
        Corner::TopRight,
        Corner::BottomLeft,
    ];
    let bars: Vec<[(f64, f64); 2]> = pts
        .iter()
        .zip(&order)
        .map(|(&(x, m), &k)| [(x, m - plot.sd[k]), (x, m + plot.sd[k])])
        .collect();
    let mut curves: Vec<&[(f64, f64)]> = bars.iter().map(|b| b.as_slice()).collect();
    curves.push(&pts);
    let at = legend_position(&frame, legend_size(&entries), &curves, &corners);
    draw_legend(&mut svg, at, &entries);
    Ok(svg.finish())
}
