//! Nomogram in the style of R's `rms::nomogram`: a "Points" scale 0–100 on top, one scale
//! per predictor (its values placed at the points they contribute), a "Total points" scale
//! and a "Risk" scale mapping total points to the predicted probability.

use super::svg::{
    escape, fmt_coord, labelled_ticks, no_data_figure, text_width, Anchor, Stroke, Svg, TextStyle,
    WIDTH,
};
use super::{finite, in_range, invalid, ReportResult};

const FIGURE: &str = "nomogram";
/// Height the rows are spread over when they fit (rows are at most [`ROW_MAX`] apart, so a
/// nomogram of few predictors is shorter); taller when there are many predictors.
const MIN_HEIGHT: f64 = 450.0;
/// Smallest and largest vertical distance between scales (the figure grows below the
/// smallest).
const ROW_MIN: f64 = 36.0;
const ROW_MAX: f64 = 58.0;
/// Top of the first scale.
const TOP: f64 = 62.0;
/// Right end of the label column; scales start a little to its right.
const LABEL_RIGHT: f64 = 138.0;
/// Left and right ends of the scales in pixels.
const X0: f64 = 152.0;
const X1: f64 = WIDTH - 30.0;
const TICK_FONT: f64 = 11.0;

/// One predictor's scale: each value label and the points it contributes (0–100).
/// A continuous predictor lists tick values; a binary one its two levels.
#[derive(Debug, Clone, PartialEq)]
pub struct NomogramPredictor {
    /// Predictor name, shown left of the scale.
    pub name: String,
    /// (value label, points) pairs, in any order.
    pub ticks: Vec<(String, f64)>,
}

/// Input of [`nomogram_svg`].
#[derive(Debug, Clone, PartialEq)]
pub struct NomogramPlot {
    /// Figure title.
    pub title: String,
    /// The predictors, drawn top to bottom in this order.
    pub predictors: Vec<NomogramPredictor>,
    /// Range (low, high) of the "Total points" scale.
    pub total_points_range: (f64, f64),
    /// (total points, predicted probability) pairs labelling the "Risk" scale.
    pub risk_ticks: Vec<(f64, f64)>,
}

/// A probability label with up to three decimals, trailing zeros removed (`0.5`, `0.05`,
/// `0.995`).
fn fmt_probability(p: f64) -> String {
    let s = format!("{p:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One drawn scale: a line over its ticks (or over `extent`, pixel x from–to, when given),
/// tick marks and labels. Labels that would overlap the previous one above the line go
/// below it.
fn scale(
    svg: &mut Svg,
    y: f64,
    name: &str,
    ticks: &[(f64, String)],
    minor: &[f64],
    extent: Option<(f64, f64)>,
) {
    // Long names shrink (down to 8) to fit the label column, then are cut with an ellipsis;
    // the axis keeps the full name in its data-name attribute.
    let fit = ((LABEL_RIGHT - 6.0) / (8.0 * 0.62)) as usize;
    let shown: String = if name.chars().count() > fit {
        name.chars()
            .take(fit - 1)
            .chain(std::iter::once('\u{2026}'))
            .collect()
    } else {
        name.to_string()
    };
    let size = (LABEL_RIGHT - 6.0) / (shown.chars().count().max(1) as f64 * 0.62);
    let style = TextStyle::new(size.clamp(8.0, 12.5), Anchor::End);
    svg.text(
        LABEL_RIGHT,
        y + 4.0,
        &shown,
        TextStyle {
            bold: true,
            ..style
        },
        Some("scale-label"),
    );
    let lo = ticks.iter().map(|t| t.0).fold(f64::INFINITY, f64::min);
    let hi = ticks.iter().map(|t| t.0).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = extent.map_or((lo, hi), |(a, b)| (lo.min(a), hi.max(b)));
    // A scale of one value still gets a visible stub.
    let (lo, hi) = if hi - lo < 1.0 {
        (lo - 4.0, hi + 4.0)
    } else {
        (lo, hi)
    };
    svg.raw(&format!(
        "<path class=\"axis\" data-name=\"{}\" d=\"M{} {} L{} {}\" fill=\"none\" \
         stroke=\"#000000\" stroke-width=\"1.2\"/>\n",
        escape(name),
        fmt_coord(lo.max(X0 - 2.0)),
        fmt_coord(y),
        fmt_coord(hi.min(X1 + 2.0)),
        fmt_coord(y)
    ));
    for &x in minor {
        svg.line((x, y), (x, y - 3.0), Stroke::solid("#000000", 0.8), "tick");
    }
    let label = TextStyle::new(TICK_FONT, Anchor::Middle);
    let mut sorted: Vec<&(f64, String)> = ticks.iter().collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut above_end, mut below_end) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (x, text) in sorted {
        svg.line(
            (*x, y),
            (*x, y - 6.0),
            Stroke::solid("#000000", 1.0),
            "tick",
        );
        // Labels alternate above and below the axis where they would collide; a label that
        // fits on neither side is left out (its tick stays), as rms does.
        let half = text_width(text, TICK_FONT) / 2.0;
        let ty = if x - half >= above_end + 3.0 {
            above_end = x + half;
            y - 9.0
        } else if x - half >= below_end + 3.0 {
            below_end = x + half;
            y + 15.0
        } else {
            continue;
        };
        svg.text(*x, ty, text, label, Some("tick-label"));
    }
}

/// Nomogram of `plot`: scales from top to bottom "Points" (0–100), each predictor, "Total
/// points" (over `total_points_range`) and "Risk" (a tick at each total of `risk_ticks`
/// labelled with its probability), each drawn as a `<path class="axis">` — so
/// `predictors.len() + 3` of them. The figure is 600 wide and at least 450 high (taller
/// when more than six predictors need room).
///
/// No predictors gives a "no data" figure.
///
/// # Errors
/// A predictor without ticks, points that are not finite numbers in [0, 100], a total
/// points range that is not finite and increasing, no risk ticks, or a risk tick whose
/// total lies outside the range or whose probability is not in [0, 1].
pub fn nomogram_svg(plot: &NomogramPlot) -> ReportResult<String> {
    let title = plot.title.as_str();
    if plot.predictors.is_empty() {
        return Ok(no_data_figure(title, "no predictors"));
    }
    for p in &plot.predictors {
        if p.ticks.is_empty() {
            return Err(invalid(
                FIGURE,
                format!("predictor '{}' has no values", p.name),
            ));
        }
        for (label, pts) in &p.ticks {
            in_range(
                FIGURE,
                || format!("points of '{}' = '{label}'", p.name),
                *pts,
                0.0,
                100.0,
            )?;
        }
    }
    let (t_lo, t_hi) = plot.total_points_range;
    finite(FIGURE, || "total points lower limit".into(), t_lo)?;
    finite(FIGURE, || "total points upper limit".into(), t_hi)?;
    if t_hi <= t_lo {
        return Err(invalid(
            FIGURE,
            format!("total points range ({t_lo}, {t_hi}) must increase"),
        ));
    }
    if plot.risk_ticks.is_empty() {
        return Err(invalid(FIGURE, "no risk ticks to label the Risk scale"));
    }
    let tol = (t_hi - t_lo) * 1e-9;
    for (i, &(total, prob)) in plot.risk_ticks.iter().enumerate() {
        in_range(
            FIGURE,
            || format!("total points of risk tick {i}"),
            total,
            t_lo - tol,
            t_hi + tol,
        )?;
        in_range(
            FIGURE,
            || format!("probability of risk tick {i}"),
            prob,
            0.0,
            1.0,
        )?;
    }
    let rows = plot.predictors.len() + 3;
    let row = ((MIN_HEIGHT - TOP - 50.0) / (rows - 1) as f64).clamp(ROW_MIN, ROW_MAX);
    // As tall as the scales need: the risk scale's lower tick labels and a small margin.
    let height = TOP + row * (rows - 1) as f64 + 36.0;
    let points_x = |pts: f64| X0 + pts / 100.0 * (X1 - X0);
    let total_x = |t: f64| (X0 + (t - t_lo) / (t_hi - t_lo) * (X1 - X0)).clamp(X0, X1);

    let mut svg = Svg::new(WIDTH, height, title);
    svg.title(title);
    let mut y = TOP;
    let points_ticks: Vec<(f64, String)> = (0..=10)
        .map(|k| (points_x(k as f64 * 10.0), (k * 10).to_string()))
        .collect();
    let minor: Vec<f64> = (0..10).map(|k| points_x(k as f64 * 10.0 + 5.0)).collect();
    scale(&mut svg, y, "Points", &points_ticks, &minor, None);
    for p in &plot.predictors {
        y += row;
        let ticks: Vec<(f64, String)> = p
            .ticks
            .iter()
            .map(|(label, pts)| (points_x(*pts), label.clone()))
            .collect();
        scale(&mut svg, y, &p.name, &ticks, &[], None);
    }
    y += row;
    let totals: Vec<(f64, String)> = labelled_ticks(t_lo, t_hi, 10)
        .into_iter()
        .map(|(t, label)| (total_x(t), label))
        .collect();
    scale(&mut svg, y, "Total points", &totals, &[], Some((X0, X1)));
    y += row;
    let risk: Vec<(f64, String)> = plot
        .risk_ticks
        .iter()
        .map(|&(t, p)| (total_x(t), fmt_probability(p)))
        .collect();
    scale(&mut svg, y, "Risk", &risk, &[], None);
    Ok(svg.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_drop_trailing_zeros() {
        assert_eq!(fmt_probability(0.5), "0.5");
        assert_eq!(fmt_probability(0.05), "0.05");
        assert_eq!(fmt_probability(0.995), "0.995");
    }
}
