//! The study report as a reader sees it: each figure of `report.html` rendered by a real
//! headless browser (Chromium), one at a time, and checked to show its figure — text in the
//! title band and, for data figures, coloured marks — rather than a blank or broken box.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Chromium executable, if one is installed.
pub fn chromium() -> Option<PathBuf> {
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    })
}

/// A screenshot of `html` (a file) at `size` pixels, decoded: (width, height, RGB rows).
fn screenshot(
    browser: &Path,
    html: &Path,
    out: &Path,
    size: (u32, u32),
) -> (usize, usize, Vec<u8>) {
    let status = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("--screenshot={}", out.display()))
        .arg(format!("file://{}", html.display()))
        .env("HOME", out.parent().unwrap())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", browser.display()));
    assert!(
        out.is_file(),
        "no screenshot of {}: {}",
        html.display(),
        String::from_utf8_lossy(&status.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(out).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (frame.width as usize, frame.height as usize);
    let channels = frame.line_size / w;
    let rgb = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .flat_map(|(x, y)| buf[y * frame.line_size + x * channels..][..3].to_vec())
        .collect();
    (w, h, rgb)
}

/// Renders each `<figure id="…">` of `report` alone (every other figure and section hidden
/// by an added style sheet) and checks what the browser drew. `ids` lists the figures;
/// `monochrome` those drawn without colour (the nomogram). The same check of a page with
/// no figure shown must fail, so that a blank rendering cannot pass.
pub fn check_report_figures(browser: &Path, report: &Path, ids: &[&str], monochrome: &[&str]) {
    let html = std::fs::read_to_string(report).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (dark, colored) = drawn(browser, &html, dir.path(), "no-such-figure");
    assert!(
        dark < 100 && colored < 100,
        "an empty page shows {dark} dark and {colored} coloured pixels"
    );
    for id in ids {
        let (dark, colored) = drawn(browser, &html, dir.path(), id);
        // A 560-px-wide figure's title, tick labels and axes are thousands of dark pixels.
        assert!(dark > 3000, "figure {id}: only {dark} dark pixels: blank?");
        if !monochrome.contains(id) {
            assert!(
                colored > 300,
                "figure {id}: only {colored} coloured pixels: no data drawn?"
            );
        }
    }
}

/// Dark and coloured pixels of `html` rendered with only figure `id` shown.
fn drawn(browser: &Path, html: &str, dir: &Path, id: &str) -> (usize, usize) {
    {
        let style = format!(
            "<style>body > *:not(.figures) {{ display: none !important; }} \
             figure:not([id=\"{id}\"]) {{ display: none !important; }} \
             figcaption {{ display: none; }}</style></head>"
        );
        let page = dir.join(format!("{id}.html"));
        std::fs::write(&page, html.replacen("</head>", &style, 1)).unwrap();
        let shot = dir.join(format!("{id}.png"));
        let (w, h, rgb) = screenshot(browser, &page, &shot, (1200, 1400));
        let px = |x: usize, y: usize| &rgb[(y * w + x) * 3..][..3];
        let dark = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| px(x, y).iter().all(|&c| c < 100))
            .count();
        let colored = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = px(x, y);
                p.iter().max().unwrap() - p.iter().min().unwrap() > 60
            })
            .count();
        (dark, colored)
    }
}
