//! SVG report figures (`gpurad::report`): every figure is well-formed XML with a viewBox,
//! has the expected number of series, shows the statistics it is given, keeps every
//! coordinate inside the viewBox, and turns empty input into a "no data" figure and
//! malformed input (NaN, out of range, mismatched lengths) into an error, never a panic.

use gpurad::evaluate::decision_curve::{decision_curve, threshold_grid};
use gpurad::evaluate::hosmer_lemeshow::hosmer_lemeshow;
use gpurad::evaluate::roc::auc_delong_ci;
use gpurad::evaluate::threshold::roc_curve;
use gpurad::model::lasso::{cross_validate, fold_ids, LassoOptions};
use gpurad::report::{
    calibration_svg, decision_curve_svg, group_svg, lasso_cv_svg, lasso_path_svg, nomogram_svg,
    roc_svg, CalibrationCurveLine, CalibrationGroup, CalibrationPlot, DecisionCurvePlot, GroupPlot,
    LassoCvPlot, LassoPathPlot, NetBenefitSeries, NomogramPlot, NomogramPredictor, ReportError,
    RocSeries,
};

/// A parsed figure with its viewBox size.
struct Figure<'a> {
    doc: roxmltree::Document<'a>,
    width: f64,
    height: f64,
}

/// Parses `svg` (panics with the parser's message if it is not well-formed XML), checks
/// the root and viewBox, that no NaN/inf leaked into the markup, and that every coordinate
/// lies inside the viewBox.
fn parse(svg: &str) -> Figure<'_> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("invalid XML: {e}\n{svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let vb: Vec<f64> = root
        .attribute("viewBox")
        .expect("viewBox")
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(vb.len(), 4);
    assert_eq!((vb[0], vb[1]), (0.0, 0.0));
    // 600 wide; at least 450 tall but for the nomogram, which is as tall as its scales.
    assert!(vb[2] >= 600.0 && vb[3] >= 300.0, "{vb:?}");
    for node in doc.descendants() {
        for a in node.attributes() {
            let v = a.value();
            assert!(
                !v.contains("NaN") && !v.contains("inf"),
                "non-finite {}={v}",
                a.name()
            );
        }
    }
    let fig = Figure {
        doc,
        width: vb[2],
        height: vb[3],
    };
    check_coordinates(&fig);
    fig
}

fn check_coordinates(fig: &Figure) {
    let inside = |x: f64, y: f64, what: &str| {
        assert!(
            (0.0..=fig.width).contains(&x) && (0.0..=fig.height).contains(&y),
            "{what}: ({x}, {y}) outside viewBox {}×{}",
            fig.width,
            fig.height
        );
    };
    let num = |node: roxmltree::Node, a: &str| node.attribute(a).map(|v| v.parse::<f64>().unwrap());
    for node in fig.doc.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name().name();
        for (ax, ay) in [("x", "y"), ("x1", "y1"), ("x2", "y2"), ("cx", "cy")] {
            if let (Some(x), Some(y)) = (num(node, ax), num(node, ay)) {
                inside(x, y, tag);
            }
        }
        if let (Some(x), Some(y), Some(w), Some(h)) = (
            num(node, "x"),
            num(node, "y"),
            num(node, "width"),
            num(node, "height"),
        ) {
            inside(x + w, y + h, "rect corner");
        }
        if let Some(d) = node.attribute("d") {
            for (x, y) in path_points(d) {
                inside(x, y, "path point");
            }
        }
    }
}

/// Absolute points of the `M`/`L` commands of path data (`h0` stubs are relative no-ops).
fn path_points(d: &str) -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    let mut rest = d;
    while let Some(pos) = rest.find(|c: char| c.is_ascii_alphabetic()) {
        let cmd = rest[pos..].chars().next().unwrap();
        let after = &rest[pos + 1..];
        let end = after
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let nums: Vec<f64> = after[..end]
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        match cmd {
            'M' | 'L' => {
                assert_eq!(nums.len() % 2, 0, "odd coordinates in {d}");
                points.extend(nums.chunks(2).map(|c| (c[0], c[1])));
            }
            'h' => assert_eq!(nums, vec![0.0]),
            other => panic!("unexpected path command {other} in {d}"),
        }
        rest = &after[end..];
    }
    points
}

/// Elements with tag `tag` whose class list contains `class`.
fn count(fig: &Figure, tag: &str, class: &str) -> usize {
    fig.doc
        .descendants()
        .filter(|n| {
            n.tag_name().name() == tag
                && n.attribute("class")
                    .is_some_and(|c| c.split_whitespace().any(|k| k == class))
        })
        .count()
}

/// Text of the `<text>` elements with class `class`.
fn texts(fig: &Figure, class: &str) -> Vec<String> {
    fig.doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text" && n.attribute("class") == Some(class))
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect()
}

/// Writes `svg` to `$REPORT_SVG_DIR/name.svg` when that variable is set, for looking at the
/// figures by eye.
fn dump(name: &str, svg: &str) {
    if let Some(dir) = std::env::var_os("REPORT_SVG_DIR") {
        let path = std::path::Path::new(&dir).join(format!("{name}.svg"));
        std::fs::write(&path, svg).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

fn assert_no_data(svg: &str) {
    let fig = parse(svg);
    let msg = texts(&fig, "no-data");
    assert_eq!(msg.len(), 1, "no 'no data' message");
    assert!(msg[0].starts_with("No data"), "{msg:?}");
    assert_eq!(count(&fig, "path", "series"), 0);
}

/// A small deterministic cohort: outcome and two scores of different quality.
fn cohort() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = 120;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut unif = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut y = Vec::with_capacity(n);
    let mut good = Vec::with_capacity(n);
    let mut weak = Vec::with_capacity(n);
    for i in 0..n {
        let event = (i % 3 == 0) as u8 as f64;
        let signal = if event == 1.0 { 1.2 } else { -0.6 };
        let g = signal + 1.3 * (unif() - 0.5) * 2.0;
        let w = 0.4 * signal + 1.5 * (unif() - 0.5) * 2.0;
        y.push(event);
        good.push(1.0 / (1.0 + (-g).exp()));
        weak.push(1.0 / (1.0 + (-w).exp()));
    }
    (y, good, weak)
}

#[test]
fn roc_plot_shows_every_model_with_its_auc() {
    let series = vec![
        RocSeries {
            name: "Combined".into(),
            points: vec![(0.0, 0.0), (0.1, 0.6), (0.3, 0.85), (1.0, 1.0)],
            auc: 0.8612,
            auc_ci: Some((0.7888, 0.9331)),
        },
        RocSeries {
            name: "Clinical".into(),
            points: vec![(1.0, 1.0), (0.4, 0.7), (0.0, 0.0)], // unsorted on purpose
            auc: 0.7,
            auc_ci: None,
        },
    ];
    let svg = roc_svg("ROC curves", &series).unwrap();
    let fig = parse(&svg);
    assert_eq!(count(&fig, "path", "series"), 2);
    assert_eq!(count(&fig, "path", "reference"), 1);
    let legend = texts(&fig, "legend-text");
    assert_eq!(legend.len(), 3);
    assert_eq!(legend[0], "Combined: AUC 0.86 (0.79\u{2013}0.93)");
    assert_eq!(legend[1], "Clinical: AUC 0.70");
    assert_eq!(legend[2], "Chance");
    assert_eq!(texts(&fig, "title"), vec!["ROC curves".to_string()]);
}

#[test]
fn roc_plot_from_evaluation_results() {
    let (y, good, weak) = cohort();
    let mut series = Vec::new();
    let mut expected = Vec::new();
    for (name, score) in [("Radiomics", &good), ("Clinical", &weak)] {
        let curve = roc_curve(&y, score).unwrap();
        let ci = auc_delong_ci(&y, score, 0.95).unwrap();
        expected.push(format!(
            "AUC {:.2} ({:.2}\u{2013}{:.2})",
            ci.auc, ci.ci_low, ci.ci_high
        ));
        series.push(RocSeries::from_curve(name, &curve, &ci));
    }
    let svg = roc_svg("Validation cohort", &series).unwrap();
    dump("roc", &svg);
    let fig = parse(&svg);
    assert_eq!(count(&fig, "path", "series"), 2);
    let legend = texts(&fig, "legend-text").join("\n");
    for e in &expected {
        assert!(legend.contains(e), "{e} not in {legend}");
    }
}

#[test]
fn roc_plot_rejects_bad_input_and_shows_no_data() {
    let empty = roc_svg("Empty", &[]).unwrap();
    dump("no_data", &empty);
    assert_no_data(&empty);
    let nan = RocSeries {
        name: "A".into(),
        points: vec![(0.0, 0.0), (f64::NAN, 0.5), (1.0, 1.0)],
        auc: 0.8,
        auc_ci: None,
    };
    let err = roc_svg("t", std::slice::from_ref(&nan)).unwrap_err();
    assert!(matches!(err, ReportError::NonFinite { .. }), "{err}");
    assert!(err.to_string().contains("ROC plot"), "{err}");
    let err = roc_svg(
        "t",
        &[RocSeries {
            auc: f64::NAN,
            points: vec![(0.0, 0.0)],
            ..nan.clone()
        }],
    )
    .unwrap_err();
    assert!(err.to_string().contains("AUC"), "{err}");
    let empty = RocSeries {
        points: vec![],
        ..nan.clone()
    };
    assert!(roc_svg("t", &[empty])
        .unwrap_err()
        .to_string()
        .contains("no points"));
    let outside = RocSeries {
        points: vec![(0.0, 1.5)],
        auc: 0.5,
        ..nan
    };
    assert!(matches!(
        roc_svg("t", &[outside]),
        Err(ReportError::Invalid { .. })
    ));
}

#[test]
fn text_is_escaped() {
    let name = "A<B> & \"C\" 'D'\u{1}";
    let series = vec![RocSeries {
        name: name.into(),
        points: vec![(0.0, 0.0), (1.0, 1.0)],
        auc: 0.5,
        auc_ci: Some((0.4, 0.6)),
    }];
    let svg = roc_svg("Title <with> & markup", &series).unwrap();
    let fig = parse(&svg);
    assert_eq!(
        texts(&fig, "title"),
        vec!["Title <with> & markup".to_string()]
    );
    assert!(texts(&fig, "legend-text")[0].starts_with("A<B> & \"C\" 'D': AUC 0.50"));
}

fn calibration_input() -> CalibrationPlot {
    CalibrationPlot {
        title: "Calibration".into(),
        groups: (0..10)
            .map(|k| CalibrationGroup {
                mean_predicted: 0.05 + 0.09 * k as f64,
                observed: (0.03 + 0.095 * k as f64).min(1.0),
                n: 20 + k,
            })
            .collect(),
        intercept: Some(-0.1234),
        slope: Some(0.912),
        hosmer_lemeshow_p: Some(0.4321),
        curves: Vec::new(),
    }
}

#[test]
fn calibration_plot_has_groups_diagonal_and_caption() {
    let svg = calibration_svg(&calibration_input()).unwrap();
    dump("calibration", &svg);
    let fig = parse(&svg);
    assert_eq!(count(&fig, "path", "series"), 1);
    assert_eq!(count(&fig, "path", "reference"), 1);
    assert_eq!(count(&fig, "circle", "group"), 10);
    assert_eq!(count(&fig, "line", "errorbar"), 10);
    let caption = texts(&fig, "caption");
    assert_eq!(
        caption,
        vec!["Calibration intercept \u{2212}0.12 \u{00b7} slope 0.91 \u{00b7} Hosmer\u{2013}Lemeshow p = 0.43".to_string()]
    );
}

#[test]
fn calibration_plot_draws_smooth_curves_with_their_labels() {
    let mut plot = calibration_input();
    plot.curves = vec![
        CalibrationCurveLine {
            label: "Apparent (lowess)".into(),
            points: (0..50)
                .map(|k| (0.02 * k as f64, 0.021 * k as f64))
                .collect(),
            dash: Some("6 3"),
        },
        CalibrationCurveLine {
            label: "Bias-corrected".into(),
            // A smooth may overshoot 1 a little: drawn clipped, not refused.
            points: (0..50)
                .map(|k| (0.02 * k as f64, 0.023 * k as f64))
                .collect(),
            dash: None,
        },
    ];
    let svg = calibration_svg(&plot).unwrap();
    let fig = parse(&svg);
    assert_eq!(count(&fig, "path", "smooth"), 2);
    let legend = texts(&fig, "legend-text");
    assert!(legend.ends_with(&[
        "Apparent (lowess)".to_string(),
        "Bias-corrected".to_string()
    ]));
    plot.curves[0].points[3].0 = 1.5;
    assert!(
        calibration_svg(&plot).is_err(),
        "a predicted probability above 1"
    );
    plot.curves[0].points[3] = (0.06, f64::NAN);
    assert!(calibration_svg(&plot).is_err(), "a NaN observed value");
}

#[test]
fn calibration_plot_from_hosmer_lemeshow_groups() {
    let (y, good, _) = cohort();
    let hl = hosmer_lemeshow(&y, &good, 10).unwrap();
    let plot = CalibrationPlot {
        title: "Deciles".into(),
        groups: CalibrationGroup::from_hosmer_lemeshow(&hl),
        intercept: None,
        slope: None,
        hosmer_lemeshow_p: Some(hl.p_value),
        curves: Vec::new(),
    };
    let fig_svg = calibration_svg(&plot).unwrap();
    let fig = parse(&fig_svg);
    assert_eq!(count(&fig, "circle", "group"), hl.groups.len());
    let caption = texts(&fig, "caption");
    assert_eq!(caption.len(), 1);
    assert!(
        caption[0].starts_with("Hosmer\u{2013}Lemeshow p "),
        "{caption:?}"
    );
}

#[test]
fn calibration_plot_rejects_bad_input_and_shows_no_data() {
    let mut plot = calibration_input();
    plot.groups.clear();
    assert_no_data(&calibration_svg(&plot).unwrap());
    let mut plot = calibration_input();
    plot.groups[3].observed = f64::NAN;
    assert!(matches!(
        calibration_svg(&plot),
        Err(ReportError::NonFinite { .. })
    ));
    let mut plot = calibration_input();
    plot.groups[0].n = 0;
    assert!(calibration_svg(&plot)
        .unwrap_err()
        .to_string()
        .contains("n = 0"));
    let mut plot = calibration_input();
    plot.slope = Some(f64::INFINITY);
    assert!(calibration_svg(&plot).is_err());
    let mut plot = calibration_input();
    plot.groups[1].mean_predicted = 1.2;
    assert!(matches!(
        calibration_svg(&plot),
        Err(ReportError::Invalid { .. })
    ));
}

#[test]
fn decision_curves_include_treat_all_and_none_and_are_clipped() {
    let (y, good, weak) = cohort();
    let grid = threshold_grid(0.01, 0.99, 0.01).unwrap();
    let a = decision_curve(&y, &good, &grid).unwrap();
    let b = decision_curve(&y, &weak, &grid).unwrap();
    let plot =
        DecisionCurvePlot::from_curves("Decision curves", &[("Radiomics", &a), ("Clinical", &b)])
            .unwrap();
    assert_eq!(plot.thresholds.len(), 99);
    let svg = decision_curve_svg(&plot).unwrap();
    dump("decision_curve", &svg);
    let fig = parse(&svg);
    assert_eq!(count(&fig, "path", "series"), 4);
    let legend = texts(&fig, "legend-text");
    assert_eq!(
        legend,
        vec!["Radiomics", "Clinical", "Treat all", "Treat none"]
    );
    // The y-axis starts at −0.05 or, where a model's curve goes lower, low enough to show it
    // whole; treat-all falls far below and is clipped.
    let ticks = texts(&fig, "tick-label");
    let floor = ticks
        .iter()
        .filter_map(|t| t.replace('\u{2212}', "-").parse::<f64>().ok())
        .fold(f64::INFINITY, f64::min);
    let model_min = a
        .iter()
        .chain(&b)
        .map(|nb| nb.model)
        .fold(f64::INFINITY, f64::min);
    assert!(
        floor <= -0.05 && floor <= model_min,
        "{ticks:?}, models down to {model_min}"
    );
    assert!(floor > -1.0, "{ticks:?}");
    assert!(a.iter().any(|nb| nb.treat_all < -1.0));
}

#[test]
fn decision_curve_rejects_bad_input_and_shows_no_data() {
    let base = DecisionCurvePlot {
        title: "DCA".into(),
        thresholds: vec![0.1, 0.2, 0.3],
        models: vec![NetBenefitSeries {
            name: "Model".into(),
            net_benefit: vec![0.2, 0.15, 0.1],
        }],
        treat_all: vec![0.1, 0.0, -0.1],
    };
    assert!(decision_curve_svg(&base).is_ok());
    let mut empty = base.clone();
    empty.thresholds.clear();
    empty.models.clear();
    empty.treat_all.clear();
    assert_no_data(&decision_curve_svg(&empty).unwrap());
    let mut nan = base.clone();
    nan.models[0].net_benefit[1] = f64::NAN;
    assert!(matches!(
        decision_curve_svg(&nan),
        Err(ReportError::NonFinite { .. })
    ));
    let mut short = base.clone();
    short.treat_all.pop();
    assert!(decision_curve_svg(&short)
        .unwrap_err()
        .to_string()
        .contains("treat all"));
    let mut unsorted = base.clone();
    unsorted.thresholds = vec![0.3, 0.2, 0.1];
    assert!(decision_curve_svg(&unsorted).is_err());
    let mut outside = base;
    outside.thresholds[2] = 1.5;
    assert!(decision_curve_svg(&outside).is_err());
}

fn path_input() -> LassoPathPlot {
    let lambdas: Vec<f64> = (0..20).map(|k| 0.2 * 0.8f64.powi(k)).collect();
    LassoPathPlot {
        title: "LASSO path".into(),
        coefficients: lambdas
            .iter()
            .map(|&l| {
                vec![
                    (0.15 - l).max(0.0) * 4.0,
                    0.0,
                    -(0.08 - l).max(0.0) * 6.0,
                    (0.02 - l).max(0.0),
                ]
            })
            .collect(),
        lambdas,
        feature_names: vec![
            "glcm_Contrast".into(),
            "never".into(),
            "shape_Sphericity".into(),
            "firstorder_Mean".into(),
        ],
        chosen_lambda: Some(0.03),
    }
}

#[test]
fn lasso_path_draws_each_ever_active_feature() {
    let svg = lasso_path_svg(&path_input()).unwrap();
    dump("lasso_path_synthetic", &svg);
    let fig = parse(&svg);
    // At the chosen λ = 0.03 the first and third features are kept; the fourth entered
    // the path later and is drawn grey, counted but not named.
    assert_eq!(count(&fig, "path", "series"), 2);
    assert_eq!(count(&fig, "path", "series-dropped"), 1);
    assert_eq!(count(&fig, "path", "vline"), 1);
    let legend = texts(&fig, "legend-text");
    assert_eq!(
        legend,
        vec![
            "glcm_Contrast",
            "shape_Sphericity",
            "1 feature not kept",
            "Chosen λ"
        ]
    );
    let labels = texts(&fig, "axis-label");
    assert!(labels.contains(&"log(λ)".to_string()));
    assert!(labels.contains(&"Non-zero coefficients".to_string()));
    // The top axis counts the non-zero coefficients: 0 at the largest λ (0.2, log −1.6),
    // 3 at the smallest (0.0029, log −5.8), never more than 3.
    let counts: Vec<usize> = texts(&fig, "top-tick-label")
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    assert!(counts.len() >= 3, "{counts:?}");
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "falls as λ grows: {counts:?}"
    );
    assert_eq!(counts.first(), Some(&3));
    assert!(counts.iter().all(|&c| c <= 3));
}

#[test]
fn lasso_path_rejects_bad_input_and_shows_no_data() {
    let mut p = path_input();
    p.lambdas.clear();
    p.coefficients.clear();
    assert_no_data(&lasso_path_svg(&p).unwrap());
    let mut p = path_input();
    for b in &mut p.coefficients {
        b.iter_mut().for_each(|v| *v = 0.0);
    }
    assert_no_data(&lasso_path_svg(&p).unwrap());
    let mut p = path_input();
    p.lambdas[0] = 0.0;
    assert!(lasso_path_svg(&p).unwrap_err().to_string().contains("> 0"));
    let mut p = path_input();
    p.coefficients[4][0] = f64::NAN;
    assert!(matches!(
        lasso_path_svg(&p),
        Err(ReportError::NonFinite { .. })
    ));
    let mut p = path_input();
    p.coefficients[2].pop();
    assert!(lasso_path_svg(&p).is_err());
    let mut p = path_input();
    p.chosen_lambda = Some(f64::NAN);
    assert!(lasso_path_svg(&p).is_err());
}

#[test]
fn lasso_cv_from_cross_validation() {
    let (y, good, weak) = cohort();
    let noise: Vec<f64> = (0..y.len()).map(|i| ((i * 37) % 11) as f64).collect();
    let x = vec![good, weak, noise];
    let folds = fold_ids(y.len(), 5, 7).unwrap();
    let options = LassoOptions {
        n_lambda: 30,
        ..LassoOptions::default()
    };
    let cv = cross_validate(&x, &y, &folds, &options).unwrap();
    let plot = LassoCvPlot::from_cv("Cross-validation", &cv);
    let svg = lasso_cv_svg(&plot).unwrap();
    dump("lasso_cv", &svg);
    let fig = parse(&svg);
    let n = cv.path.lambdas.len();
    assert_eq!(count(&fig, "path", "series"), 1);
    assert_eq!(count(&fig, "line", "errorbar"), n);
    assert_eq!(count(&fig, "circle", "point"), n);
    assert_eq!(count(&fig, "path", "vline"), 2);
    let legend = texts(&fig, "legend-text");
    assert_eq!(legend.len(), 3);
    assert!(legend[1].starts_with("λ.min = "), "{legend:?}");
    assert!(legend[2].starts_with("λ.1se = "), "{legend:?}");

    let names: Vec<String> = ["good", "weak", "noise"].map(String::from).to_vec();
    let path = LassoPathPlot::from_path("Path", &cv.path, &names, Some(cv.lambda_min));
    let fig_svg = lasso_path_svg(&path).unwrap();
    dump("lasso_path", &fig_svg);
    let fig = parse(&fig_svg);
    let active = (0..3)
        .filter(|&j| cv.path.betas.iter().any(|b| b[j] != 0.0))
        .count();
    assert_eq!(count(&fig, "path", "series"), active);
}

#[test]
fn lasso_cv_rejects_bad_input_and_shows_no_data() {
    let base = LassoCvPlot {
        title: "CV".into(),
        lambdas: vec![0.1, 0.05, 0.02, 0.01],
        mean_deviance: vec![1.3, 1.1, 1.0, 1.05],
        sd: vec![0.05, 0.05, 0.06, 0.07],
        lambda_min: 0.02,
        lambda_1se: 0.05,
        nonzero: vec![1, 2, 4, 5],
    };
    let svg = lasso_cv_svg(&base).unwrap();
    let fig = parse(&svg);
    assert!(texts(&fig, "legend-text").contains(&"λ.min = 0.0200".to_string()));
    let counts = texts(&fig, "top-tick-label");
    assert!(!counts.is_empty());
    assert!(counts
        .iter()
        .all(|c| ["1", "2", "4", "5"].contains(&c.as_str())));
    let mut no_counts = base.clone();
    no_counts.nonzero.clear();
    assert!(texts(&parse(&lasso_cv_svg(&no_counts).unwrap()), "top-tick-label").is_empty());
    let mut bad_counts = base.clone();
    bad_counts.nonzero.pop();
    assert!(lasso_cv_svg(&bad_counts)
        .unwrap_err()
        .to_string()
        .contains("non-zero counts"));
    let mut empty = base.clone();
    empty.lambdas.clear();
    assert_no_data(&lasso_cv_svg(&empty).unwrap());
    let mut nan = base.clone();
    nan.mean_deviance[2] = f64::NAN;
    assert!(matches!(
        lasso_cv_svg(&nan),
        Err(ReportError::NonFinite { .. })
    ));
    let mut short = base.clone();
    short.sd.pop();
    assert!(lasso_cv_svg(&short).is_err());
    let mut bad = base;
    bad.lambda_1se = -1.0;
    assert!(lasso_cv_svg(&bad).is_err());
}

fn nomogram_input() -> NomogramPlot {
    NomogramPlot {
        title: "Nomogram".into(),
        predictors: vec![
            NomogramPredictor {
                name: "Age (years)".into(),
                ticks: (0..=8)
                    .map(|k| ((30 + 5 * k).to_string(), k as f64 * 12.5))
                    .collect(),
            },
            NomogramPredictor {
                name: "Sex".into(),
                ticks: vec![("Male".into(), 0.0), ("Female".into(), 21.3)],
            },
            NomogramPredictor {
                name: "Rad-score".into(),
                ticks: vec![
                    ("-2".into(), 0.0),
                    ("-1".into(), 22.0),
                    ("0".into(), 44.0),
                    ("1".into(), 66.0),
                ],
            },
        ],
        total_points_range: (0.0, 190.0),
        risk_ticks: vec![
            (20.0, 0.05),
            (60.0, 0.1),
            (100.0, 0.3),
            (130.0, 0.5),
            (160.0, 0.7),
            (185.0, 0.9),
        ],
    }
}

#[test]
fn nomogram_has_points_predictor_total_and_risk_scales() {
    let svg = nomogram_svg(&nomogram_input()).unwrap();
    dump("nomogram", &svg);
    let fig = parse(&svg);
    assert_eq!(count(&fig, "path", "axis"), 6);
    let labels = texts(&fig, "scale-label");
    assert_eq!(
        labels,
        vec![
            "Points",
            "Age (years)",
            "Sex",
            "Rad-score",
            "Total points",
            "Risk"
        ]
    );
    let ticks = texts(&fig, "tick-label");
    for t in ["0", "100", "Male", "Female", "0.05", "0.5", "0.9"] {
        assert!(ticks.contains(&t.to_string()), "{t} not in {ticks:?}");
    }
    // No blank band under the risk scale: its lowest text is within 40 px of the bottom.
    let lowest = fig
        .doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .filter_map(|n| n.attribute("y").and_then(|y| y.parse::<f64>().ok()))
        .fold(0.0, f64::max);
    assert!(
        fig.height - lowest < 40.0,
        "lowest text at {lowest} of {}",
        fig.height
    );
}

#[test]
fn nomogram_grows_with_many_predictors() {
    let mut plot = nomogram_input();
    let extra = plot.predictors[1].clone();
    for k in 0..10 {
        plot.predictors.push(NomogramPredictor {
            name: format!("a rather long predictor name number {k}"),
            ..extra.clone()
        });
    }
    let svg = nomogram_svg(&plot).unwrap();
    dump("nomogram_tall", &svg);
    let fig = parse(&svg);
    assert!(fig.height > 450.0);
    assert_eq!(count(&fig, "path", "axis"), 16);
    // Over-long names are cut with an ellipsis in the label, kept whole on the axis.
    let labels = texts(&fig, "scale-label");
    assert!(
        labels[4].ends_with('\u{2026}') && labels[4].chars().count() < 30,
        "{labels:?}"
    );
    assert!(fig
        .doc
        .descendants()
        .any(|n| n.attribute("data-name") == Some("a rather long predictor name number 0")));
}

#[test]
fn nomogram_rejects_bad_input_and_shows_no_data() {
    let mut p = nomogram_input();
    p.predictors.clear();
    assert_no_data(&nomogram_svg(&p).unwrap());
    let mut p = nomogram_input();
    p.predictors[0].ticks[2].1 = f64::NAN;
    assert!(matches!(
        nomogram_svg(&p),
        Err(ReportError::NonFinite { .. })
    ));
    let mut p = nomogram_input();
    p.predictors[1].ticks[1].1 = 130.0;
    assert!(nomogram_svg(&p).unwrap_err().to_string().contains("Female"));
    let mut p = nomogram_input();
    p.predictors[2].ticks.clear();
    assert!(nomogram_svg(&p).is_err());
    let mut p = nomogram_input();
    p.risk_ticks.push((250.0, 0.99));
    assert!(nomogram_svg(&p).is_err());
    let mut p = nomogram_input();
    p.total_points_range = (100.0, 100.0);
    assert!(nomogram_svg(&p).is_err());
    let mut p = nomogram_input();
    p.risk_ticks.clear();
    assert!(nomogram_svg(&p).is_err());
}

#[test]
fn radscore_coefficients_are_bars_sorted_by_size_with_full_names() {
    use gpurad::report::coefficient_plot::coefficient_svg;
    let coefficients = vec![
        ("T2WI_original_glcm_Contrast".to_string(), 0.12),
        ("FST2WI_wavelet-LLH_firstorder_Skewness".to_string(), -0.48),
        (
            "T1WI_log-sigma-3-0-mm-3D_gldm_DependenceEntropy".to_string(),
            0.31,
        ),
    ];
    let svg = coefficient_svg("Radscore coefficients", &coefficients).unwrap();
    dump("radscore_coefficients", &svg);
    let fig = parse(&svg);
    assert_eq!(count(&fig, "rect", "series"), 3);
    // Largest |coefficient| first, names whole.
    assert_eq!(
        texts(&fig, "bar-label"),
        vec![
            "FST2WI_wavelet-LLH_firstorder_Skewness",
            "T1WI_log-sigma-3-0-mm-3D_gldm_DependenceEntropy",
            "T2WI_original_glcm_Contrast"
        ]
    );
    let none = coefficient_svg("Radscore coefficients", &[]).unwrap();
    assert!(none.contains("no selected features"));
    assert!(coefficient_svg("x", &[("a".into(), f64::NAN)]).is_err());
}

#[test]
fn score_by_group_draws_tukey_boxes_over_the_points() {
    // 1..=9 and 40: quartiles 3.25, 5.5, 7.75 (type 7); 40 is beyond 7.75 + 1.5·4.5, so
    // the upper whisker stops at 9 and 40 is still drawn as a point.
    let mut a: Vec<f64> = (1..=9).map(f64::from).collect();
    a.push(40.0);
    let plot = GroupPlot {
        title: "Radscore by outcome".into(),
        value_label: "Radscore".into(),
        groups: vec![("y = 0".into(), a), ("y = 1".into(), vec![2.0, 4.0, 6.0])],
        caption: "Wilcoxon rank-sum test p = 0.50".into(),
    };
    let svg = group_svg(&plot).unwrap();
    dump("group", &svg);
    let fig = parse(&svg);
    assert_eq!(count(&fig, "circle", "point"), 13);
    assert_eq!(count(&fig, "rect", "box"), 2);
    assert_eq!(count(&fig, "line", "median"), 2);
    assert_eq!(count(&fig, "line", "whisker"), 8);
    assert_eq!(
        texts(&fig, "group-label"),
        vec!["y = 0 (n = 10)".to_string(), "y = 1 (n = 3)".to_string()]
    );
    assert_eq!(
        texts(&fig, "caption"),
        vec!["Wilcoxon rank-sum test p = 0.50"]
    );
    // The first box spans Q1 = 3.25 to Q3 = 7.75, its median 5.5: the median line lies at
    // the fraction (5.5 − 3.25)/(7.75 − 3.25) of its height from the bottom.
    let rect = fig
        .doc
        .descendants()
        .find(|n| n.attribute("class") == Some("box"))
        .unwrap();
    let attr = |n: roxmltree::Node, k: &str| n.attribute(k).unwrap().parse::<f64>().unwrap();
    let (top, height) = (attr(rect, "y"), attr(rect, "height"));
    let median = fig
        .doc
        .descendants()
        .find(|n| n.attribute("class") == Some("median"))
        .unwrap();
    let my = attr(median, "y1");
    let frac = (top + height - my) / height;
    assert!(
        (frac - 2.25 / 4.5).abs() < 1e-3,
        "median at {frac} of the box"
    );

    let mut bad = plot.clone();
    bad.groups[1].1[0] = f64::NAN;
    assert!(matches!(
        group_svg(&bad),
        Err(ReportError::NonFinite { .. })
    ));
    let empty = GroupPlot {
        groups: vec![("y = 0".into(), vec![]), ("y = 1".into(), vec![])],
        ..plot
    };
    assert_no_data(&group_svg(&empty).unwrap());
}
