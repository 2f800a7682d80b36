//! Eigenvalues of small dense symmetric matrices, without eigenvectors and without
//! allocation beyond three work vectors: the GLCM's maximal correlation coefficient needs
//! them for every direction of every image (13 matrices of up to `N_g × N_g` per image).
//!
//! Two classical steps (Golub & Van Loan, *Matrix Computations*, 4th ed., §8.3):
//! 1. Householder reduction to a symmetric tridiagonal matrix (Algorithm 8.3.1), on a
//!    row-major copy, reading and updating only its lower triangle (as LAPACK's `dsytd2`
//!    does), row by row so that the inner loops are contiguous;
//! 2. the implicit QL iteration with Wilkinson's shift on that tridiagonal matrix, eigenvalues
//!    only (Bowdler, Martin, Reinsch & Wilkinson, "The QR and QL algorithms for symmetric
//!    matrices", *Numer. Math.* 11, 1968, procedure `tql1`);
//! 3. or, when only two eigenvalues are wanted (by their rank), bisection on Sturm counts of
//!    the tridiagonal matrix (Barth, Martin & Wilkinson, "Calculation of the eigenvalues of a
//!    symmetric tridiagonal matrix by the method of bisection", *Numer. Math.* 9, 1967), both
//!    searches advanced in the same loop so that their division chains overlap.
//!
//! Both steps are backward stable: each eigenvalue is exact for a matrix within a few
//! machine epsilons (relative to the matrix's norm) of the input. nalgebra's general
//! `symmetric_eigenvalues` computes the same values; this version is specialised to
//! row-major `f64` slices and took about half its time on the GLCM matrices of a cohort.

/// Eigenvalues of the symmetric `n × n` matrix `a` (row-major; only its lower triangle is
/// used), in no particular order. `a` is overwritten. Returns `None` for a non-finite entry,
/// or if the QL iteration does not converge.
pub fn symmetric_eigenvalues(a: &mut [f64], n: usize) -> Option<Vec<f64>> {
    assert_eq!(a.len(), n * n, "matrix is not n × n");
    if n == 0 {
        return Some(Vec::new());
    }
    // Scaled so that every entry is at most 1 in magnitude: the plane rotations can then take
    // sqrt(f² + g²) directly, with no overflow (and no slower `hypot`).
    if a.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let amax = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if amax == 0.0 {
        return Some(vec![0.0; n]);
    }
    let inv = 1.0 / amax;
    for x in a.iter_mut() {
        *x *= inv;
    }
    let (mut d, mut e) = tridiagonalize_dispatch(a, n);
    ql_implicit(&mut d, &mut e)?;
    for x in &mut d {
        *x *= amax;
    }
    Some(d)
}

/// The eigenvalues of rank `ranks[0]` and `ranks[1]` (0 = smallest) of the symmetric
/// `n × n` matrix `a` (row-major, overwritten), to within a few ε‖a‖ like
/// [`symmetric_eigenvalues`]. `None` for a non-finite entry. Panics if a rank is not below `n`.
pub fn symmetric_eigenvalue_pair(a: &mut [f64], n: usize, ranks: [usize; 2]) -> Option<[f64; 2]> {
    assert_eq!(a.len(), n * n, "matrix is not n × n");
    assert!(ranks.iter().all(|&k| k < n), "rank out of range");
    if a.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let (d, e) = tridiagonalize_dispatch(a, n);
    Some(bisect_pair(&d, &e, ranks))
}

/// [`tridiagonalize`] in AVX2 code where the CPU has it. The same source compiled twice, with
/// no floating-point contraction or reassociation either way: both give the same bits.
fn tridiagonalize_dispatch(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { tridiagonalize_avx2(a, n) };
    }
    tridiagonalize(a, n)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn tridiagonalize_avx2(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    tridiagonalize(a, n)
}

/// Number of eigenvalues of the tridiagonal (`d`, `e²`) below `x[0]` and below `x[1]` (Sturm
/// counts: the negative LDLᵀ pivots `q_i`), and at each point the Newton correction
/// `f/f′` of `f(x) = det(T − xI) = Π q_i` (from `f′/f = Σ q_i′/q_i`, with
/// `q_i′ = −1 + e²_{i−1} q_{i−1}′ / q_{i−1}²`). A pivot smaller than `pivmin` in magnitude is
/// taken as `−pivmin`, as LAPACK's `dlaebz` does, which keeps the count exact for a nearby
/// matrix; an eigenvalue equal to `x` then counts as below it.
#[inline]
fn sturm_newton(d: &[f64], e2: &[f64], x: [f64; 2], pivmin: f64) -> ([usize; 2], [f64; 2]) {
    // A pivot is replaced before it is counted or divided by, so that both see the same value.
    // The replaced pivot keeps the count right but not the derivative: where one was replaced
    // (x is an eigenvalue of a leading block, such as the diagonal entry of a 2 × 2 matrix
    // with equal diagonal entries), no Newton step is offered.
    let mut guarded = [false; 2];
    let mut guard = |q: f64, k: usize| {
        if q.abs() < pivmin {
            guarded[k] = true;
            -pivmin
        } else {
            q
        }
    };
    let mut q = [guard(d[0] - x[0], 0), guard(d[0] - x[1], 1)];
    let mut c = [usize::from(q[0] < 0.0), usize::from(q[1] < 0.0)];
    let mut r = [1.0 / q[0], 1.0 / q[1]];
    let mut dq = [-1.0f64; 2];
    let mut s = [dq[0] * r[0], dq[1] * r[1]];
    for i in 1..d.len() {
        for k in 0..2 {
            let next = guard((d[i] - x[k]) - e2[i - 1] * r[k], k);
            dq[k] = -1.0 + e2[i - 1] * dq[k] * r[k] * r[k];
            q[k] = next;
            r[k] = 1.0 / next;
            s[k] += dq[k] * r[k];
            c[k] += usize::from(next < 0.0);
        }
    }
    let step = |k: usize| if guarded[k] { f64::NAN } else { 1.0 / s[k] };
    (c, [step(0), step(1)])
}

/// The eigenvalues of rank `ranks` of the symmetric tridiagonal (`d`, `e`): bisection on Sturm
/// counts until an eigenvalue is alone in its bracket, then Newton's steps on the
/// characteristic polynomial, kept inside the bracket (a step that would leave it, or that is
/// not finite, is replaced by a bisection). Both searches advance in the same loop.
fn bisect_pair(d: &[f64], e: &[f64], ranks: [usize; 2]) -> [f64; 2] {
    let n = d.len();
    let e2: Vec<f64> = e[..n - 1].iter().map(|x| x * x).collect();
    // Gershgorin's interval holds every eigenvalue.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..n {
        let r = if i > 0 { e[i - 1].abs() } else { 0.0 } + if i + 1 < n { e[i].abs() } else { 0.0 };
        lo = lo.min(d[i] - r);
        hi = hi.max(d[i] + r);
    }
    let norm = lo.abs().max(hi.abs());
    if norm == 0.0 {
        return [0.0, 0.0];
    }
    let pad = 2.0 * f64::EPSILON * norm * n as f64;
    let (lo, hi) = (lo - pad, hi + pad);
    let pivmin = f64::MIN_POSITIVE * e2.iter().fold(1.0f64, |m, &v| m.max(v));
    // Stop at the absolute accuracy the matrix allows (that of the QL iteration too).
    let tol = 2.0 * f64::EPSILON * norm;
    let mut a = [lo; 2];
    let mut b = [hi; 2];
    // Eigenvalues below a and below b.
    let mut count_a = [0usize; 2];
    let mut count_b = [n; 2];
    let mut next: [Option<f64>; 2] = [None; 2];
    let mut result: [Option<f64>; 2] = [None; 2];
    for _ in 0..MAX_BISECTIONS {
        let mut x = [0.0; 2];
        for k in 0..2 {
            let mid = 0.5 * (a[k] + b[k]);
            x[k] = match (result[k], next[k]) {
                (Some(v), _) => v,
                (None, Some(t)) if t > a[k] && t < b[k] => t,
                _ => mid,
            };
        }
        let (counts, step) = sturm_newton(d, &e2, x, pivmin);
        for k in 0..2 {
            if result[k].is_some() {
                continue;
            }
            if counts[k] > ranks[k] {
                b[k] = x[k];
                count_b[k] = counts[k];
            } else {
                a[k] = x[k];
                count_a[k] = counts[k];
            }
            let isolated = count_a[k] == ranks[k] && count_b[k] == ranks[k] + 1;
            let mid = 0.5 * (a[k] + b[k]);
            if b[k] - a[k] <= tol || mid <= a[k] || mid >= b[k] {
                result[k] = Some(mid);
            } else if isolated && step[k].is_finite() {
                let t = x[k] - step[k];
                if step[k].abs() <= 0.25 * tol && t >= a[k] && t <= b[k] {
                    result[k] = Some(t);
                }
                next[k] = Some(t);
            } else {
                next[k] = None;
            }
        }
        if result.iter().all(Option::is_some) {
            break;
        }
    }
    [0, 1].map(|k| result[k].unwrap_or(0.5 * (a[k] + b[k])))
}

/// Steps allowed: bisection alone would stop after some 53 halvings (from at most about
/// 2(1 + 2nε)‖T‖ to 2ε‖T‖); the cap only guards the loop.
const MAX_BISECTIONS: usize = 200;

/// Householder reduction of symmetric `a` to tridiagonal form: returns the diagonal `d` and
/// the subdiagonal `e` (`e[i]` couples rows `i` and `i + 1`; `e[n − 1] = 0`).
#[inline(always)]
fn tridiagonalize(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    let mut v = vec![0.0; n];
    let mut w = vec![0.0; n];
    // A column tail below ε‖A‖ is round-off (a matrix of many empty rows, as a GLCM's, leaves
    // such tails): it is dropped, a change within the backward error of the reduction, rather
    // than reflected, since the squares of its entries can underflow and make the
    // reflector's scale infinite.
    let anorm = (0..n)
        .flat_map(|i| (0..=i).map(move |j| (i, j)))
        .fold(0.0f64, |m, (i, j)| m.max(a[i * n + j].abs()));
    let negligible = (f64::EPSILON * anorm).powi(2);
    for k in 0..n.saturating_sub(2) {
        d[k] = a[k * n + k];
        // x = A[k+1.., k]; reflect it onto −sign(x₀)·‖x‖·e₁.
        let x0 = a[(k + 1) * n + k];
        let tail: f64 = (k + 2..n).map(|i| a[i * n + k] * a[i * n + k]).sum();
        if tail <= negligible {
            // Already tridiagonal in this column, up to round-off: no reflection (H = I).
            e[k] = x0;
            continue;
        }
        let norm = (x0 * x0 + tail).sqrt();
        let alpha = if x0 > 0.0 { -norm } else { norm };
        e[k] = alpha;
        // v = x − α e₁, H = I − β v vᵀ with β = 2 / vᵀv.
        v[k + 1] = x0 - alpha;
        for i in k + 2..n {
            v[i] = a[i * n + k];
        }
        let vtv = v[k + 1] * v[k + 1] + tail;
        let beta = 2.0 / vtv;
        // p = β A₂₂ v from the lower triangle: row i holds A₂₂[i][..i] and the diagonal, and
        // its strictly lower part serves row i (a dot product) and column i (an axpy).
        w[k + 1..n].fill(0.0);
        for i in k + 1..n {
            let row = &a[i * n + k + 1..i * n + i];
            let vi = v[i];
            let own = dot(row, &v[k + 1..i]) + a[i * n + i] * vi;
            for (wj, &r) in w[k + 1..i].iter_mut().zip(row) {
                *wj += vi * r;
            }
            w[i] += own;
        }
        // w = p − (β pᵀv / 2) v; then A₂₂ ← A₂₂ − v wᵀ − w vᵀ on the lower triangle.
        let mut ptv = 0.0;
        for i in k + 1..n {
            w[i] *= beta;
            ptv += w[i] * v[i];
        }
        let half = 0.5 * beta * ptv;
        for i in k + 1..n {
            w[i] -= half * v[i];
        }
        for i in k + 1..n {
            let (vi, wi) = (v[i], w[i]);
            let row = &mut a[i * n + k + 1..=i * n + i];
            for ((x, &vj), &wj) in row.iter_mut().zip(&v[k + 1..=i]).zip(&w[k + 1..=i]) {
                *x -= vi * wj + wi * vj;
            }
        }
    }
    if n >= 2 {
        d[n - 2] = a[(n - 2) * n + n - 2];
        e[n - 2] = a[(n - 1) * n + n - 2];
    }
    d[n - 1] = a[(n - 1) * n + n - 1];
    (d, e)
}

/// Σ xᵢ yᵢ in four interleaved partial sums (independent chains the compiler can vectorise).
#[inline(always)]
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (xs, ys) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail: f64 = xs
        .remainder()
        .iter()
        .zip(ys.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in xs.zip(ys) {
        for k in 0..4 {
            acc[k] += a[k] * b[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Implicit QL iterations with Wilkinson's shift on the symmetric tridiagonal matrix
/// (`d`, `e`), leaving its eigenvalues in `d`. `None` if an eigenvalue needs more than
/// [`MAX_QL_ITERATIONS`] iterations (NaN input).
fn ql_implicit(d: &mut [f64], e: &mut [f64]) -> Option<()> {
    let n = d.len();
    e[n - 1] = 0.0;
    // A subdiagonal entry is negligible next to its diagonal neighbours, or next to the
    // matrix's scale met so far (EISPACK `tql1`'s test): between two zero diagonal entries a
    // round-off coupling would otherwise never count as negligible.
    let mut scale = 0.0f64;
    for l in 0..n {
        let mut iterations = 0;
        scale = scale.max(d[l].abs() + e[l].abs());
        loop {
            // The first negligible subdiagonal entry at or after l splits the matrix.
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd.max(scale) {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > MAX_QL_ITERATIONS {
                return None;
            }
            // Wilkinson's shift from the leading 2×2 block.
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            // (|g| ≥ 2⁶⁰: g² + 1 rounds to g², and g² could overflow.)
            let mut r = if g.abs() < 1.2e18 {
                (g * g + 1.0).sqrt()
            } else {
                g.abs()
            };
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0f64, 1.0f64, 0.0f64);
            let mut deflated = false;
            for i in (l..m).rev() {
                let f = s * e[i];
                let b = c * e[i];
                r = (f * f + g * g).sqrt();
                e[i + 1] = r;
                if r == 0.0 {
                    // An exact zero split the matrix: restart on the smaller block.
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                let inv_r = 1.0 / r;
                s = f * inv_r;
                c = g * inv_r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    Some(())
}

/// QL iterations allowed per eigenvalue (two or three are typical).
const MAX_QL_ITERATIONS: usize = 60;

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;

    /// A reproducible pseudo-random symmetric matrix (xorshift), with some empty rows and
    /// repeated values like a GLCM's.
    fn random_symmetric(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut a = vec![0.0; n * n];
        let empty = |i: usize| seed.is_multiple_of(3) && i % 5 == 2;
        for i in 0..n {
            for j in 0..=i {
                let x = if empty(i) || empty(j) {
                    0.0
                } else if seed % 4 == 1 {
                    (next() * 4.0).floor() / 4.0
                } else {
                    next() - 0.3
                };
                a[i * n + j] = x;
                a[j * n + i] = x;
            }
        }
        a
    }

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v
    }

    /// nalgebra's eigenvalues of `a` in ascending order, and the scale max(‖a‖_F, 1) of the
    /// accuracy both solvers guarantee.
    fn reference(a: &[f64], n: usize) -> (Vec<f64>, f64) {
        let norm = a.iter().map(|x| x * x).sum::<f64>().sqrt().max(1.0);
        let ev = DMatrix::from_row_slice(n, n, a).symmetric_eigenvalues();
        (sorted(ev.iter().copied().collect()), norm)
    }

    #[test]
    fn agrees_with_nalgebra_on_random_matrices() {
        for n in 1..=40 {
            for seed in 0..6u64 {
                let a = random_symmetric(n, seed * 101 + n as u64);
                let (want, norm) = reference(&a, n);
                let got = sorted(symmetric_eigenvalues(&mut a.clone(), n).unwrap());
                for (g, w) in got.iter().zip(&want) {
                    // Both are backward stable: each is within a small multiple of ε‖A‖ of
                    // the exact eigenvalue.
                    assert!(
                        (g - w).abs() <= 64.0 * f64::EPSILON * norm,
                        "n {n} seed {seed}: {got:?} vs {want:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_pair_reads_only_the_lower_triangle() {
        for n in 1..=12 {
            let a = random_symmetric(n, 7 * n as u64 + 2);
            let mut lower = a.clone();
            for i in 0..n {
                for j in i + 1..n {
                    lower[i * n + j] = 1e3 * (i + 2 * j) as f64;
                }
            }
            let ranks = [0, n - 1];
            assert_eq!(
                symmetric_eigenvalue_pair(&mut a.clone(), n, ranks),
                symmetric_eigenvalue_pair(&mut lower, n, ranks),
                "n {n}"
            );
        }
    }

    #[test]
    fn selected_pairs_agree_with_nalgebra() {
        for n in 1..=40 {
            for seed in 0..6u64 {
                let a = random_symmetric(n, seed * 97 + n as u64);
                let (want, norm) = reference(&a, n);
                for ranks in [[0, n - 1], [n.saturating_sub(2), 0], [n / 2, n / 3]] {
                    let got = symmetric_eigenvalue_pair(&mut a.clone(), n, ranks).unwrap();
                    for k in 0..2 {
                        assert!(
                            (got[k] - want[ranks[k]]).abs() <= 64.0 * f64::EPSILON * norm,
                            "n {n} seed {seed} rank {}: {} vs {}",
                            ranks[k],
                            got[k],
                            want[ranks[k]]
                        );
                    }
                }
            }
        }
        // A zero matrix, and a repeated eigenvalue found from both sides.
        assert_eq!(
            symmetric_eigenvalue_pair(&mut [0.0; 9], 3, [0, 2]),
            Some([0.0, 0.0])
        );
        let mut a = vec![2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, -1.0];
        let [x, y] = symmetric_eigenvalue_pair(&mut a, 3, [1, 2]).unwrap();
        assert!(
            (x - 2.0).abs() < 1e-15 && (y - 2.0).abs() < 1e-15,
            "{x} {y}"
        );
    }

    #[test]
    fn avx2_and_baseline_code_give_the_same_bits() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            for n in [3, 17, 32, 40] {
                let a = random_symmetric(n, n as u64);
                let plain = tridiagonalize(&mut a.clone(), n);
                // SAFETY: AVX2 is present, checked above.
                let avx2 = unsafe { tridiagonalize_avx2(&mut a.clone(), n) };
                assert_eq!(plain, avx2, "n {n}");
            }
        }
    }

    #[test]
    fn zero_pivots_at_a_midpoint_are_counted() {
        // Three 2×2 blocks [[0, 1], [1, 0]] among zeros (a sparse GLCM at distance 2): the
        // first bisection midpoint is exactly 0, where most Sturm pivots vanish.
        let n = 49;
        let mut a = vec![0.0; n * n];
        for (i, j) in [(24, 46), (33, 37), (35, 44)] {
            a[i * n + j] = 1.0;
            a[j * n + i] = 1.0;
        }
        let [lo, second] = symmetric_eigenvalue_pair(&mut a.clone(), n, [0, n - 2]).unwrap();
        assert!(
            (lo + 1.0).abs() < 1e-15 && (second - 1.0).abs() < 1e-15,
            "{lo} {second}"
        );
        let [z0, z1] = symmetric_eigenvalue_pair(&mut a.clone(), n, [3, n - 4]).unwrap();
        assert!(z0.abs() < 1e-15 && z1.abs() < 1e-15, "{z0} {z1}");
        let ev = sorted(symmetric_eigenvalues(&mut a, n).unwrap());
        assert!((ev[0] + 1.0).abs() < 1e-15 && (ev[n - 1] - 1.0).abs() < 1e-15);
    }

    /// `D^{-1/2} P D^{-1/2}` of a symmetric co-occurrence matrix whose levels mostly sit in
    /// isolated pairs (two-voxel zones of different levels: eigenvalues ±1, many times), with
    /// empty rows (levels without neighbours in this direction), shuffled: the structure a
    /// wavelet image's GLCM gave, on which round-off tails once made the reduction divide by
    /// an underflowed norm (NaN) and the QL test never split zero diagonal entries.
    fn degenerate(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut p = vec![0.0; n * n];
        let mut i = 0;
        while i + 1 < n {
            match next() % 4 {
                0 => i += 1, // an empty row
                1 if i + 2 < n => {
                    // a three-level chain
                    for (a, b, w) in [(i, i + 1, 2.0), (i + 1, i + 2, 1.0)] {
                        p[a * n + b] = w;
                        p[b * n + a] = w;
                    }
                    i += 3;
                }
                _ => {
                    p[i * n + i + 1] = 1.0;
                    p[(i + 1) * n + i] = 1.0;
                    i += 2;
                }
            }
        }
        let perm: Vec<usize> = {
            let mut v: Vec<usize> = (0..n).collect();
            for k in (1..n).rev() {
                v.swap(k, (next() % (k as u64 + 1)) as usize);
            }
            v
        };
        let rows: Vec<f64> = (0..n).map(|r| (0..n).map(|c| p[r * n + c]).sum()).collect();
        let mut b = vec![0.0; n * n];
        for r in 0..n {
            for c in 0..n {
                let d = (rows[r] * rows[c]).sqrt();
                let v = if d > 0.0 { p[r * n + c] / d } else { 0.0 };
                b[perm[r] * n + perm[c]] = v;
            }
        }
        b
    }

    /// The matrix of a real case (the `D^{-1/2} P D^{-1/2}` of one direction of the GLCM of
    /// PyRadiomics' prostate case, db2 wavelet level 2 `LLL`, bin width 10): 141 levels, 30
    /// non-zero entries in its lower triangle. Its reduction once produced NaN.
    fn prostate_wavelet_glcm() -> Vec<f64> {
        let n = 141;
        let mut a = vec![0.0; n * n];
        #[allow(clippy::approx_constant)]
        for (i, j, v) in [
            (2, 0, 1.0000000000000002),
            (23, 12, 0.5000000000000001),
            (25, 14, 0.7071067811865476),
            (26, 12, 0.5000000000000001),
            (29, 19, 0.7071067811865476),
            (32, 15, 0.7071067811865476),
            (35, 18, 0.7071067811865476),
            (35, 27, 0.7071067811865476),
            (37, 11, 0.7071067811865476),
            (38, 37, 0.7071067811865476),
            (40, 12, 0.3535533905932738),
            (43, 12, 0.2886751345948129),
            (43, 33, 0.408248290463863),
            (44, 15, 0.7071067811865476),
            (49, 14, 0.7071067811865476),
            (50, 24, 0.7071067811865476),
            (52, 41, 1.0000000000000002),
            (58, 24, 0.7071067811865476),
            (64, 19, 0.7071067811865476),
            (67, 57, 0.7071067811865476),
            (69, 48, 0.7071067811865476),
            (72, 48, 0.7071067811865476),
            (80, 21, 1.0000000000000002),
            (86, 33, 0.7071067811865476),
            (93, 85, 1.0000000000000002),
            (106, 92, 0.7071067811865476),
            (113, 92, 0.7071067811865476),
            (119, 57, 0.7071067811865476),
            (121, 40, 0.7071067811865476),
            (126, 43, 0.5773502691896258),
        ] {
            a[i * n + j] = v;
            a[j * n + i] = v;
        }
        a
    }

    #[test]
    fn degenerate_spectra_with_empty_rows_converge() {
        let cases = [
            (141, prostate_wavelet_glcm()),
            (141, degenerate(141, 1)),
            (60, degenerate(60, 7)),
            (200, degenerate(200, 42)),
        ];
        for (n, a) in cases {
            let (want, scale) = reference(&a, n);
            let mut m = a.clone();
            let got = sorted(symmetric_eigenvalues(&mut m, n).expect("converges"));
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= 64.0 * f64::EPSILON * scale,
                    "n {n}: {g} vs {w}"
                );
            }
            let mut m = a.clone();
            let pair = symmetric_eigenvalue_pair(&mut m, n, [0, n - 2]).unwrap();
            assert!(
                (pair[0] - want[0]).abs() <= 64.0 * f64::EPSILON * scale,
                "{pair:?}"
            );
            assert!(
                (pair[1] - want[n - 2]).abs() <= 64.0 * f64::EPSILON * scale,
                "{pair:?}"
            );
            assert!(pair.iter().all(|v| v.abs() <= 1.0 + 1e-12), "{pair:?}");
        }
    }

    #[test]
    fn equal_diagonal_entries_do_not_stop_the_search() {
        // The midpoint of Gershgorin's interval is the diagonal entry: a guarded pivot there
        // once passed for a converged Newton step and returned 0.6909 for 0.3818.
        let (a, b) = (0.6909090909090908, 0.309090909090909);
        let mut m = vec![a, 0.0, b, a];
        let pair = symmetric_eigenvalue_pair(&mut m, 2, [0, 0]).unwrap();
        assert!((pair[0] - (a - b)).abs() < 1e-15, "{pair:?}");
        for n in [3, 4, 7] {
            // Tridiagonal Toeplitz: eigenvalues d + 2e·cos(kπ/(n + 1)).
            let mut m = vec![0.0; n * n];
            for i in 0..n {
                m[i * n + i] = 0.5;
                if i > 0 {
                    m[i * n + i - 1] = 0.25;
                }
            }
            let want: Vec<f64> = (1..=n)
                .map(|k| 0.5 + 0.5 * (k as f64 * std::f64::consts::PI / (n as f64 + 1.0)).cos())
                .collect();
            let want = sorted(want);
            let pair = symmetric_eigenvalue_pair(&mut m, n, [0, n - 2]).unwrap();
            assert!(
                (pair[0] - want[0]).abs() < 1e-14,
                "{n}: {pair:?} vs {want:?}"
            );
            assert!(
                (pair[1] - want[n - 2]).abs() < 1e-14,
                "{n}: {pair:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn diagonal_and_known_spectra() {
        // Already diagonal (every reflection is skipped).
        let mut a = vec![3.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 2.0];
        assert_eq!(
            sorted(symmetric_eigenvalues(&mut a, 3).unwrap()),
            [-1.0, 2.0, 3.0]
        );
        // J − I on 5×5 (all ones minus identity): eigenvalues 4 and −1 (four times).
        let n = 5;
        let mut a: Vec<f64> = (0..n * n)
            .map(|k| if k / n == k % n { 0.0 } else { 1.0 })
            .collect();
        let ev = sorted(symmetric_eigenvalues(&mut a, n).unwrap());
        for (g, w) in ev.iter().zip([-1.0, -1.0, -1.0, -1.0, 4.0]) {
            assert!((g - w).abs() < 1e-14, "{ev:?}");
        }
        assert_eq!(
            symmetric_eigenvalues(&mut [], 0).unwrap(),
            Vec::<f64>::new()
        );
    }

    #[test]
    fn nan_input_is_none() {
        let mut a = vec![1.0, f64::NAN, f64::NAN, 2.0];
        assert_eq!(symmetric_eigenvalues(&mut a, 2), None);
    }
}
