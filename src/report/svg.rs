//! Small shared SVG toolkit for the report figures: a string builder ([`Svg`]), the mapping
//! from data to pixel coordinates with clipping ([`Frame`]), axes with "nice" ticks, a
//! legend, XML escaping, number formatting and the colour-blind-safe palette.
//!
//! Every figure is a self-contained SVG 1.1 document: a `viewBox` (600 × 450 by default), a
//! `<title>`, a white background, generic font families only (no external fonts, no
//! scripts, no links). Data series are `<path class="series">` elements so that tests and
//! downstream tools can count and find them.

use std::fmt::Write as _;

/// Default figure width in SVG user units (pixels at 100 %).
pub const WIDTH: f64 = 600.0;
/// Default figure height in SVG user units.
pub const HEIGHT: f64 = 450.0;
/// Font stack: locally installed fonts only, ending with the generic `sans-serif`.
pub const FONT_FAMILY: &str = "Helvetica, Arial, 'DejaVu Sans', sans-serif";
/// Colour of the reference lines (chance diagonal, ideal calibration, treat-all).
pub const GREY: &str = "#7f7f7f";

/// The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), in the order used for
/// data series; distinguishable under the common colour-vision deficiencies. Yellow is last
/// because it is faint on white.
pub const PALETTE: [&str; 8] = [
    "#0072B2", // blue
    "#D55E00", // vermillion
    "#009E73", // bluish green
    "#CC79A7", // reddish purple
    "#E69F00", // orange
    "#56B4E9", // sky blue
    "#000000", // black
    "#F0E442", // yellow
];

/// Dash patterns combined with the palette when there are more series than colours.
const DASHES: [Option<&str>; 4] = [None, Some("6 3"), Some("2 2"), Some("8 3 2 3")];

/// Colour of data series `i` (cycles through [`PALETTE`]).
pub fn series_color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Dash pattern of data series `i`: solid for the first [`PALETTE`]`.len()` series, then
/// dashed variants, so that series sharing a colour still differ.
pub fn series_dash(i: usize) -> Option<&'static str> {
    DASHES[(i / PALETTE.len()) % DASHES.len()]
}

/// Escapes `text` for XML character data and attribute values (`&`, `<`, `>`, `"`, `'`) and
/// drops the control characters that XML 1.0 forbids (tab, newline and carriage return are
/// replaced by a space).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A pixel coordinate with at most two decimals, trailing zeros removed (`12.5`, `300`).
pub fn fmt_coord(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// `v` with `decimals` decimals, a typographic minus sign (U+2212) for negatives and no
/// negative zero: `fmt_number(-0.05, 2) == "−0.05"`.
pub fn fmt_number(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| c.is_ascii_digit() && c != '0') => {
            format!("\u{2212}{rest}")
        }
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// A p-value as usually reported: `"< 0.001"`, three decimals below 0.1 (`"0.043"`),
/// otherwise two (`"0.41"`).
pub fn fmt_p_value(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".to_string()
    } else if p < 0.1 {
        format!("= {p:.3}")
    } else {
        format!("= {p:.2}")
    }
}

/// Decimals needed to print the multiples of `step` exactly (`0.2` → 1, `0.05` → 2, `10` → 0).
pub fn decimals_for_step(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    let mut d = 0;
    while d < 10
        && ((step * 10f64.powi(d as i32)).round() - step * 10f64.powi(d as i32)).abs() > 1e-9
    {
        d += 1;
    }
    d
}

/// "Nice" tick values (multiples of 1, 2 or 5 × 10ᵏ) covering `[lo, hi]` with about
/// `target` ticks, and the step between them. Ticks lie inside `[lo, hi]` (within 1e-9 of
/// the range). A degenerate range gives the single value `lo`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return (vec![lo], 1.0);
    }
    let raw = (hi - lo) / target.max(2) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude);
    let decimals = decimals_for_step(step) as i32;
    let scale = 10f64.powi(decimals);
    let eps = step * 1e-9;
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let ticks = (first..=last)
        .map(|k| (k as f64 * step * scale).round() / scale)
        .filter(|&t| t >= lo - eps && t <= hi + eps)
        .collect();
    (ticks, step)
}

/// Labelled ticks from [`nice_ticks`], formatted with [`fmt_number`] to the step's decimals.
pub fn labelled_ticks(lo: f64, hi: f64, target: usize) -> Vec<(f64, String)> {
    let (ticks, step) = nice_ticks(lo, hi, target);
    let d = decimals_for_step(step);
    ticks.into_iter().map(|t| (t, fmt_number(t, d))).collect()
}

/// Pads `[lo, hi]` by `fraction` of its width on both sides (or by `min_pad` for a
/// degenerate range), for data that should not touch the frame.
pub fn padded_range(lo: f64, hi: f64, fraction: f64, min_pad: f64) -> (f64, f64) {
    let pad = ((hi - lo) * fraction).max(min_pad);
    (lo - pad, hi + pad)
}

/// Horizontal text alignment (`text-anchor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Text starts at x.
    Start,
    /// Text is centred on x.
    Middle,
    /// Text ends at x.
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// Style of a text element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextStyle {
    /// Font size in user units.
    pub size: f64,
    /// Horizontal alignment.
    pub anchor: Anchor,
    /// Bold when true.
    pub bold: bool,
    /// Rotation in degrees about the anchor point (−90 for a y-axis label).
    pub rotate: f64,
}

impl TextStyle {
    /// Plain text of `size`, aligned by `anchor`.
    pub fn new(size: f64, anchor: Anchor) -> Self {
        TextStyle {
            size,
            anchor,
            bold: false,
            rotate: 0.0,
        }
    }
}

/// Stroke of a line or path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke<'a> {
    /// Colour (`#rrggbb`).
    pub color: &'a str,
    /// Width in user units.
    pub width: f64,
    /// `stroke-dasharray`, solid when `None`.
    pub dash: Option<&'a str>,
}

impl<'a> Stroke<'a> {
    /// Solid stroke.
    pub fn solid(color: &'a str, width: f64) -> Self {
        Stroke {
            color,
            width,
            dash: None,
        }
    }

    /// Dashed stroke.
    pub fn dashed(color: &'a str, width: f64, dash: &'a str) -> Self {
        Stroke {
            color,
            width,
            dash: Some(dash),
        }
    }

    fn attributes(&self) -> String {
        let mut s = format!(
            "stroke=\"{}\" stroke-width=\"{}\"",
            self.color,
            fmt_coord(self.width)
        );
        if let Some(d) = self.dash {
            let _ = write!(s, " stroke-dasharray=\"{d}\"");
        }
        s
    }
}

/// An SVG document under construction; [`Svg::finish`] closes it.
#[derive(Debug, Clone)]
pub struct Svg {
    buf: String,
    width: f64,
    height: f64,
}

impl Svg {
    /// Starts a `width` × `height` document (viewBox `0 0 width height`) with the accessible
    /// `<title>` `title` and a white background.
    pub fn new(width: f64, height: f64, title: &str) -> Self {
        let mut buf = String::with_capacity(16 * 1024);
        let _ = write!(
            buf,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{w}\" \
             height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT_FAMILY}\" \
             role=\"img\">\n<title>{t}</title>\n\
             <rect class=\"background\" x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" \
             fill=\"#ffffff\"/>\n",
            w = fmt_coord(width),
            h = fmt_coord(height),
            t = escape(title),
        );
        Svg { buf, width, height }
    }

    /// Width of the viewBox.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// Height of the viewBox.
    pub fn height(&self) -> f64 {
        self.height
    }

    /// Appends pre-built markup (the caller is responsible for escaping).
    pub fn raw(&mut self, markup: &str) {
        self.buf.push_str(markup);
    }

    /// Figure title centred at the top.
    pub fn title(&mut self, text: &str) {
        let style = TextStyle {
            bold: true,
            ..TextStyle::new(16.0, Anchor::Middle)
        };
        self.text(self.width / 2.0, 24.0, text, style, Some("title"));
    }

    /// A straight line from (x1, y1) to (x2, y2).
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), stroke: Stroke, class: &str) {
        let _ = writeln!(
            self.buf,
            "<line class=\"{class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {}/>",
            fmt_coord(from.0),
            fmt_coord(from.1),
            fmt_coord(to.0),
            fmt_coord(to.1),
            stroke.attributes()
        );
    }

    /// A text element (escaped) at (x, y), the baseline at y.
    pub fn text(&mut self, x: f64, y: f64, text: &str, style: TextStyle, class: Option<&str>) {
        let class = class.map(|c| format!(" class=\"{c}\"")).unwrap_or_default();
        let weight = if style.bold {
            " font-weight=\"bold\""
        } else {
            ""
        };
        let rotate = if style.rotate != 0.0 {
            format!(
                " transform=\"rotate({} {} {})\"",
                fmt_coord(style.rotate),
                fmt_coord(x),
                fmt_coord(y)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            self.buf,
            "<text{class} x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{}\"{weight}{rotate} \
             fill=\"#000000\">{}</text>",
            fmt_coord(x),
            fmt_coord(y),
            fmt_coord(style.size),
            style.anchor.as_str(),
            escape(text)
        );
    }

    /// A filled circle with a thin white outline.
    pub fn circle(&mut self, center: (f64, f64), r: f64, fill: &str, class: &str) {
        let _ = writeln!(
            self.buf,
            "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{fill}\" \
             stroke=\"#ffffff\" stroke-width=\"0.8\"/>",
            fmt_coord(center.0),
            fmt_coord(center.1),
            fmt_coord(r)
        );
    }

    /// A rectangle; `fill` and `stroke` are colours or `"none"`.
    pub fn rect(&mut self, corner: (f64, f64), size: (f64, f64), fill: &str, stroke: &str) {
        let _ = writeln!(
            self.buf,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" \
             stroke=\"{stroke}\"/>",
            fmt_coord(corner.0),
            fmt_coord(corner.1),
            fmt_coord(size.0),
            fmt_coord(size.1)
        );
    }

    /// A path with data `d` (from [`Frame::path_data`]), no fill. `name`, when given, is
    /// stored escaped in a `data-name` attribute to identify the series.
    pub fn path(&mut self, d: &str, stroke: Stroke, class: &str, name: Option<&str>) {
        if d.is_empty() {
            return;
        }
        let name = name
            .map(|n| format!(" data-name=\"{}\"", escape(n)))
            .unwrap_or_default();
        let _ = writeln!(
            self.buf,
            "<path class=\"{class}\"{name} d=\"{d}\" fill=\"none\" {} \
             stroke-linejoin=\"round\"/>",
            stroke.attributes()
        );
    }

    /// Closes the document and returns it.
    pub fn finish(mut self) -> String {
        self.buf.push_str("</svg>\n");
        self.buf
    }
}

/// The plot area of a figure: a pixel rectangle and the data ranges mapped onto it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Left edge in pixels.
    pub left: f64,
    /// Top edge in pixels.
    pub top: f64,
    /// Right edge in pixels.
    pub right: f64,
    /// Bottom edge in pixels.
    pub bottom: f64,
    /// Data value at the left edge.
    pub x_min: f64,
    /// Data value at the right edge.
    pub x_max: f64,
    /// Data value at the bottom edge.
    pub y_min: f64,
    /// Data value at the top edge.
    pub y_max: f64,
}

impl Frame {
    /// Pixel x of data value `x`.
    pub fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x_min) / (self.x_max - self.x_min) * (self.right - self.left)
    }

    /// Pixel y of data value `y` (upwards).
    pub fn py(&self, y: f64) -> f64 {
        self.bottom - (y - self.y_min) / (self.y_max - self.y_min) * (self.bottom - self.top)
    }

    /// Whether the data point lies inside the ranges (inclusive).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.x_min && x <= self.x_max && y >= self.y_min && y <= self.y_max
    }

    /// Clips the data segment a–b to the ranges (Liang–Barsky); `None` when it lies outside.
    fn clip(&self, a: (f64, f64), b: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [
            (-dx, a.0 - self.x_min),
            (dx, self.x_max - a.0),
            (-dy, a.1 - self.y_min),
            (dy, self.y_max - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if t0 > t1 {
            return None;
        }
        Some((
            (a.0 + t0 * dx, a.1 + t0 * dy),
            (a.0 + t1 * dx, a.1 + t1 * dy),
        ))
    }

    /// SVG path data (`M x y L x y …`) of the polyline through the data `points`, clipped to
    /// the frame: parts outside are cut off and a curve leaving and re-entering the frame
    /// becomes several sub-paths. A single point inside gives a zero-length sub-path.
    /// Empty when nothing is inside. Non-finite points break the line.
    pub fn path_data(&self, points: &[(f64, f64)]) -> String {
        let mut d = String::new();
        let mut pen: Option<(f64, f64)> = None;
        let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
        if points.len() == 1 && finite(&points[0]) && self.contains(points[0].0, points[0].1) {
            let (x, y) = (self.px(points[0].0), self.py(points[0].1));
            return format!("M{} {}h0", fmt_coord(x), fmt_coord(y));
        }
        for w in points.windows(2) {
            if !(finite(&w[0]) && finite(&w[1])) {
                pen = None;
                continue;
            }
            let Some((a, b)) = self.clip(w[0], w[1]) else {
                pen = None;
                continue;
            };
            let (ax, ay) = (self.px(a.0), self.py(a.1));
            let (bx, by) = (self.px(b.0), self.py(b.1));
            let same = |p: (f64, f64)| (p.0 - ax).abs() < 1e-6 && (p.1 - ay).abs() < 1e-6;
            if !pen.is_some_and(same) {
                let _ = write!(
                    d,
                    "{}M{} {}",
                    if d.is_empty() { "" } else { " " },
                    fmt_coord(ax),
                    fmt_coord(ay)
                );
            }
            let _ = write!(d, " L{} {}", fmt_coord(bx), fmt_coord(by));
            pen = Some((bx, by));
        }
        d
    }
}

/// One axis: labelled ticks (data value, label) and the axis title.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Tick positions in data units with their labels.
    pub ticks: Vec<(f64, String)>,
    /// Axis title.
    pub label: String,
}

impl Axis {
    /// An axis with the given ticks and title.
    pub fn new(ticks: Vec<(f64, String)>, label: &str) -> Self {
        Self {
            ticks,
            label: label.into(),
        }
    }
}

/// A new figure of the standard size with its title, the frame and both axes drawn.
pub fn plot_canvas(title: &str, frame: &Frame, x: Axis, y: Axis) -> Svg {
    let mut svg = Svg::new(WIDTH, HEIGHT, title);
    svg.title(title);
    draw_axes(&mut svg, frame, &x, &y);
    svg
}

/// Draws the frame, light grid lines, tick marks, tick labels and axis titles.
pub fn draw_axes(svg: &mut Svg, frame: &Frame, x: &Axis, y: &Axis) {
    let grid = Stroke::solid("#e5e5e5", 0.8);
    let tick = Stroke::solid("#000000", 1.0);
    let label = TextStyle::new(12.0, Anchor::Middle);
    svg.raw("<g class=\"axes\">\n");
    for (v, text) in &x.ticks {
        let px = frame.px(*v);
        svg.line((px, frame.top), (px, frame.bottom), grid, "grid");
        svg.line((px, frame.bottom), (px, frame.bottom + 5.0), tick, "tick");
        svg.text(px, frame.bottom + 19.0, text, label, Some("tick-label"));
    }
    for (v, text) in &y.ticks {
        let py = frame.py(*v);
        svg.line((frame.left, py), (frame.right, py), grid, "grid");
        svg.line((frame.left - 5.0, py), (frame.left, py), tick, "tick");
        svg.text(
            frame.left - 8.0,
            py + 4.0,
            text,
            TextStyle::new(12.0, Anchor::End),
            Some("tick-label"),
        );
    }
    svg.rect(
        (frame.left, frame.top),
        (frame.right - frame.left, frame.bottom - frame.top),
        "none",
        "#000000",
    );
    let title = TextStyle::new(13.0, Anchor::Middle);
    svg.text(
        (frame.left + frame.right) / 2.0,
        frame.bottom + 40.0,
        &x.label,
        title,
        Some("axis-label"),
    );
    let ty = (frame.top + frame.bottom) / 2.0;
    let tx = (frame.left - 48.0).max(14.0);
    svg.text(
        tx,
        ty,
        &y.label,
        TextStyle {
            rotate: -90.0,
            ..title
        },
        Some("axis-label"),
    );
    svg.raw("</g>\n");
}

/// A secondary axis along the top edge of `frame` (as glmnet's count of non-zero
/// coefficients): tick marks, labels above them (`class="top-tick-label"`) and `label` above
/// the labels (`class="axis-label"`). Needs about 30 px between the title and the frame.
pub fn draw_top_axis(svg: &mut Svg, frame: &Frame, ticks: &[(f64, String)], label: &str) {
    let tick = Stroke::solid("#000000", 1.0);
    svg.raw("<g class=\"top-axis\">\n");
    for (v, text) in ticks {
        let px = frame.px(*v);
        svg.line((px, frame.top - 5.0), (px, frame.top), tick, "tick");
        svg.text(
            px,
            frame.top - 8.0,
            text,
            TextStyle::new(11.0, Anchor::Middle),
            Some("top-tick-label"),
        );
    }
    svg.text(
        (frame.left + frame.right) / 2.0,
        frame.top - 24.0,
        label,
        TextStyle::new(11.0, Anchor::Middle),
        Some("axis-label"),
    );
    svg.raw("</g>\n");
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A short line segment.
    Line,
    /// A dot.
    Point,
    /// A dot on a line segment.
    LinePoint,
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// Text shown (escaped when drawn).
    pub label: String,
    /// Colour of the key.
    pub color: String,
    /// Dash pattern of the key line.
    pub dash: Option<String>,
    /// Key shape.
    pub marker: Marker,
}

impl LegendEntry {
    /// An entry keyed by a line of `color` and optional `dash`.
    pub fn line(label: impl Into<String>, color: &str, dash: Option<&str>) -> Self {
        LegendEntry {
            label: label.into(),
            color: color.to_string(),
            dash: dash.map(str::to_string),
            marker: Marker::Line,
        }
    }
}

const LEGEND_FONT: f64 = 12.0;
const LEGEND_ROW: f64 = 17.0;
const LEGEND_KEY: f64 = 26.0;

/// Rough rendered width of `text` at `size` (average glyph ≈ 0.58 em for sans-serif).
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.58
}

/// Width and height of the legend box for `entries`.
pub fn legend_size(entries: &[LegendEntry]) -> (f64, f64) {
    let widest = entries
        .iter()
        .map(|e| text_width(&e.label, LEGEND_FONT))
        .fold(0.0, f64::max);
    (
        widest + LEGEND_KEY + 18.0,
        entries.len() as f64 * LEGEND_ROW + 8.0,
    )
}

/// A corner of the plot area, for placing a legend inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    /// Top left.
    TopLeft,
    /// Top right.
    TopRight,
    /// Bottom left.
    BottomLeft,
    /// Bottom right.
    BottomRight,
}

/// Top-left position of a legend of `size` placed in the corner of `frame` that covers the
/// fewest of the data `curves` (each a polyline in data units, sampled along its segments);
/// ties go to the earlier corner of `preference`.
pub fn legend_position(
    frame: &Frame,
    size: (f64, f64),
    curves: &[&[(f64, f64)]],
    preference: &[Corner],
) -> (f64, f64) {
    const INSET: f64 = 8.0;
    let mut samples = Vec::new();
    for curve in curves {
        for w in curve.windows(2) {
            for k in 0..=8 {
                let t = k as f64 / 8.0;
                samples.push((
                    frame.px(w[0].0 + t * (w[1].0 - w[0].0)),
                    frame.py(w[0].1 + t * (w[1].1 - w[0].1)),
                ));
            }
        }
        if curve.len() == 1 {
            samples.push((frame.px(curve[0].0), frame.py(curve[0].1)));
        }
    }
    let position = |c: Corner| match c {
        Corner::TopLeft => (frame.left + INSET, frame.top + INSET),
        Corner::TopRight => (frame.right - size.0 - INSET, frame.top + INSET),
        Corner::BottomLeft => (frame.left + INSET, frame.bottom - size.1 - INSET),
        Corner::BottomRight => (frame.right - size.0 - INSET, frame.bottom - size.1 - INSET),
    };
    let covered = |(x, y): (f64, f64)| {
        samples
            .iter()
            .filter(|p| p.0 >= x && p.0 <= x + size.0 && p.1 >= y && p.1 <= y + size.1)
            .count()
    };
    let mut best = None;
    for &c in preference {
        let pos = position(c);
        let n = covered(pos);
        if best.is_none_or(|(m, _)| n < m) {
            best = Some((n, pos));
        }
    }
    best.map_or_else(|| position(Corner::TopRight), |(_, pos)| pos)
}

/// Draws a legend box with its top-left corner at `corner`, moved left/up as needed to stay
/// inside the viewBox. The group has `class="legend"`; each label is a
/// `<text class="legend-text">`.
pub fn draw_legend(svg: &mut Svg, corner: (f64, f64), entries: &[LegendEntry]) {
    if entries.is_empty() {
        return;
    }
    let (w, h) = legend_size(entries);
    let x = corner.0.min(svg.width() - w - 2.0).max(2.0);
    let y = corner.1.min(svg.height() - h - 2.0).max(2.0);
    svg.raw("<g class=\"legend\">\n");
    svg.raw(&format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\" \
         fill-opacity=\"0.9\" stroke=\"#bbbbbb\"/>\n",
        fmt_coord(x),
        fmt_coord(y),
        fmt_coord(w),
        fmt_coord(h)
    ));
    for (i, e) in entries.iter().enumerate() {
        let cy = y + 4.0 + LEGEND_ROW * (i as f64 + 0.5);
        let (kx0, kx1) = (x + 6.0, x + 6.0 + LEGEND_KEY - 4.0);
        if matches!(e.marker, Marker::Line | Marker::LinePoint) {
            let stroke = Stroke {
                color: &e.color,
                width: 2.0,
                dash: e.dash.as_deref(),
            };
            svg.line((kx0, cy), (kx1, cy), stroke, "legend-key");
        }
        if matches!(e.marker, Marker::Point | Marker::LinePoint) {
            svg.circle(((kx0 + kx1) / 2.0, cy), 4.0, &e.color, "legend-key");
        }
        svg.text(
            x + LEGEND_KEY + 10.0,
            cy + 4.0,
            &e.label,
            TextStyle::new(LEGEND_FONT, Anchor::Start),
            Some("legend-text"),
        );
    }
    svg.raw("</g>\n");
}

/// An explicit "no data" figure: the title and a centred message in a
/// `<text class="no-data">`, instead of an empty or broken plot.
pub fn no_data_figure(title: &str, message: &str) -> String {
    let mut svg = Svg::new(WIDTH, HEIGHT, title);
    svg.title(title);
    svg.rect(
        (40.0, 50.0),
        (WIDTH - 80.0, HEIGHT - 100.0),
        "none",
        "#bbbbbb",
    );
    svg.text(
        WIDTH / 2.0,
        HEIGHT / 2.0,
        &format!("No data: {message}"),
        TextStyle::new(14.0, Anchor::Middle),
        Some("no-data"),
    );
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_handles_markup_and_controls() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
    }

    #[test]
    fn numbers_are_formatted_cleanly() {
        assert_eq!(fmt_coord(12.500), "12.5");
        assert_eq!(fmt_coord(-0.001), "0");
        assert_eq!(fmt_number(-0.05, 2), "\u{2212}0.05");
        assert_eq!(fmt_number(-0.001, 2), "0.00");
        assert_eq!(fmt_p_value(0.0004), "< 0.001");
        assert_eq!(fmt_p_value(0.0432), "= 0.043");
        assert_eq!(fmt_p_value(0.414), "= 0.41");
    }

    #[test]
    fn nice_ticks_are_round() {
        let (t, step) = nice_ticks(0.0, 1.0, 6);
        assert_eq!(step, 0.2);
        assert_eq!(t, vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let (t, _) = nice_ticks(-0.05, 0.23, 8);
        assert_eq!(t, vec![-0.05, 0.0, 0.05, 0.1, 0.15, 0.2]);
        assert_eq!(decimals_for_step(0.05), 2);
        assert_eq!(decimals_for_step(10.0), 0);
    }

    #[test]
    fn path_is_clipped_to_the_frame() {
        let f = Frame {
            left: 0.0,
            top: 0.0,
            right: 100.0,
            bottom: 100.0,
            x_min: 0.0,
            x_max: 1.0,
            y_min: 0.0,
            y_max: 1.0,
        };
        assert_eq!(f.path_data(&[(0.0, 0.0), (1.0, 2.0)]), "M0 100 L50 0");
        assert_eq!(f.path_data(&[(0.0, 2.0), (1.0, 3.0)]), "");
        let d = f.path_data(&[(0.0, 0.5), (0.5, 2.0), (1.0, 0.5)]);
        assert_eq!(d.matches('M').count(), 2, "{d}");
    }
}
