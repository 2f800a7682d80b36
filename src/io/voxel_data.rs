//! What the readers of formats with a text header (NRRD, MetaImage) share: the voxel data's
//! size checked against the memory budget before it is read, a detached data file opened
//! with errors that name the header, and read errors that tell corrupt compressed data from
//! a failing disk.

use std::io::BufReader;
use std::path::Path;

use crate::error::{Error, Result};

/// Bytes of `size` voxels of `element` bytes, checked against the memory budget.
pub fn checked_bytes(path: &Path, size: [usize; 3], element: usize) -> Result<usize> {
    let need = crate::limits::product(&[
        size[0] as u128,
        size[1] as u128,
        size[2] as u128,
        element as u128,
    ]);
    crate::limits::check(
        || {
            format!(
                "the voxels of '{}' ({size:?} × {element} bytes)",
                path.display()
            )
        },
        need,
        "raise --max-memory for an image this large",
    )?;
    Ok(need as usize)
}

/// Opens the data file `file` of the header `header` (a `format` image).
pub fn open_data_file(
    header: &Path,
    file: &Path,
    format: &'static str,
) -> Result<BufReader<std::fs::File>> {
    let (f, _) = crate::limits::open_regular(file, "data file").map_err(|e| Error::Image {
        path: header.to_path_buf(),
        format,
        cause: format!("its data file: {e}"),
    })?;
    Ok(BufReader::new(f))
}

/// A failure reading the voxel data of `path`: corrupt compressed data, or the system's error.
pub fn read_error(path: &Path, format: &'static str, cause: std::io::Error) -> Error {
    if matches!(
        cause.kind(),
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
    ) {
        Error::Image {
            path: path.to_path_buf(),
            format,
            cause: format!("the compressed data is corrupt: {cause}"),
        }
    } else {
        Error::Io {
            path: path.to_path_buf(),
            cause,
        }
    }
}
