//! Input and output: NIfTI images, batch manifests, feature tables.

pub mod manifest;
pub mod nifti;
pub mod table;
