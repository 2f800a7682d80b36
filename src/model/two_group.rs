//! Two-group comparisons of a baseline table, as R computes them by default:
//!
//! * [`wilcoxon`]: `wilcox.test(x ~ g)` — the exact distribution of the rank-sum statistic
//!   when both groups have fewer than 50 values and there are no ties, else the normal
//!   approximation with continuity correction and tie correction ([`super::filter::mann_whitney`]);
//! * [`chi_square`]: `chisq.test(table)` — Pearson's χ², with Yates' continuity correction
//!   on a 2×2 table (`correct = TRUE`);
//! * [`fisher_exact`]: `fisher.test(table)` for an r×2 table — the two-sided p-value sums the
//!   hypergeometric probabilities of every table with the same margins that is no more
//!   likely than the one observed (relative tolerance 1e-7, as R);
//! * [`quantile7`]: `quantile(x, type = 7)`.

use super::distributions::chi_square_sf;
use super::error::{StatsError, StatsResult};
use super::filter::{average_ranks, mann_whitney};

/// A two-sided Wilcoxon rank-sum test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wilcoxon {
    /// `W`: the rank sum of the first group minus `n₁(n₁ + 1)/2`.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Whether the exact distribution was used.
    pub exact: bool,
}

/// Number of ways, for each `u` in `0..=m·n`, that `m` of the ranks `1..=m+n` sum to
/// `u + m(m+1)/2` (the null distribution of `W`, in counts).
fn wilcoxon_counts(m: usize, n: usize) -> Vec<f64> {
    let total = m + n;
    let max_sum = total * (total + 1) / 2;
    // ways[j][s]: subsets of size j of the ranks seen so far with sum s.
    let mut ways = vec![vec![0.0f64; max_sum + 1]; m + 1];
    ways[0][0] = 1.0;
    for i in 1..=total {
        for j in (1..=m.min(i)).rev() {
            let (lower, upper) = ways.split_at_mut(j);
            let (prev, cur) = (&lower[j - 1], &mut upper[0]);
            for s in (i..=max_sum).rev() {
                cur[s] += prev[s - i];
            }
        }
    }
    let offset = m * (m + 1) / 2;
    ways[m][offset..=offset + m * n].to_vec()
}

/// Two-sided Wilcoxon rank-sum test of `a` against `b`, as R's `wilcox.test(a, b)` with its
/// defaults.
///
/// # Errors
/// An empty group or non-finite values.
pub fn wilcoxon(a: &[f64], b: &[f64]) -> StatsResult<Wilcoxon> {
    if a.is_empty() || b.is_empty() {
        return Err(StatsError::InvalidArgument(
            "the Wilcoxon test needs values in both groups".into(),
        ));
    }
    let all: Vec<f64> = a.iter().chain(b).copied().collect();
    if all.iter().any(|v| !v.is_finite()) {
        return Err(StatsError::InvalidArgument(
            "the Wilcoxon test needs finite values".into(),
        ));
    }
    let ranks = average_ranks(&all);
    let (m, n) = (a.len(), b.len());
    let w = ranks[..m].iter().sum::<f64>() - (m * (m + 1)) as f64 / 2.0;
    // R uses the exact distribution only without ties (two equal values).
    let mut sorted = all.clone();
    sorted.sort_by(f64::total_cmp);
    let ties = sorted.windows(2).any(|p| p[0] == p[1]);
    if m < 50 && n < 50 && !ties {
        let counts = wilcoxon_counts(m, n);
        let total: f64 = counts.iter().sum();
        let q = w.round() as usize;
        let p = if w > (m * n) as f64 / 2.0 {
            // P(W ≥ w)
            counts[q..].iter().sum::<f64>() / total
        } else {
            counts[..=q].iter().sum::<f64>() / total
        };
        return Ok(Wilcoxon {
            statistic: w,
            p_value: (2.0 * p).min(1.0),
            exact: true,
        });
    }
    // The normal approximation of R's `wilcox.test(x ~ g)` (group 0 = `a`).
    let g: Vec<f64> = (0..m + n).map(|i| f64::from(i >= m)).collect();
    let r = mann_whitney(&all, &g)?;
    Ok(Wilcoxon {
        statistic: w,
        p_value: r.p_value,
        exact: false,
    })
}

/// Pearson's χ² test of a contingency table (`rows × columns` counts, row-major).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquare {
    /// The statistic (Yates-corrected on a 2×2 table).
    pub statistic: f64,
    /// Degrees of freedom `(r − 1)(c − 1)`.
    pub df: f64,
    /// Upper-tail p-value.
    pub p_value: f64,
}

/// Pearson's χ² test of `table` (`r` rows of `c` counts each), as R's `chisq.test(table)`:
/// Yates' correction `min(0.5, |O − E|)` on 2×2 tables.
///
/// # Errors
/// Fewer than 2 rows or columns, or an empty row or column.
pub fn chi_square(table: &[Vec<f64>]) -> StatsResult<ChiSquare> {
    let (rows, margins) = margins(table)?;
    let (row_sums, col_sums, total) = margins;
    let c = col_sums.len();
    let expected = |i: usize, j: usize| row_sums[i] * col_sums[j] / total;
    let yates = if rows == 2 && c == 2 {
        let mut m = f64::INFINITY;
        for (i, row) in table.iter().enumerate() {
            for (j, &o) in row.iter().enumerate() {
                m = m.min((o - expected(i, j)).abs());
            }
        }
        m.min(0.5)
    } else {
        0.0
    };
    let mut statistic = 0.0;
    for (i, row) in table.iter().enumerate() {
        for (j, &o) in row.iter().enumerate() {
            let e = expected(i, j);
            statistic += ((o - e).abs() - yates).powi(2) / e;
        }
    }
    let df = ((rows - 1) * (c - 1)) as f64;
    Ok(ChiSquare {
        statistic,
        df,
        p_value: chi_square_sf(statistic, df)?,
    })
}

type Margins = (Vec<f64>, Vec<f64>, f64);

/// Row sums, column sums and total of a table with at least 2 rows and 2 columns, none
/// empty.
fn margins(table: &[Vec<f64>]) -> StatsResult<(usize, Margins)> {
    let r = table.len();
    let c = table.first().map_or(0, Vec::len);
    if r < 2 || c < 2 || table.iter().any(|row| row.len() != c) {
        return Err(StatsError::InvalidArgument(
            "a contingency table needs at least 2 rows and 2 columns".into(),
        ));
    }
    let row_sums: Vec<f64> = table.iter().map(|row| row.iter().sum()).collect();
    let col_sums: Vec<f64> = (0..c)
        .map(|j| table.iter().map(|row| row[j]).sum())
        .collect();
    if row_sums.iter().chain(&col_sums).any(|&s| s <= 0.0) {
        return Err(StatsError::InvalidArgument(
            "a contingency table with an empty row or column has no test".into(),
        ));
    }
    let total = row_sums.iter().sum();
    Ok((r, (row_sums, col_sums, total)))
}

/// Most tables [`fisher_exact`] enumerates before giving up.
const MAX_TABLES: u64 = 20_000_000;

/// Fisher's exact test of an `r × 2` table of counts (two-sided, as R's `fisher.test`).
///
/// # Errors
/// A table that is not r×2 with r ≥ 2, an empty row or column, non-integer counts, or one
/// with more than 2·10⁷ tables of the same margins.
pub fn fisher_exact(table: &[Vec<f64>]) -> StatsResult<f64> {
    let (r, (row_sums, col_sums, _)) = margins(table)?;
    if col_sums.len() != 2 {
        return Err(StatsError::InvalidArgument(
            "Fisher's exact test is implemented for tables of two columns".into(),
        ));
    }
    if table.iter().flatten().any(|v| v.fract() != 0.0 || *v < 0.0) {
        return Err(StatsError::InvalidArgument(
            "Fisher's exact test needs whole counts".into(),
        ));
    }
    let rows: Vec<usize> = row_sums.iter().map(|&v| v as usize).collect();
    let first = col_sums[0] as usize;
    let total: usize = rows.iter().sum();
    let mut log_fact = vec![0.0f64; total + 1];
    for k in 1..=total {
        log_fact[k] = log_fact[k - 1] + (k as f64).ln();
    }
    // log P(x) = Σᵢ [log C(rᵢ, xᵢ)] − log C(N, first)
    let log_choose = |n: usize, k: usize| log_fact[n] - log_fact[k] - log_fact[n - k];
    let denominator = log_choose(total, first);
    let log_p = |x: &[usize]| -> f64 {
        x.iter()
            .zip(&rows)
            .map(|(&xi, &ri)| log_choose(ri, xi))
            .sum::<f64>()
            - denominator
    };
    let observed: Vec<usize> = table.iter().map(|row| row[0] as usize).collect();
    let p_obs = log_p(&observed).exp();
    // Enumerate x with Σ x = first, 0 ≤ xᵢ ≤ rᵢ.
    let suffix: Vec<usize> = (0..=r).map(|i| rows[i.min(r)..].iter().sum()).collect();
    let mut x = vec![0usize; r];
    let mut count = 0u64;
    let mut p_sum = 0.0;
    let limit = p_obs * (1.0 + 1e-7);
    #[allow(clippy::too_many_arguments)]
    fn walk(
        i: usize,
        left: usize,
        x: &mut [usize],
        rows: &[usize],
        suffix: &[usize],
        count: &mut u64,
        visit: &mut dyn FnMut(&[usize]),
    ) -> bool {
        if i == x.len() - 1 {
            if left > rows[i] {
                return true;
            }
            x[i] = left;
            *count += 1;
            if *count > MAX_TABLES {
                return false;
            }
            visit(x);
            return true;
        }
        // The rest must be able to take what is left.
        let lo = left.saturating_sub(suffix[i + 1]);
        let hi = rows[i].min(left);
        for v in lo..=hi {
            x[i] = v;
            if !walk(i + 1, left - v, x, rows, suffix, count, visit) {
                return false;
            }
        }
        true
    }
    let mut visit = |x: &[usize]| {
        let p = log_p(x).exp();
        if p <= limit {
            p_sum += p;
        }
    };
    if !walk(0, first, &mut x, &rows, &suffix, &mut count, &mut visit) {
        return Err(StatsError::InvalidArgument(format!(
            "Fisher's exact test: more than {MAX_TABLES} tables share these margins"
        )));
    }
    Ok(p_sum.min(1.0))
}

/// The `p` quantile of `x` by R's default definition (`type = 7`): linear interpolation
/// between order statistics at `h = (n − 1)p`. NaN for an empty `x`.
pub fn quantile7(x: &[f64], p: f64) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    let h = (s.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilcoxon_counts_sum_to_the_binomial_coefficient() {
        let c = wilcoxon_counts(3, 4);
        assert_eq!(c.iter().sum::<f64>(), 35.0);
        assert_eq!(c.len(), 13);
        assert_eq!((c[0], c[12]), (1.0, 1.0));
    }

    #[test]
    fn quantiles_interpolate() {
        let x = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(quantile7(&x, 0.5), 2.5);
        assert_eq!(quantile7(&x, 0.25), 1.75);
        assert_eq!(quantile7(&x, 1.0), 4.0);
    }
}
