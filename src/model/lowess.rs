//! Locally weighted scatterplot smoothing exactly as R's `stats::lowess` computes it
//! (W. S. Cleveland, "Robust locally weighted regression and smoothing scatterplots",
//! JASA 74, 829–836, 1979; the algorithm of Cleveland's `clowess`): at each point a straight
//! line is fitted to the nearest `⌊f·n⌋` points with tricube weights `(1 − (d/h)³)³`, `h`
//! the distance to the farthest of them; points within `delta` of the last fitted one are
//! interpolated linearly instead of fitted; `iter` robustness steps re-weight by the
//! bisquare of the residuals over six times their median absolute value.
//!
//! Also R's `approx(…, ties = function(v) v[1])`, with which `rms::calibrate` reads a
//! smoothed curve at chosen abscissae.

/// `x³`.
fn cube(x: f64) -> f64 {
    x * x * x
}

/// The local fit at `xs` from the points `nleft..=nright` (and any beyond `nright` tied
/// within the window, as Cleveland's `lowest`), with robustness weights `rw` when given.
/// `None` when every weight is zero.
fn local_fit(
    x: &[f64],
    y: &[f64],
    xs: f64,
    (nleft, nright): (usize, usize),
    rw: Option<&[f64]>,
    w: &mut [f64],
) -> Option<f64> {
    let n = x.len();
    let range = x[n - 1] - x[0];
    let h = (xs - x[nleft]).max(x[nright] - xs);
    let (h9, h1) = (0.999 * h, 0.001 * h);
    let mut a = 0.0;
    let mut j = nleft;
    while j < n {
        w[j] = 0.0;
        let r = (x[j] - xs).abs();
        if r <= h9 {
            w[j] = if r <= h1 {
                1.0
            } else {
                cube(1.0 - cube(r / h))
            };
            if let Some(rw) = rw {
                w[j] *= rw[j];
            }
            a += w[j];
        } else if x[j] > xs {
            break;
        }
        j += 1;
    }
    let nrt = j - 1;
    if a <= 0.0 {
        return None;
    }
    for wj in &mut w[nleft..=nrt] {
        *wj /= a;
    }
    if h > 0.0 {
        let a: f64 = (nleft..=nrt).map(|j| w[j] * x[j]).sum();
        let mut b = xs - a;
        let c: f64 = (nleft..=nrt).map(|j| w[j] * (x[j] - a) * (x[j] - a)).sum();
        if c.sqrt() > 0.001 * range {
            b /= c;
            for j in nleft..=nrt {
                w[j] *= b * (x[j] - a) + 1.0;
            }
        }
    }
    Some((nleft..=nrt).map(|j| w[j] * y[j]).sum())
}

/// The smoothed values at the sorted abscissae `x` (ascending) of `y`: R's
/// `lowess(x, y, f, iter, delta)$y` for sorted `x`.
fn smooth_sorted(x: &[f64], y: &[f64], f: f64, iter: usize, delta: f64) -> Vec<f64> {
    let n = x.len();
    if n < 2 {
        return y.to_vec();
    }
    let ns = ((f * n as f64 + 1e-7) as usize).min(n).max(2);
    let mut ys = vec![0.0; n];
    let mut w = vec![0.0; n];
    let mut rw = vec![1.0; n];
    for step in 0..=iter {
        let robust = (step > 0).then_some(rw.as_slice());
        let (mut nleft, mut nright) = (0usize, ns - 1);
        let mut last: Option<usize> = None;
        let mut i = 0usize;
        loop {
            if nright < n - 1 {
                let d1 = x[i] - x[nleft];
                let d2 = x[nright + 1] - x[i];
                if d1 > d2 {
                    nleft += 1;
                    nright += 1;
                    continue;
                }
            }
            ys[i] = local_fit(x, y, x[i], (nleft, nright), robust, &mut w).unwrap_or(y[i]);
            if let Some(l) = last {
                if l + 1 < i {
                    let denom = x[i] - x[l];
                    for j in l + 1..i {
                        let alpha = (x[j] - x[l]) / denom;
                        ys[j] = alpha * ys[i] + (1.0 - alpha) * ys[l];
                    }
                }
            }
            let mut l = i;
            let cut = x[l] + delta;
            let mut k = l + 1;
            while k < n {
                if x[k] > cut {
                    break;
                }
                if x[k] == x[l] {
                    ys[k] = ys[l];
                    l = k;
                }
                k += 1;
            }
            last = Some(l);
            i = (l + 1).max(k - 1);
            if l >= n - 1 {
                break;
            }
        }
        if step == iter {
            break;
        }
        // Robustness weights: bisquare of the residuals over 6 × their median |residual|.
        let res: Vec<f64> = y.iter().zip(&ys).map(|(a, b)| a - b).collect();
        let mut abs: Vec<f64> = res.iter().map(|r| r.abs()).collect();
        let sc = abs.iter().sum::<f64>() / n as f64;
        abs.sort_by(f64::total_cmp);
        let m1 = n / 2;
        let cmad = if n.is_multiple_of(2) {
            3.0 * (abs[m1 - 1] + abs[m1])
        } else {
            6.0 * abs[m1]
        };
        if cmad < 1e-7 * sc {
            break;
        }
        let (c9, c1) = (0.999 * cmad, 0.001 * cmad);
        for (r, wi) in res.iter().zip(rw.iter_mut()) {
            let r = r.abs();
            *wi = if r <= c1 {
                1.0
            } else if r <= c9 {
                let u = r / cmad;
                (1.0 - u * u).powi(2)
            } else {
                0.0
            };
        }
    }
    ys
}

/// R's `lowess(x, y, f, iter)` with its default `delta = 0.01·(max x − min x)`: the points
/// sorted by `x` (stably, as R's `order`) and their smoothed values.
///
/// # Panics
/// When `x` and `y` differ in length.
pub fn lowess(x: &[f64], y: &[f64], f: f64, iter: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(x.len(), y.len(), "lowess: x and y differ in length");
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let delta = match (xs.first(), xs.last()) {
        (Some(lo), Some(hi)) => 0.01 * (hi - lo),
        _ => 0.0,
    };
    let smoothed = smooth_sorted(&xs, &ys, f, iter, delta);
    (xs, smoothed)
}

/// R's `approx(x, y, xout, ties = function(v) v[1])$y` for ascending `x`: linear
/// interpolation, the first `y` of tied `x` values, `None` outside `[x₀, x_last]`.
pub fn approx_first(x: &[f64], y: &[f64], xout: f64) -> Option<f64> {
    // Tied abscissae collapse to their first value.
    let mut ux: Vec<f64> = Vec::with_capacity(x.len());
    let mut uy: Vec<f64> = Vec::with_capacity(y.len());
    for (&a, &b) in x.iter().zip(y) {
        if ux.last() != Some(&a) {
            ux.push(a);
            uy.push(b);
        }
    }
    let n = ux.len();
    if n == 0 || !(ux[0]..=ux[n - 1]).contains(&xout) {
        return None;
    }
    if n == 1 {
        return Some(uy[0]);
    }
    let (mut i, mut j) = (0usize, n - 1);
    while i + 1 < j {
        let m = (i + j) / 2;
        if xout < ux[m] {
            j = m;
        } else {
            i = m;
        }
    }
    if xout == ux[j] {
        return Some(uy[j]);
    }
    if xout == ux[i] {
        return Some(uy[i]);
    }
    Some(uy[i] + (uy[j] - uy[i]) * ((xout - ux[i]) / (ux[j] - ux[i])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straight_line_is_its_own_smooth() {
        let x: Vec<f64> = (0..30).map(|i| i as f64 * 0.5).collect();
        let y: Vec<f64> = x.iter().map(|v| 2.0 * v - 1.0).collect();
        for iter in [0, 3] {
            let (sx, sy) = lowess(&x, &y, 2.0 / 3.0, iter);
            assert_eq!(sx, x);
            for (a, b) in sy.iter().zip(&y) {
                assert!((a - b).abs() < 1e-12, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn approx_takes_the_first_of_ties_and_refuses_outside() {
        let x = [0.0, 1.0, 1.0, 3.0];
        let y = [0.0, 5.0, 7.0, 9.0];
        assert_eq!(approx_first(&x, &y, 1.0), Some(5.0));
        assert_eq!(approx_first(&x, &y, 2.0), Some(7.0));
        assert_eq!(approx_first(&x, &y, 0.5), Some(2.5));
        assert_eq!(approx_first(&x, &y, 3.5), None);
        assert_eq!(approx_first(&x, &y, -0.1), None);
    }
}
