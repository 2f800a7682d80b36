//! Evaluation of a clinical prediction model, matching R (pROC, ResourceSelection, glm):
//! discrimination ([`roc`]), operating points ([`threshold`]), goodness of fit
//! ([`hosmer_lemeshow`]), calibration ([`calibration`]), clinical usefulness
//! ([`decision_curve`]) and exact intervals of the operating point's proportions
//! ([`proportion`]). Errors are [`crate::model::StatsError`].

pub mod calibration;
pub mod decision_curve;
pub mod hosmer_lemeshow;
pub mod proportion;
pub mod roc;
pub mod threshold;
