//! Voxel-wise filters of PyRadiomics (`imageoperations.getSquareImage`, `getSquareRootImage`,
//! `getLogarithmImage`, `getExponentialImage`): each maps an intensity `x` through a function
//! scaled by `M = max |x|` over the whole filtered region (the preprocessed image, not the ROI),
//! so that results stay in the range of the input. Computed in f64, as PyRadiomics does.
//!
//! * square: `f(x) = (c·x)²`, `c = 1/√M`;
//! * square root: `f(x) = √(M·x)` for `x > 0`, `−√(−M·x)` for `x < 0`, 0 at 0;
//! * logarithm: `g(x) = ln(x + 1)` for `x > 0`, `−ln(1 − x)` for `x < 0`, then
//!   `f(x) = g(x)·M / max |g|`;
//! * exponential: `f(x) = exp(c·x)`, `c = ln(M)/M`.

/// `max |x|` over `values` (NaN if one is NaN, as numpy's max).
pub fn max_abs(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0f64, |m, v| {
        if v.is_nan() || m.is_nan() {
            f64::NAN
        } else {
            m.max(v.abs())
        }
    })
}

/// Square filter of `x` given `m = max |x|` of the region.
#[inline]
pub fn square(x: f64, m: f64) -> f64 {
    let c = 1.0 / m.sqrt();
    (c * x).powi(2)
}

/// Square-root filter of `x` given `m = max |x|` of the region.
#[inline]
pub fn square_root(x: f64, m: f64) -> f64 {
    if x > 0.0 {
        (x * m).sqrt()
    } else if x < 0.0 {
        -(-x * m).sqrt()
    } else {
        x
    }
}

/// The unscaled logarithm `ln(x + 1)` (`−ln(1 − x)` for `x < 0`).
#[inline]
pub fn log_unscaled(x: f64) -> f64 {
    if x > 0.0 {
        (x + 1.0).ln()
    } else if x < 0.0 {
        -(-(x - 1.0)).ln()
    } else {
        x
    }
}

/// Logarithm filter: `g(x)·(m / g_max)` with `m = max |x|` and `g_max = max |g|` of the
/// region.
#[inline]
pub fn logarithm(x: f64, m: f64, g_max: f64) -> f64 {
    log_unscaled(x) * (m / g_max)
}

/// Exponential filter of `x` given `m = max |x|` of the region.
#[inline]
pub fn exponential(x: f64, m: f64) -> f64 {
    let c = m.ln() / m;
    (c * x).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas() {
        let m = 4.0;
        assert_eq!(square(-2.0, m), 1.0);
        assert_eq!(square_root(1.0, m), 2.0);
        assert_eq!(square_root(-1.0, m), -2.0);
        assert_eq!(square_root(0.0, m), 0.0);
        assert_eq!(log_unscaled(-1.0), -(2.0f64).ln());
        assert!((exponential(4.0, m) - 4.0).abs() < 1e-12);
        assert_eq!(max_abs([1.0, -3.0, 2.0]), 3.0);
        assert!(max_abs([1.0, f64::NAN]).is_nan());
    }
}
