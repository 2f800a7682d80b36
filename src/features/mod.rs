//! Feature computation: from preprocessed voxels, masks and matrices to named f64 values.

pub mod firstorder;
pub mod registry;
pub mod shape;
