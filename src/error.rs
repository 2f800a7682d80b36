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
    /// A file exists but is not a valid image of its format (NRRD, …).
    #[error("'{path}' is not a readable {format} image: {cause}")]
    Image {
        /// The file that failed.
        path: PathBuf,
        /// The format it was read as.
        format: &'static str,
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
    /// Image values that the extraction uses are not finite: inside the ROI always, anywhere
    /// in the image when whole-image statistics (`normalize`) or interpolation (resampling)
    /// read them.
    #[error("image '{image}' has {count} non-finite (NaN or infinite) voxel(s) {region}, first at voxel index {first:?}")]
    NonFinite {
        /// The image file.
        image: PathBuf,
        /// How many voxels of `region` are NaN or infinite.
        count: usize,
        /// Index (x, y, z) of the first one.
        first: [usize; 3],
        /// Where they are and why that matters ("inside the ROI", …).
        region: String,
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
    /// A feature table given to `fit`, `validate` or `predict` is malformed.
    #[error("invalid table '{path}': {detail}")]
    Table {
        /// The table file.
        path: PathBuf,
        /// What is wrong (column, rows, cause).
        detail: String,
    },
    /// A cohort output (an `extract --manifest` result being resumed, or a shard being
    /// merged) cannot be used.
    #[error("cohort output '{path}': {detail}")]
    CohortOutput {
        /// The output or shard file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A model file (`model.json`) is not a usable gpurad model.
    #[error("invalid model file '{path}': {detail}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// Which field is wrong and why.
        detail: String,
    },
    /// An input file cannot be used as given (not a regular file, too large, not text).
    #[error("cannot use '{path}': {detail}")]
    Input {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// A computation would need more memory than the budget allows; nothing was allocated.
    #[error(
        "{what} would need {}, above the memory budget of {}{} (--max-memory); {hint}",
        human(*needed),
        human(*budget),
        if *workers > 1 { format!(" per case ({workers} cases at once)") } else { String::new() }
    )]
    Resource {
        /// What would be allocated, naming the setting or field that asks for it.
        what: String,
        /// Bytes it would need.
        needed: u128,
        /// Bytes one case may use.
        budget: u128,
        /// Cases sharing the budget.
        workers: usize,
        /// How to stay within the budget.
        hint: String,
    },
    /// One sequence of a multi-sequence case failed; names the sequence.
    #[error("{sequence}: {source}")]
    Sequence {
        /// The sequence name (the `<SEQ>` of the manifest's `Image_<SEQ>` column).
        sequence: String,
        /// What went wrong with it.
        source: Box<Error>,
    },
    /// The system refused memory that the budget allows (a tight resource limit, or memory
    /// used by other programs).
    #[error(
        "{what} would need {}, which the system refused to allocate; free memory or lower --max-memory so that gpurad refuses such sizes itself",
        human(*needed)
    )]
    OutOfMemory {
        /// What would be allocated.
        what: String,
        /// Bytes asked for.
        needed: u128,
    },
    /// A computation could not be carried out on otherwise valid input.
    #[error("{0}")]
    Compute(String),
}

/// Result type of the library.
pub type Result<T> = std::result::Result<T, Error>;

/// A byte count in binary units (`1.5 GiB`).
pub fn human(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
