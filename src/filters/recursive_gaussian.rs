//! Deriche's recursive (IIR) approximation of convolution with a Gaussian and its second
//! derivative along one axis, as ITK's `RecursiveGaussianImageFilter` computes it (with
//! normalisation across scale), to the last bit.
//!
//! R. Deriche, "Recursively implementing the Gaussian and its derivatives", INRIA research
//! report 1893 (1993): a line is filtered by a fourth-order causal recursion and a
//! fourth-order anticausal one whose results are added. The coefficients come from
//! Deriche's fit of the Gaussian (and its derivatives) by two damped exponential series
//! (`a`, `b`, `ω`, `λ` per series) at `σ_d = σ / spacing` samples, normalised so that the
//! response to a constant (smoothing) or to `x²/2` (second derivative) is exact; the second
//! derivative is scaled by `σ²` (normalisation across scale). Beyond each end a line is
//! taken to continue with its end value (edge extension), which ITK folds into boundary
//! coefficients. ITK's order of operations is kept in every sum (see
//! `itkRecursiveGaussianImageFilter.hxx` and `itkRecursiveSeparableImageFilter.hxx`): a
//! value that lands on a bin edge must land on the same side.

/// Which response a [`RecursiveGaussian`] approximates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Convolution with the Gaussian (smoothing).
    Smoothing,
    /// Convolution with the Gaussian's second derivative, scaled by σ².
    SecondDerivative,
}

/// The coefficients of one recursive Gaussian filter along one axis.
#[derive(Debug, Clone, PartialEq)]
pub struct RecursiveGaussian {
    /// Causal feed-forward coefficients N0–N3.
    n: [f64; 4],
    /// Feedback coefficients D1–D4 (both directions).
    d: [f64; 4],
    /// Anticausal feed-forward coefficients M1–M4.
    m: [f64; 4],
    /// Causal boundary coefficients (edge extension).
    bn: [f64; 4],
    /// Anticausal boundary coefficients.
    bm: [f64; 4],
}

/// Deriche's fit of the Gaussian (index 0) and its second derivative (index 2) by two damped
/// exponential series: `(a1, b1, a2, b2)`, with the series' `ω1, λ1, ω2, λ2` shared.
const A1: [f64; 3] = [1.3530, -0.6724, -1.3563];
const B1: [f64; 3] = [1.8151, -3.4327, 5.2318];
const A2: [f64; 3] = [-0.3531, 0.6724, 0.3446];
const B2: [f64; 3] = [0.0902, 0.6100, -2.2355];
const W1: f64 = 0.6681;
const L1: f64 = -1.3932;
const W2: f64 = 2.0787;
const L2: f64 = -1.3732;

/// Feed-forward coefficients N0–N3 of series `k` at `sd` samples, with their sums
/// `(SN, DN, EN)` = (Σ Nᵢ, Σ i·Nᵢ, Σ i²·Nᵢ).
fn n_coefficients(sd: f64, k: usize) -> ([f64; 4], f64, f64, f64) {
    let (a1, b1, a2, b2) = (A1[k], B1[k], A2[k], B2[k]);
    let sin1 = (W1 / sd).sin();
    let sin2 = (W2 / sd).sin();
    let cos1 = (W1 / sd).cos();
    let cos2 = (W2 / sd).cos();
    let exp1 = (L1 / sd).exp();
    let exp2 = (L2 / sd).exp();
    let n0 = a1 + a2;
    let mut n1 = exp2 * (b2 * sin2 - (a2 + 2.0 * a1) * cos2);
    n1 += exp1 * (b1 * sin1 - (a1 + 2.0 * a2) * cos1);
    let mut n2 = (a1 + a2) * cos2 * cos1;
    n2 -= b1 * cos2 * sin1 + b2 * cos1 * sin2;
    n2 *= 2.0 * exp1 * exp2;
    n2 += a2 * exp1 * exp1 + a1 * exp2 * exp2;
    let mut n3 = exp2 * exp1 * exp1 * (b2 * sin2 - a2 * cos2);
    n3 += exp1 * exp2 * exp2 * (b1 * sin1 - a1 * cos1);
    let sn = n0 + n1 + n2 + n3;
    let dn = n1 + 2.0 * n2 + 3.0 * n3;
    let en = n1 + 4.0 * n2 + 9.0 * n3;
    ([n0, n1, n2, n3], sn, dn, en)
}

/// Feedback coefficients D1–D4 at `sd` samples, with `(SD, DD, ED)` = (1 + Σ Dᵢ, Σ i·Dᵢ,
/// Σ i²·Dᵢ).
fn d_coefficients(sd: f64) -> ([f64; 4], f64, f64, f64) {
    let cos1 = (W1 / sd).cos();
    let cos2 = (W2 / sd).cos();
    let exp1 = (L1 / sd).exp();
    let exp2 = (L2 / sd).exp();
    let d4 = exp1 * exp1 * exp2 * exp2;
    let mut d3 = -2.0 * cos1 * exp1 * exp2 * exp2;
    d3 += -2.0 * cos2 * exp2 * exp1 * exp1;
    let mut d2 = 4.0 * cos2 * cos1 * exp1 * exp2;
    d2 += exp1 * exp1 + exp2 * exp2;
    let d1 = -2.0 * (exp2 * cos2 + exp1 * cos1);
    let s = 1.0 + d1 + d2 + d3 + d4;
    let dd = d1 + 2.0 * d2 + 3.0 * d3 + 4.0 * d4;
    let ed = d1 + 4.0 * d2 + 9.0 * d3 + 16.0 * d4;
    ([d1, d2, d3, d4], s, dd, ed)
}

/// Lines whose recursions advance together in registers (callers bundle lines in multiples).
pub const LANES: usize = 16;

impl RecursiveGaussian {
    /// The filter for a Gaussian of `sigma` mm along an axis of `spacing` mm (both > 0).
    pub fn new(sigma: f64, spacing: f64, order: Order) -> RecursiveGaussian {
        let sd = sigma / spacing;
        let (d, s_d, dd, ed) = d_coefficients(sd);
        let n = match order {
            Order::Smoothing => {
                let (n, sn, _, _) = n_coefficients(sd, 0);
                let alpha0 = 2.0 * sn / s_d - n[0];
                n.map(|c| c * (1.0 / alpha0))
            }
            Order::SecondDerivative => {
                let (n_0, sn0, dn0, en0) = n_coefficients(sd, 0);
                let (n_2, sn2, dn2, en2) = n_coefficients(sd, 2);
                let beta = -(2.0 * sn2 - s_d * n_2[0]) / (2.0 * sn0 - s_d * n_0[0]);
                let n = [0, 1, 2, 3].map(|i| n_2[i] + beta * n_0[i]);
                let sn = sn2 + beta * sn0;
                let dn = dn2 + beta * dn0;
                let en = en2 + beta * en0;
                let mut alpha2 =
                    en * s_d * s_d - ed * sn * s_d - 2.0 * dn * dd * s_d + 2.0 * dd * dd * sn;
                alpha2 /= s_d * s_d * s_d;
                let across_scale = sigma * sigma;
                n.map(|c| c * (across_scale / alpha2))
            }
        };
        // Symmetric responses (smoothing, second derivative): the anticausal coefficients
        // mirror the causal ones.
        let m = [
            n[1] - d[0] * n[0],
            n[2] - d[1] * n[0],
            n[3] - d[2] * n[0],
            -d[3] * n[0],
        ];
        let sn = n[0] + n[1] + n[2] + n[3];
        let sm = m[0] + m[1] + m[2] + m[3];
        let s_d = 1.0 + d[0] + d[1] + d[2] + d[3];
        let bn = d.map(|di| di * sn / s_d);
        let bm = d.map(|di| di * sm / s_d);
        RecursiveGaussian { n, d, m, bn, bm }
    }

    /// Whether every coefficient is a finite number (not so for σ vanishingly small against
    /// the spacing, where `ω / σ_d` overflows).
    pub fn is_finite(&self) -> bool {
        [self.n, self.d, self.m, self.bn, self.bm]
            .iter()
            .flatten()
            .all(|c| c.is_finite())
    }

    /// Filters `w` interleaved lines of `len ≥ 4` samples each (sample `k` of line `i` is
    /// `data[k·w + i]`) and writes the results at the samples `keep` (a range of `0..len`) to
    /// `out` (`out[(k − keep.start)·w + i]`). Every line gets exactly ITK's arithmetic; the
    /// causal pass stops at the end of `keep` and the anticausal one at its start, since
    /// neither reads back; interleaving only lets independent lines share instructions.
    /// `causal` and `anticausal` are scratch buffers (resized here).
    pub fn filter_lines(
        &self,
        data: &[f64],
        w: usize,
        keep: std::ops::Range<usize>,
        out: &mut [f64],
        causal: &mut Vec<f64>,
        anticausal: &mut Vec<f64>,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.filter_lines_avx2(data, w, keep, out, causal, anticausal) };
        }
        self.filter_lines_plain(data, w, keep, out, causal, anticausal)
    }

    /// [`Self::filter_lines`] compiled for AVX2: four lines per instruction instead of two.
    /// Rust neither contracts nor reassociates floating-point arithmetic, so both
    /// compilations give the same bits.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn filter_lines_avx2(
        &self,
        data: &[f64],
        w: usize,
        keep: std::ops::Range<usize>,
        out: &mut [f64],
        causal: &mut Vec<f64>,
        anticausal: &mut Vec<f64>,
    ) {
        self.filter_lines_plain(data, w, keep, out, causal, anticausal)
    }

    /// The arithmetic of [`Self::filter_lines`], inlined into each compilation.
    #[inline(always)]
    fn filter_lines_plain(
        &self,
        data: &[f64],
        w: usize,
        keep: std::ops::Range<usize>,
        out: &mut [f64],
        causal: &mut Vec<f64>,
        anticausal: &mut Vec<f64>,
    ) {
        let len = data.len() / w;
        assert!(len >= 4 && data.len() == len * w && keep.end <= len && keep.start < keep.end);
        assert_eq!(out.len(), keep.len() * w);
        let [n0, n1, n2, n3] = self.n;
        let [d1, d2, d3, _] = self.d;
        let [m1, m2, m3, m4] = self.m;
        let [bn1, bn2, bn3, bn4] = self.bn;
        let [bm1, bm2, bm3, bm4] = self.bm;
        // Causal pass over samples 0..stop; the line continues with its first value before
        // its start.
        let stop = keep.end.max(4);
        causal.clear();
        causal.resize(stop * w, 0.0);
        for i in 0..w {
            let x = |k: usize| data[k * w + i];
            let v = x(0);
            let mut s = [
                v * n0 + v * n1 + v * n2 + v * n3,
                x(1) * n0 + v * n1 + v * n2 + v * n3,
                x(2) * n0 + x(1) * n1 + v * n2 + v * n3,
                x(3) * n0 + x(2) * n1 + x(1) * n2 + v * n3,
            ];
            s[0] -= v * bn1 + v * bn2 + v * bn3 + v * bn4;
            s[1] -= s[0] * d1 + v * bn2 + v * bn3 + v * bn4;
            s[2] -= s[1] * d1 + s[0] * d2 + v * bn3 + v * bn4;
            s[3] -= s[2] * d1 + s[1] * d2 + s[0] * d3 + v * bn4;
            for (k, &sk) in s.iter().enumerate() {
                causal[k * w + i] = sk;
            }
        }
        let mut i0 = 0;
        while i0 + LANES <= w {
            self.causal_block::<LANES>(data, w, i0, stop, causal);
            i0 += LANES;
        }
        while i0 + 4 <= w {
            self.causal_block::<4>(data, w, i0, stop, causal);
            i0 += 4;
        }
        for i in i0..w {
            self.causal_block::<1>(data, w, i, stop, causal);
        }
        // Anticausal pass over samples len−1 down to `start`, stored from `start`; the line
        // continues with its last value after its end.
        let start = keep.start.min(len - 4);
        let e = len - 1;
        anticausal.clear();
        anticausal.resize((len - start) * w, 0.0);
        let at = |k: usize| (k - start) * w;
        for i in 0..w {
            let x = |k: usize| data[k * w + i];
            let v = x(e);
            let mut s = [
                v * m1 + v * m2 + v * m3 + v * m4,
                x(e) * m1 + v * m2 + v * m3 + v * m4,
                x(e - 1) * m1 + x(e) * m2 + v * m3 + v * m4,
                x(e - 2) * m1 + x(e - 1) * m2 + x(e) * m3 + v * m4,
            ];
            s[0] -= v * bm1 + v * bm2 + v * bm3 + v * bm4;
            s[1] -= s[0] * d1 + v * bm2 + v * bm3 + v * bm4;
            s[2] -= s[1] * d1 + s[0] * d2 + v * bm3 + v * bm4;
            s[3] -= s[2] * d1 + s[1] * d2 + s[0] * d3 + v * bm4;
            for (j, &sj) in s.iter().enumerate() {
                anticausal[at(e - j) + i] = sj;
            }
        }
        let mut i0 = 0;
        while i0 + LANES <= w {
            self.anticausal_block::<LANES>(data, w, i0, start, anticausal);
            i0 += LANES;
        }
        while i0 + 4 <= w {
            self.anticausal_block::<4>(data, w, i0, start, anticausal);
            i0 += 4;
        }
        for i in i0..w {
            self.anticausal_block::<1>(data, w, i, start, anticausal);
        }
        for (r, k) in keep.enumerate() {
            let c = &causal[k * w..(k + 1) * w];
            let a = &anticausal[at(k)..at(k) + w];
            for ((o, &c), &a) in out[r * w..(r + 1) * w].iter_mut().zip(c).zip(a) {
                *o = c + a;
            }
        }
    }

    /// The causal recursion over samples `4..stop` of the `N` lines `i0..i0 + N` (their first
    /// four samples already in `causal`), kept in registers: `N` independent recursions
    /// advance together, each with ITK's order of operations.
    #[inline(always)]
    fn causal_block<const N: usize>(
        &self,
        data: &[f64],
        w: usize,
        i0: usize,
        stop: usize,
        causal: &mut [f64],
    ) {
        let [n0, n1, n2, n3] = self.n;
        let [d1, d2, d3, d4] = self.d;
        let at = |buf: &[f64], k: usize| -> [f64; N] {
            buf[k * w + i0..k * w + i0 + N]
                .try_into()
                .expect("N samples")
        };
        let (mut y1, mut y2, mut y3, mut y4) =
            (at(causal, 3), at(causal, 2), at(causal, 1), at(causal, 0));
        let (mut x1, mut x2, mut x3) = (at(data, 3), at(data, 2), at(data, 1));
        for k in 4..stop {
            let x0 = at(data, k);
            let mut v = [0.0; N];
            for l in 0..N {
                let mut t = x0[l] * n0 + x1[l] * n1 + x2[l] * n2 + x3[l] * n3;
                t -= y1[l] * d1 + y2[l] * d2 + y3[l] * d3 + y4[l] * d4;
                v[l] = t;
            }
            causal[k * w + i0..k * w + i0 + N].copy_from_slice(&v);
            (x3, x2, x1) = (x2, x1, x0);
            (y4, y3, y2, y1) = (y3, y2, y1, v);
        }
    }

    /// The anticausal recursion over samples `len − 5` down to `start` of the `N` lines
    /// `i0..i0 + N` (their last four samples already in `anticausal`, which holds samples
    /// `start..len`), as [`Self::causal_block`].
    #[inline(always)]
    fn anticausal_block<const N: usize>(
        &self,
        data: &[f64],
        w: usize,
        i0: usize,
        start: usize,
        anticausal: &mut [f64],
    ) {
        let [m1, m2, m3, m4] = self.m;
        let [d1, d2, d3, d4] = self.d;
        let len = data.len() / w;
        let at = |buf: &[f64], k: usize| -> [f64; N] {
            buf[k * w + i0..k * w + i0 + N]
                .try_into()
                .expect("N samples")
        };
        let e = len - 1;
        let (mut y1, mut y2, mut y3, mut y4) = (
            at(anticausal, e - 3 - start),
            at(anticausal, e - 2 - start),
            at(anticausal, e - 1 - start),
            at(anticausal, e - start),
        );
        let (mut x2, mut x3, mut x4) = (at(data, e - 2), at(data, e - 1), at(data, e));
        for k in (start..len - 4).rev() {
            let x1 = at(data, k + 1);
            let mut v = [0.0; N];
            for l in 0..N {
                let mut t = x1[l] * m1 + x2[l] * m2 + x3[l] * m3 + x4[l] * m4;
                t -= y1[l] * d1 + y2[l] * d2 + y3[l] * d3 + y4[l] * d4;
                v[l] = t;
            }
            let o = (k - start) * w + i0;
            anticausal[o..o + N].copy_from_slice(&v);
            (x4, x3, x2) = (x3, x2, x1);
            (y4, y3, y2, y1) = (y3, y2, y1, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(f: &RecursiveGaussian, line: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; line.len()];
        let (mut c, mut a) = (Vec::new(), Vec::new());
        f.filter_lines(line, 1, 0..line.len(), &mut out, &mut c, &mut a);
        out
    }

    #[test]
    fn smoothing_keeps_constants_and_second_derivative_of_a_parabola_is_one_scaled() {
        let g = RecursiveGaussian::new(2.0, 1.0, Order::Smoothing);
        for v in filter(&g, &[3.0; 40]) {
            assert!((v - 3.0).abs() < 1e-12, "{v}");
        }
        // Second derivative of x²/2 is 1; normalised across scale: σ² = 4 (far from the ends,
        // where edge extension bends the parabola).
        let d = RecursiveGaussian::new(2.0, 1.0, Order::SecondDerivative);
        let line: Vec<f64> = (0..200).map(|i| (i as f64 - 100.0).powi(2) / 2.0).collect();
        let out = filter(&d, &line);
        for v in &out[80..120] {
            assert!((v - 4.0).abs() < 1e-3, "{v}");
        }
    }

    #[test]
    fn interleaved_lines_and_kept_ranges_equal_whole_single_lines_bit_for_bit() {
        let g = RecursiveGaussian::new(1.5, 0.7, Order::SecondDerivative);
        let a: Vec<f64> = (0..9)
            .map(|i| ((i * 37 % 11) as f64).sin() * 100.0)
            .collect();
        let b: Vec<f64> = (0..9).map(|i| (i as f64).cos() * 7.0 - 3.0).collect();
        let both: Vec<f64> = a.iter().zip(&b).flat_map(|(&x, &y)| [x, y]).collect();
        let (fa, fb) = (filter(&g, &a), filter(&g, &b));
        let (mut c, mut d) = (Vec::new(), Vec::new());
        // Every kept range gives the whole line's values there.
        for keep in [0..9, 0..1, 8..9, 2..7, 5..6, 0..4] {
            let mut out = vec![0.0; 2 * keep.len()];
            g.filter_lines(&both, 2, keep.clone(), &mut out, &mut c, &mut d);
            for (r, k) in keep.enumerate() {
                assert_eq!(out[2 * r].to_bits(), fa[k].to_bits());
                assert_eq!(out[2 * r + 1].to_bits(), fb[k].to_bits());
            }
        }
    }

    #[test]
    fn avx2_and_baseline_code_give_the_same_bits() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            for (sigma, spacing, order) in [
                (2.0, 1.0, Order::Smoothing),
                (3.0, 0.8, Order::SecondDerivative),
                (1.0, 2.5, Order::SecondDerivative),
            ] {
                let g = RecursiveGaussian::new(sigma, spacing, order);
                for (w, len) in [(1, 5), (3, 17), (8, 40), (13, 64)] {
                    let data: Vec<f64> = (0..w * len)
                        .map(|i| ((i * 7919 % 1013) as f64).sqrt() * 31.7 - 400.0)
                        .collect();
                    for keep in [0..len, 2..len - 1, len / 2..len / 2 + 1] {
                        let mut plain = vec![0.0; keep.len() * w];
                        let mut avx2 = plain.clone();
                        let (mut c, mut a) = (Vec::new(), Vec::new());
                        g.filter_lines_plain(&data, w, keep.clone(), &mut plain, &mut c, &mut a);
                        // SAFETY: the CPU has AVX2, checked above.
                        unsafe {
                            g.filter_lines_avx2(&data, w, keep.clone(), &mut avx2, &mut c, &mut a)
                        };
                        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(&plain), bits(&avx2), "w {w} len {len} keep {keep:?}");
                    }
                }
            }
        }
    }
}
