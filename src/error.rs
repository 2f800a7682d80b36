//! Error type shared by the library: every failure names the file or setting and the cause.

use std::path::PathBuf;

/// Everything that can go wrong while reading a case or computing its features.
///
/// Messages are written for the user of the command-line tool: they name the file (or the
/// setting) and say what is wrong with it, so that a failed row in a batch output explains
/// itself.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened or read.
    #[error("cannot read '{path}': {cause}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The operating system's reason.
        cause: std::io::Error,
    },
    /// A file or folder could not be created or written.
    #[error("cannot write '{path}': {cause}")]
    Write {
        /// The file or folder that failed.
        path: PathBuf,
        /// The operating system's reason.
        cause: std::io::Error,
    },
    /// A file exists but is not a valid NIfTI image.
    #[error("'{path}' is not a readable NIfTI image: {cause}")]
    Nifti {
        /// The file that failed.
        path: PathBuf,
        /// What is wrong with it.
        cause: String,
    },
    /// Image and mask do not describe the same voxel grid.
    #[error("image '{image}' and mask '{mask}' do not match: {detail}")]
    Geometry {
        /// The image file.
        image: PathBuf,
        /// The mask file.
        mask: PathBuf,
        /// Which property differs and by how much.
        detail: String,
    },
    /// The region of interest cannot be used for feature extraction.
    #[error("invalid region of interest in mask '{mask}': {detail}")]
    Roi {
        /// The mask file.
        mask: PathBuf,
        /// Why the ROI is unusable.
        detail: String,
    },
    /// Image values inside the ROI are not finite.
    #[error("image '{image}' has {count} non-finite (NaN or infinite) voxel(s) inside the ROI, first at voxel index {first:?}")]
    NonFinite {
        /// The image file.
        image: PathBuf,
        /// How many ROI voxels are NaN or infinite.
        count: usize,
        /// Index (x, y, z) of the first one.
        first: [usize; 3],
    },
    /// A parameter file or a setting is invalid.
    #[error("invalid settings: {0}")]
    Settings(String),
    /// A batch manifest is malformed.
    #[error("invalid manifest '{path}': {detail}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// One sequence of a multi-sequence case failed; names the sequence.
    #[error("{sequence}: {source}")]
    Sequence {
        /// The sequence name (the `<SEQ>` of the manifest's `Image_<SEQ>` column).
        sequence: String,
        /// What went wrong with it.
        source: Box<Error>,
    },
    /// A computation could not be carried out on otherwise valid input.
    #[error("{0}")]
    Compute(String),
}

/// Result type of the library.
pub type Result<T> = std::result::Result<T, Error>;
