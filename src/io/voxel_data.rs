//! What the readers of formats with a text header (NRRD, MetaImage) share: the voxel data's
//! size checked against the memory budget before it is read, a detached data file opened
//! with errors that name the header, and read errors that tell corrupt compressed data from
//! a failing disk.

use std::io::{BufReader, Read};
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

/// Reads `need` uncompressed voxel bytes from `r`: after skipping `skip` bytes, or with
/// `skip` −1 the stream's last `need` bytes (NRRD's `byte skip`, MetaImage's `HeaderSize`).
/// `short(got)` is the error when the stream holds fewer.
pub fn read_raw(
    path: &Path,
    format: &'static str,
    mut r: impl Read,
    skip: i64,
    need: usize,
    short: impl Fn(usize) -> Error,
) -> Result<Vec<u8>> {
    let io = |cause| read_error(path, format, cause);
    if skip == -1 {
        let mut all = Vec::new();
        r.read_to_end(&mut all).map_err(io)?;
        if all.len() < need {
            return Err(short(all.len()));
        }
        return Ok(all.split_off(all.len() - need));
    }
    std::io::copy(
        &mut r.by_ref().take(skip.max(0) as u64),
        &mut std::io::sink(),
    )
    .map_err(io)?;
    let mut data = Vec::with_capacity(need);
    r.take(need as u64).read_to_end(&mut data).map_err(io)?;
    if data.len() < need {
        return Err(short(data.len()));
    }
    Ok(data)
}
