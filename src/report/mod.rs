//! Publication figures of a prediction model as self-contained SVG documents.
//!
//! Each figure is a pure function from a small plain-data input struct to an SVG string
//! (600 × 450 viewBox, no external fonts or resources, Okabe–Ito colour-blind-safe
//! palette); the structs have `from_*` helpers that take the results of
//! [`crate::evaluate`] and [`crate::model`], but can be filled from any source:
//!
//! * [`roc_plot::roc_svg`]: ROC curves of several models with AUC (95 % CI) in the legend;
//! * [`calibration_plot::calibration_svg`]: grouped predicted vs observed risk, with the
//!   calibration intercept, slope and Hosmer–Lemeshow p in a caption;
//! * [`decision_curve_plot::decision_curve_svg`]: net benefit vs threshold probability,
//!   with treat-all and treat-none;
//! * [`lasso_plot::lasso_path_svg`] and [`lasso_plot::lasso_cv_svg`]: the LASSO coefficient
//!   path and its cross-validation curve;
//! * [`nomogram_plot::nomogram_svg`]: an `rms`-style nomogram;
//! * [`coefficient_plot::coefficient_svg`]: the Radscore's coefficients as bars (its size
//!   follows the number of features and the longest name);
//! * [`group_plot::group_svg`]: a score by group (the Radscore by outcome) as box plots
//!   over the patients' values.
//!
//! Conventions shared by all figures:
//!
//! * an input with nothing to draw (no series, no groups, no thresholds, no predictors)
//!   gives an explicit "no data" figure ([`svg::no_data_figure`]), never an empty plot;
//! * malformed input (NaN or infinite values, values outside their range, mismatched
//!   lengths) is a [`ReportError`] that names the figure, the input and the problem;
//! * data series are `<path class="series">` elements (with a `data-name` attribute),
//!   reference lines `class="reference"`, legend labels `<text class="legend-text">`.

pub mod calibration_plot;
pub mod coefficient_plot;
pub mod decision_curve_plot;
pub mod group_plot;
pub mod html;
pub mod lasso_plot;
pub mod nomogram_plot;
pub mod png;
pub mod roc_plot;
pub mod svg;

pub use calibration_plot::{
    calibration_svg, CalibrationCurveLine, CalibrationGroup, CalibrationPlot,
};
pub use decision_curve_plot::{decision_curve_svg, DecisionCurvePlot, NetBenefitSeries};
pub use group_plot::{group_svg, GroupPlot};
pub use lasso_plot::{lasso_cv_svg, lasso_path_svg, LassoCvPlot, LassoPathPlot};
pub use nomogram_plot::{nomogram_svg, NomogramPlot, NomogramPredictor};
pub use roc_plot::{roc_svg, RocSeries};

/// Why a figure could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// A value that must be a finite number is NaN or infinite.
    #[error("{figure}: {what} is not a finite number ({value})")]
    NonFinite {
        /// The figure being drawn.
        figure: &'static str,
        /// Which input value (with its position).
        what: String,
        /// The value found.
        value: f64,
    },
    /// An input is inconsistent or out of range.
    #[error("{figure}: {detail}")]
    Invalid {
        /// The figure being drawn.
        figure: &'static str,
        /// What is wrong and what was expected.
        detail: String,
    },
}

/// Result of the figure functions.
pub type ReportResult<T> = Result<T, ReportError>;

/// Fails with [`ReportError::NonFinite`] unless `value` is finite.
pub(crate) fn finite(
    figure: &'static str,
    what: impl FnOnce() -> String,
    value: f64,
) -> ReportResult<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ReportError::NonFinite {
            figure,
            what: what(),
            value,
        })
    }
}

/// Fails unless `value` is finite and within `[lo, hi]`.
pub(crate) fn in_range(
    figure: &'static str,
    what: impl Fn() -> String,
    value: f64,
    lo: f64,
    hi: f64,
) -> ReportResult<f64> {
    finite(figure, &what, value)?;
    if value < lo || value > hi {
        return Err(ReportError::Invalid {
            figure,
            detail: format!("{} is {value}, outside [{lo}, {hi}]", what()),
        });
    }
    Ok(value)
}

/// A [`ReportError::Invalid`] for `figure`.
pub(crate) fn invalid(figure: &'static str, detail: impl Into<String>) -> ReportError {
    ReportError::Invalid {
        figure,
        detail: detail.into(),
    }
}
