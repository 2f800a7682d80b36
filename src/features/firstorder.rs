//! First-order (intensity statistics) features: PyRadiomics `firstorder`, IBSI chapter 3.4
//! (intensity statistics) and 3.5 (intensity histogram).
//!
//! `X` is the set of `N_p` ROI intensities after preprocessing, `c` the `voxelArrayShift`,
//! `P(i)` the fraction of ROI voxels in grey level `i` after discretisation.

use crate::preprocess::discretize::Discretized;

/// Machine epsilon added inside logarithms, as PyRadiomics (`numpy.spacing(1)`).
pub const EPS: f64 = f64::EPSILON;

/// Inputs of the first-order class for one ROI.
pub struct FirstOrderInput<'a> {
    /// ROI intensities.
    pub values: &'a [f64],
    /// Discretised ROI intensities (same order as `values`).
    pub discretized: &'a Discretized,
    /// Voxel spacing (mm) of the image the values come from.
    pub spacing: [f64; 3],
    /// `voxelArrayShift`.
    pub shift: f64,
}

/// Precomputed statistics shared by several features.
struct Stats {
    /// The values, with every order statistic the features read (minimum, maximum, and the
    /// two ranks around each of [`PERCENTILES`]) at its sorted position.
    sorted: Vec<f64>,
    n: f64,
    mean: f64,
    /// Central moments m2, m3, m4 (population, `1/N`).
    m2: f64,
    m3: f64,
    m4: f64,
}

/// Mean and the population central moments m2, m3, m4 (`1/N`) of `values`: the mean first,
/// then one pass over the deviations.
pub(crate) fn central_moments(values: &[f64]) -> (f64, f64, f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &x in values {
        let d = x - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    (mean, m2 / n, m3 / n, m4 / n)
}

impl Stats {
    fn new(values: &[f64]) -> Stats {
        let sorted = select_order_statistics(values);
        let (mean, m2, m3, m4) = central_moments(values);
        Stats {
            sorted,
            n: values.len() as f64,
            mean,
            m2,
            m3,
            m4,
        }
    }

    /// `numpy.percentile(X, p)` with linear interpolation between closest ranks; `p` must be
    /// one of [`PERCENTILES`].
    fn percentile(&self, p: f64) -> f64 {
        assert!(PERCENTILES.contains(&p), "percentile {p} was not selected");
        percentile_sorted(&self.sorted, p)
    }
}

/// The percentiles first-order features use.
const PERCENTILES: [f64; 5] = [10.0, 25.0, 50.0, 75.0, 90.0];

/// Ranks (0-based, ascending) below and above the `p`-th percentile of `n` values, and the
/// interpolation weight between them (`numpy.percentile(method="linear")`).
fn percentile_ranks(n: usize, p: f64) -> (usize, usize, f64) {
    let virt = (p / 100.0) * (n - 1) as f64;
    let lo = virt.floor();
    let g = virt - lo;
    let lo = lo as usize;
    (lo, (lo + 1).min(n - 1), g)
}

/// A copy of `values` in which the minimum, the maximum and the ranks around each of
/// [`PERCENTILES`] hold the values a full sort would put there (each found by selection in
/// the part right of the previous one, O(n) per rank instead of a whole sort).
fn select_order_statistics(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    let n = v.len();
    if n < 2 {
        return v;
    }
    let mut ranks = vec![0, n - 1];
    for p in PERCENTILES {
        let (lo, hi, _) = percentile_ranks(n, p);
        ranks.extend([lo, hi]);
    }
    ranks.sort_unstable();
    ranks.dedup();
    let mut start = 0;
    for k in ranks {
        v[start..].select_nth_unstable_by(k - start, f64::total_cmp);
        start = k + 1;
    }
    v
}

/// Linear-interpolation percentile of sorted data, as `numpy.percentile(method="linear")`.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let (lo, hi, g) = percentile_ranks(n, p);
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    // numpy's _lerp: interpolate from the nearer end for numerical symmetry.
    if g >= 0.5 {
        b - diff * (1.0 - g)
    } else {
        a + diff * g
    }
}

/// Computes the requested first-order features, returning `(name, value)` pairs in the order
/// of `names`. Unknown names are skipped (names are validated with the settings).
pub fn compute(input: &FirstOrderInput<'_>, names: &[String]) -> Vec<(String, f64)> {
    let s = Stats::new(input.values);
    names
        .iter()
        .filter_map(|name| feature(name, input, &s).map(|v| (name.clone(), v)))
        .collect()
}

/// Grey-level probabilities `P(i)` of the discretised ROI (non-empty bins only).
fn level_probabilities(d: &Discretized) -> Vec<f64> {
    let mut counts = vec![0u64; d.bin_count() + 2];
    for &l in &d.levels {
        counts[l as usize] += 1;
    }
    let n = d.levels.len() as f64;
    counts
        .into_iter()
        .filter(|&c| c > 0)
        .map(|c| c as f64 / n)
        .collect()
}

fn feature(name: &str, inp: &FirstOrderInput<'_>, s: &Stats) -> Option<f64> {
    let x = inp.values;
    Some(match name {
        // Energy = Σ (X(i) + c)²  (IBSI N8CA, without shift).
        "Energy" => energy(x, inp.shift),
        // TotalEnergy = V_voxel · Σ (X(i) + c)²  (PyRadiomics; not in IBSI).
        "TotalEnergy" => inp.spacing.iter().product::<f64>() * energy(x, inp.shift),
        // Entropy = −Σ P(i) log2(P(i) + ε)  (IBSI TLU2, discretised intensity entropy).
        "Entropy" => -level_probabilities(inp.discretized)
            .iter()
            .map(|p| p * (p + EPS).log2())
            .sum::<f64>(),
        // Minimum (IBSI 1GSF).
        "Minimum" => s.sorted[0],
        // 10th percentile (IBSI QG58).
        "10Percentile" => s.percentile(10.0),
        // 90th percentile (IBSI 8DWT).
        "90Percentile" => s.percentile(90.0),
        // Maximum (IBSI 84IY).
        "Maximum" => *s.sorted.last().unwrap(),
        // Mean = (1/N_p) Σ X(i)  (IBSI Q4LE).
        "Mean" => s.mean,
        // Median (IBSI Y12H).
        "Median" => s.percentile(50.0),
        // InterquartileRange = P75 − P25  (IBSI SALO).
        "InterquartileRange" => s.percentile(75.0) - s.percentile(25.0),
        // Range = max − min  (IBSI 2OJQ).
        "Range" => s.sorted[s.sorted.len() - 1] - s.sorted[0],
        // MeanAbsoluteDeviation = (1/N_p) Σ |X(i) − X̄|  (IBSI 4FUA).
        "MeanAbsoluteDeviation" => x.iter().map(|v| (v - s.mean).abs()).sum::<f64>() / s.n,
        // RobustMeanAbsoluteDeviation: MAD of the values within [P10, P90]  (IBSI 1128).
        "RobustMeanAbsoluteDeviation" => {
            let (p10, p90) = (s.percentile(10.0), s.percentile(90.0));
            let kept: Vec<f64> = x
                .iter()
                .copied()
                .filter(|&v| v >= p10 && v <= p90)
                .collect();
            let m = kept.iter().sum::<f64>() / kept.len() as f64;
            kept.iter().map(|v| (v - m).abs()).sum::<f64>() / kept.len() as f64
        }
        // RootMeanSquared = sqrt((1/N_p) Σ (X(i) + c)²)  (IBSI 5ZWQ).
        "RootMeanSquared" => (energy(x, inp.shift) / s.n).sqrt(),
        // StandardDeviation = sqrt(m2)  (population; PyRadiomics, not IBSI).
        "StandardDeviation" => s.m2.sqrt(),
        // Skewness = m3 / m2^(3/2); 0 for a flat ROI  (IBSI KE2A).
        "Skewness" => {
            if s.m2 == 0.0 {
                0.0
            } else {
                s.m3 / s.m2.powf(1.5)
            }
        }
        // Kurtosis = m4 / m2² (not excess: IBSI IPH6 is this − 3); 0 for a flat ROI.
        "Kurtosis" => {
            if s.m2 == 0.0 {
                0.0
            } else {
                s.m4 / (s.m2 * s.m2)
            }
        }
        // Variance = m2  (population; IBSI ECT3).
        "Variance" => s.m2,
        // Uniformity = Σ P(i)²  (IBSI BJ5W, discretised intensity uniformity).
        "Uniformity" => level_probabilities(inp.discretized)
            .iter()
            .map(|p| p * p)
            .sum(),
        _ => return None,
    })
}

fn energy(x: &[f64], shift: f64) -> f64 {
    x.iter().map(|v| (v + shift) * (v + shift)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::discretize::discretize;
    use crate::settings::Settings;

    #[test]
    fn selected_order_statistics_equal_a_full_sort() {
        for n in [1usize, 2, 3, 7, 10, 11, 100, 1001] {
            let values: Vec<f64> = (0..n)
                .map(|i| ((i * 7919) % 97) as f64 * 0.5 - 3.0)
                .collect();
            let mut full = values.clone();
            full.sort_by(f64::total_cmp);
            let picked = select_order_statistics(&values);
            assert_eq!(picked[0], full[0]);
            assert_eq!(picked[n - 1], full[n - 1]);
            for p in PERCENTILES {
                assert_eq!(
                    percentile_sorted(&picked, p),
                    percentile_sorted(&full, p),
                    "n {n} p {p}"
                );
            }
        }
    }

    #[test]
    fn percentiles_follow_numpy_linear() {
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&s, 50.0), 2.5);
        assert!((percentile_sorted(&s, 10.0) - 1.3).abs() < 1e-15);
        assert!((percentile_sorted(&s, 90.0) - 3.7).abs() < 1e-15);
    }

    #[test]
    fn small_known_values() {
        let x = [1.0, 2.0, 2.0, 5.0];
        let d = discretize(
            &x,
            &Settings {
                bin_width: 1.0,
                ..Settings::default()
            },
        );
        let names: Vec<String> = [
            "Mean",
            "Variance",
            "Energy",
            "Uniformity",
            "Entropy",
            "Kurtosis",
            "Skewness",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let v = compute(
            &FirstOrderInput {
                values: &x,
                discretized: &d,
                spacing: [1.0, 1.0, 2.0],
                shift: 0.0,
            },
            &names,
        );
        let get = |n: &str| v.iter().find(|(k, _)| k == n).unwrap().1;
        assert_eq!(get("Mean"), 2.5);
        assert_eq!(get("Variance"), 2.25);
        assert_eq!(get("Energy"), 34.0);
        assert_eq!(get("Uniformity"), 0.375);
        assert!((get("Entropy") - 1.5).abs() < 1e-12);
        // m4 = (1.5^4*3 ... ) / 4: deviations -1.5, -0.5, -0.5, 2.5
        let m4 = (5.0625 + 0.0625 + 0.0625 + 39.0625) / 4.0;
        assert!((get("Kurtosis") - m4 / (2.25 * 2.25)).abs() < 1e-12);
        let m3 = (-3.375 - 0.125 - 0.125 + 15.625) / 4.0;
        assert!((get("Skewness") - m3 / 2.25f64.powf(1.5)).abs() < 1e-12);
    }
}
