//! MetaImage images (`.mha` with the data after the header, `.mhd` with a separate data
//! file), read as ITK's `MetaImageIO` reads them for SimpleITK (format: Kitware's MetaIO,
//! <https://itk.org/Wiki/ITK/MetaIO/Documentation>).
//!
//! * Header: `Key = Value` lines up to `ElementDataFile`, which ends it: `LOCAL` (the voxels
//!   follow in the same file) or a file name relative to the header.
//! * Voxels: `NDims = 3`, `DimSize`, `ElementType` (`MET_CHAR` … `MET_ULONG_LONG`,
//!   `MET_FLOAT`, `MET_DOUBLE`; `MET_LONG`/`MET_ULONG` are 4 bytes, as MetaIO sizes them),
//!   one channel, `ElementByteOrderMSB` (or `BinaryDataByteOrderMSB`), `CompressedData`
//!   (a zlib stream), `HeaderSize` (bytes skipped in the data file; −1: the data are its
//!   last bytes).
//! * Geometry: `ElementSpacing` (else `ElementSize`, else 1), `Offset` (or `Position`,
//!   `Origin`) the centre of the first voxel in ITK's LPS world, `TransformMatrix` (or
//!   `Rotation`, `Orientation`) nine numbers whose consecutive triples are the directions of
//!   index axes x, y, z. `AnatomicalOrientation` is a label, ignored as ITK ignores it.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use nifti::NiftiType;

use super::nifti::Opened;
use crate::error::{Error, Result};
use crate::image::Geometry;

/// Longest header read.
const MAX_HEADER: u64 = 1 << 20;

fn bad(path: &Path, cause: impl Into<String>) -> Error {
    Error::Image {
        path: path.to_path_buf(),
        format: "MetaImage",
        cause: cause.into(),
    }
}

/// The fields of a MetaImage header gpurad uses.
#[derive(Debug)]
struct Header {
    datatype: NiftiType,
    size: [usize; 3],
    big_endian: bool,
    compressed: bool,
    geometry: Geometry,
    /// `None`: the data follow the header in the same file.
    data_file: Option<PathBuf>,
    header_size: i64,
}

fn element_type(value: &str) -> Option<NiftiType> {
    Some(match value {
        "MET_CHAR" => NiftiType::Int8,
        "MET_UCHAR" => NiftiType::Uint8,
        "MET_SHORT" => NiftiType::Int16,
        "MET_USHORT" => NiftiType::Uint16,
        "MET_INT" | "MET_LONG" => NiftiType::Int32,
        "MET_UINT" | "MET_ULONG" => NiftiType::Uint32,
        "MET_LONG_LONG" => NiftiType::Int64,
        "MET_ULONG_LONG" => NiftiType::Uint64,
        "MET_FLOAT" => NiftiType::Float32,
        "MET_DOUBLE" => NiftiType::Float64,
        _ => return None,
    })
}

/// `n` numbers of field `key`.
fn numbers(path: &Path, key: &str, value: &str, n: usize) -> Result<Vec<f64>> {
    let v: Vec<f64> = value
        .split_whitespace()
        .map(|t| t.parse::<f64>().unwrap_or(f64::NAN))
        .collect();
    if v.len() != n || v.iter().any(|x| !x.is_finite()) {
        return Err(bad(
            path,
            format!("'{key}' must be {n} finite numbers, got '{value}'"),
        ));
    }
    Ok(v)
}

/// Reads the header from `r` up to and including the `ElementDataFile` line.
fn header(path: &Path, r: &mut impl BufRead) -> Result<Header> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut total = 0u64;
    loop {
        let mut buf = Vec::new();
        let n = r
            .by_ref()
            .take(MAX_HEADER - total.min(MAX_HEADER))
            .read_until(b'\n', &mut buf)
            .map_err(|cause| Error::Io {
                path: path.to_path_buf(),
                cause,
            })?;
        total += n as u64;
        if n == 0 {
            return Err(bad(
                path,
                if fields.is_empty() {
                    "the file is empty".to_string()
                } else {
                    "the header ends without 'ElementDataFile'".to_string()
                },
            ));
        }
        if total >= MAX_HEADER && !buf.ends_with(b"\n") {
            return Err(bad(
                path,
                format!("the header is longer than {MAX_HEADER} bytes"),
            ));
        }
        let line = String::from_utf8_lossy(&buf).trim().to_string();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| bad(path, format!("header line '{line}' is not 'Key = Value'")))?;
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        let last = k == "ElementDataFile";
        fields.push((k, v));
        if last {
            break;
        }
    }
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
    let any = |keys: &[&str]| keys.iter().find_map(|k| get(k));
    let need = |k: &str| get(k).ok_or_else(|| bad(path, format!("the header has no '{k}'")));
    if let Some(t) = get("ObjectType") {
        if t != "Image" {
            return Err(bad(path, format!("ObjectType '{t}' is not an image")));
        }
    }
    let ndims = need("NDims")?;
    if ndims != "3" {
        return Err(bad(
            path,
            format!("NDims {ndims}: gpurad reads 3D scalar images"),
        ));
    }
    if let Some(c) = get("ElementNumberOfChannels") {
        if c != "1" {
            return Err(bad(
                path,
                format!("{c} channels: gpurad reads scalar images"),
            ));
        }
    }
    let dims = numbers(path, "DimSize", need("DimSize")?, 3)?;
    if dims.iter().any(|d| *d < 1.0 || d.fract() != 0.0) {
        return Err(bad(path, "'DimSize' must be 3 positive whole numbers"));
    }
    let size = [dims[0] as usize, dims[1] as usize, dims[2] as usize];
    let t = need("ElementType")?;
    let datatype =
        element_type(t).ok_or_else(|| bad(path, format!("unsupported ElementType '{t}'")))?;
    let msb = any(&["ElementByteOrderMSB", "BinaryDataByteOrderMSB"]);
    let big_endian = matches!(msb.map(str::to_ascii_lowercase).as_deref(), Some("true"));
    let compressed = matches!(
        get("CompressedData")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("true")
    );
    let spacing = match any(&["ElementSpacing", "ElementSize"]) {
        Some(v) => {
            let s = numbers(path, "ElementSpacing", v, 3)?;
            if s.iter().any(|x| *x <= 0.0) {
                return Err(bad(
                    path,
                    format!("'ElementSpacing' must be positive, got '{v}'"),
                ));
            }
            [s[0], s[1], s[2]]
        }
        None => [1.0; 3],
    };
    let mut geometry = Geometry::with_spacing(size, spacing);
    if let Some(v) = any(&["Offset", "Position", "Origin"]) {
        let o = numbers(path, "Offset", v, 3)?;
        geometry.origin = [o[0], o[1], o[2]];
    }
    if let Some(v) = any(&["TransformMatrix", "Rotation", "Orientation"]) {
        let m = numbers(path, "TransformMatrix", v, 9)?;
        for axis in 0..3 {
            for i in 0..3 {
                geometry.direction[i][axis] = m[axis * 3 + i];
            }
        }
        for a in 0..3 {
            for b in a..3 {
                let dot: f64 = (0..3)
                    .map(|i| geometry.direction[i][a] * geometry.direction[i][b])
                    .sum();
                let want = if a == b { 1.0 } else { 0.0 };
                if (dot - want).abs() > 1e-3 {
                    return Err(bad(
                        path,
                        format!("'TransformMatrix' axes {a} and {b} are not orthonormal: the directions must be a rotation"),
                    ));
                }
            }
        }
    }
    let data_file = match need("ElementDataFile")? {
        "LOCAL" | "Local" | "local" => None,
        f if f.starts_with("LIST") || f.contains('%') => {
            return Err(bad(
                path,
                format!("ElementDataFile '{f}': only LOCAL or a single data file is supported"),
            ))
        }
        f => Some(
            path.parent()
                .map_or_else(|| PathBuf::from(f), |d| d.join(f)),
        ),
    };
    let header_size = match get("HeaderSize") {
        None => 0,
        Some(v) => v.parse::<i64>().ok().filter(|h| *h >= -1).ok_or_else(|| {
            bad(
                path,
                format!("'HeaderSize' must be a whole number ≥ −1, got '{v}'"),
            )
        })?,
    };
    if header_size == -1 && compressed {
        return Err(bad(
            path,
            "'HeaderSize = -1' is not defined for compressed data",
        ));
    }
    Ok(Header {
        datatype,
        size,
        big_endian,
        compressed,
        geometry,
        data_file,
        header_size,
    })
}

/// Reads exactly `need` voxel bytes from `r`.
fn read_data(path: &Path, mut r: impl Read, h: &Header, need: usize) -> Result<Vec<u8>> {
    let io = |cause: std::io::Error| super::voxel_data::read_error(path, "MetaImage", cause);
    let short = |got: usize| {
        bad(
            path,
            format!(
                "the data holds {got} bytes, but DimSize {:?} of {} bytes needs {need}",
                h.size,
                h.datatype.size_of()
            ),
        )
    };
    if !h.compressed {
        return super::voxel_data::read_raw(path, "MetaImage", r, h.header_size, need, short);
    }
    std::io::copy(
        &mut r.by_ref().take(h.header_size as u64),
        &mut std::io::sink(),
    )
    .map_err(io)?;
    let mut data = Vec::with_capacity(need);
    let mut z = flate2::read::ZlibDecoder::new(r);
    z.by_ref()
        .take(need as u64 + 1)
        .read_to_end(&mut data)
        .map_err(io)?;
    if data.len() > need {
        return Err(bad(
            path,
            format!(
                "the compressed data hold more than the {need} bytes DimSize {:?} describes",
                h.size
            ),
        ));
    }
    if data.len() < need {
        return Err(short(data.len()));
    }
    Ok(data)
}

fn open_header(path: &Path) -> Result<(Header, BufReader<std::fs::File>)> {
    let (file, _) = crate::limits::open_regular(path, "MetaImage image")?;
    let mut r = BufReader::new(file);
    let h = header(path, &mut r)?;
    Ok((h, r))
}

/// The voxel grid of a MetaImage file from its header alone.
pub fn read_geometry(path: &Path) -> Result<Geometry> {
    Ok(open_header(path)?.0.geometry)
}

/// Reads and checks a MetaImage (header and voxel data), without decoding the voxels.
pub fn open(path: &Path) -> Result<Opened<'static>> {
    let (h, r) = open_header(path)?;
    let need = super::voxel_data::checked_bytes(path, h.size, h.datatype.size_of())?;
    let bytes = match &h.data_file {
        None => read_data(path, r, &h, need)?,
        Some(file) => read_data(
            file,
            super::voxel_data::open_data_file(path, file, "MetaImage")?,
            &h,
            need,
        )?,
    };
    Ok(Opened::from_parts(
        bytes.into(),
        h.datatype,
        h.big_endian,
        h.geometry,
    ))
}
