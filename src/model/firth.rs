//! Firth's penalised-likelihood logistic regression (Firth 1993, *Biometrika* 80:27–38;
//! Heinze & Schemper 2002, *Stat Med* 21:2409–2419), as R's `logistf` computes it: finite
//! estimates under (quasi-)complete separation, where maximum likelihood has none.
//!
//! **Estimates** maximise `ℓ*(β) = Σ [yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)] + ½ log det I(β)` with
//! `I(β) = XᵀWX`, `W = diag(pᵢ(1 − pᵢ))`, by Newton–Raphson on the modified score
//! `U*(β) = Xᵀ(y − p + h ∘ (½ − p))` (`h` the diagonal of the hat matrix
//! `W^½X I⁻¹ XᵀW^½`): step `I⁻¹U*`, capped at 5 in any coordinate and halved while `ℓ*`
//! falls (logistf's `maxstep` and step-halving), iterated until the step and the score fall
//! below 1e-10 (logistf stops at 1e-5; the fixtures are made with tight tolerances too).
//!
//! **Standard errors** `√diag I(β̂)⁻¹`. **p-values** by the penalised likelihood-ratio test,
//! `χ²₁` of `2(ℓ*(β̂) − max ℓ*(β | βⱼ = 0))`, and **confidence intervals** by profile
//! penalised likelihood: the `βⱼ` where `2(ℓ*(β̂) − max ℓ*(β | βⱼ)) = χ²₁,₀.₉₅` on either side
//! (logistf's defaults `pl = TRUE`). The constrained maximum keeps the full model's penalty
//! and maximises over the other coefficients.

use nalgebra::{DMatrix, DVector};

use super::distributions::chi_square_sf;
use super::error::{StatsError, StatsResult};
use super::input::{check_finite, require_both_classes};
use super::logistic::INTERCEPT;

/// One row of a Firth model's coefficient table.
#[derive(Debug, Clone, PartialEq)]
pub struct FirthCoefficient {
    /// Term name ([`INTERCEPT`] first).
    pub term: String,
    /// Penalised maximum-likelihood estimate.
    pub estimate: f64,
    /// `√[I(β̂)⁻¹]ⱼⱼ`.
    pub std_error: f64,
    /// Penalised likelihood-ratio statistic for `βⱼ = 0`.
    pub chi_square: f64,
    /// Its p-value (`χ²₁`).
    pub p_value: f64,
    /// Profile penalised-likelihood 95% interval of the coefficient (log odds).
    pub ci: [f64; 2],
}

/// A fitted Firth logistic model.
#[derive(Debug, Clone)]
pub struct FirthFit {
    /// Coefficient table, intercept first.
    pub coefficients: Vec<FirthCoefficient>,
    /// `ℓ*(β̂)`, the penalised log-likelihood.
    pub penalized_loglik: f64,
    /// Newton iterations of the main fit.
    pub iterations: usize,
    /// Fitted probabilities of the patients.
    pub fitted: Vec<f64>,
}

/// `log(1 + eˣ)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// The quantities of one point `β`.
struct Point {
    /// `ℓ*(β)`.
    loglik: f64,
    /// `U*(β)`.
    score: DVector<f64>,
    /// `I(β)`.
    info: DMatrix<f64>,
    /// `I(β)⁻¹`.
    inverse: DMatrix<f64>,
}

/// `ℓ*`, `U*` and `I⁻¹` at `beta`; `None` where `I(β)` is not positive definite.
fn evaluate(x: &DMatrix<f64>, y: &[f64], beta: &DVector<f64>) -> Option<Point> {
    let eta = x * beta;
    let p: Vec<f64> = eta.iter().map(|&e| 1.0 / (1.0 + (-e).exp())).collect();
    let w: Vec<f64> = p.iter().map(|&q| q * (1.0 - q)).collect();
    let mut xw = x.clone();
    for (i, mut row) in xw.row_iter_mut().enumerate() {
        row *= w[i].sqrt();
    }
    let info = xw.transpose() * &xw;
    let chol = info.clone().cholesky()?;
    let log_det = 2.0 * chol.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
    let inverse = chol.inverse();
    let mut loglik = 0.5 * log_det;
    for (i, &e) in eta.iter().enumerate() {
        loglik -= y[i] * softplus(-e) + (1.0 - y[i]) * softplus(e);
    }
    let hw = &xw * &inverse;
    let mut r = DVector::zeros(y.len());
    for i in 0..y.len() {
        let h = hw.row(i).dot(&xw.row(i));
        r[i] = y[i] - p[i] + h * (0.5 - p[i]);
    }
    Some(Point {
        loglik,
        score: x.transpose() * r,
        info,
        inverse,
    })
}

/// Largest step in any coordinate (logistf's `maxstep`).
const MAX_STEP: f64 = 5.0;
/// Newton iterations allowed.
const MAX_ITERATIONS: usize = 200;
/// Convergence: every step and score component below this.
const TOLERANCE: f64 = 1e-10;

/// Maximises `ℓ*` over the coefficients marked `free`, the others held at their value in
/// `beta`. Returns the maximiser, `ℓ*` there and the iterations.
fn maximise(
    x: &DMatrix<f64>,
    y: &[f64],
    mut beta: DVector<f64>,
    free: &[bool],
) -> StatsResult<(DVector<f64>, Point, usize)> {
    let idx: Vec<usize> = (0..free.len()).filter(|&j| free[j]).collect();
    let singular = || {
        StatsError::SingularDesign("the Fisher information of the Firth model is singular".into())
    };
    let mut point = evaluate(x, y, &beta).ok_or_else(singular)?;
    for it in 1..=MAX_ITERATIONS {
        // Newton step on the free block: δ_f = (I_ff)⁻¹ U*_f (logistf's restricted fit).
        let sub = DMatrix::from_fn(idx.len(), idx.len(), |a, b| point.info[(idx[a], idx[b])]);
        let rhs = DVector::from_fn(idx.len(), |a, _| point.score[idx[a]]);
        let delta_f = sub.cholesky().ok_or_else(singular)?.solve(&rhs);
        let mut delta = DVector::zeros(beta.len());
        for (a, &j) in idx.iter().enumerate() {
            delta[j] = delta_f[a];
        }
        let largest = delta.amax();
        if largest > MAX_STEP {
            delta *= MAX_STEP / largest;
        }
        // Scale-free: the Newton step relative to the coefficient's size.
        let relative = idx
            .iter()
            .map(|&j| delta[j].abs() / (1.0 + beta[j].abs()))
            .fold(0.0, f64::max);
        if relative < TOLERANCE {
            return Ok((beta, point, it));
        }
        // Step-halving while the penalised likelihood falls. Where even a step shrunk a
        // million-fold does not rise, the maximum is reached to rounding (an ill-conditioned
        // information matrix puts the Newton step's last digits in the noise of `ℓ*`).
        // Once a step rises, shorter ones are tried while they rise further: the Fisher
        // information is only the expected curvature of `ℓ*`, and far out on a profile
        // (fitted probabilities near 0 or 1) a full step overshoots back and forth.
        let mut next: Option<(DVector<f64>, Point)> = None;
        for _ in 0..20 {
            let trial = &beta + &delta;
            match (evaluate(x, y, &trial), &next) {
                (Some(q), None) if q.loglik >= point.loglik => next = Some((trial, q)),
                (Some(q), Some((_, best))) if q.loglik > best.loglik => next = Some((trial, q)),
                (_, Some(_)) => break,
                _ => {}
            }
            delta *= 0.5;
        }
        let Some((b, q)) = next else {
            return Ok((beta, point, it));
        };
        beta = b;
        point = q;
    }
    Err(StatsError::NotConverged {
        iterations: MAX_ITERATIONS,
        detail: "Firth's penalised likelihood did not reach its maximum".into(),
    })
}

/// `χ²₁` quantile at 0.95 (R: `qchisq(0.95, 1)`).
const CHI2_95: f64 = 3.841_458_820_694_124;

/// Fits Firth's logistic regression of `y` on `predictors` (intercept added), with
/// penalised likelihood-ratio p-values and profile-likelihood 95% intervals.
///
/// # Errors
/// A single outcome class, mismatched or non-finite inputs, a singular design, or a
/// maximisation that does not converge.
pub fn fit_firth(y: &[f64], predictors: &[(&str, &[f64])]) -> StatsResult<FirthFit> {
    require_both_classes(y, "Firth logistic regression is undefined")?;
    let n = y.len();
    let p = predictors.len() + 1;
    for (name, v) in predictors {
        check_finite(v, n, &format!("predictor '{name}'"))?;
    }
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
    let all = vec![true; p];
    let (beta, best, iterations) = maximise(&x, y, DVector::zeros(p), &all)?;
    // Profile: max ℓ* with coefficient j held at b (the others free, warm-started).
    let profile = |j: usize, b: f64, start: &DVector<f64>| -> StatsResult<(f64, DVector<f64>)> {
        let mut s = start.clone();
        s[j] = b;
        let free: Vec<bool> = (0..p).map(|k| k != j).collect();
        let (bb, pt, _) = maximise(&x, y, s, &free)?;
        Ok((pt.loglik, bb))
    };
    let mut coefficients = Vec::with_capacity(p);
    for j in 0..p {
        let se = best.inverse[(j, j)].sqrt();
        let (l0, _) = profile(j, 0.0, &beta)?;
        let chi_square = (2.0 * (best.loglik - l0)).max(0.0);
        let p_value = chi_square_sf(chi_square, 1.0)?;
        let mut ci = [f64::NAN; 2];
        for (k, side) in [-1.0f64, 1.0].into_iter().enumerate() {
            ci[k] = profile_limit(
                beta[j],
                se,
                side,
                |b, start| {
                    let (l, bb) = profile(j, b, start)?;
                    Ok((2.0 * (best.loglik - l) - CHI2_95, bb))
                },
                &beta,
            )?;
        }
        coefficients.push(FirthCoefficient {
            term: if j == 0 {
                INTERCEPT.to_string()
            } else {
                predictors[j - 1].0.to_string()
            },
            estimate: beta[j],
            std_error: se,
            chi_square,
            p_value,
            ci,
        });
    }
    let eta = &x * &beta;
    Ok(FirthFit {
        coefficients,
        penalized_loglik: best.loglik,
        iterations,
        fitted: eta.iter().map(|&e| 1.0 / (1.0 + (-e).exp())).collect(),
    })
}

/// The root of the profile deviance excess `g(b)` (negative at the estimate `b̂`) on the
/// `side` of `b̂`: bracketed by stepping out in multiples of the standard error, then
/// bisected to adjacent floating-point numbers (`g` is monotone on each side). Infinite when
/// no crossing exists within 2⁴⁰ standard errors.
fn profile_limit(
    estimate: f64,
    se: f64,
    side: f64,
    g: impl Fn(f64, &DVector<f64>) -> StatsResult<(f64, DVector<f64>)>,
    start: &DVector<f64>,
) -> StatsResult<f64> {
    let scale = if se.is_finite() && se > 0.0 { se } else { 1.0 };
    let mut inner = estimate;
    let mut warm = start.clone();
    let mut step = 2.0 * scale;
    let mut outer = None;
    for _ in 0..40 {
        let b = estimate + side * step;
        let (v, bb) = g(b, &warm)?;
        if v > 0.0 {
            outer = Some(b);
            break;
        }
        inner = b;
        warm = bb;
        step *= 2.0;
    }
    let Some(mut outer) = outer else {
        return Ok(side * f64::INFINITY);
    };
    for _ in 0..200 {
        let mid = inner + (outer - inner) / 2.0;
        if mid == inner || mid == outer || (outer - inner).abs() <= 1e-12 * mid.abs().max(1.0) {
            break;
        }
        let (v, bb) = g(mid, &warm)?;
        if v > 0.0 {
            outer = mid;
        } else {
            inner = mid;
            warm = bb;
        }
    }
    Ok(inner + (outer - inner) / 2.0)
}
