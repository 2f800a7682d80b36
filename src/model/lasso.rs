//! Binomial LASSO (L1-penalised logistic regression) along a regularisation path, with
//! K-fold cross-validation, reproducing R's glmnet 4.1
//! (`glmnet(x, y, family = "binomial", alpha = 1, standardize = TRUE, intercept = TRUE)` and
//! `cv.glmnet(..., type.measure = "deviance", foldid = ...)`).
//!
//! Algorithm: Friedman, Hastie & Tibshirani (2010), "Regularization paths for generalized
//! linear models via coordinate descent", *J. Stat. Softw.* 33(1), §3: an outer
//! Newton (IRLS) loop builds the quadratic approximation of the log-likelihood with weights
//! `vᵢ = wᵢ pᵢ(1 − pᵢ)`, and an inner loop solves the penalised weighted least-squares problem
//! by cyclic coordinate descent with soft thresholding; solutions are warm-started along a
//! decreasing λ sequence, with the sequential strong rule (Tibshirani et al. 2012) and a KKT
//! check over all features before a λ is accepted. The details follow glmnet's Fortran
//! routine `lognet2n` (`type.logistic = "Newton"`):
//!
//! * objective `−(1/n) Σ log L(yᵢ | β₀ + xᵢᵀβ) + λ Σ|βⱼ|` on standardized features: each
//!   feature is centred and divided by its *population* SD (divisor n, weights 1/n); the
//!   intercept is unpenalised; coefficients are returned on the original scale
//!   (`βⱼ = bⱼ/sⱼ`, `β₀ = b₀ − Σ βⱼ mⱼ`);
//! * constant features (every value equal to the first) are left out of the fit and get a
//!   zero coefficient at every λ, as glmnet does;
//! * λ path: `λmax = maxⱼ |Σᵢ xₛᵢⱼ(yᵢ − ȳ)|/n`, then `n_lambda` values log-spaced down to
//!   `λmax · lambda_min_ratio` (0.01 when n < p, else 1e-4; never below 1e-6), computed
//!   as glmnet does by repeated multiplication, the first reported λ being glmnet's
//!   `exp(2 log λ₂ − log λ₃)`;
//! * the path stops early (after at least 5 λ, and never for a user λ sequence) when the
//!   deviance ratio exceeds `devmax` (0.999) or grows by less than `fdev` (1e-5) from one
//!   λ to the next: glmnet's `glmnet.control()` defaults, kept as this module's defaults;
//!   [`LassoOptions::full_path`] sets `fdev = 0, devmax = 1` to get every λ;
//! * fitted probabilities are set to exactly 0 or 1 where `|η| > log(1/pmin − 1)`
//!   (pmin = 1e-9), and the path stops when `Σ vᵢ` falls to `(1 + pmin)·pmin·(1 − pmin)`
//!   (a saturated fit), as in glmnet.
//!
//! Convergence is stricter than glmnet's default `thresh = 1e-7`: coordinate descent runs
//! until the largest weighted squared coefficient change is below `thresh · dev₀`
//! (1e-20 by default) *and* the KKT conditions hold to [`LassoOptions::kkt_tolerance`]
//! (1e-9): `|gⱼ| ≤ λ` where `βⱼ = 0` and `|gⱼ − λ·sign(βⱼ)|` ≤ tolerance where `βⱼ ≠ 0`,
//! with `gⱼ = Σᵢ xₛᵢⱼ(yᵢ − pᵢ)/n`, and `|Σᵢ(yᵢ − pᵢ)|/n` ≤ tolerance for the intercept.
//! To get there quickly (coordinate descent converges slowly on correlated features), each
//! quadratic approximation is solved by coordinate descent to glmnet's `1e-7 · dev₀` only,
//! which settles the active set and signs, and then exactly by one linear solve on that set
//! (the penalty is linear there); a confirming sweep must then move nothing above
//! `thresh · dev₀`, else coordinate descent continues. The solutions reach KKT residuals at
//! rounding level, tighter than glmnet with `thresh = 1e-20`.
//!
//! Cross-validation ([`cross_validate`]) follows `cv.glmnet`: every fold's model is fitted
//! with its *own* λ path (or the user's sequence), its coefficients at the full-data λ values
//! are obtained by glmnet's linear interpolation in λ (`predict(fit, s = lambda)`), the
//! held-out deviance `−2 log p̂(yᵢ)` uses probabilities clipped to `[1e-5, 1 − 1e-5]`,
//! `cvm` is the fold-size-weighted mean of the per-fold mean deviances, `cvsd =
//! sqrt(Σₖ nₖ(devₖ − cvm)²/Σₖ nₖ / (K − 1))`, `lambda_min` the largest λ attaining the
//! minimal `cvm`, and `lambda_1se` the largest λ with `cvm ≤ cvm_min + cvsd_min`.

use super::error::{StatsError, StatsResult};
use super::input::check_binary;

/// glmnet's `big`: the λ of the first path step, at which every coefficient is zero.
const BIG: f64 = 9.9e35;
/// glmnet's `eps`: the smallest allowed `lambda_min_ratio`.
const MIN_RATIO: f64 = 1e-6;
/// glmnet's `mnlam`: the path never stops before this many λ values.
const MIN_LAMBDAS: usize = 5;
/// glmnet's `pmin`: probabilities within `pmin` of 0 or 1 are saturated.
const PMIN: f64 = 1e-9;
/// Coordinate-descent threshold (relative to the null deviance) at which the active set is
/// solved exactly; glmnet's default `thresh`.
const LOOSE_THRESH: f64 = 1e-7;
/// `cv.lognet`'s clipping of held-out probabilities.
const CV_PROB_MIN: f64 = 1e-5;

/// Settings of [`fit_lasso_path`] and [`cross_validate`]. The defaults are glmnet's, except
/// the much tighter convergence (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct LassoOptions {
    /// Number of λ values of the automatic path (glmnet `nlambda`); default 100.
    pub n_lambda: usize,
    /// Smallest λ as a fraction of λmax (glmnet `lambda.min.ratio`); `None` (default) means
    /// 0.01 when there are fewer patients than features, else 1e-4.
    pub lambda_min_ratio: Option<f64>,
    /// A user λ sequence (glmnet `lambda`), used instead of the automatic path; it is sorted
    /// in decreasing order and never stopped early. Default `None`.
    pub lambda: Option<Vec<f64>>,
    /// Stop the path when the deviance ratio grows by less than this (glmnet
    /// `glmnet.control(fdev)`); default 1e-5.
    pub fdev: f64,
    /// Stop the path when the deviance ratio exceeds this (glmnet `devmax`); default 0.999.
    pub devmax: f64,
    /// Coordinate-descent threshold on `max vⱼΔβⱼ²` relative to the null deviance per
    /// patient (glmnet `thresh`, whose default is 1e-7); default 1e-20.
    pub thresh: f64,
    /// Largest accepted KKT residual (module documentation); default 1e-9.
    pub kkt_tolerance: f64,
    /// Maximum number of coordinate-descent passes over the whole path (glmnet `maxit`);
    /// default 10⁸.
    pub max_passes: usize,
}

impl Default for LassoOptions {
    fn default() -> Self {
        Self {
            n_lambda: 100,
            lambda_min_ratio: None,
            lambda: None,
            fdev: 1e-5,
            devmax: 0.999,
            thresh: 1e-20,
            kkt_tolerance: 1e-9,
            max_passes: 100_000_000,
        }
    }
}

impl LassoOptions {
    /// These options with glmnet's early stopping switched off
    /// (`glmnet.control(fdev = 0, devmax = 1)`), so the path has all `n_lambda` values
    /// unless the fit saturates.
    pub fn full_path(self) -> Self {
        Self {
            fdev: 0.0,
            devmax: 1.0,
            ..self
        }
    }
}

/// A fitted LASSO path (R: the `glmnet` object).
#[derive(Debug, Clone, PartialEq)]
pub struct LassoPath {
    /// The λ values, decreasing (R: `fit$lambda`).
    pub lambdas: Vec<f64>,
    /// Intercept at each λ, original scale (R: `fit$a0`).
    pub intercepts: Vec<f64>,
    /// Coefficients at each λ (one vector of all features per λ), original scale
    /// (R: `fit$beta[, k]`).
    pub betas: Vec<Vec<f64>>,
    /// Fraction of the null deviance explained at each λ (R: `fit$dev.ratio`).
    pub dev_ratio: Vec<f64>,
    /// Number of non-zero coefficients at each λ (R: `fit$df`).
    pub df: Vec<usize>,
    /// Deviance of the intercept-only model (R: `fit$nulldev`).
    pub null_deviance: f64,
}

impl LassoPath {
    /// Intercept and coefficients at an arbitrary `s`, by glmnet's linear interpolation in λ
    /// between the two neighbouring path values (R: `coef(fit, s = s, exact = FALSE)`);
    /// `s` beyond the path's ends takes the end solution.
    pub fn coefficients_at(&self, s: f64) -> (f64, Vec<f64>) {
        let (left, right, frac) = lambda_interp(&self.lambdas, s);
        let a0 = frac * self.intercepts[left] + (1.0 - frac) * self.intercepts[right];
        let beta = self.betas[left]
            .iter()
            .zip(&self.betas[right])
            .map(|(l, r)| frac * l + (1.0 - frac) * r)
            .collect();
        (a0, beta)
    }

    /// Linear predictors `β₀ + xᵀβ` at `s` (interpolated as [`Self::coefficients_at`]) for
    /// the patients of `x` (one slice per feature, in the order of the fit).
    pub fn predict_linear<C: AsRef<[f64]>>(&self, x: &[C], s: f64) -> StatsResult<Vec<f64>> {
        let p = self.betas.first().map_or(0, Vec::len);
        if x.len() != p {
            return Err(StatsError::InvalidArgument(format!(
                "prediction needs the {p} features of the fit, got {}",
                x.len()
            )));
        }
        let n = x.first().map_or(0, |c| c.as_ref().len());
        let (a0, beta) = self.coefficients_at(s);
        let mut eta = vec![a0; n];
        for (j, (col, b)) in x.iter().zip(&beta).enumerate() {
            let col = col.as_ref();
            check_len_finite(col, n, j)?;
            if *b != 0.0 {
                for (e, v) in eta.iter_mut().zip(col) {
                    *e += b * v;
                }
            }
        }
        Ok(eta)
    }
}

/// glmnet's `lambda.interp`: the two path steps around `s` and the weight of the left one.
fn lambda_interp(lambda: &[f64], s: f64) -> (usize, usize, f64) {
    let k = lambda.len();
    if k == 1 {
        return (0, 0, 1.0);
    }
    let (first, last) = (lambda[0], lambda[k - 1]);
    let norm: Vec<f64> = lambda
        .iter()
        .map(|l| (first - l) / (first - last))
        .collect();
    let lo = norm.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = norm.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sfrac = ((first - s) / (first - last)).clamp(lo, hi);
    // R's approx(norm, 1..k, sfrac), as its C routine approx1 computes it.
    let (mut i, mut j) = (0, k - 1);
    while i + 1 < j {
        let ij = (i + j) / 2;
        if sfrac < norm[ij] {
            j = ij;
        } else {
            i = ij;
        }
    }
    let coord = if sfrac == norm[j] {
        (j + 1) as f64
    } else if sfrac == norm[i] {
        (i + 1) as f64
    } else {
        (i + 1) as f64 + (sfrac - norm[i]) / (norm[j] - norm[i])
    };
    let left = coord.floor() as usize - 1;
    let right = coord.ceil() as usize - 1;
    let frac = if left == right || (norm[left] - norm[right]).abs() < f64::EPSILON {
        1.0
    } else {
        (sfrac - norm[right]) / (norm[left] - norm[right])
    };
    (left, right, frac)
}

fn check_len_finite(col: &[f64], n: usize, j: usize) -> StatsResult<()> {
    super::input::check_finite(col, n, &format!("feature {} (column {j})", j + 1))
}

/// Standardized design: centred, population-SD-scaled columns stored contiguously.
struct Design {
    n: usize,
    p: usize,
    /// Column-major n × p; columns of constant features are left at zero.
    xs: Vec<f64>,
    live: Vec<bool>,
    mean: Vec<f64>,
    sd: Vec<f64>,
}

impl Design {
    fn new<C: AsRef<[f64]>>(x: &[C], n: usize) -> StatsResult<Self> {
        let p = x.len();
        if p == 0 {
            return Err(StatsError::Empty("the feature matrix".into()));
        }
        let mut xs = vec![0.0; n * p];
        let mut live = vec![false; p];
        let mut mean = vec![0.0; p];
        let mut sd = vec![1.0; p];
        let w = 1.0 / n as f64;
        for (j, col) in x.iter().enumerate() {
            let col = col.as_ref();
            check_len_finite(col, n, j)?;
            if col.iter().all(|&v| v == col[0]) {
                continue;
            }
            live[j] = true;
            let m: f64 = col.iter().map(|v| w * v).sum();
            let dst = &mut xs[j * n..(j + 1) * n];
            for (d, v) in dst.iter_mut().zip(col) {
                *d = v - m;
            }
            let s = dst.iter().map(|d| w * d * d).sum::<f64>().sqrt();
            dst.iter_mut().for_each(|d| *d /= s);
            mean[j] = m;
            sd[j] = s;
        }
        if !live.iter().any(|&l| l) {
            return Err(StatsError::InvalidArgument(format!(
                "all {p} features are constant; the LASSO needs at least one varying feature"
            )));
        }
        Ok(Self {
            n,
            p,
            xs,
            live,
            mean,
            sd,
        })
    }

    fn col(&self, j: usize) -> &[f64] {
        &self.xs[j * self.n..(j + 1) * self.n]
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// KKT residual of one coefficient `b` with gradient `g` at `lambda`: `max(|g| − λ, 0)` where
/// `b = 0`, `|g − λ·sign(b)|` otherwise.
fn kkt_residual(g: f64, b: f64, lambda: f64) -> f64 {
    if b == 0.0 {
        (g.abs() - lambda).max(0.0)
    } else {
        (g - lambda.copysign(b)).abs()
    }
}

/// Working quantities of the quadratic approximation at the current coefficients.
struct Irls {
    q: Vec<f64>,
    v: Vec<f64>,
    r: Vec<f64>,
    xmz: f64,
}

/// Coordinate-descent state carried (warm-started) along the path.
struct Solver<'a> {
    d: &'a Design,
    y: &'a [f64],
    w: f64,
    b0: f64,
    b: Vec<f64>,
    strong: Vec<bool>,
    in_active: Vec<bool>,
    active: Vec<usize>,
    ga: Vec<f64>,
    xv: Vec<f64>,
    passes: usize,
    max_passes: usize,
}

impl Solver<'_> {
    fn irls(&self) -> Irls {
        let (n, fmax) = (self.d.n, (1.0 / PMIN - 1.0).ln());
        let mut eta = vec![self.b0; n];
        for &k in &self.active {
            if self.b[k] != 0.0 {
                for (e, x) in eta.iter_mut().zip(self.d.col(k)) {
                    *e += self.b[k] * x;
                }
            }
        }
        let q: Vec<f64> = eta
            .iter()
            .map(|&f| {
                if f < -fmax {
                    0.0
                } else if f > fmax {
                    1.0
                } else {
                    1.0 / (1.0 + (-f).exp())
                }
            })
            .collect();
        let v: Vec<f64> = q.iter().map(|&q| self.w * q * (1.0 - q)).collect();
        let r = q
            .iter()
            .zip(self.y)
            .map(|(&q, &y)| self.w * (y - q))
            .collect();
        let xmz = v.iter().sum();
        Irls { q, v, r, xmz }
    }

    /// One coordinate-descent sweep over `set` (strong set or active set) and the intercept;
    /// returns the largest weighted squared change.
    fn sweep(&mut self, all_strong: bool, lambda: f64, it: &mut Irls) -> f64 {
        let mut dlx: f64 = 0.0;
        let set: Vec<usize> = if all_strong {
            (0..self.d.p).filter(|&k| self.strong[k]).collect()
        } else {
            self.active.clone()
        };
        for k in set {
            let xv = self.xv[k];
            if xv <= 0.0 {
                continue;
            }
            let col = self.d.col(k);
            let bk = self.b[k];
            let u = dot(&it.r, col) + xv * bk;
            let au = u.abs() - lambda;
            self.b[k] = if au > 0.0 { au.copysign(u) / xv } else { 0.0 };
            let delta = self.b[k] - bk;
            if delta == 0.0 {
                continue;
            }
            dlx = dlx.max(xv * delta * delta);
            for ((r, v), x) in it.r.iter_mut().zip(&it.v).zip(col) {
                *r -= delta * v * x;
            }
            if !self.in_active[k] {
                self.in_active[k] = true;
                self.active.push(k);
            }
        }
        let delta = it.r.iter().sum::<f64>() / it.xmz;
        if delta != 0.0 {
            self.b0 += delta;
            dlx = dlx.max(it.xmz * delta * delta);
            for (r, v) in it.r.iter_mut().zip(&it.v) {
                *r -= delta * v;
            }
        }
        self.passes += 1;
        dlx
    }

    fn count_pass(&self, lambda: f64) -> StatsResult<()> {
        if self.passes > self.max_passes {
            return Err(StatsError::NotConverged {
                iterations: self.passes,
                detail: format!(
                    "coordinate descent exceeded {} passes at lambda = {lambda}; \
                     raise LassoOptions::max_passes or loosen thresh",
                    self.max_passes
                ),
            });
        }
        Ok(())
    }

    /// Largest KKT residual at the current solution (`r = w(y − p)`).
    fn kkt(&self, lambda: f64, r: &[f64]) -> f64 {
        let mut worst = r.iter().sum::<f64>().abs();
        for k in (0..self.d.p).filter(|&k| self.d.live[k]) {
            worst = worst.max(kkt_residual(dot(r, self.d.col(k)), self.b[k], lambda));
        }
        worst
    }

    /// Exact minimiser of the current quadratic approximation plus `λ Σ|bⱼ|` on the set of
    /// non-zero coefficients with their signs fixed: with `V = diag(vᵢ)` and `X` the
    /// intercept column and the non-zero features, the step `Δ` solves
    /// `(XᵀVX) Δ = (Σ rᵢ, xₖᵀr − λ·sign(bₖ))` (Newton's step on a smooth quadratic is exact).
    /// Accepted only if no coefficient changes sign; returns whether it was applied.
    fn solve_active_set(&mut self, lambda: f64, it: &mut Irls) -> bool {
        let set: Vec<usize> = self
            .active
            .iter()
            .copied()
            .filter(|&k| self.b[k] != 0.0)
            .collect();
        let m = set.len() + 1;
        if m > self.d.n {
            return false;
        }
        let n = self.d.n;
        // Columns weighted by sqrt(v) so that XᵀVX = (√V X)ᵀ(√V X).
        let sv: Vec<f64> = it.v.iter().map(|v| v.sqrt()).collect();
        let mut xw = nalgebra::DMatrix::<f64>::zeros(n, m);
        for i in 0..n {
            xw[(i, 0)] = sv[i];
        }
        for (c, &k) in set.iter().enumerate() {
            for (i, x) in self.d.col(k).iter().enumerate() {
                xw[(i, c + 1)] = sv[i] * x;
            }
        }
        let gram = xw.tr_mul(&xw);
        let mut rhs = nalgebra::DVector::<f64>::zeros(m);
        rhs[0] = it.r.iter().sum();
        for (c, &k) in set.iter().enumerate() {
            rhs[c + 1] = dot(&it.r, self.d.col(k)) - lambda.copysign(self.b[k]);
        }
        let Some(chol) = gram.cholesky() else {
            return false;
        };
        let step = chol.solve(&rhs);
        if !step.iter().all(|s| s.is_finite()) {
            return false;
        }
        let flips = set.iter().enumerate().any(|(c, &k)| {
            let nb = self.b[k] + step[c + 1];
            nb == 0.0 || nb.signum() != self.b[k].signum()
        });
        if flips {
            return false;
        }
        self.b0 += step[0];
        for (r, v) in it.r.iter_mut().zip(&it.v) {
            *r -= step[0] * v;
        }
        for (c, &k) in set.iter().enumerate() {
            let delta = step[c + 1];
            self.b[k] += delta;
            for ((r, v), x) in it.r.iter_mut().zip(&it.v).zip(self.d.col(k)) {
                *r -= delta * v * x;
            }
        }
        true
    }

    /// Solves at `lambda` from the current (warm) state; returns the final IRLS quantities.
    /// Coordinate descent stops at `loose` before the active-set solve (see
    /// [`Solver::solve_active_set`]) and at `shr` where that solve is not possible.
    fn solve(&mut self, lambda: f64, mut shr: f64, loose: f64, tol: f64) -> StatsResult<Irls> {
        let vmin = (1.0 + PMIN) * PMIN * (1.0 - PMIN);
        let mut it = self.irls();
        loop {
            if it.xmz <= vmin {
                return Ok(it);
            }
            let bs0 = self.b0;
            let bs = self.b.clone();
            for k in 0..self.d.p {
                if self.strong[k] {
                    let col = self.d.col(k);
                    self.xv[k] = it.v.iter().zip(col).map(|(v, x)| v * x * x).sum();
                }
            }
            // Coordinate descent to a moderate tolerance finds the active set and signs;
            // the exact minimiser of the quadratic on that set then follows from one linear
            // solve. Where that is not possible, coordinate descent goes on to `shr`.
            let mut cd_shr = shr.max(loose);
            loop {
                loop {
                    self.count_pass(lambda)?;
                    if self.sweep(true, lambda, &mut it) < cd_shr {
                        break;
                    }
                    loop {
                        self.count_pass(lambda)?;
                        if self.sweep(false, lambda, &mut it) < cd_shr {
                            break;
                        }
                    }
                }
                if cd_shr <= shr {
                    break;
                }
                if self.solve_active_set(lambda, &mut it) {
                    // Confirm: at the exact minimiser a sweep of the strong set moves nothing.
                    self.count_pass(lambda)?;
                    if self.sweep(true, lambda, &mut it) < shr {
                        break;
                    }
                } else {
                    cd_shr = (cd_shr / 100.0).max(shr);
                }
            }
            it = self.irls();
            if it.xmz <= vmin {
                return Ok(it);
            }
            let moved = it.xmz * (self.b0 - bs0).powi(2) >= shr
                || self
                    .active
                    .iter()
                    .any(|&k| self.xv[k] * (self.b[k] - bs[k]).powi(2) >= shr);
            if moved {
                continue;
            }
            // One pass over every feature's gradient: features outside the strong set that
            // violate |g| ≤ λ join it (and the fit goes on); else the KKT residual decides.
            let mut added = false;
            let mut worst = it.r.iter().sum::<f64>().abs();
            for k in 0..self.d.p {
                if !self.d.live[k] {
                    continue;
                }
                let g = dot(&it.r, self.d.col(k));
                if !self.strong[k] {
                    self.ga[k] = g.abs();
                    if self.ga[k] > lambda {
                        self.strong[k] = true;
                        added = true;
                    }
                }
                worst = worst.max(kkt_residual(g, self.b[k], lambda));
            }
            if added {
                continue;
            }
            if worst <= tol {
                return Ok(it);
            }
            shr /= 100.0;
            if shr < f64::MIN_POSITIVE {
                return Err(StatsError::NotConverged {
                    iterations: self.passes,
                    detail: format!(
                        "KKT residual {} above {tol} at lambda = {lambda}",
                        self.kkt(lambda, &it.r)
                    ),
                });
            }
        }
    }
}

/// Fits the binomial LASSO path of `y` (0/1 per patient) on the features `x` (one slice per
/// feature, each with one value per patient), as R's
/// `glmnet(x, y, family = "binomial", alpha = 1)`; see the module documentation.
///
/// Errors: no patients or features, non-finite values, lengths that differ, an outcome
/// other than 0/1, an outcome class with fewer than 2 patients (glmnet refuses those too),
/// every feature constant, and invalid options.
pub fn fit_lasso_path<C: AsRef<[f64]>>(
    x: &[C],
    y: &[f64],
    options: &LassoOptions,
) -> StatsResult<LassoPath> {
    let counts = check_binary(y)?;
    let n = y.len();
    if counts.events == 0 || counts.non_events == 0 {
        return Err(StatsError::OneClass {
            class: u8::from(counts.events > 0),
            n,
            detail: "the LASSO needs both classes".into(),
        });
    }
    if counts.events.min(counts.non_events) < 2 {
        return Err(StatsError::InvalidArgument(format!(
            "one outcome class has a single patient ({} events, {} non-events); \
             the LASSO (like glmnet) needs at least 2 of each",
            counts.events, counts.non_events
        )));
    }
    let d = Design::new(x, n)?;
    let (user, nlam, ratio) = lambda_settings(options, n, d.p)?;
    let w = 1.0 / n as f64;
    let q0 = counts.events as f64 * w;
    let bz = (q0 / (1.0 - q0)).ln();
    // Null negative log-likelihood per patient (glmnet's dev1 = dev0 for 0/1 outcomes).
    let dev0 = -(bz * q0 + (1.0 - q0).ln());
    let mut solver = Solver {
        d: &d,
        y,
        w,
        b0: bz,
        b: vec![0.0; d.p],
        strong: vec![false; d.p],
        in_active: vec![false; d.p],
        active: Vec::new(),
        ga: vec![0.0; d.p],
        xv: vec![0.0; d.p],
        passes: 0,
        max_passes: options.max_passes,
    };
    for k in 0..d.p {
        if d.live[k] {
            solver.ga[k] = d
                .col(k)
                .iter()
                .zip(y)
                .map(|(x, yi)| x * w * (yi - q0))
                .sum::<f64>()
                .abs();
        }
    }
    let alf = if user.is_some() {
        1.0
    } else {
        ratio.max(MIN_RATIO).powf(1.0 / (nlam as f64 - 1.0))
    };
    let shr = options.thresh * dev0;
    let mut path = LassoPath {
        lambdas: Vec::new(),
        intercepts: Vec::new(),
        betas: Vec::new(),
        dev_ratio: Vec::new(),
        df: Vec::new(),
        null_deviance: 2.0 * n as f64 * dev0,
    };
    let mut al = 0.0_f64;
    for ilm in 0..nlam {
        let mut lam_prev = al;
        if let Some(u) = &user {
            al = u[ilm];
        } else if ilm >= 2 {
            al *= alf;
        } else if ilm == 0 {
            al = BIG;
        } else {
            lam_prev = solver.ga.iter().copied().fold(0.0, f64::max);
            al = alf * lam_prev;
        }
        // Sequential strong rule: |g_k| > 2λ − λ_prev.
        let tlam = 2.0 * al - lam_prev;
        for k in 0..d.p {
            if d.live[k] && !solver.strong[k] && solver.ga[k] > tlam {
                solver.strong[k] = true;
            }
        }
        let it = solver.solve(al, shr, LOOSE_THRESH * dev0, options.kkt_tolerance)?;
        let beta: Vec<f64> = (0..d.p)
            .map(|j| {
                if d.live[j] {
                    solver.b[j] / d.sd[j]
                } else {
                    0.0
                }
            })
            .collect();
        let a0 = solver.b0 - beta.iter().zip(&d.mean).map(|(b, m)| b * m).sum::<f64>();
        let devi: f64 = -it
            .q
            .iter()
            .zip(y)
            .map(|(&q, &yi)| w * (yi * q.max(PMIN).ln() + (1.0 - yi) * (1.0 - q).max(PMIN).ln()))
            .sum::<f64>();
        let dev = (dev0 - devi) / dev0;
        path.df.push(beta.iter().filter(|b| **b != 0.0).count());
        path.lambdas.push(al);
        path.intercepts.push(a0);
        path.betas.push(beta);
        path.dev_ratio.push(dev);
        let vmin = (1.0 + PMIN) * PMIN * (1.0 - PMIN);
        if it.xmz <= vmin {
            break;
        }
        if ilm + 1 < MIN_LAMBDAS.min(nlam) || user.is_some() {
            continue;
        }
        if dev > options.devmax || dev - path.dev_ratio[ilm.saturating_sub(1)] < options.fdev {
            break;
        }
    }
    if user.is_none() && path.lambdas.len() > 2 {
        let l = &path.lambdas;
        path.lambdas[0] = (2.0 * l[1].ln() - l[2].ln()).exp();
    }
    Ok(path)
}

/// The user λ sequence (sorted decreasing), the path length and the min ratio.
fn lambda_settings(
    options: &LassoOptions,
    n: usize,
    p: usize,
) -> StatsResult<(Option<Vec<f64>>, usize, f64)> {
    if let Some(l) = &options.lambda {
        if l.is_empty() || l.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(StatsError::InvalidArgument(
                "the lambda sequence must be non-empty, finite and non-negative".into(),
            ));
        }
        let mut l = l.clone();
        l.sort_by(|a, b| b.total_cmp(a));
        let len = l.len();
        return Ok((Some(l), len, 1.0));
    }
    let ratio = options
        .lambda_min_ratio
        .unwrap_or(if n < p { 0.01 } else { 1e-4 });
    if !(ratio > 0.0 && ratio < 1.0) {
        return Err(StatsError::InvalidArgument(format!(
            "lambda_min_ratio must be in (0, 1), got {ratio}"
        )));
    }
    if options.n_lambda < 3 {
        return Err(StatsError::InvalidArgument(format!(
            "n_lambda must be at least 3, got {}",
            options.n_lambda
        )));
    }
    Ok((None, options.n_lambda, ratio))
}

/// Result of [`cross_validate`] (R: the `cv.glmnet` object).
#[derive(Debug, Clone, PartialEq)]
pub struct LassoCv {
    /// The full-data fit, whose λ values are cross-validated.
    pub path: LassoPath,
    /// Mean cross-validated binomial deviance at each λ of `path` (R: `cvm`).
    pub cvm: Vec<f64>,
    /// Its standard error (R: `cvsd`).
    pub cvsd: Vec<f64>,
    /// Non-zero coefficients of the full-data fit at each λ (R: `nzero`).
    pub nzero: Vec<usize>,
    /// Largest λ with the minimal `cvm` (R: `lambda.min`).
    pub lambda_min: f64,
    /// Largest λ whose `cvm` is within one `cvsd` of the minimum (R: `lambda.1se`).
    pub lambda_1se: f64,
    /// Index of `lambda_min` in `path.lambdas`.
    pub index_min: usize,
    /// Index of `lambda_1se` in `path.lambdas`.
    pub index_1se: usize,
}

/// K-fold cross-validation of the LASSO path by binomial deviance, as R's
/// `cv.glmnet(x, y, family = "binomial", type.measure = "deviance", foldid = foldid)`
/// (module documentation). `foldid` gives each patient's fold, numbered `1..=K` with every
/// fold non-empty and K ≥ 3; see [`fold_ids`] to draw one.
pub fn cross_validate<C: AsRef<[f64]>>(
    x: &[C],
    y: &[f64],
    foldid: &[usize],
    options: &LassoOptions,
) -> StatsResult<LassoCv> {
    let n = y.len();
    if foldid.len() != n {
        return Err(StatsError::LengthMismatch {
            what: "foldid".into(),
            expected: n,
            got: foldid.len(),
        });
    }
    let k = foldid.iter().copied().max().unwrap_or(0);
    if k > n {
        return Err(StatsError::InvalidArgument(format!(
            "fold id {k} is larger than the number of patients ({n}): fold ids must cover 1..=K, with at most one fold per patient"
        )));
    }
    let mut sizes = vec![0usize; k];
    for &f in foldid {
        if f == 0 {
            return Err(StatsError::InvalidArgument(
                "fold ids are numbered from 1".into(),
            ));
        }
        sizes[f - 1] += 1;
    }
    if k < 3 {
        return Err(StatsError::InvalidArgument(format!(
            "cross-validation needs at least 3 folds, got {k} (10 recommended)"
        )));
    }
    if let Some(empty) = sizes.iter().position(|&s| s == 0) {
        return Err(StatsError::InvalidArgument(format!(
            "fold {} has no patients; fold ids must cover 1..={k}",
            empty + 1
        )));
    }
    let path = fit_lasso_path(x, y, options)?;
    let nlam = path.lambdas.len();
    // Per-fold mean held-out deviance at each λ of the full path (cv.lognet + cvcompute).
    let mut fold_dev = vec![vec![0.0; nlam]; k];
    for (fold, dev) in fold_dev.iter_mut().enumerate() {
        let train: Vec<usize> = (0..n).filter(|&i| foldid[i] != fold + 1).collect();
        let test: Vec<usize> = (0..n).filter(|&i| foldid[i] == fold + 1).collect();
        let pick = |rows: &[usize]| -> Vec<Vec<f64>> {
            x.iter()
                .map(|c| rows.iter().map(|&i| c.as_ref()[i]).collect())
                .collect()
        };
        let y_train: Vec<f64> = train.iter().map(|&i| y[i]).collect();
        let fit = fit_lasso_path(&pick(&train), &y_train, options).map_err(|e| match e {
            StatsError::InvalidArgument(m) => {
                StatsError::InvalidArgument(format!("fold {}: {m}", fold + 1))
            }
            other => other,
        })?;
        let x_test = pick(&test);
        for (l, &s) in path.lambdas.iter().enumerate() {
            let eta = fit.predict_linear(&x_test, s)?;
            let total: f64 = eta
                .iter()
                .zip(&test)
                .map(|(&e, &i)| {
                    let p = (1.0 / (1.0 + (-e).exp())).clamp(CV_PROB_MIN, 1.0 - CV_PROB_MIN);
                    -2.0 * if y[i] == 1.0 { p.ln() } else { (1.0 - p).ln() }
                })
                .sum();
            dev[l] = total / test.len() as f64;
        }
    }
    let wsum = n as f64;
    let cvm: Vec<f64> = (0..nlam)
        .map(|l| {
            fold_dev
                .iter()
                .zip(&sizes)
                .map(|(d, &s)| d[l] * s as f64)
                .sum::<f64>()
                / wsum
        })
        .collect();
    let cvsd: Vec<f64> = (0..nlam)
        .map(|l| {
            let var = fold_dev
                .iter()
                .zip(&sizes)
                .map(|(d, &s)| s as f64 * (d[l] - cvm[l]).powi(2))
                .sum::<f64>()
                / wsum;
            (var / (k as f64 - 1.0)).sqrt()
        })
        .collect();
    let cvmin = cvm.iter().copied().fold(f64::INFINITY, f64::min);
    let index_min = largest_lambda_where(&path.lambdas, |l| cvm[l] <= cvmin);
    let semin = cvm[index_min] + cvsd[index_min];
    let index_1se = largest_lambda_where(&path.lambdas, |l| cvm[l] <= semin);
    Ok(LassoCv {
        lambda_min: path.lambdas[index_min],
        lambda_1se: path.lambdas[index_1se],
        index_min,
        index_1se,
        nzero: path.df.clone(),
        cvm,
        cvsd,
        path,
    })
}

/// Index of the largest λ satisfying `ok` (the first such index, as R's `match`).
fn largest_lambda_where(lambdas: &[f64], ok: impl Fn(usize) -> bool) -> usize {
    let best = (0..lambdas.len())
        .filter(|&l| ok(l))
        .map(|l| lambdas[l])
        .fold(f64::NEG_INFINITY, f64::max);
    lambdas.iter().position(|&l| l == best).unwrap_or(0)
}

/// Deterministic fold assignment for [`cross_validate`] when no fold column is given: the
/// labels `1, 2, …, k, 1, 2, …` (so fold sizes differ by at most one) shuffled by a
/// Fisher–Yates permutation driven by SplitMix64 seeded with `seed`. The same `(n, k, seed)`
/// always gives the same folds (on every platform), but not R's `sample()` folds.
pub fn fold_ids(n: usize, k: usize, seed: u64) -> StatsResult<Vec<usize>> {
    if k < 3 || k > n {
        return Err(StatsError::InvalidArgument(format!(
            "need 3 <= folds <= patients, got {k} folds for {n} patients"
        )));
    }
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut ids: Vec<usize> = (0..n).map(|i| i % k + 1).collect();
    for i in (1..n).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        ids.swap(i, j);
    }
    Ok(ids)
}
