//! Feature computation: from preprocessed voxels, masks and matrices to named f64 values.

pub mod firstorder;
pub mod glcm;
pub mod gldm;
pub mod glrlm;
pub mod glszm;
pub mod ibsi;
pub mod ngtdm;
pub mod registry;
pub mod shape;
pub mod size_matrix;
pub mod small_eigen;
pub mod texture;
