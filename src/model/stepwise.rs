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
pub struct Elimination<T> {
    /// Indices (into the given terms) of the terms kept, in their order.
    pub kept: Vec<usize>,
    /// The steps taken, in order.
    pub steps: Vec<Step>,
    /// AIC of the final model.
    pub aic: f64,
    /// The final model.
    pub fit: T,
}

/// Backward elimination by AIC over the terms named `names`; `fit(terms)` fits the model of
/// the given term indices and returns its AIC and the fit. Terms whose `forced` entry is
/// true are never dropped (R's `lower` scope).
///
/// # Errors
/// Those of `fit` for the full model or any model tried.
pub fn backward<T, E>(
    names: &[&str],
    forced: &[bool],
    fit: impl Fn(&[usize]) -> Result<(f64, T), E>,
) -> Result<Elimination<T>, E> {
    assert_eq!(names.len(), forced.len(), "one flag per term");
    let mut kept: Vec<usize> = (0..names.len()).collect();
    let (mut current, mut model) = fit(&kept)?;
    let mut steps = Vec::new();
    loop {
        // (AIC, position in `kept`, fit) of the best row so far; `<none>` first.
        let mut best: Option<(f64, usize, T)> = None;
        let mut best_aic = current;
        for (pos, &t) in kept.iter().enumerate() {
            if forced[t] {
                continue;
            }
            let without: Vec<usize> = kept.iter().copied().filter(|&k| k != t).collect();
            let (a, f) = fit(&without)?;
            if a < best_aic {
                best_aic = a;
                best = Some((a, pos, f));
            }
        }
        let Some((a, pos, f)) = best else { break };
        steps.push(Step {
            removed: names[kept[pos]].to_string(),
            aic_before: current,
            aic_after: a,
        });
        kept.remove(pos);
        model = f;
        current = a;
    }
    Ok(Elimination {
        kept,
        steps,
        aic: current,
        fit: model,
    })
}

/// [`backward`] with maximum-likelihood logistic models of `y` on `predictors` (one column
/// per term), AIC `deviance + 2k`.
///
/// # Errors
/// Those of [`fit_logistic`] for the full model or any model tried (e.g. separation).
pub fn backward_aic(
    y: &[f64],
    predictors: &[(&str, &[f64])],
    forced: &[bool],
    options: &LogisticOptions,
) -> StatsResult<Elimination<LogisticFit>> {
    let names: Vec<&str> = predictors.iter().map(|p| p.0).collect();
    backward(&names, forced, |terms| {
        let cols: Vec<(&str, &[f64])> = terms.iter().map(|&t| predictors[t]).collect();
        let f = fit_logistic(y, &cols, None, options)?;
        Ok((aic(&f), f))
    })
}
