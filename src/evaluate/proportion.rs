//! Exact confidence intervals of a binomial proportion (Clopper & Pearson 1934, *Biometrika*
//! 26:404–413), as R's `binom.test(x, n, conf.level = level)$conf.int`: with
//! `α = (1 − level)/2`, the lower bound is the `α` quantile of Beta(x, n − x + 1) (0 when
//! `x = 0`) and the upper bound the `1 − α` quantile of Beta(x + 1, n − x) (1 when `x = n`).
//! Used for sensitivity, specificity, PPV, NPV and accuracy at a threshold.

use statrs::function::beta::beta_reg;

use crate::model::{StatsError, StatsResult};

/// The Clopper–Pearson interval `[lower, upper]` of `x` successes in `n` trials at confidence
/// `level` (e.g. 0.95).
///
/// # Errors
/// When `n` is 0 (no proportion to estimate), `x > n`, or `level` is not in `(0, 1)`.
pub fn clopper_pearson(x: usize, n: usize, level: f64) -> StatsResult<[f64; 2]> {
    if n == 0 {
        return Err(StatsError::InvalidArgument(
            "a proportion of 0 trials has no confidence interval".into(),
        ));
    }
    if x > n {
        return Err(StatsError::InvalidArgument(format!(
            "{x} successes in {n} trials"
        )));
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(StatsError::InvalidArgument(format!(
            "confidence level must be in (0, 1), got {level}"
        )));
    }
    let alpha = (1.0 - level) / 2.0;
    let (x, n) = (x as f64, n as f64);
    let lower = if x == 0.0 {
        0.0
    } else {
        beta_quantile(alpha, x, n - x + 1.0)
    };
    let upper = if x == n {
        1.0
    } else {
        beta_quantile(1.0 - alpha, x + 1.0, n - x)
    };
    Ok([lower, upper])
}

/// The `p` quantile of Beta(a, b) (R: `qbeta(p, a, b)`), for `p` in (0, 1) and `a, b > 0`:
/// the root of `I_x(a, b) = p`, found by bisection on the regularised incomplete beta
/// function until the bracket holds adjacent floating-point numbers. Bisection always
/// converges; the answer is as accurate as `I_x` itself (about 1e-15 relative).
fn beta_quantile(p: f64, a: f64, b: f64) -> f64 {
    // Far in the upper tail the distribution function loses resolution next to 1; its
    // complement I_{1−x}(b, a) keeps it.
    if p > 0.5 {
        return 1.0 - beta_quantile(1.0 - p, b, a);
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..2100 {
        let mid = lo + (hi - lo) / 2.0;
        if mid <= lo || mid >= hi {
            break;
        }
        if beta_reg(a, b, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    // The bracket's end nearer the root.
    if (beta_reg(a, b, lo) - p).abs() <= (beta_reg(a, b, hi) - p).abs() {
        lo
    } else {
        hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_and_errors() {
        assert_eq!(clopper_pearson(0, 10, 0.95).unwrap()[0], 0.0);
        assert_eq!(clopper_pearson(10, 10, 0.95).unwrap()[1], 1.0);
        // x = 0: the upper bound is 1 − (α)^(1/n) in closed form.
        let u = clopper_pearson(0, 10, 0.95).unwrap()[1];
        assert!((u - (1.0 - 0.025f64.powf(0.1))).abs() < 1e-15, "{u}");
        assert!(clopper_pearson(1, 0, 0.95).is_err());
        assert!(clopper_pearson(3, 2, 0.95).is_err());
        assert!(clopper_pearson(1, 2, 1.0).is_err());
    }
}
