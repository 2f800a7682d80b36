//! Statistics shared by the "grey level × size" matrices: run lengths (GLRLM), zone sizes
//! (GLSZM) and dependence counts (GLDM). The three classes give the same sums different
//! names (IBSI 3.7, 3.8, 3.11; PyRadiomics `glrlm`, `glszm`, `gldm`).
//!
//! Notation: `P(i, j)` counts of grey level `i` (value of a present level) with size `j`
//! (run length, zone size or dependence), `N = Σ P`, `p_g(i) = Σ_j P(i, j)`,
//! `p_s(j) = Σ_i P(i, j)`, `ε` machine epsilon.

use super::texture::EPS;

/// A grey-level × size matrix with its row and column values.
#[derive(Debug, Clone)]
pub struct SizeMatrix {
    /// Grey-level value of each row (present levels only).
    pub levels: Vec<f64>,
    /// Size value of each column (1-based run length, zone size or dependence).
    pub sizes: Vec<f64>,
    /// Counts (or weighted counts), row-major `levels.len() × sizes.len()`.
    pub counts: Vec<f64>,
}

/// Row and column sums of a [`SizeMatrix`]: `p_g(i) = Σ_j P(i, j)`, `p_s(j) = Σ_i P(i, j)`,
/// and the size-weighted row sums the joint emphases need.
#[derive(Debug, Clone)]
pub struct Marginals {
    /// `p_g`, one per grey level (row).
    pub grey: Vec<f64>,
    /// `p_s`, one per size (column).
    pub size: Vec<f64>,
    /// `Σ_j P(i, j) / j²`, one per grey level.
    pub grey_small: Vec<f64>,
    /// `Σ_j P(i, j) · j²`, one per grey level.
    pub grey_large: Vec<f64>,
}

/// One statistic of a [`SizeMatrix`]; each class maps its feature names onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// `Σ p_s(j)/j² / N` — short run / small area / small dependence emphasis (IBSI 22OV, P001, SODN).
    SmallEmphasis,
    /// `Σ p_s(j)·j² / N` — long run / large area / large dependence emphasis (IBSI W4KF, 48P8, IMOQ).
    LargeEmphasis,
    /// `Σ p_g(i)² / N` — grey-level non-uniformity (IBSI R5YN, JNSA, FP8K).
    GreyNonUniformity,
    /// `Σ p_g(i)² / N²` — normalised grey-level non-uniformity (IBSI OVBL, Y1RO, 5SPA).
    GreyNonUniformityNormalized,
    /// `Σ p_s(j)² / N` — run-length / size-zone / dependence non-uniformity (IBSI W92Y, 4JP3, Z87G).
    SizeNonUniformity,
    /// `Σ p_s(j)² / N²` — normalised size non-uniformity (IBSI IC23, VB3A, OKJI).
    SizeNonUniformityNormalized,
    /// `N / Σ_j j·p_s(j)` — run percentage / zone percentage (IBSI 9ZK5, P30P).
    Percentage,
    /// `Σ p(i)(i − μ)²` with `p = p_g/N`, `μ = Σ i p(i)` (IBSI 8CE5, BYLV, 1PFV).
    GreyVariance,
    /// `Σ p(j)(j − μ)²` with `p = p_s/N` (IBSI SXLW, 3NSA, DNX2).
    SizeVariance,
    /// `−Σ p log2(p + ε)` with `p = P/N` (IBSI HJ9O, GU8N, FCBV).
    Entropy,
    /// `Σ p_g(i)/i² / N` (IBSI V3SW, XMSY, TL9H).
    LowGreyEmphasis,
    /// `Σ p_g(i)·i² / N` (IBSI G3QZ, 5GN9, OAE7).
    HighGreyEmphasis,
    /// `Σ P/(i² j²) / N` (IBSI HTZT, 5RAI, EQ3F).
    SmallLowGreyEmphasis,
    /// `Σ P·i²/j² / N` (IBSI GD3A, HW1V, JA6D).
    SmallHighGreyEmphasis,
    /// `Σ P·j²/i² / N` (IBSI IVPO, YH51, NBZI).
    LargeLowGreyEmphasis,
    /// `Σ P·i²·j² / N` (IBSI 3KUM, J17V, 9QMG).
    LargeHighGreyEmphasis,
}

impl SizeMatrix {
    /// The matrix without its all-zero size columns (zone sizes, runs or dependences that never
    /// occur). Every statistic is unchanged: those columns only add exact zeros to its sums,
    /// in the same order as before.
    pub fn without_empty_sizes(self) -> Self {
        let m = self.sizes.len();
        if m == 0 {
            return self;
        }
        let keep = occurring_columns(self.counts.chunks(m), m);
        if keep.len() == m {
            return self;
        }
        let counts = self
            .counts
            .chunks(m)
            .flat_map(|row| keep.iter().map(move |&j| row[j]))
            .collect();
        SizeMatrix {
            levels: self.levels,
            sizes: keep.iter().map(|&j| self.sizes[j]).collect(),
            counts,
        }
    }

    /// The matrix of the `present` grey levels' rows (ascending, 1-based) of an integer
    /// `[level − 1][size − 1]` count matrix with `cols` sizes, keeping only the sizes that
    /// occur in those rows (see [`SizeMatrix::without_empty_sizes`]).
    pub fn from_counts(counts: &[u64], cols: usize, present: &[u32]) -> Self {
        let sizes: Vec<usize> = (1..=cols).collect();
        Self::from_columns(counts, &sizes, present)
    }

    /// As [`SizeMatrix::from_counts`] for a matrix that stores only some sizes: column `j`
    /// of `counts` (`[level − 1][column]`) holds size `sizes[j]` (ascending).
    pub fn from_columns(counts: &[u64], sizes: &[usize], present: &[u32]) -> Self {
        let cols = sizes.len();
        let row = |l: u32| &counts[(l as usize - 1) * cols..l as usize * cols];
        let keep = occurring_columns(present.iter().map(|&l| row(l)), cols);
        let mut out = Vec::with_capacity(present.len() * keep.len());
        for &l in present {
            let r = row(l);
            out.extend(keep.iter().map(|&j| r[j] as f64));
        }
        SizeMatrix {
            levels: present.iter().map(|&l| l as f64).collect(),
            sizes: keep.iter().map(|&j| sizes[j] as f64).collect(),
            counts: out,
        }
    }

    /// Total count `N`.
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    /// The marginals and size-weighted row sums, in one pass over the cells.
    pub fn marginals(&self) -> Marginals {
        let m = self.sizes.len();
        let inv_sq: Vec<f64> = self.sizes.iter().map(|j| 1.0 / (j * j)).collect();
        let sq: Vec<f64> = self.sizes.iter().map(|j| j * j).collect();
        let rows = self.levels.len();
        let mut out = Marginals {
            grey: Vec::with_capacity(rows),
            size: vec![0.0; m],
            grey_small: Vec::with_capacity(rows),
            grey_large: Vec::with_capacity(rows),
        };
        if m == 0 {
            out.grey = vec![0.0; rows];
            out.grey_small = vec![0.0; rows];
            out.grey_large = vec![0.0; rows];
            return out;
        }
        for row in self.counts.chunks(m) {
            let (mut g, mut small, mut large) = (0.0, 0.0, 0.0);
            for (((acc, &v), &inv), &sq) in out.size.iter_mut().zip(row).zip(&inv_sq).zip(&sq) {
                *acc += v;
                g += v;
                small += v * inv;
                large += v * sq;
            }
            out.grey.push(g);
            out.grey_small.push(small);
            out.grey_large.push(large);
        }
        out
    }

    /// Evaluates one statistic with normaliser `n` (the class decides what an empty matrix
    /// gives: NaN for an empty GLRLM direction, 1 for GLSZM and GLDM as PyRadiomics).
    pub fn stat(&self, stat: Stat, n: f64) -> f64 {
        self.stat_with(stat, n, &self.marginals())
    }

    /// [`SizeMatrix::stat`] with the marginals `m` of this matrix already computed.
    pub fn stat_with(&self, stat: Stat, n: f64, m: &Marginals) -> f64 {
        let variance = |p: &[f64], x: &[f64]| {
            let mu: f64 = p.iter().zip(x).map(|(p, x)| p * x).sum();
            p.iter()
                .zip(x)
                .map(|(p, x)| p * (x - mu).powi(2))
                .sum::<f64>()
        };
        match stat {
            Stat::SmallEmphasis => dot(&m.size, &self.sizes, |j| 1.0 / (j * j)) / n,
            Stat::LargeEmphasis => dot(&m.size, &self.sizes, |j| j * j) / n,
            Stat::GreyNonUniformity => sum_sq(&m.grey) / n,
            Stat::GreyNonUniformityNormalized => sum_sq(&m.grey) / (n * n),
            Stat::SizeNonUniformity => sum_sq(&m.size) / n,
            Stat::SizeNonUniformityNormalized => sum_sq(&m.size) / (n * n),
            Stat::Percentage => n / dot(&m.size, &self.sizes, |j| j),
            Stat::GreyVariance => {
                let p: Vec<f64> = m.grey.iter().map(|v| v / n).collect();
                variance(&p, &self.levels)
            }
            Stat::SizeVariance => {
                let p: Vec<f64> = m.size.iter().map(|v| v / n).collect();
                variance(&p, &self.sizes)
            }
            // Empty cells add exact zeros: they are skipped.
            Stat::Entropy => -self
                .counts
                .iter()
                .filter(|&&v| v != 0.0)
                .map(|&v| {
                    let p = v / n;
                    p * (p + EPS).log2()
                })
                .sum::<f64>(),
            Stat::LowGreyEmphasis => dot(&m.grey, &self.levels, |i| 1.0 / (i * i)) / n,
            Stat::HighGreyEmphasis => dot(&m.grey, &self.levels, |i| i * i) / n,
            // Σ_i f(i) Σ_j P(i, j) g(j): the inner sums are the weighted row sums.
            Stat::SmallLowGreyEmphasis => dot(&m.grey_small, &self.levels, |i| 1.0 / (i * i)) / n,
            Stat::SmallHighGreyEmphasis => dot(&m.grey_small, &self.levels, |i| i * i) / n,
            Stat::LargeLowGreyEmphasis => dot(&m.grey_large, &self.levels, |i| 1.0 / (i * i)) / n,
            Stat::LargeHighGreyEmphasis => dot(&m.grey_large, &self.levels, |i| i * i) / n,
        }
    }
}

/// The columns (of `cols`) holding a non-zero value in any of `rows`.
fn occurring_columns<'a, T: Copy + Default + PartialEq + 'a>(
    rows: impl Iterator<Item = &'a [T]>,
    cols: usize,
) -> Vec<usize> {
    let mut used = vec![false; cols];
    for row in rows {
        for (u, &v) in used.iter_mut().zip(row) {
            *u |= v != T::default();
        }
    }
    (0..cols).filter(|&j| used[j]).collect()
}

fn sum_sq(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum()
}

fn dot(p: &[f64], x: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    p.iter().zip(x).map(|(p, &x)| p * f(x)).sum()
}

/// Evaluates the features `names` of a class whose name → statistic table is `table`;
/// a name not in the table gives NaN.
pub fn features(m: &SizeMatrix, n: f64, table: &[(&str, Stat)], names: &[String]) -> Vec<f64> {
    let marginals = m.marginals();
    names
        .iter()
        .map(|name| {
            table
                .iter()
                .find(|(k, _)| k == name)
                .map_or(f64::NAN, |&(_, s)| m.stat_with(s, n, &marginals))
        })
        .collect()
}

/// Features of a single (not per-direction) grey-level × size count matrix, `cols` sizes
/// 1..=cols, restricted to the `present` grey levels. As PyRadiomics' GLSZM and GLDM, an empty
/// matrix normalises by 1 instead of 0.
pub fn single_matrix(
    counts: &[u64],
    cols: usize,
    present: &[u32],
    table: &[(&str, Stat)],
    names: &[String],
) -> Vec<(String, f64)> {
    single_size_matrix(SizeMatrix::from_counts(counts, cols, present), table, names)
}

/// As [`single_matrix`], for a matrix already restricted to the present grey levels.
pub fn single_size_matrix(
    sm: SizeMatrix,
    table: &[(&str, Stat)],
    names: &[String],
) -> Vec<(String, f64)> {
    let n = sm.total();
    let n = if n == 0.0 { 1.0 } else { n };
    names
        .iter()
        .cloned()
        .zip(features(&sm, n, table, names))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_statistics() {
        // Two grey levels (1, 3), sizes 1 and 2: P = [[2, 1], [0, 1]], N = 4.
        let m = SizeMatrix {
            levels: vec![1.0, 3.0],
            sizes: vec![1.0, 2.0],
            counts: vec![2.0, 1.0, 0.0, 1.0],
        };
        let n = m.total();
        assert_eq!(n, 4.0);
        // p_s = [2, 2]: (2/1 + 2/4)/4
        assert_eq!(m.stat(Stat::SmallEmphasis, n), 2.5 / 4.0);
        // p_g = [3, 1]: (9 + 1)/4
        assert_eq!(m.stat(Stat::GreyNonUniformity, n), 2.5);
        // N / Σ j p_s = 4 / (2 + 4)
        assert_eq!(m.stat(Stat::Percentage, n), 4.0 / 6.0);
        // p = [3/4, 1/4] over levels [1, 3]: μ = 1.5, var = 0.75·0.25 + 0.25·2.25
        assert!((m.stat(Stat::GreyVariance, n) - 0.75).abs() < 1e-15);
        // Σ P i² j² / N = (2·1 + 1·4 + 1·9·4)/4
        assert_eq!(m.stat(Stat::LargeHighGreyEmphasis, n), 42.0 / 4.0);
    }

    #[test]
    fn empty_sizes_change_no_statistic() {
        let wide = SizeMatrix {
            levels: vec![1.0, 3.0, 4.0],
            sizes: (1..=7).map(f64::from).collect(),
            counts: vec![
                2.0, 0.0, 1.0, 0.0, 5.0, 0.0, 0.0, //
                0.0, 0.0, 1.0, 3.0, 0.0, 0.0, 0.0, //
                7.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            ],
        };
        let narrow = wide.clone().without_empty_sizes();
        assert_eq!(narrow.sizes, vec![1.0, 3.0, 4.0, 5.0]);
        // The same matrix from integer counts over levels 1..=4, level 2 absent.
        let ints: Vec<u64> = [
            [2, 0, 1, 0, 5, 0, 0],
            [9, 9, 9, 9, 9, 9, 9],
            [0, 0, 1, 3, 0, 0, 0],
            [7, 0, 0, 0, 0, 0, 0],
        ]
        .concat();
        let from_ints = SizeMatrix::from_counts(&ints, 7, &[1, 3, 4]);
        assert_eq!(from_ints.sizes, narrow.sizes);
        assert_eq!(from_ints.counts, narrow.counts);
        let n = wide.total();
        for stat in [
            Stat::SmallEmphasis,
            Stat::LargeEmphasis,
            Stat::GreyNonUniformity,
            Stat::GreyNonUniformityNormalized,
            Stat::SizeNonUniformity,
            Stat::SizeNonUniformityNormalized,
            Stat::Percentage,
            Stat::GreyVariance,
            Stat::SizeVariance,
            Stat::Entropy,
            Stat::LowGreyEmphasis,
            Stat::HighGreyEmphasis,
            Stat::SmallLowGreyEmphasis,
            Stat::SmallHighGreyEmphasis,
            Stat::LargeLowGreyEmphasis,
            Stat::LargeHighGreyEmphasis,
        ] {
            assert_eq!(wide.stat(stat, n), narrow.stat(stat, n), "{stat:?}");
        }
    }
}
