//! Figures as 300 dpi PNG: the rendered image has the SVG's size times 300/96, records its
//! resolution (pHYs, pixels per metre), and shows the figure — its title text and its
//! data — not a blank page. Without any installed font the renderer says so instead.

mod common;

use common::png_fonts_available;
use gpurad::report::png::svg_to_png;
use gpurad::report::{roc_svg, RocSeries};

fn figure() -> String {
    let series = RocSeries {
        name: "combined".into(),
        points: vec![(0.0, 0.0), (0.1, 0.6), (0.3, 0.85), (1.0, 1.0)],
        auc: 0.86,
        auc_ci: Some((0.79, 0.93)),
    };
    roc_svg("ROC curves — validation", &[series]).unwrap()
}

#[test]
fn a_figure_renders_at_300_dpi_with_its_text() {
    let svg = figure();
    if !png_fonts_available("rendering a figure to PNG") {
        // Without fonts the renderer refuses, saying why.
        let e = svg_to_png(&svg, 300.0).unwrap_err();
        assert!(e.to_string().contains("no font"), "{e}");
        return;
    }
    let png = svg_to_png(&svg, 300.0).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(&png));
    let mut reader = decoder.read_info().unwrap();
    let info = reader.info();
    // 600 × 450 CSS pixels at 300/96.
    assert_eq!((info.width, info.height), (1875, 1407));
    let dims = info.pixel_dims.expect("the resolution is recorded");
    assert_eq!((dims.xppu, dims.yppu), (11811, 11811));
    assert_eq!(dims.unit, png::Unit::Meter);
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (frame.width as usize, frame.height as usize);
    let channels = frame.line_size / w;
    let dark = |x0: usize, x1: usize, y0: usize, y1: usize| {
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = &buf[y * frame.line_size + x * channels..][..3];
                p.iter().all(|&c| c < 128)
            })
            .count()
    };
    // The title (bold text centred in the top 40 CSS px) is drawn...
    let title = dark(w / 4, 3 * w / 4, 0, (40.0 * 3.125) as usize);
    assert!(title > 2000, "title text: {title} dark pixels");
    // ...and the plot is not blank, while the page margins are white.
    let colored = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let p = &buf[y * frame.line_size + x * channels..][..3];
            p.iter().max().unwrap() - p.iter().min().unwrap() > 60
        })
        .count();
    assert!(
        colored > 5000,
        "the ROC curve is drawn in colour: {colored} pixels"
    );
    assert_eq!(dark(0, 20, 0, 20), 0, "the corner is background");
}

#[test]
fn bad_input_is_refused_with_its_cause() {
    assert!(svg_to_png("<svg", 300.0)
        .unwrap_err()
        .to_string()
        .contains("cannot be read"));
    assert!(svg_to_png(&figure(), 0.0).is_err());
    assert!(svg_to_png(&figure(), f64::NAN).is_err());
    assert!(svg_to_png(&figure(), 100_000.0).is_err(), "beyond 2400 dpi");
    // A figure 6 km wide would be billions of pixels: refused before allocating.
    let huge = figure().replacen("width=\"600\"", "width=\"6000000\"", 1);
    assert!(svg_to_png(&huge, 300.0)
        .unwrap_err()
        .to_string()
        .contains("pixels"));
}
