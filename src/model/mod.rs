//! Prediction-model fitting: the statistics that turn a feature table into a clinical
//! prediction model, validated against R (`glm`, see `tests/stats_vs_r.rs`).
//!
//! * [`logistic`]: binary logistic regression by IRLS (R's `glm(family = binomial)`).
//! * [`error`]: the [`StatsError`] shared with [`crate::evaluate`].
//! * [`input`]: validation of outcomes, predictions and predictors.
//! * [`distributions`]: normal and chi-square tails used for p-values and CIs.
//! * [`bootstrap`]: internal validation by the bootstrap (R's `rms::validate`).
//! * [`combat`]: ComBat harmonisation across batches (R's `sva::ComBat`).
//! * [`firth`]: Firth's penalised logistic regression (R's `logistf`), for separated data.
//! * [`stepwise`]: backward elimination of predictors by AIC (R's `step`).
//! * [`two_group`]: the two-group tests of a baseline table (R's `wilcox.test`,
//!   `chisq.test`, `fisher.test`) and type-7 quantiles.

pub mod bootstrap;
pub mod combat;
pub mod distributions;
pub mod error;
pub mod filter;
pub mod firth;
pub mod icc;
pub mod input;
pub mod lasso;
pub mod logistic;
pub mod lowess;
pub mod nomogram;
pub mod standardize;
pub mod stepwise;
pub mod two_group;

pub use error::{StatsError, StatsResult};
pub use logistic::{fit_logistic, Coefficient, LogisticFit, LogisticOptions};
