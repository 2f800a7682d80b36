//! Reproducibility of features across repeated extractions (another reader's segmentation,
//! a test–retest scan): the intraclass correlation coefficient ICC(2,1) — two-way random
//! effects, absolute agreement, single measurement (Shrout & Fleiss 1979, *Psychol. Bull.*
//! 86:420, case 2; McGraw & Wong 1996 "ICC(A,1)"; the form Koo & Li 2016, *J. Chiropr. Med.*
//! 15:155, recommend for inter-rater reliability; R: `irr::icc(model = "twoway",
//! type = "agreement", unit = "single")`).
//!
//! With `n` patients (rows) and `k` extractions (columns), from the two-way ANOVA mean
//! squares `MSR` (rows), `MSC` (columns) and `MSE` (residual):
//! `ICC = (MSR − MSE) / (MSR + (k − 1)·MSE + k·(MSC − MSE)/n)`.

use super::error::{StatsError, StatsResult};
use super::filter::{FilterStep, RemovalReason};

/// ICC(2,1) of one feature; `ratings[r]` holds extraction `r` for every patient.
///
/// Errors: fewer than 2 extractions or 2 patients, lengths that differ, non-finite values.
/// A feature with no variation at all gives NaN (0/0), which no threshold keeps.
pub fn icc_agreement(ratings: &[&[f64]]) -> StatsResult<f64> {
    let k = ratings.len();
    if k < 2 {
        return Err(StatsError::InvalidArgument(format!(
            "the ICC needs at least 2 extractions of each patient, got {k}"
        )));
    }
    let n = ratings[0].len();
    if n < 2 {
        return Err(StatsError::InvalidArgument(format!(
            "the ICC needs at least 2 patients extracted more than once, got {n}"
        )));
    }
    for (r, col) in ratings.iter().enumerate() {
        if col.len() != n {
            return Err(StatsError::LengthMismatch {
                what: format!("extraction {r}"),
                expected: n,
                got: col.len(),
            });
        }
        if let Some(i) = col.iter().position(|v| !v.is_finite()) {
            return Err(StatsError::InvalidArgument(format!(
                "extraction {r} has a non-finite value for patient {i}"
            )));
        }
    }
    let (nf, kf) = (n as f64, k as f64);
    let grand = ratings.iter().flat_map(|c| c.iter()).sum::<f64>() / (nf * kf);
    let row_mean: Vec<f64> = (0..n)
        .map(|i| ratings.iter().map(|c| c[i]).sum::<f64>() / kf)
        .collect();
    let col_mean: Vec<f64> = ratings.iter().map(|c| c.iter().sum::<f64>() / nf).collect();
    let msr = kf * row_mean.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (nf - 1.0);
    let msc = nf * col_mean.iter().map(|m| (m - grand).powi(2)).sum::<f64>() / (kf - 1.0);
    let sse: f64 = ratings
        .iter()
        .zip(&col_mean)
        .map(|(c, cm)| {
            c.iter()
                .zip(&row_mean)
                .map(|(y, rm)| (y - rm - cm + grand).powi(2))
                .sum::<f64>()
        })
        .sum();
    let mse = sse / ((nf - 1.0) * (kf - 1.0));
    Ok((msr - mse) / (msr + (kf - 1.0) * mse + kf * (msc - mse) / nf))
}

/// Keeps the features whose ICC is `≥ threshold`; `features[j][r]` is extraction `r` of
/// feature `j`. Returns every feature's ICC with the step.
pub fn icc_filter(features: &[Vec<&[f64]>], threshold: f64) -> StatsResult<(Vec<f64>, FilterStep)> {
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(StatsError::InvalidArgument(format!(
            "ICC threshold must be in (0, 1], got {threshold}"
        )));
    }
    let iccs = features
        .iter()
        .map(|r| icc_agreement(r))
        .collect::<StatsResult<Vec<f64>>>()?;
    let step = FilterStep::by_score(
        &iccs,
        |icc| icc >= threshold,
        |icc| RemovalReason::Unreliable { icc, threshold },
    );
    Ok((iccs, step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrout_fleiss_example() {
        // Shrout & Fleiss (1979), Table 2: 6 targets, 4 judges; ICC(2,1) = 0.29.
        let judges: [[f64; 6]; 4] = [
            [9.0, 6.0, 8.0, 7.0, 10.0, 6.0],
            [2.0, 1.0, 4.0, 1.0, 5.0, 2.0],
            [5.0, 3.0, 6.0, 2.0, 6.0, 4.0],
            [8.0, 2.0, 8.0, 6.0, 9.0, 7.0],
        ];
        let r: Vec<&[f64]> = judges.iter().map(|j| j.as_slice()).collect();
        let icc = icc_agreement(&r).unwrap();
        assert!((icc - 0.29).abs() < 0.005, "{icc}");
        let same: Vec<&[f64]> = vec![&judges[0], &judges[0]];
        assert!((icc_agreement(&same).unwrap() - 1.0).abs() < 1e-15);
    }
}
