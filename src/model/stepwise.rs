//! Selection of logistic-regression predictors as a clinical prediction study reports it:
//! univariable models of each candidate, then the multivariable model of those that pass an
//! entry p-value, reduced by backward elimination on AIC exactly as R's
//! `step(glm(y ~ ., binomial), scope = list(lower = ~ kept), direction = "backward")`.
//!
//! **AIC** of a logistic model of 0/1 outcomes is `deviance + 2k` with `k` coefficients
//! (intercept included; Akaike 1974), R's `extractAIC` for a binomial `glm`.
//!
//! **Backward step** (R `step` → `drop1`): the current model's AIC is listed first
//! (`<none>`), then the AIC of the model without each droppable term, in the model's term
//! order; the smallest wins, ties going to the row listed first (R orders with the stable
//! `order`). The step stops when `<none>` wins or nothing is droppable. Checked against R in
//! `tests/selection_vs_r.rs`.

use super::error::StatsResult;
use super::logistic::{fit_logistic, LogisticFit, LogisticOptions};

/// AIC `deviance + 2k` of a fitted logistic model of 0/1 outcomes.
pub fn aic(fit: &LogisticFit) -> f64 {
    fit.deviance + 2.0 * fit.coefficients.len() as f64
}

/// One elimination step: the term removed and the AIC before and after.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    /// The term removed.
    pub removed: String,
    /// AIC of the model before the step.
    pub aic_before: f64,
    /// AIC of the model without the term.
    pub aic_after: f64,
}

/// The result of [`backward_aic`].
#[derive(Debug, Clone)]
pub struct Elimination {
    /// Indices (into the given predictors) of the terms kept, in their order.
    pub kept: Vec<usize>,
    /// The steps taken, in order.
    pub steps: Vec<Step>,
    /// AIC of the final model.
    pub aic: f64,
    /// The final model.
    pub fit: LogisticFit,
}

/// Backward elimination by AIC of the logistic model of `y` on `predictors` (one column per
/// term); the terms whose `forced` entry is true are never dropped (R's `lower` scope).
///
/// # Errors
/// Those of [`fit_logistic`] for the full model or any model tried (e.g. separation).
pub fn backward_aic(
    y: &[f64],
    predictors: &[(&str, &[f64])],
    forced: &[bool],
    options: &LogisticOptions,
) -> StatsResult<Elimination> {
    assert_eq!(predictors.len(), forced.len(), "one flag per predictor");
    let fit_of = |terms: &[usize]| {
        let cols: Vec<(&str, &[f64])> = terms.iter().map(|&t| predictors[t]).collect();
        fit_logistic(y, &cols, None, options)
    };
    let mut kept: Vec<usize> = (0..predictors.len()).collect();
    let mut fit = fit_of(&kept)?;
    let mut current = aic(&fit);
    let mut steps = Vec::new();
    loop {
        // (AIC, position in `kept`, fit) of the best row so far; `<none>` first.
        let mut best: Option<(f64, usize, LogisticFit)> = None;
        let mut best_aic = current;
        for (pos, &t) in kept.iter().enumerate() {
            if forced[t] {
                continue;
            }
            let without: Vec<usize> = kept.iter().copied().filter(|&k| k != t).collect();
            let f = fit_of(&without)?;
            let a = aic(&f);
            if a < best_aic {
                best_aic = a;
                best = Some((a, pos, f));
            }
        }
        let Some((a, pos, f)) = best else { break };
        steps.push(Step {
            removed: predictors[kept[pos]].0.to_string(),
            aic_before: current,
            aic_after: a,
        });
        kept.remove(pos);
        fit = f;
        current = a;
    }
    Ok(Elimination {
        kept,
        steps,
        aic: current,
        fit,
    })
}
