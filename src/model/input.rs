//! Validation of the inputs shared by the model and evaluation stages (outcome vectors,
//! predictions, predictors), so that every statistic rejects bad data with the same message.

use super::error::{StatsError, StatsResult};

/// Counts of the two outcome classes of a validated binary outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassCounts {
    /// Number of events (`y == 1`, "cases").
    pub events: usize,
    /// Number of non-events (`y == 0`, "controls").
    pub non_events: usize,
}

/// Checks that `y` is non-empty and every value is exactly 0 or 1, and counts the classes.
///
/// Both classes are *not* required here; see [`require_both_classes`].
pub fn check_binary(y: &[f64]) -> StatsResult<ClassCounts> {
    if y.is_empty() {
        return Err(StatsError::Empty("the outcome".into()));
    }
    let mut events = 0;
    for (index, &value) in y.iter().enumerate() {
        if value == 1.0 {
            events += 1;
        } else if value != 0.0 {
            return Err(StatsError::NonBinaryOutcome { index, value });
        }
    }
    Ok(ClassCounts {
        events,
        non_events: y.len() - events,
    })
}

/// Checks a binary outcome (as [`check_binary`]) and that both classes occur; `detail`
/// names the statistic that needs them, for the error message.
pub fn require_both_classes(y: &[f64], detail: &str) -> StatsResult<ClassCounts> {
    let counts = check_binary(y)?;
    if counts.events == 0 || counts.non_events == 0 {
        return Err(StatsError::OneClass {
            class: u8::from(counts.events > 0),
            n: y.len(),
            detail: detail.to_string(),
        });
    }
    Ok(counts)
}

/// Checks that `values` has one finite entry per patient; `what` names it in errors.
pub fn check_finite(values: &[f64], n: usize, what: &str) -> StatsResult<()> {
    if values.len() != n {
        return Err(StatsError::LengthMismatch {
            what: what.to_string(),
            expected: n,
            got: values.len(),
        });
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NonFinite {
            what: what.to_string(),
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Checks that `p` has one probability per patient, each in `[0, 1]` (or in `(0, 1)` when
/// `open` is true, as needed where `logit(p)` is taken).
pub fn check_probabilities(p: &[f64], n: usize, open: bool) -> StatsResult<()> {
    check_finite(p, n, "predicted probability")?;
    let (range, ok): (&'static str, fn(f64) -> bool) = if open {
        ("(0, 1)", |v| v > 0.0 && v < 1.0)
    } else {
        ("[0, 1]", |v| (0.0..=1.0).contains(&v))
    };
    match p.iter().position(|&v| !ok(v)) {
        Some(index) => Err(StatsError::InvalidProbability {
            index,
            value: p[index],
            range,
        }),
        None => Ok(()),
    }
}
