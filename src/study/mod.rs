//! The study pipeline on a feature table: fit the Radscore and the logistic models on the
//! training cohort ([`fit`]), validate them on every cohort and predict new patients
//! ([`validate`]). Clinical predictors are columns or threshold expressions ([`clinical`]),
//! given or selected from candidates ([`selection`]); the whole pipeline can be validated by
//! the bootstrap ([`pipeline_validation`]);
//! the table is any CSV with one row per patient ([`dataset`]).

pub mod clinical;
pub mod dataset;
pub mod figures;
pub mod fit;
pub mod harmonize;
pub mod outputs;
pub mod pipeline;
pub mod pipeline_validation;
pub mod selection;
pub mod table1;
pub mod validate;
