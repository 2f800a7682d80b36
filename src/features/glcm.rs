//! GLCM features (IBSI 3.6; PyRadiomics `glcm`), computed per direction on the normalised
//! matrix and averaged over directions (IBSI "3D averaged", ITBB), or on one merged matrix
//! with `weightingNorm` (IBSI "3D merged", IAZD).
//!
//! Notation: `p(i,j)` normalised co-occurrence over the grey levels present in the ROI,
//! `p_x`, `p_y` marginals, `p_{x+y}(k)`, `p_{x−y}(k)` sum and difference distributions,
//! `μ_x = Σ i p(i,j)`, `N_g` the highest grey level, `ε` machine epsilon.

use super::small_eigen::{symmetric_eigenvalue_pair, symmetric_eigenvalues};
use super::texture::{angle_weight, nanmean, EPS};
use crate::matrices::glcm::Glcm;
use crate::settings::Settings;

/// Per-direction matrices restricted to present grey levels, ready for features.
struct Prepared {
    /// Grey-level values of the rows/columns.
    levels: Vec<f64>,
    /// Highest grey level `N_g`.
    ng: f64,
    /// Normalised matrices, one per non-empty direction (or one merged), row-major n×n.
    mats: Vec<Vec<f64>>,
}

fn prepare(glcm: &Glcm, present: &[u32], settings: &Settings, spacing: [f64; 3]) -> Prepared {
    // Symmetrised on the fly: P + Pᵀ in integers, as `matrices::glcm::symmetrize` does, with
    // no copy of the whole matrix.
    let sym = settings.symmetrical_glcm;
    let n = present.len();
    let idx: Vec<usize> = present.iter().map(|&l| l as usize).collect();
    let mut mats: Vec<Vec<f64>> = (0..glcm.angles.len())
        .map(|a| {
            let mut m = vec![0.0; n * n];
            for (r, &i) in idx.iter().enumerate() {
                for (c, &j) in idx.iter().enumerate() {
                    let v = glcm.get(a, i, j) + if sym { glcm.get(a, j, i) } else { 0 };
                    m[r * n + c] = v as f64;
                }
            }
            m
        })
        .collect();
    if let Some(norm) = &settings.weighting_norm {
        let mut merged = vec![0.0; n * n];
        for (m, &off) in mats.iter().zip(&glcm.angles) {
            let w = angle_weight(norm, off, spacing);
            for (acc, v) in merged.iter_mut().zip(m) {
                *acc += v * w;
            }
        }
        mats = vec![merged];
    }
    let mats = mats
        .into_iter()
        .filter_map(|m| {
            let s: f64 = m.iter().sum();
            (s > 0.0).then(|| m.into_iter().map(|v| v / s).collect())
        })
        .collect();
    Prepared {
        levels: present.iter().map(|&l| l as f64).collect(),
        ng: glcm.ng as f64,
        mats,
    }
}

/// Computes the requested GLCM features.
pub fn compute(
    glcm: &Glcm,
    present: &[u32],
    settings: &Settings,
    spacing: [f64; 3],
    names: &[String],
) -> Vec<(String, f64)> {
    let prep = prepare(glcm, present, settings, spacing);
    let per_angle: Vec<Vec<f64>> = prep
        .mats
        .iter()
        .map(|p| angle_features(p, &prep.levels, prep.ng, names))
        .collect();
    names
        .iter()
        .enumerate()
        .map(|(f, name)| {
            let vals: Vec<f64> = per_angle.iter().map(|v| v[f]).collect();
            (name.clone(), nanmean(&vals))
        })
        .collect()
}

fn entropy(p: &[f64]) -> f64 {
    // Empty cells add exact zeros: they are skipped.
    -p.iter()
        .filter(|&&v| v != 0.0)
        .map(|&v| v * (v + EPS).log2())
        .sum::<f64>()
}

/// Sums over the cells of one normalised matrix, all taken in one row-major pass.
#[derive(Default)]
struct CellSums {
    /// Σ i j p.
    autocorrelation: f64,
    /// Σ (i + j − μx − μy)^k p for k = 2, 3, 4.
    cluster: [f64; 3],
    /// Σ (i − j)² p.
    contrast: f64,
    /// Σ (i − μx)² p, Σ (j − μy)² p, Σ (i − μx)(j − μy) p.
    var_x: f64,
    var_y: f64,
    cov: f64,
    /// Σ p².
    energy: f64,
    /// max p.
    max: f64,
    /// −Σ p log2(p + ε) (HXY), −Σ p log2(p_x p_y + ε) (HXY1), −Σ p_x p_y log2(p_x p_y + ε) (HXY2).
    hxy: f64,
    hxy1: f64,
    hxy2: f64,
}

/// `log2(x + ε)` for each cell's value `x = f(i, j)`, 0 where `x` is 0 (its terms vanish);
/// for a symmetric `f` evaluated on one triangle and mirrored, which halves the logarithms.
fn cell_logs(n: usize, symmetric: bool, f: impl Fn(usize, usize) -> f64) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in if symmetric { i } else { 0 }..n {
            let x = f(i, j);
            let l = if x != 0.0 { (x + EPS).log2() } else { 0.0 };
            out[i * n + j] = l;
            if symmetric {
                out[j * n + i] = l;
            }
        }
    }
    out
}

/// The cell sums of `p`; `symmetric` when `p = pᵀ` (then `p_x = p_y` bit for bit, and the
/// logarithms of `p` and of `p_x p_y` are symmetric too).
fn cell_sums(
    p: &[f64],
    g: &[f64],
    (px, py): (&[f64], &[f64]),
    (ux, uy): (f64, f64),
    symmetric: bool,
) -> CellSums {
    let n = g.len();
    // p(i,j) ≤ min(p_x(i), p_y(j)): where p_x p_y = 0 the cell is empty too, and its terms
    // are exact zeros, as are those of empty cells in HXY.
    let log_q = cell_logs(n, symmetric, |i, j| px[i] * py[j]);
    let log_p = cell_logs(n, symmetric, |i, j| p[i * n + j]);
    let mut s = CellSums::default();
    for i in 0..n {
        let (gi, pxi) = (g[i], px[i]);
        let cells = i * n..(i + 1) * n;
        let row = p[cells.clone()].iter().zip(&log_p[cells.clone()]);
        for (((&v, &lp), &lq), (&gj, &pyj)) in row.zip(&log_q[cells]).zip(g.iter().zip(py)) {
            let t = gi + gj - ux - uy;
            let t2 = t * t;
            s.autocorrelation += gi * gj * v;
            s.cluster[0] += t2 * v;
            s.cluster[1] += t2 * t * v;
            s.cluster[2] += t2 * t2 * v;
            s.contrast += (gi - gj) * (gi - gj) * v;
            s.var_x += (gi - ux) * (gi - ux) * v;
            s.var_y += (gj - uy) * (gj - uy) * v;
            s.cov += (gi - ux) * (gj - uy) * v;
            s.energy += v * v;
            s.max = s.max.max(v);
            let q = pxi * pyj;
            s.hxy1 -= v * lq;
            s.hxy2 -= q * lq;
            s.hxy -= v * lp;
        }
    }
    s
}

/// All requested features of one normalised matrix `p` (n×n over grey levels `g`).
fn angle_features(p: &[f64], g: &[f64], ng: f64, names: &[String]) -> Vec<f64> {
    let n = g.len();
    let mut px = vec![0.0; n];
    let mut py = vec![0.0; n];
    let (mut ux, mut uy) = (0.0, 0.0);
    // Sum and difference distributions indexed by grey-level value: k = i + j (2..2N_g) and
    // k = |i − j| (0..N_g−1).
    let ngi = ng as usize;
    let mut p_sum = vec![0.0; 2 * ngi + 1];
    let mut p_diff = vec![0.0; ngi];
    // The grey levels are integers: their indices are formed in integer arithmetic.
    let gl: Vec<usize> = g.iter().map(|&x| x as usize).collect();
    for i in 0..n {
        for j in 0..n {
            let v = p[i * n + j];
            px[i] += v;
            py[j] += v;
            ux += g[i] * v;
            uy += g[j] * v;
            p_sum[gl[i] + gl[j]] += v;
            p_diff[gl[i].abs_diff(gl[j])] += v;
        }
    }
    let symmetric = (0..n).all(|i| (0..i).all(|j| p[i * n + j] == p[j * n + i]));
    let c = cell_sums(p, g, (&px, &py), (ux, uy), symmetric);
    let hx = entropy(&px);
    let hy = entropy(&py);
    let diff_avg: f64 = p_diff.iter().enumerate().map(|(k, v)| k as f64 * v).sum();
    names
        .iter()
        .map(|name| match name.as_str() {
            // Σ i j p(i,j)  (IBSI QWB0).
            "Autocorrelation" => c.autocorrelation,
            // μ_x  (IBSI 60VM).
            "JointAverage" => ux,
            // Σ (i + j − μ_x − μ_y)⁴ p  (IBSI AE86).
            "ClusterProminence" => c.cluster[2],
            // Σ (i + j − μ_x − μ_y)³ p  (IBSI 7NFM).
            "ClusterShade" => c.cluster[1],
            // Σ (i + j − μ_x − μ_y)² p  (IBSI DG8W).
            "ClusterTendency" | "SumVariance" => c.cluster[0],
            // Σ (i − j)² p  (IBSI ACUI).
            "Contrast" => c.contrast,
            // (Σ p (i − μ_x)(j − μ_y)) / (σ_x σ_y + ε); 1 for a flat matrix  (IBSI NI2N).
            "Correlation" => {
                let (sx, sy) = (c.var_x.sqrt(), c.var_y.sqrt());
                if sx * sy == 0.0 {
                    1.0
                } else {
                    c.cov / (sx * sy + EPS)
                }
            }
            // Σ k p_{x−y}(k)  (IBSI TF7R).
            "DifferenceAverage" | "Dissimilarity" => diff_avg,
            // −Σ p_{x−y} log2(p_{x−y} + ε)  (IBSI NTRS).
            "DifferenceEntropy" => entropy(&p_diff),
            // Σ (k − DA)² p_{x−y}(k)  (IBSI D3YU).
            "DifferenceVariance" => p_diff
                .iter()
                .enumerate()
                .map(|(k, v)| (k as f64 - diff_avg).powi(2) * v)
                .sum(),
            // Σ p²  (IBSI 8ZQL).
            "JointEnergy" => c.energy,
            // −Σ p log2(p + ε)  (IBSI TU9B).
            "JointEntropy" => c.hxy,
            // (HXY − HXY1) / max(HX, HY); 0 when both are 0  (IBSI R8DG).
            "Imc1" => {
                let div = hx.max(hy);
                if div == 0.0 {
                    0.0
                } else {
                    (c.hxy - c.hxy1) / div
                }
            }
            // sqrt(1 − exp(−2 (HXY2 − HXY))); 0 when HXY2 = HXY, undefined (NaN, left out of
            // the direction average) when HXY > HXY2  (IBSI JN9H).
            "Imc2" => {
                if c.hxy2 == c.hxy {
                    0.0
                } else {
                    (1.0 - (-2.0 * (c.hxy2 - c.hxy)).exp()).sqrt()
                }
            }
            // Σ p_{x−y}(k) / (1 + k²)  (IBSI WF0Z).
            "Idm" | "Homogeneity2" => p_diff
                .iter()
                .enumerate()
                .map(|(k, v)| v / (1.0 + (k * k) as f64))
                .sum(),
            // Σ p_{x−y}(k) / (1 + k²/N_g²)  (IBSI 1QCO).
            "Idmn" => p_diff
                .iter()
                .enumerate()
                .map(|(k, v)| v / (1.0 + (k * k) as f64 / (ng * ng)))
                .sum(),
            // Σ p_{x−y}(k) / (1 + k)  (IBSI IB1Z).
            "Id" | "Homogeneity1" => p_diff
                .iter()
                .enumerate()
                .map(|(k, v)| v / (1.0 + k as f64))
                .sum(),
            // Σ p_{x−y}(k) / (1 + k/N_g)  (IBSI NDRX).
            "Idn" => p_diff
                .iter()
                .enumerate()
                .map(|(k, v)| v / (1.0 + k as f64 / ng))
                .sum(),
            // Σ_{k≥1} p_{x−y}(k) / k²  (IBSI E8JP).
            "InverseVariance" => p_diff
                .iter()
                .enumerate()
                .skip(1)
                .map(|(k, v)| v / (k * k) as f64)
                .sum(),
            // max p  (IBSI GYBY).
            "MaximumProbability" => c.max,
            // Σ k p_{x+y}(k)  (IBSI ZGXS).
            "SumAverage" => p_sum.iter().enumerate().map(|(k, v)| k as f64 * v).sum(),
            // −Σ p_{x+y} log2(p_{x+y} + ε)  (IBSI P6QZ).
            "SumEntropy" => entropy(&p_sum),
            // Σ (i − μ_x)² p  (IBSI UR99, joint variance).
            "SumSquares" => c.var_x,
            // sqrt of the second largest eigenvalue of Q(i,j) = Σ_k p(i,k) p(j,k) / (p_x(i) p_y(k))
            // (Haralick's maximal correlation coefficient; not in IBSI).
            "MCC" => mcc(p, &px, &py, symmetric),
            _ => f64::NAN,
        })
        .collect()
}

/// Maximal correlation coefficient: square root of the second largest eigenvalue of
/// `Q(i,j) = Σ_k p(i,k) p(j,k) / (p_x(i) p_y(k))` (Haralick 1973; PyRadiomics `MCC`).
///
/// `Q = D⁻¹A` with `A(i,j) = Σ_k p(i,k) p(j,k) / p_y(k)` symmetric and `D = diag(p_x)`, so its
/// eigenvalues are those of the symmetric `D^{-1/2} A D^{-1/2}`, found with a symmetric
/// eigen-solver that always converges (a general solver on `Q` itself can stall). For a
/// symmetric `p` the eigenvalues come as squares of those of `D^{-1/2} p D^{-1/2}` (no
/// `A` to form), and only two of them are needed (found by bisection). `symmetric` says
/// whether `p = pᵀ`. Otherwise a negative second eigenvalue (round-off of 0) gives NaN,
/// left out of the direction average as PyRadiomics does; one grey level gives 1.
fn mcc(p: &[f64], px: &[f64], py: &[f64], symmetric: bool) -> f64 {
    let n = px.len();
    if n < 2 {
        return 1.0;
    }
    let mut m = vec![0.0; n * n];
    if symmetric {
        // A symmetric p (PyRadiomics' default symmetricalGLCM) has p_x = p_y, and then
        // D^{1/2} Q D^{-1/2} = B² with B = D^{-1/2} p D^{-1/2}: Q's eigenvalues are the squares
        // of B's, with no O(n³) product to form first.
        let inv: Vec<f64> = px
            .iter()
            .map(|&v| if v > 0.0 { 1.0 / v.sqrt() } else { 0.0 })
            .collect();
        for i in 0..n {
            for j in 0..n {
                m[i * n + j] = p[i * n + j] * inv[i] * inv[j];
            }
        }
    } else {
        for i in 0..n {
            for j in 0..n {
                let d = (px[i] * px[j]).sqrt();
                m[i * n + j] = if d == 0.0 {
                    0.0
                } else {
                    (0..n)
                        .filter(|&k| py[k] > 0.0)
                        .map(|k| p[i * n + k] * p[j * n + k] / py[k])
                        .sum::<f64>()
                        / d
                };
            }
        }
    }
    if symmetric {
        // B's eigenvalues lie in [−1, 1] with 1 the largest (B is similar to the row-stochastic
        // D⁻¹p): the second largest square is that of the second largest or of the smallest.
        return match symmetric_eigenvalue_pair(&mut m, n, [0, n - 2]) {
            Some([smallest, second]) => (smallest * smallest).max(second * second).sqrt(),
            None => f64::NAN,
        };
    }
    let Some(mut ev) = symmetric_eigenvalues(&mut m, n) else {
        return f64::NAN;
    };
    ev.sort_by(f64::total_cmp);
    ev[n - 2].sqrt()
}
