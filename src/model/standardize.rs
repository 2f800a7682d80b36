//! Column standardization (z-scores) with the *training* mean and standard deviation,
//! applied unchanged to any later data (validation sets, new patients), as R's
//! `scale(train)` followed by
//! `scale(new, center = attr(s, "scaled:center"), scale = attr(s, "scaled:scale"))`.
//!
//! For a training column `x₁ … xₙ`: mean `x̄ = Σxᵢ/n`, computed as R's `mean` does with a
//! second pass `x̄ + Σ(xᵢ − x̄)/n` that removes most of the rounding of the first; sample
//! standard deviation `s = sqrt(Σ(xᵢ − x̄)²/(n − 1))` (R's `sd` and `scale`); the
//! standardized value of any `x` is `(x − x̄)/s`.
//!
//! Policy for degenerate columns: a column with fewer than two patients, or whose values
//! are all equal (`s = 0`, also when `s` underflows to a value whose z-scores would be
//! meaningless), is an error naming the column: R would return `NaN` for every z-score.
//! Constant columns carry no information; drop them first (e.g. with
//! [`crate::model::filter::near_zero_variance`], which flags every constant column).

use super::error::{StatsError, StatsResult};
use super::input::check_finite;

/// Training means and standard deviations of a set of feature columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Training mean of each column (R: `attr(scale(x), "scaled:center")`).
    pub means: Vec<f64>,
    /// Training sample standard deviation (divisor n − 1) of each column
    /// (R: `attr(scale(x), "scaled:scale")`).
    pub sds: Vec<f64>,
}

/// Mean as R's `mean.default` computes it for doubles: the plain mean, then corrected by
/// the mean of the residuals.
pub fn mean(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    m + x.iter().map(|v| v - m).sum::<f64>() / n
}

/// Sample variance `Σ(xᵢ − x̄)²/(n − 1)` (R: `var`), `NaN` for fewer than 2 values.
pub fn sample_variance(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64
}

impl Standardizer {
    /// Learns the mean and SD of each training column (`columns[j]` holds feature `j`, one
    /// value per patient).
    ///
    /// Errors: no columns, columns of different lengths or with fewer than 2 patients,
    /// non-finite values, and constant columns (see the module documentation).
    pub fn fit<C: AsRef<[f64]>>(columns: &[C]) -> StatsResult<Self> {
        let first = columns
            .first()
            .ok_or_else(|| StatsError::Empty("the feature table (no columns)".into()))?;
        let n = first.as_ref().len();
        if n < 2 {
            return Err(StatsError::InvalidArgument(format!(
                "standardization needs at least 2 training patients, got {n}"
            )));
        }
        let mut means = Vec::with_capacity(columns.len());
        let mut sds = Vec::with_capacity(columns.len());
        for (j, column) in columns.iter().enumerate() {
            let x = column.as_ref();
            check_finite(x, n, &format!("feature column {j}"))?;
            let m = mean(x);
            let sd = sample_variance(x).sqrt();
            if sd.is_nan() || sd <= 0.0 || x.iter().all(|&v| v == x[0]) {
                return Err(StatsError::InvalidArgument(format!(
                    "feature column {j} is constant (every training value is {}), so it \
                     has no standard deviation; remove it before standardizing (the \
                     near-zero-variance filter flags it)",
                    x[0]
                )));
            }
            means.push(m);
            sds.push(sd);
        }
        Ok(Self { means, sds })
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.means.len()
    }

    /// Whether there are no columns (never true for a fitted standardizer).
    pub fn is_empty(&self) -> bool {
        self.means.is_empty()
    }

    /// Standardizes columns (training or new data, same column order) with the training
    /// means and SDs: `(x − x̄ⱼ)/sⱼ`.
    ///
    /// Errors: a different number of columns, columns of different lengths, non-finite
    /// values.
    pub fn transform<C: AsRef<[f64]>>(&self, columns: &[C]) -> StatsResult<Vec<Vec<f64>>> {
        if columns.len() != self.len() {
            return Err(StatsError::InvalidArgument(format!(
                "the standardizer was fitted on {} columns, but {} were given",
                self.len(),
                columns.len()
            )));
        }
        let n = columns.first().map_or(0, |c| c.as_ref().len());
        columns
            .iter()
            .enumerate()
            .map(|(j, column)| {
                let x = column.as_ref();
                check_finite(x, n, &format!("feature column {j}"))?;
                Ok(x.iter()
                    .map(|v| (v - self.means[j]) / self.sds[j])
                    .collect())
            })
            .collect()
    }

    /// Maps standardized values of column `j` back to the original scale, `z·sⱼ + x̄ⱼ`.
    pub fn inverse(&self, j: usize, z: f64) -> f64 {
        z * self.sds[j] + self.means[j]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_scores_and_constant_columns() {
        let s = Standardizer::fit(&[vec![1.0, 2.0, 3.0, 4.0]]).unwrap();
        assert_eq!(s.means, vec![2.5]);
        assert!((s.sds[0] - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        let z = s.transform(&[vec![2.5, 4.0]]).unwrap();
        assert_eq!(z[0][0], 0.0);
        assert!((s.inverse(0, z[0][1]) - 4.0).abs() < 1e-15);

        let err = Standardizer::fit(&[vec![1.0, 2.0], vec![3.0, 3.0]]).unwrap_err();
        assert!(
            err.to_string().contains("feature column 1 is constant"),
            "{err}"
        );
        assert!(Standardizer::fit(&[vec![1.0]]).is_err());
        assert!(Standardizer::fit::<Vec<f64>>(&[]).is_err());
        assert!(Standardizer::fit(&[vec![1.0, f64::NAN]]).is_err());
        assert!(s.transform(&[vec![1.0], vec![2.0]]).is_err());
    }
}
