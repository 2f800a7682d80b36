//! Binary logistic regression by iteratively reweighted least squares (IRLS), the Newton–
//! Raphson algorithm for the binomial likelihood, following R's `glm.fit` step for step
//! (McCullagh & Nelder 1989, *Generalized Linear Models*, 2nd ed., §2.5 and §4.4).
//!
//! Model: `logit P(y = 1) = offset + β₀ + β₁x₁ + … + βₖxₖ`. Each iteration solves the weighted
//! least-squares problem `min ‖W^{1/2}(z − Xβ)‖²` with working response
//! `z = η − offset + (y − μ)/μ'(η)` and weights `w = μ'(η)²/Var(μ) = μ(1 − μ)`, by a QR
//! decomposition of `W^{1/2}X` (no normal equations). Iterations stop when the relative
//! deviance change `|D − D_old|/(|D| + 0.1)` falls below [`LogisticOptions::tolerance`]
//! (1e-14 by default, R's criterion with a far tighter threshold than its 1e-8).
//!
//! Inference is Wald inference: `Cov(β̂) = (XᵀWX)⁻¹`, the inverse Fisher information, taken
//! as `summary.glm` does from the R factor of the last QR, i.e. with the weights `W` at the
//! start of the final iteration (they differ from `W(β̂)` by O(|Δβ|) of that iteration; with
//! the 1e-14 tolerance the standard errors differ from the exact ones by ~1e-8 relative at
//! most, and agree with R's to rounding). `z = β̂/SE`,
//! `p = 2Φ(−|z|)`, odds ratio `exp(β̂)` and CI `exp(β̂ ± z_{1−α/2}·SE)`.
//!
//! Degenerate data are rejected with a [`StatsError`] rather than a silently meaningless fit:
//! a single outcome class, a rank-deficient design, and (quasi-)complete separation
//! (Albert & Anderson 1984), detected when a linear predictor passes ±30 during the
//! iterations, where R's `binomial()$linkinv` saturates and `glm` warns "fitted
//! probabilities numerically 0 or 1". Because quasi-complete separation can meet the
//! deviance criterion while a coefficient is still drifting (the separated patients'
//! deviance shrinks geometrically), a converged fit is probed with further Newton steps on a
//! copy: a genuine optimum stops moving within a step or two, a separated fit keeps
//! drifting until |η| passes 30 and is rejected. The estimates returned are those of the
//! R-style stopping point.

use nalgebra::{DMatrix, DVector};

use super::distributions::{critical_value, two_sided_p};
use super::error::{StatsError, StatsResult};
use super::input::{check_finite, require_both_classes};

/// Name of the intercept term, as R prints it.
pub const INTERCEPT: &str = "(Intercept)";

/// |η| beyond which R's `binomial()$linkinv` saturates (its `THRESH = 30`); a fit that needs
/// such a linear predictor is treated as (quasi-)separated.
pub const ETA_LIMIT: f64 = 30.0;

/// Numerical settings of [`fit_logistic`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticOptions {
    /// Maximum number of IRLS iterations (R: `glm.control(maxit)`); default 100.
    pub max_iterations: usize,
    /// Convergence threshold on `|D − D_old|/(|D| + 0.1)` (R: `glm.control(epsilon)`);
    /// default 1e-14.
    pub tolerance: f64,
    /// Confidence level of the Wald intervals of the odds ratios; default 0.95.
    pub conf_level: f64,
}

impl Default for LogisticOptions {
    fn default() -> Self {
        Self {
            max_iterations: 100,
            tolerance: 1e-14,
            conf_level: 0.95,
        }
    }
}

/// One row of the coefficient table (R: `summary(glm)$coefficients` plus odds ratios).
#[derive(Debug, Clone, PartialEq)]
pub struct Coefficient {
    /// Term name: [`INTERCEPT`] or the predictor's name.
    pub term: String,
    /// Maximum-likelihood estimate β̂ (log odds ratio).
    pub estimate: f64,
    /// Standard error, `sqrt([(XᵀWX)⁻¹]ᵢᵢ)`.
    pub std_error: f64,
    /// Wald statistic `β̂/SE`.
    pub z: f64,
    /// Two-sided p-value `2Φ(−|z|)`.
    pub p_value: f64,
    /// Odds ratio `exp(β̂)`.
    pub odds_ratio: f64,
    /// Lower Wald limit `exp(β̂ − z_{1−α/2}·SE)`.
    pub ci_low: f64,
    /// Upper Wald limit `exp(β̂ + z_{1−α/2}·SE)`.
    pub ci_high: f64,
}

/// A fitted logistic regression model.
#[derive(Debug, Clone)]
pub struct LogisticFit {
    /// Coefficient table, intercept first, then predictors in the order given.
    pub coefficients: Vec<Coefficient>,
    /// Covariance matrix of the estimates, `(XᵀWX)⁻¹`, in the order of `coefficients`.
    pub covariance: DMatrix<f64>,
    /// Residual deviance `−2 log L(β̂)`.
    pub deviance: f64,
    /// Deviance of the intercept-only model (with the same offset, if any).
    pub null_deviance: f64,
    /// IRLS iterations performed (R: `glm$iter`).
    pub iterations: usize,
    /// Linear predictor `η̂` of each training patient, offset included.
    pub linear_predictor: Vec<f64>,
    /// Fitted probability `μ̂ = logit⁻¹(η̂)` of each training patient.
    pub fitted: Vec<f64>,
    /// Confidence level of `ci_low`/`ci_high`.
    pub conf_level: f64,
}

impl LogisticFit {
    /// The coefficient row of `term`, if the model has it.
    pub fn coefficient(&self, term: &str) -> Option<&Coefficient> {
        self.coefficients.iter().find(|c| c.term == term)
    }

    /// Linear predictor `β₀ + Σ βⱼxⱼ` for new patients (no offset). `predictors` must name
    /// the model's predictors in the order they were fitted.
    pub fn predict_linear(&self, predictors: &[(&str, &[f64])]) -> StatsResult<Vec<f64>> {
        let terms = &self.coefficients[1..];
        if predictors.len() != terms.len()
            || predictors
                .iter()
                .zip(terms)
                .any(|((name, _), coef)| *name != coef.term)
        {
            return Err(StatsError::InvalidArgument(format!(
                "prediction needs the predictors [{}] in this order, got [{}]",
                terms
                    .iter()
                    .map(|c| c.term.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                predictors
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let n = predictors.first().map_or(0, |(_, v)| v.len());
        for (name, values) in predictors {
            check_finite(values, n, &format!("predictor '{name}'"))?;
        }
        Ok((0..n)
            .map(|i| {
                predictors
                    .iter()
                    .zip(terms)
                    .fold(self.coefficients[0].estimate, |acc, ((_, x), c)| {
                        acc + c.estimate * x[i]
                    })
            })
            .collect())
    }

    /// Predicted probabilities `logit⁻¹(η)` for new patients (R:
    /// `predict(fit, newdata, type = "response")`); see [`Self::predict_linear`].
    pub fn predict(&self, predictors: &[(&str, &[f64])]) -> StatsResult<Vec<f64>> {
        Ok(self
            .predict_linear(predictors)?
            .into_iter()
            .map(inverse_logit)
            .collect())
    }
}

/// Inverse logit `e^η/(1 + e^η)`, saturating at |η| > 30 exactly as R's
/// `binomial()$linkinv` (so predictions match R's bit for bit).
pub fn inverse_logit(eta: f64) -> f64 {
    let e = if eta < -ETA_LIMIT {
        f64::EPSILON
    } else if eta > ETA_LIMIT {
        1.0 / f64::EPSILON
    } else {
        eta.exp()
    };
    e / (1.0 + e)
}

/// `dμ/dη = e^η/(1 + e^η)²`, floored at machine epsilon as R's `binomial()$mu.eta`.
fn mu_eta(eta: f64) -> f64 {
    if eta.abs() > ETA_LIMIT {
        f64::EPSILON
    } else {
        let e = eta.exp();
        let ope = 1.0 + e;
        e / (ope * ope)
    }
}

/// Binomial deviance `Σ 2[y log(y/μ) + (1 − y) log((1 − y)/(1 − μ))]` for 0/1 outcomes.
fn deviance(y: &[f64], mu: &[f64]) -> f64 {
    y.iter()
        .zip(mu)
        .map(|(&yi, &m)| {
            if yi == 1.0 {
                2.0 * (1.0 / m).ln()
            } else {
                2.0 * (1.0 / (1.0 - m)).ln()
            }
        })
        .sum()
}

/// "the coefficient of 'x' grew to b" for the predictor with the largest |β|, which is the
/// usual suspect of a separation.
fn largest_coefficient(beta: &DVector<f64>, names: &[String]) -> String {
    let (j, b) = beta
        .iter()
        .enumerate()
        .skip(1)
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map_or((0, beta[0]), |(j, v)| (j, *v));
    format!("the coefficient of '{}' grew to {b:.4}", names[j])
}

/// Rejects a rank-deficient design: the columns, scaled to unit length, must have a
/// condition number below 1e10; otherwise names the columns that are nearly dependent.
fn check_rank(x: &DMatrix<f64>, names: &[String]) -> StatsResult<()> {
    let mut scaled = x.clone();
    for (j, mut col) in scaled.column_iter_mut().enumerate() {
        let norm = col.norm();
        if norm == 0.0 {
            return Err(StatsError::SingularDesign(format!(
                "predictor '{}' is zero for every patient",
                names[j]
            )));
        }
        col /= norm;
    }
    let svd = scaled.svd(false, true);
    let (imin, smin) = svd.singular_values.argmin();
    let smax = svd.singular_values.max();
    if smin > 1e-10 * smax {
        return Ok(());
    }
    let v_t = svd.v_t.expect("requested V");
    let row = v_t.row(imin);
    let involved: Vec<String> = names
        .iter()
        .enumerate()
        .filter(|(j, _)| row[*j].abs() > 0.1)
        .map(|(_, n)| format!("'{n}'"))
        .collect();
    let hint = if involved.len() == 2 && involved[0] == format!("'{INTERCEPT}'") {
        " (a predictor that is constant is collinear with the intercept)"
    } else {
        ""
    };
    Err(StatsError::SingularDesign(format!(
        "columns {} are linearly dependent (condition number {:.3e}){hint}; \
         drop one of them",
        involved.join(", "),
        smax / smin
    )))
}

/// Iterate of the IRLS algorithm.
struct IrlsState {
    mu: Vec<f64>,
    eta: Vec<f64>,
    beta: DVector<f64>,
    /// R factor of the QR of `W^{1/2}X` used to compute `beta`.
    r_factor: DMatrix<f64>,
}

/// One IRLS (Newton) step from `state`, as one pass of R's `glm.fit` loop; fails with
/// [`StatsError::Separation`] when a linear predictor passes [`ETA_LIMIT`].
fn newton_step(
    x: &DMatrix<f64>,
    y: &[f64],
    offset: &[f64],
    state: &IrlsState,
    iteration: usize,
    names: &[String],
) -> StatsResult<IrlsState> {
    let (n, p) = x.shape();
    let mut a = DMatrix::zeros(n, p);
    let mut b = DVector::zeros(n);
    for i in 0..n {
        let (eta, mu) = (state.eta[i], state.mu[i]);
        let d = mu_eta(eta);
        let var = mu * (1.0 - mu);
        let z = (eta - offset[i]) + (y[i] - mu) / d;
        let w = (d * d / var).sqrt();
        b[i] = w * z;
        for j in 0..p {
            a[(i, j)] = w * x[(i, j)];
        }
    }
    let qr = a.qr();
    let r = qr.r();
    let qtb = qr.q().transpose() * &b;
    let beta = r.solve_upper_triangular(&qtb).ok_or_else(|| {
        StatsError::SingularDesign(format!(
            "the weighted information matrix became singular at iteration {iteration}"
        ))
    })?;
    if beta.iter().any(|v| !v.is_finite()) {
        return Err(StatsError::SingularDesign(format!(
            "non-finite coefficients at iteration {iteration}"
        )));
    }
    let eta: Vec<f64> = (x * &beta).iter().zip(offset).map(|(e, o)| e + o).collect();
    let saturated = eta.iter().filter(|e| e.abs() > ETA_LIMIT).count();
    if saturated > 0 {
        return Err(StatsError::Separation {
            detail: format!(
                "at iteration {iteration} the fitted probabilities of {saturated} of {n} \
                 patients reached 0 or 1 (|linear predictor| > {ETA_LIMIT}) while {}",
                largest_coefficient(&beta, names)
            ),
        });
    }
    Ok(IrlsState {
        mu: eta.iter().map(|&e| inverse_logit(e)).collect(),
        eta,
        beta,
        r_factor: r,
    })
}

/// Continues Newton steps from a converged `state` (on a copy) until the coefficients stop
/// moving (`max|Δβ|/(1 + max|β|) < 1e-10`): a separated fit drifts on until
/// [`newton_step`] reports the separation.
fn probe_separation(
    x: &DMatrix<f64>,
    y: &[f64],
    offset: &[f64],
    state: &IrlsState,
    iterations: usize,
    names: &[String],
    options: &LogisticOptions,
) -> StatsResult<()> {
    let mut current = newton_step(x, y, offset, state, iterations + 1, names)?;
    let mut previous_beta = state.beta.clone();
    for extra in 2..=options.max_iterations + 1 {
        let change = (&current.beta - &previous_beta).amax() / (1.0 + current.beta.amax());
        if change < 1e-10 {
            return Ok(());
        }
        previous_beta = current.beta.clone();
        current = newton_step(x, y, offset, &current, iterations + extra, names)?;
    }
    Err(StatsError::Separation {
        detail: format!(
            "the deviance converged after {iterations} iterations but {} keeps changing",
            largest_coefficient(&current.beta, names)
        ),
    })
}

/// Fits `logit P(y = 1) = offset + β₀ + Σ βⱼxⱼ` by maximum likelihood (R:
/// `glm(y ~ x₁ + … + xₖ + offset(o), family = binomial)`).
///
/// `y` holds 0/1 outcomes; `predictors` are named columns, one value per patient (an
/// intercept is always added); `offset` is an optional known term of the linear predictor.
///
/// # Errors
/// [`StatsError::OneClass`] when all outcomes are equal, [`StatsError::SingularDesign`] for
/// collinear or constant predictors or too few patients, [`StatsError::Separation`] when the
/// outcome is (quasi-)perfectly separated, [`StatsError::NotConverged`] if the tolerance is
/// not met within `max_iterations`, plus the input errors of [`crate::model::input`].
pub fn fit_logistic(
    y: &[f64],
    predictors: &[(&str, &[f64])],
    offset: Option<&[f64]>,
    options: &LogisticOptions,
) -> StatsResult<LogisticFit> {
    require_both_classes(y, "logistic regression is undefined")?;
    let n = y.len();
    let p = predictors.len() + 1;
    let mut names = vec![INTERCEPT.to_string()];
    for (name, values) in predictors {
        check_finite(values, n, &format!("predictor '{name}'"))?;
        if names.iter().any(|m| m == name) {
            return Err(StatsError::InvalidArgument(format!(
                "predictor '{name}' is given twice"
            )));
        }
        names.push(name.to_string());
    }
    let zeros;
    let offset = match offset {
        Some(o) => {
            check_finite(o, n, "offset")?;
            o
        }
        None => {
            zeros = vec![0.0; n];
            &zeros
        }
    };
    if options.max_iterations == 0 || options.tolerance.is_nan() || options.tolerance <= 0.0 {
        return Err(StatsError::InvalidArgument(
            "max_iterations must be positive and tolerance > 0".into(),
        ));
    }
    let z_crit = critical_value(options.conf_level)?;
    if n <= p {
        return Err(StatsError::SingularDesign(format!(
            "{p} coefficients but only {n} patients"
        )));
    }
    let x = DMatrix::from_fn(
        n,
        p,
        |i, j| if j == 0 { 1.0 } else { predictors[j - 1].1[i] },
    );
    check_rank(&x, &names)?;

    // R's binomial initialisation: mustart = (y + 0.5)/2, eta = logit(mustart).
    let mut state = IrlsState {
        mu: y.iter().map(|&yi| (yi + 0.5) / 2.0).collect(),
        eta: Vec::new(),
        beta: DVector::zeros(p),
        r_factor: DMatrix::zeros(p, p),
    };
    state.eta = state.mu.iter().map(|&m| (m / (1.0 - m)).ln()).collect();
    let mut dev_old = deviance(y, &state.mu);
    let mut converged = false;
    let mut iterations = 0;
    let mut last_change = f64::NAN;
    let mut dev = dev_old;
    while iterations < options.max_iterations {
        iterations += 1;
        let next = newton_step(&x, y, offset, &state, iterations, &names)?;
        dev = deviance(y, &next.mu);
        let beta_change = (&next.beta - &state.beta).amax() / (1.0 + next.beta.amax());
        state = next;
        last_change = (dev - dev_old).abs() / (dev.abs() + 0.1);
        if last_change < options.tolerance || beta_change < 1e-15 {
            converged = true;
            break;
        }
        dev_old = dev;
    }
    if !converged {
        return Err(StatsError::NotConverged {
            iterations,
            detail: format!(
                "last relative deviance change {last_change:.3e} (tolerance {:.1e}); \
                 check the predictors for near-separation or extreme scales",
                options.tolerance
            ),
        });
    }
    if dev < 1e-8 * n as f64 {
        return Err(StatsError::Separation {
            detail: format!("the deviance is {dev:.3e}: the model predicts every patient exactly"),
        });
    }
    probe_separation(&x, y, offset, &state, iterations, &names, options)?;
    let IrlsState {
        mu,
        eta,
        beta,
        r_factor,
    } = state;

    // Cov = (RᵀR)⁻¹ from the last QR factor, as summary.glm's chol2inv(Qr$qr).
    let r_inv = r_factor
        .clone()
        .try_inverse()
        .ok_or_else(|| StatsError::SingularDesign("the information matrix is singular".into()))?;
    let covariance = &r_inv * r_inv.transpose();
    let coefficients = names
        .iter()
        .enumerate()
        .map(|(j, term)| {
            let estimate = beta[j];
            let std_error = covariance[(j, j)].sqrt();
            let z = estimate / std_error;
            Coefficient {
                term: term.clone(),
                estimate,
                std_error,
                z,
                p_value: two_sided_p(z),
                odds_ratio: estimate.exp(),
                ci_low: (estimate - z_crit * std_error).exp(),
                ci_high: (estimate + z_crit * std_error).exp(),
            }
        })
        .collect();

    let null_deviance = if predictors.is_empty() {
        dev
    } else if offset.iter().all(|&o| o == 0.0) {
        let mean = y.iter().sum::<f64>() / n as f64;
        deviance(y, &vec![mean; n])
    } else {
        fit_logistic(y, &[], Some(offset), options)?.deviance
    };

    Ok(LogisticFit {
        coefficients,
        covariance,
        deviance: dev,
        null_deviance,
        iterations,
        linear_predictor: eta,
        fitted: mu,
        conf_level: options.conf_level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_logit_matches_r_saturation() {
        assert_eq!(inverse_logit(0.0), 0.5);
        assert_eq!(inverse_logit(-40.0), f64::EPSILON / (1.0 + f64::EPSILON));
        assert!((inverse_logit(2.0) - 0.880_797_077_977_882_3).abs() < 1e-15);
    }

    #[test]
    fn intercept_only_is_log_odds_of_prevalence() {
        let y = [1.0, 0.0, 0.0, 1.0, 0.0];
        let fit = fit_logistic(&y, &[], None, &LogisticOptions::default()).unwrap();
        let b0 = fit.coefficients[0].estimate;
        assert!((b0 - (2.0f64 / 3.0).ln()).abs() < 1e-14);
        // R 4.2.2: sqrt(vcov(glm(c(1,0,0,1,0) ~ 1, binomial, control = glm.control(epsilon
        // = 1e-14)))) = 0.9128709241341596 after 4 iterations; the weights of the last
        // iteration's start make it differ from the exact sqrt(1/(n p (1-p))) by 5e-9.
        assert_eq!(fit.iterations, 4);
        assert!((fit.coefficients[0].std_error - 0.912_870_924_134_159_6).abs() < 1e-14);
        let exact = (1.0 / (5.0 * 0.4 * 0.6f64)).sqrt();
        assert!((fit.coefficients[0].std_error - exact).abs() < 1e-8);
        assert_eq!(fit.deviance, fit.null_deviance);
    }

    #[test]
    fn zero_predictor_is_singular() {
        let y = [1.0, 0.0, 0.0, 1.0, 0.0];
        let x = [0.0; 5];
        let err = fit_logistic(&y, &[("x", &x)], None, &LogisticOptions::default()).unwrap_err();
        assert!(matches!(err, StatsError::SingularDesign(_)), "{err}");
    }
}
