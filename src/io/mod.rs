//! Input and output: NIfTI images, batch manifests, feature tables.

pub mod dicom;
pub mod image_file;
pub mod manifest;
pub mod matrix_dump;
pub mod memory_image;
pub mod metaimage;
pub mod nifti;
pub mod nifti_write;
pub mod nrrd;
pub mod output;
pub mod table;
pub mod voxel_data;
