//! SVG figures rendered to PNG for journals that ask for raster images: resvg (a maintained
//! SVG renderer in Rust) draws the figure at the requested resolution on a white background
//! with the system's fonts, and the PNG records that resolution (its `pHYs` chunk), so a
//! 600 × 450 figure at 300 dpi is 1875 × 1406 pixels that print at 6.25 × 4.69 inches.

use std::sync::{Arc, OnceLock};

use resvg::usvg::fontdb::Database;

use super::{invalid, ReportResult};

const FIGURE: &str = "PNG rendering";

/// CSS pixels per inch: the unit of the SVG's width and height.
const CSS_DPI: f64 = 96.0;

/// Largest image rendered, in pixels (a 300 dpi figure is about 2.6 million; a Radscore of
/// hundreds of features a few times that).
const MAX_PIXELS: u64 = 60_000_000;

/// The system's fonts, read once per process.
fn fonts() -> Arc<Database> {
    static FONTS: OnceLock<Arc<Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = Database::new();
            db.load_system_fonts();
            // The figures ask for Helvetica, Arial or DejaVu Sans, then any sans-serif.
            for family in ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"] {
                let query = resvg::usvg::fontdb::Query {
                    families: &[resvg::usvg::fontdb::Family::Name(family)],
                    ..Default::default()
                };
                if db.query(&query).is_some() {
                    db.set_sans_serif_family(family);
                    break;
                }
            }
            Arc::new(db)
        })
        .clone()
}

/// Renders `svg` at `dpi` dots per inch as PNG bytes.
///
/// # Errors
/// The SVG cannot be parsed, the image would exceed [`MAX_PIXELS`], or no font is installed
/// (the figure's text could not be drawn: install e.g. Debian's `fonts-dejavu-core`).
pub fn svg_to_png(svg: &str, dpi: f64) -> ReportResult<Vec<u8>> {
    if !(dpi.is_finite() && dpi > 0.0 && dpi <= 2400.0) {
        return Err(invalid(FIGURE, format!("resolution {dpi} dpi (0–2400)")));
    }
    let fontdb = fonts();
    if fontdb.is_empty() {
        return Err(invalid(
            FIGURE,
            "no font is installed, so the figure's text cannot be drawn (install e.g. \
             Debian's fonts-dejavu-core); the SVG figures are unaffected",
        ));
    }
    let options = resvg::usvg::Options {
        fontdb,
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &options)
        .map_err(|e| invalid(FIGURE, format!("the SVG cannot be read: {e}")))?;
    let scale = dpi / CSS_DPI;
    let size = tree.size();
    let (w, h) = (
        (f64::from(size.width()) * scale).ceil(),
        (f64::from(size.height()) * scale).ceil(),
    );
    if !(w >= 1.0 && h >= 1.0) || (w as u64).saturating_mul(h as u64) > MAX_PIXELS {
        return Err(invalid(
            FIGURE,
            format!("{w} × {h} pixels at {dpi} dpi (at most {MAX_PIXELS} pixels)"),
        ));
    }
    let (w, h) = (w as u32, h as u32);
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| invalid(FIGURE, format!("cannot allocate {w} × {h} pixels")))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    let s = scale as f32;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(s, s),
        &mut pixmap.as_mut(),
    );
    // On an opaque white background premultiplied and straight RGBA are the same, and the
    // alpha channel is 255 everywhere: the PNG stores RGB.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let per_metre = (dpi / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: per_metre,
            yppu: per_metre,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder
            .write_header()
            .map_err(|e| invalid(FIGURE, format!("PNG header: {e}")))?;
        writer
            .write_image_data(&rgb)
            .map_err(|e| invalid(FIGURE, format!("PNG data: {e}")))?;
    }
    Ok(out)
}
