//! ComBat harmonisation of features across batches (scanners, centres) by empirical Bayes
//! (Johnson, Li & Rabinovic 2007, *Biostatistics* 8:118–127; Fortin et al. 2018,
//! *NeuroImage* 167:104–120 for radiomics), step for step as R's `sva::ComBat`:
//!
//! 1. **Standardise**: least squares of each feature on the design `[batch indicators |
//!    covariates]` (`B̂ = (DᵀD)⁻¹DᵀX`); the grand mean is the batch-size-weighted mean of
//!    the batch coefficients (the reference batch's with `reference`); the pooled variance
//!    is the mean squared residual (over the reference batch's patients with `reference`);
//!    `Z = (X − grand mean − covariate effects)/√pooled variance`.
//! 2. **Batch estimates**: `γ̂` by least squares of `Z` on the batch indicators, `δ̂²` the
//!    sample variance of `Z` within each batch.
//! 3. **Priors** per batch over the features: `γ ~ N(γ̄, τ²)` (mean and sample variance of
//!    `γ̂`), `δ² ~ InvGamma(a, b)` by the method of moments (`a = (2s² + m²)/s²`,
//!    `b = (m s² + m³)/s²` for the mean `m` and variance `s²` of `δ̂²`).
//! 4. **Posterior estimates**: parametric — iterate `γ* = (nτ²γ̂ + δ*γ̄)/(nτ² + δ*)` and
//!    `δ* = (½Σ(Z − γ*)² + b)/(n/2 + a − 1)` until the largest relative change (sva's
//!    `max(|new − old|/old)`, signed denominators included) is at most 1e-4; mean only —
//!    `γ* = (τ²γ̂ + γ̄)/(τ² + 1)`, `δ* = 1`; non-parametric — each feature's `γ*`, `δ*` are
//!    the other features' `γ̂`, `δ̂²` weighted by the normal likelihood of its data
//!    (`sva:::int.eprior`).
//! 5. **Adjust**: `X* = (Z − γ*)/√δ* · √pooled variance + grand mean + covariate effects`;
//!    the reference batch's patients are returned unchanged, bit for bit.
//!
//! Batches are sorted as text (R's factor levels in the C locale). A feature that is
//! constant within a batch of two or more patients is left unadjusted, as sva leaves it; a
//! batch of one patient makes the adjustment mean-only, as in sva.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::error::{StatsError, StatsResult};

/// How to harmonise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CombatOptions {
    /// Non-parametric priors (sva `par.prior = FALSE`).
    pub nonparametric: bool,
    /// Adjust the means only (sva `mean.only = TRUE`).
    pub mean_only: bool,
    /// The batch left unchanged, to which the others are aligned (sva `ref.batch`).
    pub reference: Option<String>,
}

/// The fitted adjustment, enough to harmonise later patients of a seen batch the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CombatFit {
    /// Batches, sorted.
    pub batches: Vec<String>,
    /// The reference batch, if any.
    pub reference: Option<String>,
    /// Whether the priors were non-parametric.
    pub nonparametric: bool,
    /// Whether only means were adjusted.
    pub mean_only: bool,
    /// Per feature: whether it was adjusted (not constant within a batch).
    pub adjusted: Vec<bool>,
    /// Per feature: the grand mean.
    pub grand_mean: Vec<f64>,
    /// Per feature: the pooled variance.
    pub var_pooled: Vec<f64>,
    /// Per covariate, per feature: its coefficient.
    pub covariate_effects: Vec<Vec<f64>>,
    /// Per batch, per feature: `γ*` as added for a patient of that batch (with a reference
    /// batch, its own row included).
    pub gamma_star: Vec<Vec<f64>>,
    /// Per batch, per feature: `δ*`.
    pub delta_star: Vec<Vec<f64>>,
}

/// Most `features² × patients` the non-parametric prior may cost (about a minute).
pub const MAX_NONPARAMETRIC_WORK: u128 = 20_000_000_000;

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample variance (n − 1), as R's `var`.
fn var(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() as f64 - 1.0)
}

/// Least squares `(AᵀA)⁻¹AᵀB`, as R's `solve(crossprod(A), crossprod(A, B))`.
fn least_squares(a: &DMatrix<f64>, b: &DMatrix<f64>) -> StatsResult<DMatrix<f64>> {
    let ata = a.transpose() * a;
    let atb = a.transpose() * b;
    ata.lu().solve(&atb).ok_or_else(|| {
        StatsError::SingularDesign(
            "the batch and covariate design is singular: a covariate is confounded with batch, or the covariates with each other".into(),
        )
    })
}

/// Harmonises `data` (`data[patient][feature]`) across `batch` (one label per patient),
/// keeping the effects of `covariates` (`covariates[k][patient]`, no intercept). Returns
/// the harmonised data and the fitted adjustment.
///
/// # Errors
/// Fewer than two batches, mismatched lengths, non-finite values, an unknown reference
/// batch, or a design in which a covariate is confounded with batch.
pub fn combat(
    data: &[Vec<f64>],
    batch: &[String],
    covariates: &[Vec<f64>],
    o: &CombatOptions,
) -> StatsResult<(Vec<Vec<f64>>, CombatFit)> {
    let n = data.len();
    if batch.len() != n || covariates.iter().any(|c| c.len() != n) {
        return Err(StatsError::InvalidArgument(
            "ComBat: one batch label and one value of each covariate per patient".into(),
        ));
    }
    let g_all = data.first().map_or(0, Vec::len);
    if data
        .iter()
        .flatten()
        .chain(covariates.iter().flatten())
        .any(|v| !v.is_finite())
    {
        return Err(StatsError::InvalidArgument(
            "ComBat needs finite feature and covariate values".into(),
        ));
    }
    let mut batches: Vec<String> = batch.to_vec();
    batches.sort();
    batches.dedup();
    if batches.len() < 2 {
        return Err(StatsError::InvalidArgument(format!(
            "ComBat needs at least two batches, found {}",
            batches.len()
        )));
    }
    let members: Vec<Vec<usize>> = batches
        .iter()
        .map(|b| (0..n).filter(|&i| batch[i] == *b).collect())
        .collect();
    let reference = match &o.reference {
        Some(r) => Some(batches.iter().position(|b| b == r).ok_or_else(|| {
            StatsError::InvalidArgument(format!(
                "reference batch '{r}' is not one of the batches ({})",
                batches.join(", ")
            ))
        })?),
        None => None,
    };
    let mean_only = o.mean_only || members.iter().any(|m| m.len() == 1);
    // Features constant within a batch of two or more are not adjusted (sva's zero rows).
    let adjusted: Vec<bool> = (0..g_all)
        .map(|f| {
            members.iter().all(|m| {
                m.len() < 2 || {
                    let v: Vec<f64> = m.iter().map(|&i| data[i][f]).collect();
                    var(&v) != 0.0
                }
            })
        })
        .collect();
    let kept: Vec<usize> = (0..g_all).filter(|&f| adjusted[f]).collect();
    let g = kept.len();
    let nb = batches.len();
    let x = DMatrix::from_fn(n, g, |i, j| data[i][kept[j]]);
    // Design: batch indicators (the reference column all ones), then the covariates that
    // are not constant ones.
    let covs: Vec<&Vec<f64>> = covariates
        .iter()
        .filter(|c| c.iter().any(|&v| v != 1.0))
        .collect();
    let p = nb + covs.len();
    let design = DMatrix::from_fn(n, p, |i, j| {
        if j < nb {
            if Some(j) == reference || batch[i] == batches[j] {
                1.0
            } else {
                0.0
            }
        } else {
            covs[j - nb][i]
        }
    });
    let b_hat = least_squares(&design, &x)?; // p × g
    let grand_mean: Vec<f64> = (0..g)
        .map(|f| match reference {
            Some(r) => b_hat[(r, f)],
            None => (0..nb)
                .map(|b| members[b].len() as f64 / n as f64 * b_hat[(b, f)])
                .sum(),
        })
        .collect();
    let fitted = &design * &b_hat;
    let pooled_rows: Vec<usize> = match reference {
        Some(r) => members[r].clone(),
        None => (0..n).collect(),
    };
    let var_pooled: Vec<f64> = (0..g)
        .map(|f| {
            pooled_rows
                .iter()
                .map(|&i| (x[(i, f)] - fitted[(i, f)]).powi(2) * (1.0 / pooled_rows.len() as f64))
                .sum()
        })
        .collect();
    // stand.mean = grand mean + covariate effects.
    let stand_mean = DMatrix::from_fn(n, g, |i, f| {
        grand_mean[f] + (nb..p).map(|j| design[(i, j)] * b_hat[(j, f)]).sum::<f64>()
    });
    let s_data = DMatrix::from_fn(n, g, |i, f| {
        (x[(i, f)] - stand_mean[(i, f)]) / var_pooled[f].sqrt()
    });
    let batch_design = design.columns(0, nb).into_owned();
    let gamma_hat = least_squares(&batch_design, &s_data)?; // nb × g
    let delta_hat: Vec<Vec<f64>> = members
        .iter()
        .map(|m| {
            (0..g)
                .map(|f| {
                    if mean_only {
                        1.0
                    } else {
                        var(&m.iter().map(|&i| s_data[(i, f)]).collect::<Vec<_>>())
                    }
                })
                .collect()
        })
        .collect();
    // The non-parametric prior weighs every feature by every other on each patient:
    // g²·n operations per batch.
    if o.nonparametric && (g as u128).pow(2) * n as u128 > MAX_NONPARAMETRIC_WORK {
        return Err(StatsError::InvalidArgument(format!(
            "non-parametric ComBat of {g} features × {n} patients needs {} operations (limit {MAX_NONPARAMETRIC_WORK}); use the parametric priors or fewer features",
            (g as u128).pow(2) * n as u128
        )));
    }
    let mut gamma_star = vec![vec![0.0; g]; nb];
    let mut delta_star = vec![vec![1.0; g]; nb];
    for b in 0..nb {
        let gh: Vec<f64> = (0..g).map(|f| gamma_hat[(b, f)]).collect();
        let gamma_bar = mean(&gh);
        let t2 = var(&gh);
        let rows = &members[b];
        if !o.nonparametric {
            if mean_only {
                gamma_star[b] = gh
                    .iter()
                    .map(|&x| (t2 * 1.0 * x + 1.0 * gamma_bar) / (t2 * 1.0 + 1.0))
                    .collect();
            } else {
                let (gs, ds) = iterate(&s_data, rows, &gh, &delta_hat[b], gamma_bar, t2);
                gamma_star[b] = gs;
                delta_star[b] = ds;
            }
        } else {
            let (gs, ds) = nonparametric(&s_data, rows, &gh, &delta_hat[b]);
            gamma_star[b] = gs;
            delta_star[b] = ds;
        }
    }
    if let Some(r) = reference {
        gamma_star[r] = vec![0.0; g];
        delta_star[r] = vec![1.0; g];
    }
    // A patient's γ* is its batch-design row times γ* (with a reference, its column of ones
    // adds the reference's zero row).
    let shift = |i: usize, f: usize| -> f64 {
        (0..nb)
            .map(|b| batch_design[(i, b)] * gamma_star[b][f])
            .sum()
    };
    let mut out: Vec<Vec<f64>> = data.to_vec();
    for (b, rows) in members.iter().enumerate() {
        if Some(b) == reference {
            continue;
        }
        for &i in rows {
            for (k, &f) in kept.iter().enumerate() {
                let z = (s_data[(i, k)] - shift(i, k)) / delta_star[b][k].sqrt();
                out[i][f] = z * var_pooled[k].sqrt() + stand_mean[(i, k)];
            }
        }
    }
    // Estimates per feature (unadjusted features: identity).
    let spread = |v: &[f64], fill: f64| -> Vec<f64> {
        let mut full = vec![fill; g_all];
        for (k, &f) in kept.iter().enumerate() {
            full[f] = v[k];
        }
        full
    };
    let fit = CombatFit {
        batches: batches.clone(),
        reference: o.reference.clone(),
        nonparametric: o.nonparametric,
        mean_only,
        adjusted,
        grand_mean: spread(&grand_mean, 0.0),
        var_pooled: spread(&var_pooled, 1.0),
        covariate_effects: (nb..p)
            .map(|j| spread(&(0..g).map(|f| b_hat[(j, f)]).collect::<Vec<_>>(), 0.0))
            .collect(),
        gamma_star: (0..nb)
            .map(|b| {
                let own: Vec<f64> = (0..g)
                    .map(|f| match reference {
                        Some(r) if b != r => gamma_star[r][f] + gamma_star[b][f],
                        _ => gamma_star[b][f],
                    })
                    .collect();
                spread(&own, 0.0)
            })
            .collect(),
        delta_star: delta_star.iter().map(|d| spread(d, 1.0)).collect(),
    };
    Ok((out, fit))
}

/// sva's `it.sol`: the parametric posterior estimates of one batch.
fn iterate(
    s_data: &DMatrix<f64>,
    rows: &[usize],
    g_hat: &[f64],
    d_hat: &[f64],
    g_bar: f64,
    t2: f64,
) -> (Vec<f64>, Vec<f64>) {
    let g = g_hat.len();
    let n = rows.len() as f64;
    let d: Vec<f64> = d_hat.to_vec();
    let (a, b) = {
        let m = mean(&d);
        let s2 = var(&d);
        ((2.0 * s2 + m * m) / s2, (m * s2 + m * m * m) / s2)
    };
    let mut g_old = g_hat.to_vec();
    let mut d_old = d;
    // sva iterates without a limit; 10,000 rounds (it takes a handful) bound the time.
    for _ in 0..10_000 {
        let g_new: Vec<f64> = (0..g)
            .map(|f| (t2 * n * g_hat[f] + d_old[f] * g_bar) / (t2 * n + d_old[f]))
            .collect();
        let d_new: Vec<f64> = (0..g)
            .map(|f| {
                let sum2: f64 = rows
                    .iter()
                    .map(|&i| (s_data[(i, f)] - g_new[f]).powi(2))
                    .sum();
                (0.5 * sum2 + b) / (n / 2.0 + a - 1.0)
            })
            .collect();
        let change = (0..g)
            .map(|f| (g_new[f] - g_old[f]).abs() / g_old[f])
            .chain((0..g).map(|f| (d_new[f] - d_old[f]).abs() / d_old[f]))
            .fold(f64::NEG_INFINITY, f64::max);
        g_old = g_new;
        d_old = d_new;
        // sva: `while (change > conv)`; a NaN change (a zero old value) stops here too.
        let again = change > 1e-4;
        if !again {
            break;
        }
    }
    (g_old, d_old)
}

/// sva's `int.eprior`: the non-parametric posterior estimates of one batch.
fn nonparametric(
    s_data: &DMatrix<f64>,
    rows: &[usize],
    g_hat: &[f64],
    d_hat: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let g = g_hat.len();
    let n = rows.len() as f64;
    let mut gs = Vec::with_capacity(g);
    let mut ds = Vec::with_capacity(g);
    for f in 0..g {
        let (mut num_g, mut num_d, mut den) = (0.0, 0.0, 0.0);
        for j in (0..g).filter(|&j| j != f) {
            let sum2: f64 = rows
                .iter()
                .map(|&i| (s_data[(i, f)] - g_hat[j]).powi(2))
                .sum();
            let mut lh = 1.0 / (2.0 * std::f64::consts::PI * d_hat[j]).powf(n / 2.0)
                * (-sum2 / (2.0 * d_hat[j])).exp();
            if lh.is_nan() {
                lh = 0.0;
            }
            num_g += g_hat[j] * lh;
            num_d += d_hat[j] * lh;
            den += lh;
        }
        gs.push(num_g / den);
        ds.push(num_d / den);
    }
    (gs, ds)
}

impl CombatFit {
    /// Checks a fit read from a file before it is used: one entry per feature in every
    /// per-feature list, one row per batch, finite values, positive variances and scales.
    ///
    /// # Errors
    /// The first inconsistency, named.
    pub fn check(&self) -> StatsResult<()> {
        let g = self.grand_mean.len();
        let bad = |what: String| {
            Err(StatsError::InvalidArgument(format!(
                "harmonisation: {what}"
            )))
        };
        if self.batches.is_empty() {
            return bad("no batches".into());
        }
        if self.adjusted.len() != g || self.var_pooled.len() != g {
            return bad(format!(
                "{} grand means but {} adjusted flags and {} pooled variances",
                g,
                self.adjusted.len(),
                self.var_pooled.len()
            ));
        }
        if self.gamma_star.len() != self.batches.len()
            || self.delta_star.len() != self.batches.len()
        {
            return bad(format!(
                "{} batches but {} rows of gamma* and {} of delta*",
                self.batches.len(),
                self.gamma_star.len(),
                self.delta_star.len()
            ));
        }
        let rows = self
            .gamma_star
            .iter()
            .chain(&self.delta_star)
            .chain(&self.covariate_effects);
        if rows.clone().any(|r| r.len() != g) {
            return bad(format!(
                "a per-batch or covariate row does not have {g} features"
            ));
        }
        let finite = self
            .grand_mean
            .iter()
            .chain(rows.flatten())
            .all(|v| v.is_finite());
        if !finite {
            return bad("a value is not a finite number".into());
        }
        let positive = |v: &[f64]| v.iter().all(|x| x.is_finite() && *x > 0.0);
        if !positive(&self.var_pooled) || !self.delta_star.iter().all(|d| positive(d)) {
            return bad("pooled variances and delta* must be positive".into());
        }
        if let Some(r) = &self.reference {
            if !self.batches.contains(r) {
                return bad(format!("reference batch '{r}' is not one of the batches"));
            }
        }
        Ok(())
    }
}

/// Harmonises later patients (`data[patient][feature]`, their batches and covariates) with a
/// fitted adjustment: `((x − m)/√v − γ*)/√δ* · √v + m`, `m` the grand mean plus the
/// covariate effects. Patients of the reference batch are returned unchanged.
///
/// # Errors
/// A batch the fit has not seen, or mismatched lengths.
pub fn apply(
    fit: &CombatFit,
    data: &[Vec<f64>],
    batch: &[String],
    covariates: &[Vec<f64>],
) -> StatsResult<Vec<Vec<f64>>> {
    fit.check()?;
    if batch.len() != data.len() || covariates.iter().any(|c| c.len() != data.len()) {
        return Err(StatsError::InvalidArgument(
            "one batch label and one value of each covariate per patient".into(),
        ));
    }
    if covariates.len() != fit.covariate_effects.len() {
        return Err(StatsError::InvalidArgument(format!(
            "the harmonisation was fitted with {} covariate(s), not {}",
            fit.covariate_effects.len(),
            covariates.len()
        )));
    }
    let mut out = data.to_vec();
    for (i, row) in out.iter_mut().enumerate() {
        let b = fit
            .batches
            .iter()
            .position(|x| *x == batch[i])
            .ok_or_else(|| {
                StatsError::InvalidArgument(format!(
                    "batch '{}' was not seen when the harmonisation was fitted ({})",
                    batch[i],
                    fit.batches.join(", ")
                ))
            })?;
        if fit.reference.as_deref() == Some(batch[i].as_str()) {
            continue;
        }
        if row.len() != fit.grand_mean.len() {
            return Err(StatsError::InvalidArgument(format!(
                "{} features, the harmonisation has {}",
                row.len(),
                fit.grand_mean.len()
            )));
        }
        for (f, x) in row.iter_mut().enumerate() {
            if !fit.adjusted[f] {
                continue;
            }
            let m = fit.grand_mean[f]
                + fit
                    .covariate_effects
                    .iter()
                    .zip(covariates)
                    .map(|(e, c)| c[i] * e[f])
                    .sum::<f64>();
            let sd = fit.var_pooled[f].sqrt();
            let z = ((*x - m) / sd - fit.gamma_star[b][f]) / fit.delta_star[b][f].sqrt();
            *x = z * sd + m;
        }
    }
    Ok(out)
}
