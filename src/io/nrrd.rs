//! NRRD images (`.nrrd` with attached data, `.nhdr` with a detached data file), read as
//! ITK's `NrrdImageIO` reads them for SimpleITK, so that an image gives the same world
//! geometry and voxel values as its NIfTI conversion (format: Teem's "NRRD format",
//! <http://teem.sourceforge.net/nrrd/format.html>).
//!
//! * Header: the magic `NRRD000n`, then `field: value` lines (field names case-insensitive),
//!   `#` comments and `key:=value` pairs (ignored), up to an empty line or the end of a
//!   detached header.
//! * Voxels: `type` (every scalar type: int8 … uint64, float, double), `dimension: 3`,
//!   `sizes`, `endian`, `encoding` raw, gzip or ascii, `byte skip` and `line skip`, `data
//!   file` relative to the header.
//! * Geometry: `space directions` give each index axis's step in world coordinates (its
//!   length the spacing, its direction the cosines), `space origin` the centre of the first
//!   voxel; `space` left-posterior-superior (ITK's LPS, as gpurad's [`Geometry`]) or
//!   right-anterior-superior / left-anterior-superior, whose x (and y) are negated into LPS.
//!   Without `space directions`, `spacings` (default 1) and the identity.
//!
//! Sizes are checked against the memory budget before any voxel is read; a file shorter
//! than its header says, or a gzip stream longer, is an error naming the file.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use nifti::NiftiType;

use super::nifti::Opened;
use crate::error::{Error, Result};
use crate::image::Geometry;

/// Longest header read (a header is a few hundred bytes; comments may add some).
const MAX_HEADER: u64 = 1 << 20;

fn bad(path: &Path, cause: impl Into<String>) -> Error {
    Error::Image {
        path: path.to_path_buf(),
        format: "NRRD",
        cause: cause.into(),
    }
}

/// How the voxel bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Raw,
    Gzip,
    Ascii,
}

/// The fields of a NRRD header gpurad uses.
#[derive(Debug)]
struct Header {
    datatype: NiftiType,
    size: [usize; 3],
    big_endian: bool,
    encoding: Encoding,
    /// Step of each index axis in LPS world coordinates, when given.
    directions: Option<[[f64; 3]; 3]>,
    spacings: Option<[f64; 3]>,
    origin: [f64; 3],
    data_file: Option<PathBuf>,
    line_skip: usize,
    byte_skip: i64,
}

/// The scalar type of a NRRD `type` value (every spelling the format allows).
fn scalar_type(value: &str) -> Option<NiftiType> {
    Some(match value {
        "signed char" | "int8" | "int8_t" => NiftiType::Int8,
        "uchar" | "unsigned char" | "uint8" | "uint8_t" => NiftiType::Uint8,
        "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => {
            NiftiType::Int16
        }
        "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => {
            NiftiType::Uint16
        }
        "int" | "signed int" | "int32" | "int32_t" => NiftiType::Int32,
        "uint" | "unsigned int" | "uint32" | "uint32_t" => NiftiType::Uint32,
        "longlong"
        | "long long"
        | "long long int"
        | "signed long long"
        | "signed long long int"
        | "int64"
        | "int64_t" => NiftiType::Int64,
        "ulonglong" | "unsigned long long" | "unsigned long long int" | "uint64" | "uint64_t" => {
            NiftiType::Uint64
        }
        "float" => NiftiType::Float32,
        "double" => NiftiType::Float64,
        _ => return None,
    })
}

/// Parses `(a,b,c)`.
fn vector(path: &Path, field: &str, text: &str) -> Result<[f64; 3]> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| bad(path, format!("'{field}': expected (x,y,z), got '{text}'")))?;
    let v: Vec<f64> = inner
        .split(',')
        .map(|c| c.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| bad(path, format!("'{field}': '{text}' is not three numbers")))?;
    match v[..] {
        [a, b, c] if v.iter().all(|x| x.is_finite()) => Ok([a, b, c]),
        _ => Err(bad(
            path,
            format!("'{field}': '{text}' is not three finite numbers"),
        )),
    }
}

/// Reads header lines from `r` up to an empty line or the end; the first must be the magic.
fn header_lines(path: &Path, r: &mut impl BufRead) -> Result<Vec<String>> {
    let mut lines = Vec::new();
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
            break;
        }
        if total >= MAX_HEADER && !buf.ends_with(b"\n") {
            return Err(bad(
                path,
                format!("the header is longer than {MAX_HEADER} bytes"),
            ));
        }
        let line = String::from_utf8_lossy(&buf)
            .trim_end_matches(['\n', '\r'])
            .to_string();
        if lines.is_empty() {
            if !line.starts_with("NRRD000") {
                return Err(bad(
                    path,
                    "the file does not start with the NRRD magic (NRRD000n)",
                ));
            }
        } else if line.is_empty() {
            break;
        }
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(bad(path, "the file is empty"));
    }
    Ok(lines)
}

fn parse_header(path: &Path, lines: &[String]) -> Result<Header> {
    let mut fields = std::collections::HashMap::new();
    for line in &lines[1..] {
        if line.starts_with('#') || line.contains(":=") {
            continue;
        }
        let (k, v) = line
            .split_once(": ")
            .ok_or_else(|| bad(path, format!("header line '{line}' is not 'field: value'")))?;
        fields.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let get = |k: &str| fields.get(k).map(String::as_str);
    let need = |k: &str| get(k).ok_or_else(|| bad(path, format!("the header has no '{k}'")));
    let datatype = scalar_type(need("type")?).ok_or_else(|| {
        bad(
            path,
            format!("unsupported type '{}'", need("type").unwrap_or("")),
        )
    })?;
    let dimension: usize = need("dimension")?
        .parse()
        .map_err(|_| bad(path, "'dimension' is not a whole number"))?;
    if dimension != 3 {
        return Err(bad(
            path,
            format!("dimension {dimension}: gpurad reads 3D scalar images"),
        ));
    }
    let sizes: Vec<usize> = need("sizes")?
        .split_whitespace()
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| bad(path, "'sizes' are not whole numbers"))?;
    let size: [usize; 3] = match sizes[..] {
        [a, b, c] if a > 0 && b > 0 && c > 0 => [a, b, c],
        _ => {
            return Err(bad(
                path,
                format!("'sizes' must be 3 positive numbers, got {sizes:?}"),
            ))
        }
    };
    let element = datatype.size_of();
    let big_endian = match get("endian") {
        Some("big") => true,
        Some("little") => false,
        None if element == 1 => false,
        None => {
            if matches!(get("encoding"), Some("ascii" | "text" | "txt")) {
                false
            } else {
                return Err(bad(
                    path,
                    "the header has no 'endian' for a multi-byte type",
                ));
            }
        }
        Some(other) => return Err(bad(path, format!("unknown endian '{other}'"))),
    };
    let encoding = match need("encoding")? {
        "raw" => Encoding::Raw,
        "gzip" | "gz" => Encoding::Gzip,
        "ascii" | "text" | "txt" => Encoding::Ascii,
        other => {
            return Err(bad(
                path,
                format!("encoding '{other}' is not supported (raw, gzip or ascii)"),
            ))
        }
    };
    // Which world space the vectors are in, and the signs that take them to LPS.
    let flip = match get("space").map(str::to_ascii_lowercase).as_deref() {
        None | Some("left-posterior-superior" | "lps") => [1.0, 1.0, 1.0],
        Some("right-anterior-superior" | "ras") => [-1.0, -1.0, 1.0],
        Some("left-anterior-superior" | "las") => [1.0, -1.0, 1.0],
        Some(other) => {
            return Err(bad(
                path,
                format!("space '{other}' is not supported (left-posterior-superior, right-anterior-superior or left-anterior-superior)"),
            ))
        }
    };
    let directions = match get("space directions") {
        None => None,
        Some(text) => {
            let parts: Vec<&str> = text.split_whitespace().collect();
            if parts.len() != 3 || parts.contains(&"none") {
                return Err(bad(
                    path,
                    format!("'space directions' must give 3 vectors for the 3 spatial axes, got '{text}'"),
                ));
            }
            let mut d = [[0.0; 3]; 3];
            for (step, p) in d.iter_mut().zip(&parts) {
                let v = vector(path, "space directions", p)?;
                *step = [flip[0] * v[0], flip[1] * v[1], flip[2] * v[2]];
            }
            Some(d)
        }
    };
    let spacings = match get("spacings") {
        None => None,
        Some(text) => {
            let v: Vec<f64> = text
                .split_whitespace()
                .map(|s| s.parse::<f64>().unwrap_or(f64::NAN))
                .collect();
            match v[..] {
                [a, b, c] if v.iter().all(|x| x.is_finite() && *x > 0.0) => Some([a, b, c]),
                _ => {
                    return Err(bad(
                        path,
                        format!("'spacings' must be 3 positive numbers, got '{text}'"),
                    ))
                }
            }
        }
    };
    let origin = match get("space origin") {
        None => [0.0; 3],
        Some(text) => {
            let v = vector(path, "space origin", text)?;
            [flip[0] * v[0], flip[1] * v[1], flip[2] * v[2]]
        }
    };
    let data_file = match get("data file").or(get("datafile")) {
        None => None,
        Some(f) if f.starts_with("LIST") || f.split_whitespace().count() > 1 => {
            return Err(bad(
                path,
                format!("data file '{f}': only a single data file is supported"),
            ))
        }
        Some(f) => Some(
            path.parent()
                .map_or_else(|| PathBuf::from(f), |d| d.join(f)),
        ),
    };
    let number = |k: &str| -> Result<i64> {
        get(k).map_or(Ok(0), |v| {
            v.parse::<i64>()
                .map_err(|_| bad(path, format!("'{k}' is not a whole number")))
        })
    };
    let line_skip = number("line skip")?;
    let byte_skip = number("byte skip")?;
    if line_skip < 0 || byte_skip < -1 {
        return Err(bad(path, "'line skip' must be ≥ 0 and 'byte skip' ≥ −1"));
    }
    if byte_skip == -1 && encoding != Encoding::Raw {
        return Err(bad(
            path,
            "'byte skip: -1' is only defined for raw encoding",
        ));
    }
    Ok(Header {
        datatype,
        size,
        big_endian,
        encoding,
        directions,
        spacings,
        origin,
        data_file,
        line_skip: line_skip as usize,
        byte_skip,
    })
}

impl Header {
    /// The voxel grid, as ITK derives it: spacing the length of each axis's step (its
    /// largest component for an axis-aligned step, bit for bit), direction the unit step.
    fn geometry(&self, path: &Path) -> Result<Geometry> {
        let mut g = Geometry::with_spacing(self.size, self.spacings.unwrap_or([1.0; 3]));
        g.origin = self.origin;
        if let Some(d) = self.directions {
            for (j, step) in d.iter().enumerate() {
                let norm = step.iter().map(|v| v * v).sum::<f64>().sqrt();
                if !(norm.is_finite() && norm > 0.0) {
                    return Err(bad(
                        path,
                        format!("space direction {j} has zero or invalid length"),
                    ));
                }
                let axis_aligned = step.iter().filter(|v| **v != 0.0).count() == 1;
                g.spacing[j] = if axis_aligned {
                    step.iter().map(|v| v.abs()).fold(0.0, f64::max)
                } else {
                    norm
                };
                for (row, &v) in g.direction.iter_mut().zip(step) {
                    row[j] = v / g.spacing[j];
                }
            }
            for a in 0..3 {
                for b in a..3 {
                    let dot: f64 = (0..3).map(|i| g.direction[i][a] * g.direction[i][b]).sum();
                    let want = if a == b { 1.0 } else { 0.0 };
                    if (dot - want).abs() > 1e-3 {
                        return Err(bad(
                            path,
                            format!("space directions {a} and {b} are not orthogonal: the grid must be a rotation with scaling"),
                        ));
                    }
                }
            }
        }
        Ok(g)
    }
}

/// Reads exactly `need` voxel bytes from `r` (after the header) as `h` stores them.
fn read_data(path: &Path, mut r: impl BufRead, h: &Header, need: usize) -> Result<Vec<u8>> {
    let io = |cause: std::io::Error| super::voxel_data::read_error(path, "NRRD", cause);
    for _ in 0..h.line_skip {
        let mut line = Vec::new();
        r.by_ref()
            .take(MAX_HEADER)
            .read_until(b'\n', &mut line)
            .map_err(io)?;
    }
    let short = |got: usize| {
        bad(
            path,
            format!(
                "the data holds {got} bytes, but sizes {:?} of {} bytes need {need}",
                h.size,
                h.datatype.size_of()
            ),
        )
    };
    match h.encoding {
        Encoding::Raw => super::voxel_data::read_raw(path, "NRRD", r, h.byte_skip, need, short),
        Encoding::Gzip => {
            let mut z = flate2::read::MultiGzDecoder::new(r);
            std::io::copy(
                &mut z.by_ref().take(h.byte_skip as u64),
                &mut std::io::sink(),
            )
            .map_err(io)?;
            let mut data = Vec::with_capacity(need);
            z.by_ref()
                .take(need as u64 + 1)
                .read_to_end(&mut data)
                .map_err(io)?;
            if data.len() < need {
                return Err(short(data.len()));
            }
            if data.len() > need {
                return Err(bad(
                    path,
                    format!("the compressed data hold more than the {need} bytes that sizes {:?} describe", h.size),
                ));
            }
            Ok(data)
        }
        Encoding::Ascii => {
            let n = need / h.datatype.size_of();
            // A number takes at most a few dozen characters.
            let mut text = String::new();
            r.take((n as u64 + 1) * 64)
                .read_to_string(&mut text)
                .map_err(|_| bad(path, "the ascii data is not text"))?;
            let mut data = Vec::with_capacity(need);
            let mut count = 0usize;
            for token in text
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|t| !t.is_empty())
            {
                if count == n {
                    return Err(bad(
                        path,
                        format!(
                            "the ascii data hold more than the {n} values that sizes {:?} describe",
                            h.size
                        ),
                    ));
                }
                let v: f64 = token.parse().map_err(|_| {
                    bad(
                        path,
                        format!("ascii value {count} ('{token}') is not a number"),
                    )
                })?;
                push_value(&mut data, h.datatype, v);
                count += 1;
            }
            if count < n {
                return Err(bad(
                    path,
                    format!(
                        "the ascii data hold {count} values, sizes {:?} need {n}",
                        h.size
                    ),
                ));
            }
            Ok(data)
        }
    }
}

/// Appends `v` as a little-endian value of `t`.
fn push_value(out: &mut Vec<u8>, t: NiftiType, v: f64) {
    match t {
        NiftiType::Int8 => out.extend((v as i8).to_le_bytes()),
        NiftiType::Uint8 => out.extend((v as u8).to_le_bytes()),
        NiftiType::Int16 => out.extend((v as i16).to_le_bytes()),
        NiftiType::Uint16 => out.extend((v as u16).to_le_bytes()),
        NiftiType::Int32 => out.extend((v as i32).to_le_bytes()),
        NiftiType::Uint32 => out.extend((v as u32).to_le_bytes()),
        NiftiType::Int64 => out.extend((v as i64).to_le_bytes()),
        NiftiType::Uint64 => out.extend((v as u64).to_le_bytes()),
        NiftiType::Float32 => out.extend((v as f32).to_le_bytes()),
        _ => out.extend(v.to_le_bytes()),
    }
}

/// Reads and checks a header (and, for a detached header, nothing else).
fn header(path: &Path) -> Result<(Header, BufReader<std::fs::File>)> {
    let (file, _) = crate::limits::open_regular(path, "NRRD image")?;
    let mut r = BufReader::new(file);
    let lines = header_lines(path, &mut r)?;
    Ok((parse_header(path, &lines)?, r))
}

/// The voxel grid of a NRRD file from its header alone.
pub fn read_geometry(path: &Path) -> Result<Geometry> {
    header(path)?.0.geometry(path)
}

/// Reads and checks a NRRD image (header and voxel data), without decoding the voxels.
pub fn open(path: &Path) -> Result<Opened<'static>> {
    let (h, r) = header(path)?;
    let geometry = h.geometry(path)?;
    let need = super::voxel_data::checked_bytes(path, h.size, h.datatype.size_of())?;
    let bytes = match &h.data_file {
        None => read_data(path, r, &h, need)?,
        Some(file) => read_data(
            file,
            super::voxel_data::open_data_file(path, file, "NRRD")?,
            &h,
            need,
        )?,
    };
    // Ascii values are stored little-endian whatever the header says.
    let big_endian = h.big_endian && h.encoding != Encoding::Ascii;
    Ok(Opened::from_parts(
        bytes.into(),
        h.datatype,
        big_endian,
        geometry,
    ))
}
