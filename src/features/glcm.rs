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
    /// Whether the matrices are symmetric by construction (`symmetricalGLCM`).
    symmetric: bool,
}

fn prepare(glcm: &Glcm, present: &[u32], settings: &Settings, spacing: [f64; 3]) -> Prepared {
    // Symmetrised on the fly: P + Pᵀ in integers, as `matrices::glcm::symmetrize` does, with
    // no copy of the whole matrix.
    let sym = settings.symmetrical_glcm;
    let n = present.len();
    let ng = glcm.ng;
    let idx: Vec<usize> = present.iter().map(|&l| l as usize - 1).collect();
    let mut mats: Vec<Vec<f64>> = glcm
        .counts
        .chunks(ng * ng)
        .map(|counts| {
            let mut m = vec![0.0; n * n];
            for (r, &i) in idx.iter().enumerate() {
                let row = &counts[i * ng..(i + 1) * ng];
                if sym {
                    // P + Pᵀ is symmetric: one triangle, mirrored.
                    for (c, &j) in idx.iter().enumerate().skip(r) {
                        let v = (row[j] + counts[j * ng + i]) as f64;
                        m[r * n + c] = v;
                        m[c * n + r] = v;
                    }
                } else {
                    for (c, &j) in idx.iter().enumerate() {
                        m[r * n + c] = row[j] as f64;
                    }
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
    mats.retain_mut(|m| {
        let s: f64 = m.iter().sum();
        m.iter_mut().for_each(|v| *v /= s);
        s > 0.0
    });
    Prepared {
        levels: present.iter().map(|&l| l as f64).collect(),
        ng: glcm.ng as f64,
        mats,
        symmetric: sym,
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
        .map(|p| angle_features(p, &prep.levels, prep.ng, prep.symmetric, names))
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

/// The sums over the cells of one normalised matrix that need the joint distribution (the
/// others come from its marginals, see [`angle_features`]).
#[derive(Default)]
struct CellSums {
    /// Σ i j p.
    autocorrelation: f64,
    /// Σ (i − μx)(j − μy) p.
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

/// The cell sums of `p`; `symmetric` when `p = pᵀ` (then `p_x = p_y` bit for bit), and then
/// taken over one triangle with the off-diagonal cells counted twice, which halves the work
/// and the logarithms.
fn cell_sums(
    p: &[f64],
    g: &[f64],
    (px, py): (&[f64], &[f64]),
    (ux, uy): (f64, f64),
    symmetric: bool,
) -> CellSums {
    let n = g.len();
    let mut s = CellSums::default();
    for i in 0..n {
        let (gi, pxi) = (g[i], px[i]);
        let first = if symmetric { i } else { 0 };
        for j in first..n {
            let w = if symmetric && j != i { 2.0 } else { 1.0 };
            // p(i,j) ≤ min(p_x(i), p_y(j)): where p_x p_y = 0 the cell is empty too. Every
            // term of an empty factor is an exact zero and is skipped.
            let q = pxi * py[j];
            if q == 0.0 {
                continue;
            }
            let lq = (q + EPS).log2();
            s.hxy2 -= w * q * lq;
            let v = p[i * n + j];
            if v == 0.0 {
                continue;
            }
            let gj = g[j];
            let wv = w * v;
            s.autocorrelation += gi * gj * wv;
            s.cov += (gi - ux) * (gj - uy) * wv;
            s.energy += v * wv;
            s.max = s.max.max(v);
            s.hxy1 -= wv * lq;
            s.hxy -= wv * (v + EPS).log2();
        }
    }
    s
}

/// All requested features of one normalised matrix `p` (n×n over grey levels `g`);
/// `symmetric` when `p = pᵀ` by construction (otherwise it is checked).
///
/// Sums that depend on a cell only through `i + j`, `|i − j|`, `i` or `j` are taken over the
/// sum and difference distributions and the marginals, which they equal with the terms
/// regrouped: `Σ (i + j − μx − μy)^k p = Σ_k (k − μx − μy)^k p_{x+y}(k)`,
/// `Σ (i − j)² p = Σ_k k² p_{x−y}(k)`, `Σ (i − μx)² p = Σ_i (i − μx)² p_x(i)`. The
/// entropies HXY1 and HXY2 stay cell sums with PyRadiomics' `ε` inside the logarithm: their
/// closed form `HX + HY` differs by `ε`-sized terms, which decide Imc1 on a matrix with a
/// single non-empty cell.
fn angle_features(p: &[f64], g: &[f64], ng: f64, symmetric: bool, names: &[String]) -> Vec<f64> {
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
    let symmetric = symmetric || (0..n).all(|i| (0..i).all(|j| p[i * n + j] == p[j * n + i]));
    if symmetric {
        // p_x = p_y (row sums), μx = μy, and the off-diagonal cells of one triangle count
        // twice in p_{x+y} and p_{x−y}.
        for i in 0..n {
            let row = &p[i * n..(i + 1) * n];
            px[i] = row.iter().sum();
            p_sum[2 * gl[i]] += row[i];
            p_diff[0] += row[i];
            for (&v, &gj) in row[i + 1..].iter().zip(&gl[i + 1..]) {
                let v2 = 2.0 * v;
                p_sum[gl[i] + gj] += v2;
                p_diff[gj - gl[i]] += v2;
            }
        }
        py.copy_from_slice(&px);
        ux = g.iter().zip(&px).map(|(gi, v)| gi * v).sum();
        uy = ux;
    } else {
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
    }
    let c = cell_sums(p, g, (&px, &py), (ux, uy), symmetric);
    let mean_sum = ux + uy;
    let mut cluster = [0.0; 3];
    for (k, &v) in p_sum.iter().enumerate() {
        let t = k as f64 - mean_sum;
        let t2 = t * t;
        cluster[0] += t2 * v;
        cluster[1] += t2 * t * v;
        cluster[2] += t2 * t2 * v;
    }
    let contrast: f64 = p_diff
        .iter()
        .enumerate()
        .map(|(k, v)| (k * k) as f64 * v)
        .sum();
    let var_x: f64 = g
        .iter()
        .zip(&px)
        .map(|(&gi, &v)| (gi - ux) * (gi - ux) * v)
        .sum();
    let var_y: f64 = g
        .iter()
        .zip(&py)
        .map(|(&gj, &v)| (gj - uy) * (gj - uy) * v)
        .sum();
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
            "ClusterProminence" => cluster[2],
            // Σ (i + j − μ_x − μ_y)³ p  (IBSI 7NFM).
            "ClusterShade" => cluster[1],
            // Σ (i + j − μ_x − μ_y)² p  (IBSI DG8W).
            "ClusterTendency" | "SumVariance" => cluster[0],
            // Σ (i − j)² p  (IBSI ACUI).
            "Contrast" => contrast,
            // (Σ p (i − μ_x)(j − μ_y)) / (σ_x σ_y + ε); 1 for a flat matrix  (IBSI NI2N).
            "Correlation" => {
                let (sx, sy) = (var_x.sqrt(), var_y.sqrt());
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
            "SumSquares" => var_x,
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
        // The solver reads the lower triangle only.
        for i in 0..n {
            for j in 0..=i {
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
