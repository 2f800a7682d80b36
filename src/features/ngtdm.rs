//! NGTDM features (IBSI 3.10; PyRadiomics `ngtdm`).
//!
//! Notation: for each grey level `i` present in the ROI, `n_i` its voxels, `s_i = Σ |i − Ā_i|` over them, `N_vp = Σ n_i`, `p_i = n_i / N_vp`,
//! `N_gp` the number of such grey levels. Levels with `n_i = 0` are left out, as PyRadiomics.

use crate::matrices::ngtdm::Ngtdm;

struct Columns {
    i: Vec<f64>,
    p: Vec<f64>,
    s: Vec<f64>,
    nvp: f64,
}

fn columns(m: &Ngtdm) -> Columns {
    let keep: Vec<usize> = (0..m.ng).filter(|&k| m.n[k] > 0).collect();
    let nvp: f64 = keep.iter().map(|&k| m.n[k] as f64).sum();
    Columns {
        i: keep.iter().map(|&k| (k + 1) as f64).collect(),
        p: keep.iter().map(|&k| m.n[k] as f64 / nvp).collect(),
        s: keep.iter().map(|&k| m.s[k]).collect(),
        nvp,
    }
}

/// `Σ_i Σ_j f(i, j)` over the kept grey levels.
fn pairs(c: &Columns, f: impl Fn(usize, usize) -> f64) -> f64 {
    let n = c.i.len();
    (0..n).map(|a| (0..n).map(|b| f(a, b)).sum::<f64>()).sum()
}

/// Coarseness `1 / Σ p_i s_i`; 10⁶ when the sum is 0 (IBSI QCDE).
fn coarseness(c: &Columns) -> f64 {
    let d: f64 = c.p.iter().zip(&c.s).map(|(p, s)| p * s).sum();
    if d == 0.0 {
        1e6
    } else {
        1.0 / d
    }
}

/// Contrast `[Σ_i Σ_j p_i p_j (i − j)² / (N_gp (N_gp − 1))] · Σ s_i / N_vp`; 0 when
/// `N_gp ≤ 1` (IBSI 65HE).
fn contrast(c: &Columns) -> f64 {
    let ngp = c.i.len() as f64;
    let div = ngp * (ngp - 1.0);
    if div == 0.0 {
        return 0.0;
    }
    let t = pairs(c, |a, b| c.p[a] * c.p[b] * (c.i[a] - c.i[b]).powi(2));
    t * c.s.iter().sum::<f64>() / c.nvp / div
}

/// Busyness `Σ p_i s_i / Σ_i Σ_j |i p_i − j p_j|`; 0 when the divisor is 0 (IBSI NQ30).
fn busyness(c: &Columns) -> f64 {
    let num: f64 = c.p.iter().zip(&c.s).map(|(p, s)| p * s).sum();
    let den = pairs(c, |a, b| (c.i[a] * c.p[a] - c.i[b] * c.p[b]).abs());
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// Complexity `Σ_i Σ_j |i − j| (p_i s_i + p_j s_j) / (p_i + p_j) / N_vp` (IBSI HDEZ).
fn complexity(c: &Columns) -> f64 {
    pairs(c, |a, b| {
        let den = c.p[a] + c.p[b];
        let den = if den == 0.0 { 1.0 } else { den };
        (c.i[a] - c.i[b]).abs() * (c.p[a] * c.s[a] + c.p[b] * c.s[b]) / den
    }) / c.nvp
}

/// Strength `Σ_i Σ_j (p_i + p_j)(i − j)² / Σ s_i`; 0 when `Σ s_i = 0` (IBSI 1X9X).
fn strength(c: &Columns) -> f64 {
    let ssum: f64 = c.s.iter().sum();
    if ssum == 0.0 {
        return 0.0;
    }
    pairs(c, |a, b| (c.p[a] + c.p[b]) * (c.i[a] - c.i[b]).powi(2)) / ssum
}

/// Computes the requested NGTDM features; an unknown name gives NaN.
pub fn compute(m: &Ngtdm, names: &[String]) -> Vec<(String, f64)> {
    let c = columns(m);
    names
        .iter()
        .map(|name| {
            let v = match name.as_str() {
                "Busyness" => busyness(&c),
                "Coarseness" => coarseness(&c),
                "Complexity" => complexity(&c),
                "Contrast" => contrast(&c),
                "Strength" => strength(&c),
                _ => f64::NAN,
            };
            (name.clone(), v)
        })
        .collect()
}
