//! Image preprocessing before feature extraction: normalisation, resampling, resegmentation,
//! cropping and grey-level discretisation, in PyRadiomics' order.

pub mod discretize;
pub mod normalize;
pub mod resample;
pub mod resegment;
