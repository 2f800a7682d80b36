//! Logistic recalibration of predicted probabilities (Cox 1958, *Biometrika* 45:562–565;
//! Steyerberg, *Clinical Prediction Models*, 2nd ed. 2019, §15.3), with the two glm fits
//! used in R:
//!
//! * **calibration intercept** ("calibration-in-the-large"): `a` in
//!   `logit P(y = 1) = a + offset(logit p)`, i.e. `glm(y ~ offset(qlogis(p)), binomial)`;
//!   0 when the predictions are right on average;
//! * **calibration slope**: `b` in `logit P(y = 1) = a′ + b·logit p`, i.e.
//!   `glm(y ~ qlogis(p), binomial)`; 1 when the predictions are neither too extreme (`b < 1`)
//!   nor too moderate (`b > 1`).

use crate::model::error::StatsResult;
use crate::model::input::{check_binary, check_probabilities};
use crate::model::logistic::{fit_logistic, LogisticOptions};

/// Calibration intercept and slope of predicted probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Calibration-in-the-large: the intercept of `glm(y ~ offset(logit p))`.
    pub intercept: f64,
    /// Calibration slope: the coefficient of `logit p` in `glm(y ~ logit p)`.
    pub slope: f64,
    /// The intercept `a′` of the slope model `glm(y ~ logit p)`.
    pub slope_model_intercept: f64,
}

/// Calibration intercept and slope of predictions `p` (each in (0, 1)) for 0/1 outcomes `y`,
/// fitted by [`fit_logistic`] with its default (1e-14) convergence tolerance.
///
/// # Errors
/// Invalid inputs, a single outcome class, or a recalibration fit that fails (e.g.
/// predictions that separate the outcome perfectly).
pub fn logistic_calibration(y: &[f64], p: &[f64]) -> StatsResult<Calibration> {
    check_binary(y)?;
    check_probabilities(p, y.len(), true)?;
    let logit: Vec<f64> = p.iter().map(|&v| (v / (1.0 - v)).ln()).collect();
    let options = LogisticOptions::default();
    let citl = fit_logistic(y, &[], Some(&logit), &options)?;
    let slope = fit_logistic(y, &[("logit(p)", &logit)], None, &options)?;
    Ok(Calibration {
        intercept: citl.coefficients[0].estimate,
        slope: slope.coefficients[1].estimate,
        slope_model_intercept: slope.coefficients[0].estimate,
    })
}
