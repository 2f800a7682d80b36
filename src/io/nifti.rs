//! NIfTI-1 and NIfTI-2 reading (`.nii`, `.nii.gz`) into [`Volume`]s and label [`Mask`]s.
//!
//! Gzip is recognised by content (magic bytes), not by file name. Both header versions are
//! parsed here, their byte order taken from the `sizeof_hdr` field (348 or 540), and checked
//! field by field before anything is allocated: the number of dimensions and their sizes
//! (overflow-checked), `datatype` against `bitpix`, `vox_offset` (finite, whole, past the
//! header), the scaling and the affine. The voxel data must fit the memory budget
//! ([`crate::limits`]); only the header, then exactly the voxel bytes are read (never more of a
//! gzip stream than the header announces, so a compressed "bomb" or a file with trailing
//! garbage costs no more than a valid image). Voxels (all integer and float datatypes, either
//! byte order, `scl_slope`/`scl_inter` scaling as niftilib applies it) are decoded here straight
//! from the file's bytes, so that no intermediate copy of the image is made and a region can
//! be decoded without the rest ([`Opened::crop`]).
//!
//! Geometry follows ITK: the sform is used when `sform_code > 0` (and it is orthonormal), else
//! the qform when `qform_code > 0`, else the diagonal of `pixdim`; the RAS affine of the file is
//! turned into LPS (x and y negated) so origins and directions equal SimpleITK's.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use nifti::{Endianness, NiftiType};

use crate::error::{Error, Result};
use crate::image::{Geometry, Mask, PixelType, Volume};

/// Header fields gpurad needs, in f64, from either NIfTI version.
#[derive(Debug, Clone)]
struct HeaderInfo {
    /// 1 or 2.
    version: u8,
    dim: [i64; 8],
    pixdim: [f64; 8],
    datatype: i16,
    bitpix: i16,
    vox_offset: f64,
    scl_slope: f64,
    scl_inter: f64,
    qform_code: i32,
    sform_code: i32,
    quatern: [f64; 3],
    qoffset: [f64; 3],
    srow: [[f64; 4]; 3],
    endianness: Endianness,
}

impl HeaderInfo {
    /// Bytes of the header with its 4-byte extension flag: voxel data cannot start before.
    fn min_offset(&self) -> u64 {
        if self.version == 1 {
            352
        } else {
            544
        }
    }
}

fn nifti_error(path: &Path, cause: impl Into<String>) -> Error {
    Error::Nifti {
        path: path.to_path_buf(),
        cause: cause.into(),
    }
}

/// Reads until `buf` is full or the stream ends; returns how many bytes were read. Errors of
/// a gzip stream are reported as corruption, others as read errors.
fn fill(path: &Path, r: &mut dyn Read, buf: &mut [u8], gzip: bool) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(stream_error(path, e, gzip)),
        }
    }
    Ok(got)
}

fn stream_error(path: &Path, e: std::io::Error, gzip: bool) -> Error {
    if gzip {
        nifti_error(path, format!("gzip stream is corrupt or truncated ({e})"))
    } else {
        Error::Io {
            path: path.to_path_buf(),
            cause: e,
        }
    }
}

/// Reads and checks a NIfTI file's header; returns it with the stream positioned after it
/// and whether the file is gzip'd, and the file's length.
type HeaderStream = (HeaderInfo, Box<dyn Read>, bool, u64);

/// Reads and checks a NIfTI file's header only (see [`read_image`]).
fn read_header(path: &Path) -> Result<(HeaderInfo, bool)> {
    let (h, _, gzip, _) = header_stream(path)?;
    Ok((h, gzip))
}

/// Reads and checks a NIfTI file's header, then exactly its voxel bytes.
fn read_image(path: &Path) -> Result<(HeaderInfo, Vec<u8>)> {
    let (h, mut stream, gzip, file_len) = header_stream(path)?;
    read_voxels(path, h, &mut stream, gzip, file_len)
}

/// Opens `path` and reads its header (see [`HeaderStream`]).
fn header_stream(path: &Path) -> Result<HeaderStream> {
    let (file, file_len) = crate::limits::open_regular(path, "NIfTI image")?;
    let mut raw = std::io::BufReader::with_capacity(1 << 16, file);
    let mut magic = [0u8; 2];
    let n = fill(path, &mut raw, &mut magic, false)?;
    let gzip = n == 2 && magic == [0x1f, 0x8b];
    let head = std::io::Cursor::new(magic[..n].to_vec());
    let mut stream: Box<dyn Read> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(head.chain(raw)))
    } else {
        Box::new(head.chain(raw))
    };
    let mut header = [0u8; 540];
    let got = fill(path, &mut stream, &mut header[..4], gzip)?;
    if got < 4 {
        return Err(nifti_error(
            path,
            format!("file is too short to hold a NIfTI header ({got} bytes)"),
        ));
    }
    let (version, endianness) = header_version(path, &header[..4])?;
    let size = if version == 1 { 348 } else { 540 };
    let got = 4 + fill(path, &mut stream, &mut header[4..size], gzip)?;
    if got < size {
        return Err(nifti_error(
            path,
            format!("file ends inside its NIfTI-{version} header ({got} of {size} bytes)"),
        ));
    }
    let h = if version == 1 {
        parse_header_1(path, &header[..348], endianness)?
    } else {
        parse_header_2(path, &header[..540], endianness)?
    };
    let datatype = nifti_type(path, h.datatype)?;
    check_bitpix(path, &h, datatype)?;
    spatial_size(path, &h)?;
    pixdim_spacing(path, &h)?;
    vox_offset(path, &h)?;
    Ok((h, stream, gzip, file_len))
}

/// Reads exactly the voxel bytes that the header `h` announces from `stream` (positioned
/// after the header), within the memory budget.
fn read_voxels(
    path: &Path,
    h: HeaderInfo,
    stream: &mut Box<dyn Read>,
    gzip: bool,
    file_len: u64,
) -> Result<(HeaderInfo, Vec<u8>)> {
    let size = if h.version == 1 { 348 } else { 540 };
    let datatype = nifti_type(path, h.datatype)?;
    let size3 = spatial_size(path, &h)?;
    let voxels = crate::limits::product(&size3.map(|v| v as u128));
    let elem = datatype.size_of() as u128;
    let data_len = voxels.saturating_mul(elem);
    let offset = vox_offset(path, &h)?;
    if !gzip && data_len.saturating_add(offset as u128) > file_len as u128 {
        return Err(truncated(
            path,
            data_len,
            offset,
            file_len.saturating_sub(offset),
        ));
    }
    // Reading keeps the voxel bytes; a mask read also keeps one byte per voxel (decoding the
    // whole image, for resampling, is checked where it happens).
    crate::limits::check(
        || {
            format!(
                "reading '{}' (dim {}×{}×{}: {} voxels of {} bytes)",
                path.display(),
                size3[0],
                size3[1],
                size3[2],
                voxels,
                elem
            )
        },
        voxels.saturating_mul(elem + 1),
        "check the header's dim fields, or raise --max-memory for an image this large",
    )?;
    // Within the budget, so within 64 bits.
    let data_len = data_len as u64;
    // Extensions between the header and the voxel data are skipped, not kept.
    let skip = offset - size as u64;
    let skipped = std::io::copy(&mut stream.take(skip), &mut std::io::sink())
        .map_err(|e| stream_error(path, e, gzip))?;
    if skipped < skip {
        return Err(truncated(path, data_len, offset, 0));
    }
    let mut data: Vec<u8> = crate::limits::zeroed_vec(data_len as usize, || {
        format!("reading the voxel data of '{}'", path.display())
    })?;
    let got = fill(path, stream, &mut data, gzip)?;
    if got < data.len() {
        return Err(truncated(path, data_len, offset, got as u64));
    }
    if gzip {
        verify_gzip_end(path, stream)?;
    }
    Ok((h, data))
}

/// Bytes of decompressed data after the voxels that are read to reach the end of a gzip
/// stream, whose trailer (CRC-32 and length) the decoder then checks.
const GZIP_TAIL: u64 = 1 << 20;

/// Reads what is left of a gzip stream after the voxel data (at most [`GZIP_TAIL`] bytes),
/// so that its trailer is checked: a corrupt CRC or length is an error. A stream that goes
/// on beyond that holds data the header does not announce, which is not read.
fn verify_gzip_end(path: &Path, stream: &mut dyn Read) -> Result<()> {
    std::io::copy(&mut stream.take(GZIP_TAIL), &mut std::io::sink())
        .map(|_| ())
        .map_err(|e| stream_error(path, e, true))
}

fn truncated(path: &Path, need: impl std::fmt::Display, offset: u64, have: u64) -> Error {
    nifti_error(
        path,
        format!("file is truncated: {need} bytes of voxel data expected after offset {offset}, {have} found"),
    )
}

/// NIfTI version and byte order from the `sizeof_hdr` field.
fn header_version(path: &Path, first: &[u8]) -> Result<(u8, Endianness)> {
    let bytes: [u8; 4] = first.try_into().expect("four bytes");
    let le = i32::from_le_bytes(bytes);
    let be = i32::from_be_bytes(bytes);
    Ok(match (le, be) {
        (348, _) => (1, Endianness::Little),
        (_, 348) => (1, Endianness::Big),
        (540, _) => (2, Endianness::Little),
        (_, 540) => (2, Endianness::Big),
        _ => {
            return Err(nifti_error(
                path,
                format!("header size field (sizeof_hdr) is {le}, expected 348 (NIfTI-1) or 540 (NIfTI-2): not a NIfTI file"),
            ))
        }
    })
}

/// Typed reads of header fields in the file's byte order.
struct Fields<'a> {
    b: &'a [u8],
    little: bool,
}

impl Fields<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut a: [u8; N] = self.b[at..at + N].try_into().expect("field inside header");
        if !self.little {
            a.reverse();
        }
        a
    }
    fn i16(&self, at: usize) -> i16 {
        i16::from_le_bytes(self.bytes(at))
    }
    fn i32(&self, at: usize) -> i32 {
        i32::from_le_bytes(self.bytes(at))
    }
    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.bytes(at))
    }
    fn f32(&self, at: usize) -> f64 {
        f32::from_le_bytes(self.bytes(at)) as f64
    }
    fn f64(&self, at: usize) -> f64 {
        f64::from_le_bytes(self.bytes(at))
    }
}

/// NIfTI-1 header layout (nifti1.h): offsets in bytes.
fn parse_header_1(path: &Path, b: &[u8], endianness: Endianness) -> Result<HeaderInfo> {
    match &b[344..348] {
        b"n+1\0" => {}
        b"ni1\0" => {
            return Err(nifti_error(
                path,
                "header magic is 'ni1' (separate .hdr/.img pair); only single-file .nii/.nii.gz is supported",
            ))
        }
        other => {
            return Err(nifti_error(
                path,
                format!(
                    "header magic is {:?}, expected \"n+1\" (single-file NIfTI-1)",
                    String::from_utf8_lossy(other)
                ),
            ))
        }
    }
    let f = Fields {
        b,
        little: endianness == Endianness::Little,
    };
    let row = |o: usize| [f.f32(o), f.f32(o + 4), f.f32(o + 8), f.f32(o + 12)];
    Ok(HeaderInfo {
        version: 1,
        dim: std::array::from_fn(|i| f.i16(40 + 2 * i) as i64),
        pixdim: std::array::from_fn(|i| f.f32(76 + 4 * i)),
        datatype: f.i16(70),
        bitpix: f.i16(72),
        vox_offset: f.f32(108),
        scl_slope: f.f32(112),
        scl_inter: f.f32(116),
        qform_code: f.i16(252) as i32,
        sform_code: f.i16(254) as i32,
        quatern: [f.f32(256), f.f32(260), f.f32(264)],
        qoffset: [f.f32(268), f.f32(272), f.f32(276)],
        srow: [row(280), row(296), row(312)],
        endianness,
    })
}

/// NIfTI-2 header layout (nifti2.h): offsets in bytes.
fn parse_header_2(path: &Path, b: &[u8], endianness: Endianness) -> Result<HeaderInfo> {
    if &b[4..8] != b"n+2\0" {
        return Err(nifti_error(
            path,
            "NIfTI-2 header magic is not 'n+2' (separate header/image pairs are not supported)",
        ));
    }
    let f = Fields {
        b,
        little: endianness == Endianness::Little,
    };
    let row = |o: usize| [f.f64(o), f.f64(o + 8), f.f64(o + 16), f.f64(o + 24)];
    Ok(HeaderInfo {
        version: 2,
        dim: std::array::from_fn(|i| f.i64(16 + 8 * i)),
        pixdim: std::array::from_fn(|i| f.f64(104 + 8 * i)),
        datatype: f.i16(12),
        bitpix: f.i16(14),
        vox_offset: f.i64(168) as f64,
        scl_slope: f.f64(176),
        scl_inter: f.f64(184),
        qform_code: f.i32(344),
        sform_code: f.i32(348),
        quatern: [f.f64(352), f.f64(360), f.f64(368)],
        qoffset: [f.f64(376), f.f64(384), f.f64(392)],
        srow: [row(400), row(432), row(464)],
        endianness,
    })
}

/// `bitpix` must be the datatype's size in bits.
fn check_bitpix(path: &Path, h: &HeaderInfo, t: NiftiType) -> Result<()> {
    let bits = 8 * t.size_of() as i16;
    if h.bitpix != bits {
        return Err(nifti_error(
            path,
            format!(
                "bitpix is {} but datatype {} ({t:?}) has {bits} bits per voxel",
                h.bitpix, h.datatype
            ),
        ));
    }
    Ok(())
}

/// Where the voxel data starts: a finite whole number of bytes, past the header.
fn vox_offset(path: &Path, h: &HeaderInfo) -> Result<u64> {
    let v = h.vox_offset;
    let min = h.min_offset();
    if !v.is_finite() || v.fract() != 0.0 || v < min as f64 || v > (1u64 << 53) as f64 {
        return Err(nifti_error(
            path,
            format!(
                "vox_offset is {v}; the voxel data of a single-file NIfTI-{} must start at a whole byte offset of at least {min}",
                h.version
            ),
        ));
    }
    Ok(v as u64)
}

/// Size of the spatial grid: dims 1–3, with every higher dimension required to be 1.
fn spatial_size(path: &Path, h: &HeaderInfo) -> Result<[usize; 3]> {
    let nd = h.dim[0];
    if !(1..=7).contains(&nd) {
        return Err(nifti_error(
            path,
            format!("dim[0] = {nd} is not a valid number of dimensions (1-7)"),
        ));
    }
    let mut size = [1usize; 3];
    for i in 1..=nd as usize {
        let d = h.dim[i];
        if d < 1 {
            return Err(nifti_error(
                path,
                format!("dim[{i}] = {d} must be at least 1"),
            ));
        }
        if i <= 3 {
            size[i - 1] = usize::try_from(d).map_err(|_| {
                nifti_error(
                    path,
                    format!("dim[{i}] = {d} is too large for this machine"),
                )
            })?;
        } else if d != 1 {
            return Err(nifti_error(
                path,
                format!("{nd}-D image with {d} elements along dimension {i}; only single 3-D volumes are supported"),
            ));
        }
    }
    Ok(size)
}

/// Rotation matrix of the unit quaternion with imaginary parts `(b, c, d)` (NIfTI-1 standard,
/// qform method 2; `a` from the unit norm). Where `b² + c² + d²` reaches 1, `(b, c, d)` is
/// scaled to unit length and `a = 0`, as niftilib (`nifti_quatern_to_mat44`) does.
fn quaternion_rotation([b, c, d]: [f64; 3]) -> [[f64; 3]; 3] {
    let sum = b * b + c * c + d * d;
    let (a, b, c, d) = if 1.0 - sum < 1e-7 {
        let s = 1.0 / sum.sqrt();
        (0.0, b * s, c * s, d * s)
    } else {
        ((1.0 - sum).sqrt(), b, c, d)
    };
    [
        [
            a * a + b * b - c * c - d * d,
            2.0 * (b * c - a * d),
            2.0 * (b * d + a * c),
        ],
        [
            2.0 * (b * c + a * d),
            a * a + c * c - b * b - d * d,
            2.0 * (c * d - a * b),
        ],
        [
            2.0 * (b * d - a * c),
            2.0 * (c * d + a * b),
            a * a + d * d - c * c - b * b,
        ],
    ]
}

/// The qform affine (RAS, 3×4): rotation, pixdim scaling with qfac, offsets.
fn qform_affine(path: &Path, h: &HeaderInfo) -> Result<[[f64; 4]; 3]> {
    let sp = pixdim_spacing(path, h)?;
    let r = quaternion_rotation(h.quatern);
    let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
    let scale = [sp[0], sp[1], sp[2] * qfac];
    let mut m = [[0.0; 4]; 3];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = r[i][j] * scale[j];
        }
        m[i][3] = h.qoffset[i];
    }
    Ok(m)
}

/// Voxel spacing from `pixdim[1..=3]`, which must be finite and positive.
fn pixdim_spacing(path: &Path, h: &HeaderInfo) -> Result<[f64; 3]> {
    let sp = [h.pixdim[1], h.pixdim[2], h.pixdim[3]];
    if sp.iter().any(|&s| !s.is_finite() || s <= 0.0) {
        return Err(nifti_error(
            path,
            format!("voxel spacing (pixdim[1..3]) {sp:?} must be finite and positive"),
        ));
    }
    Ok(sp)
}

/// Largest departure of a direction matrix from orthonormality accepted (ITK refuses
/// non-orthonormal direction cosines; float32 header fields round at about 1e-7).
const ORTHONORMAL_TOLERANCE: f64 = 1e-3;

fn geometry(path: &Path, h: &HeaderInfo, size: [usize; 3]) -> Result<Geometry> {
    // As ITK: the sform when set and orthonormal, else the qform, else pixdim alone.
    if h.sform_code > 0 {
        let g = geometry_from(path, &h.srow, size, "sform (srow_x, srow_y, srow_z)");
        match g {
            Ok(g) => return Ok(g),
            Err(e) if h.qform_code <= 0 => return Err(e),
            Err(_) => {}
        }
    }
    if h.qform_code > 0 {
        return geometry_from(
            path,
            &qform_affine(path, h)?,
            size,
            "qform (quatern_b/c/d, pixdim)",
        );
    }
    let sp = pixdim_spacing(path, h)?;
    geometry_from(
        path,
        &[
            [sp[0], 0.0, 0.0, 0.0],
            [0.0, sp[1], 0.0, 0.0],
            [0.0, 0.0, sp[2], 0.0],
        ],
        size,
        "pixdim",
    )
}

/// Geometry (LPS) of a RAS affine `m`; `form` names where it came from, for errors.
fn geometry_from(path: &Path, m: &[[f64; 4]; 3], size: [usize; 3], form: &str) -> Result<Geometry> {
    let mut spacing = [0.0; 3];
    let mut direction = [[0.0; 3]; 3];
    for j in 0..3 {
        let norm = (0..3).map(|i| m[i][j] * m[i][j]).sum::<f64>().sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return Err(nifti_error(
                path,
                format!("the {form} affine's column {j} has zero or invalid length"),
            ));
        }
        // Axis-aligned columns keep the stored spacing bit for bit.
        spacing[j] = if (0..3).filter(|&i| m[i][j] != 0.0).count() == 1 {
            (0..3).map(|i| m[i][j].abs()).fold(0.0, f64::max)
        } else {
            norm
        };
        for i in 0..3 {
            let lps = if i < 2 { -1.0 } else { 1.0 };
            direction[i][j] = lps * m[i][j] / spacing[j];
        }
    }
    for a in 0..3 {
        for b in a..3 {
            let dot: f64 = (0..3).map(|i| direction[i][a] * direction[i][b]).sum();
            let want = if a == b { 1.0 } else { 0.0 };
            if (dot - want).abs() > ORTHONORMAL_TOLERANCE {
                return Err(nifti_error(
                    path,
                    format!("the {form} affine is not a rotation with scaling (axes {a} and {b} are not orthogonal): direction cosines must be orthonormal"),
                ));
            }
        }
    }
    let origin = [-m[0][3], -m[1][3], m[2][3]];
    if origin.iter().any(|v| !v.is_finite()) {
        return Err(nifti_error(
            path,
            format!("the {form} origin {origin:?} is not finite"),
        ));
    }
    Ok(Geometry {
        size,
        spacing,
        origin,
        direction,
    })
}

fn nifti_type(path: &Path, code: i16) -> Result<NiftiType> {
    use num_like::from_code;
    from_code(code)
        .ok_or_else(|| nifti_error(path, format!("unsupported NIfTI datatype code {code}")))
}

mod num_like {
    use nifti::NiftiType;
    /// Maps a NIfTI datatype code to the scalar types gpurad reads.
    pub fn from_code(code: i16) -> Option<NiftiType> {
        Some(match code {
            2 => NiftiType::Uint8,
            4 => NiftiType::Int16,
            8 => NiftiType::Int32,
            16 => NiftiType::Float32,
            64 => NiftiType::Float64,
            256 => NiftiType::Int8,
            512 => NiftiType::Uint16,
            768 => NiftiType::Uint32,
            1024 => NiftiType::Int64,
            1280 => NiftiType::Uint64,
            _ => return None,
        })
    }
}

fn pixel_type_of(t: NiftiType) -> PixelType {
    match t {
        NiftiType::Uint8 => PixelType::U8,
        NiftiType::Int8 => PixelType::I8,
        NiftiType::Uint16 => PixelType::U16,
        NiftiType::Int16 => PixelType::I16,
        NiftiType::Uint32 => PixelType::U32,
        NiftiType::Int32 => PixelType::I32,
        NiftiType::Uint64 => PixelType::U64,
        NiftiType::Int64 => PixelType::I64,
        NiftiType::Float32 => PixelType::F32,
        _ => PixelType::F64,
    }
}

/// An opened image: its voxel bytes and what is needed to decode them.
pub struct Opened<'a> {
    /// Read from a file (owned), or an image held in memory (borrowed, not copied).
    bytes: Cow<'a, [u8]>,
    datatype: NiftiType,
    big_endian: bool,
    slope: f32,
    inter: f32,
    /// Voxel grid.
    pub geometry: Geometry,
    /// Pixel type as SimpleITK would report it.
    pub pixel_type: PixelType,
}

/// The voxel grid of a NIfTI file, from its header alone (the voxel data is not read), with
/// the header checked as [`open`] checks it.
pub fn read_geometry(path: &Path) -> Result<Geometry> {
    let (h, _) = read_header(path)?;
    let size = spatial_size(path, &h)?;
    geometry(path, &h, size)
}

/// Reads and checks a NIfTI file's header and voxel data, without decoding the voxels.
pub fn open(path: &Path) -> Result<Opened<'static>> {
    let (h, bytes) = read_image(path)?;
    let size = spatial_size(path, &h)?;
    let geometry = geometry(path, &h, size)?;
    let datatype = nifti_type(path, h.datatype)?;
    for (name, v) in [("scl_slope", h.scl_slope), ("scl_inter", h.scl_inter)] {
        if !v.is_finite() {
            return Err(nifti_error(
                path,
                format!("{name} is {v}, not a finite number"),
            ));
        }
    }
    // SimpleITK reads scaled integer data as float.
    let scaled = h.scl_slope != 0.0 && (h.scl_slope != 1.0 || h.scl_inter != 0.0);
    let pixel_type = if scaled {
        PixelType::F32
    } else {
        pixel_type_of(datatype)
    };
    Ok(Opened {
        bytes: Cow::Owned(bytes),
        datatype,
        big_endian: h.endianness == Endianness::Big,
        slope: h.scl_slope as f32,
        inter: h.scl_inter as f32,
        geometry,
        pixel_type,
    })
}

impl<'a> Opened<'a> {
    /// An image of another format: its voxel bytes (x fastest) of scalar type `datatype`,
    /// unscaled, on `geometry`. The byte count must be the grid's voxels × the type's size.
    pub(crate) fn from_parts(
        bytes: Cow<'a, [u8]>,
        datatype: NiftiType,
        big_endian: bool,
        geometry: Geometry,
    ) -> Opened<'a> {
        assert_eq!(
            bytes.len(),
            geometry.len() * datatype.size_of(),
            "voxel bytes for the grid"
        );
        Opened {
            bytes,
            datatype,
            big_endian,
            slope: 0.0,
            inter: 0.0,
            geometry,
            pixel_type: pixel_type_of(datatype),
        }
    }

    /// The voxels equal to `label` as the ROI (`path` names the file in messages).
    pub fn into_mask(self, label: i64, path: &Path) -> Result<Mask> {
        let target = label as f64;
        let mut data: Vec<bool> = crate::limits::zeroed_vec(self.len(), || {
            format!("the mask of '{}' ({} voxels)", path.display(), self.len())
        })?;
        if !self.integer_mask(label, &mut data) {
            self.for_each_chunk(|first, chunk| {
                for (m, &x) in data[first..first + chunk.len()].iter_mut().zip(chunk) {
                    *m = x == target;
                }
            });
        }
        Ok(Mask {
            geometry: self.geometry,
            data,
        })
    }

    /// The voxels equal to `label` marked in `out`, comparing the stored integers directly
    /// (the same result as comparing decoded values: integers of at most 32 bits are exact
    /// in f64). Returns false, leaving `out` alone, for scaled, 64-bit or floating-point data.
    fn integer_mask(&self, label: i64, out: &mut [bool]) -> bool {
        if !(self.slope == 0.0 || (self.slope == 1.0 && self.inter == 0.0)) {
            return false;
        }
        let be = self.big_endian;
        macro_rules! compare {
            ($t:ty, $n:expr) => {{
                match <$t>::try_from(label) {
                    Ok(target) => {
                        for (m, b) in out.iter_mut().zip(self.bytes.chunks_exact($n)) {
                            let a: [u8; $n] = b.try_into().expect("element size");
                            let v = if be {
                                <$t>::from_be_bytes(a)
                            } else {
                                <$t>::from_le_bytes(a)
                            };
                            *m = v == target;
                        }
                    }
                    // A label the type cannot hold is in no voxel.
                    Err(_) => out.fill(false),
                }
                true
            }};
        }
        match self.datatype {
            NiftiType::Uint8 => compare!(u8, 1),
            NiftiType::Int8 => compare!(i8, 1),
            NiftiType::Uint16 => compare!(u16, 2),
            NiftiType::Int16 => compare!(i16, 2),
            NiftiType::Uint32 => compare!(u32, 4),
            NiftiType::Int32 => compare!(i32, 4),
            _ => false,
        }
    }

    /// Every voxel decoded, within the memory budget (8 bytes per voxel).
    pub fn into_checked_volume(self, path: &Path) -> Result<Volume> {
        crate::limits::check(
            || {
                format!(
                    "decoding '{}' ({} voxels as 8-byte values)",
                    path.display(),
                    self.len()
                )
            },
            self.len() as u128 * 8,
            "raise --max-memory for an image this large",
        )?;
        self.into_volume()
    }
}

/// Voxels decoded per chunk by [`Opened::for_each_chunk`].
const CHUNK: usize = 16 * 1024;

impl Opened<'_> {
    /// Decodes voxels `first..first + out.len()` (x fastest, as NIfTI stores them) into `out`,
    /// scaled by `scl_slope`/`scl_inter` exactly as the `nifti` crate does (`v · slope + inter`
    /// with the f32 header values, unless the slope is 0).
    pub fn decode_into(&self, first: usize, out: &mut [f64]) {
        let size = self.datatype.size_of();
        let at = first * size;
        let bytes = &self.bytes[at..at + out.len() * size];
        macro_rules! decode {
            ($t:ty, $n:expr) => {{
                for (o, b) in out.iter_mut().zip(bytes.chunks_exact($n)) {
                    let a: [u8; $n] = b.try_into().expect("element size");
                    *o = if self.big_endian {
                        <$t>::from_be_bytes(a)
                    } else {
                        <$t>::from_le_bytes(a)
                    } as f64;
                }
            }};
        }
        match self.datatype {
            NiftiType::Uint8 => decode!(u8, 1),
            NiftiType::Int8 => decode!(i8, 1),
            NiftiType::Uint16 => decode!(u16, 2),
            NiftiType::Int16 => decode!(i16, 2),
            NiftiType::Uint32 => decode!(u32, 4),
            NiftiType::Int32 => decode!(i32, 4),
            NiftiType::Uint64 => decode!(u64, 8),
            NiftiType::Int64 => decode!(i64, 8),
            NiftiType::Float32 => decode!(f32, 4),
            _ => decode!(f64, 8),
        }
        if self.slope != 0.0 {
            let (slope, inter) = (self.slope as f64, self.inter as f64);
            for o in out.iter_mut() {
                *o = *o * slope + inter;
            }
        }
    }

    /// Calls `f(first, values)` on consecutive chunks of the voxels, in file order.
    pub fn for_each_chunk(&self, mut f: impl FnMut(usize, &[f64])) {
        let n = self.len();
        let mut buf = vec![0.0; CHUNK.min(n)];
        let mut first = 0;
        while first < n {
            let len = CHUNK.min(n - first);
            self.decode_into(first, &mut buf[..len]);
            f(first, &buf[..len]);
            first += len;
        }
    }

    /// Exact moments of the voxel values, in one pass over the file's bytes, when they are
    /// unscaled integers of at most 16 bits (the usual storage of MR images); `None` otherwise
    /// (callers then sum decoded values). Integer sums are exact, independent of summation
    /// order: the mean is the correctly rounded exact mean, and the SD is what ITK computes
    /// from the same sums.
    pub fn exact_moments(&self) -> Option<ExactMoments> {
        if !(self.slope == 0.0 || (self.slope == 1.0 && self.inter == 0.0)) {
            return None;
        }
        let bytes = &self.bytes[..self.len() * self.datatype.size_of()];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { moments_avx2(self.datatype, self.big_endian, bytes) };
        }
        moments_of(self.datatype, self.big_endian, bytes)
    }

    /// Number of voxels.
    pub fn len(&self) -> usize {
        self.geometry.len()
    }

    /// Whether the image has no voxels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes every voxel into a [`Volume`] (an error when the system refuses the memory).
    pub fn into_volume(self) -> Result<Volume> {
        let mut data = crate::limits::zeroed_vec(self.len(), || {
            format!("decoding an image of {} voxels", self.len())
        })?;
        self.decode_into(0, &mut data);
        Ok(Volume {
            geometry: self.geometry,
            data,
            pixel_type: self.pixel_type,
        })
    }

    /// Decodes only the voxels of `bb` into a [`Volume`] on that box (geometry as
    /// [`crate::image::crop`] gives it).
    pub fn crop(&self, bb: &crate::image::BoundingBox) -> Result<Volume> {
        let g = &self.geometry;
        let [nx, ny, _] = g.size;
        let ext = bb.extent();
        let mut data = crate::limits::zeroed_vec(ext.iter().product(), || {
            format!(
                "decoding the ROI box of {}×{}×{} voxels",
                ext[0], ext[1], ext[2]
            )
        })?;
        let mut rows = data.chunks_exact_mut(ext[0]);
        for z in bb.lo[2]..=bb.hi[2] {
            for y in bb.lo[1]..=bb.hi[1] {
                let row = rows.next().expect("one output row per box row");
                self.decode_into((z * ny + y) * nx + bb.lo[0], row);
            }
        }
        Ok(Volume {
            geometry: crate::image::crop_geometry(g, bb),
            data,
            pixel_type: self.pixel_type,
        })
    }
}

/// Count, sum, sum of squares and extremes of integer voxel values, all exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactMoments {
    /// Number of voxels.
    pub n: usize,
    /// Σ v.
    pub sum: i128,
    /// Σ v².
    pub sum_sq: i128,
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
}

impl ExactMoments {
    /// Mean Σv / n, correctly rounded while |Σv| < 2⁵³.
    pub fn mean(&self) -> f64 {
        self.sum as f64 / self.n as f64
    }

    /// Sample standard deviation, by ITK's formula on the exact sums
    /// ([`crate::preprocess::normalize::itk_sd`]).
    pub fn sd(&self) -> f64 {
        crate::preprocess::normalize::itk_sd(self.sum as f64, self.sum_sq as f64, self.n as f64)
    }
}

/// [`ExactMoments`] of unscaled integer voxel bytes; `None` for other datatypes.
#[inline(always)]
fn moments_of(datatype: NiftiType, be: bool, bytes: &[u8]) -> Option<ExactMoments> {
    Some(match datatype {
        NiftiType::Uint8 => integer_moments::<1>(bytes, |b| b[0] as i32),
        NiftiType::Int8 => integer_moments::<1>(bytes, |b| b[0] as i8 as i32),
        NiftiType::Uint16 if be => integer_moments::<2>(bytes, |b| u16::from_be_bytes(b) as i32),
        NiftiType::Uint16 => integer_moments::<2>(bytes, |b| u16::from_le_bytes(b) as i32),
        NiftiType::Int16 if be => integer_moments::<2>(bytes, |b| i16::from_be_bytes(b) as i32),
        NiftiType::Int16 => integer_moments::<2>(bytes, |b| i16::from_le_bytes(b) as i32),
        _ => return None,
    })
}

/// [`moments_of`] compiled for AVX2: the same code, vectorised four f64 lanes wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn moments_avx2(datatype: NiftiType, be: bool, bytes: &[u8]) -> Option<ExactMoments> {
    moments_of(datatype, be, bytes)
}

/// Voxels per block. A block's sums are accumulated in f64 lanes, exact while they stay
/// integers below 2⁵³: with 16-bit values a lane sums 1024 squares below 2³², under 2⁴².
/// Each block's lane sums are then carried into the i128 totals.
const MOMENT_BLOCK: usize = 4096;

/// Lanes of the per-block sums (independent accumulators, so that the loop vectorises).
const MOMENT_LANES: usize = 4;

/// Independent groups of [`MOMENT_LANES`] accumulators.
const MOMENT_CHAINS: usize = 2;

/// [`ExactMoments`] of `W`-byte integers (at most 16 bits) decoded by `decode`.
#[inline(always)]
fn integer_moments<const W: usize>(bytes: &[u8], decode: impl Fn([u8; W]) -> i32) -> ExactMoments {
    let mut m = ExactMoments {
        n: bytes.len() / W,
        sum: 0,
        sum_sq: 0,
        min: i64::MAX,
        max: i64::MIN,
    };
    let value = |b: &[u8]| decode(b.try_into().expect("element size")) as f64;
    for block in bytes.chunks(W * MOMENT_BLOCK) {
        // Extremes too are kept in f64 (exact for these integers), compared with `<` and `>`
        // so that the lanes map onto vector min/max instructions. The lanes form
        // `MOMENT_CHAINS` independent groups, so that consecutive additions do not wait on
        // one another.
        let mut s = [[0.0f64; MOMENT_LANES]; MOMENT_CHAINS];
        let mut q = [[0.0f64; MOMENT_LANES]; MOMENT_CHAINS];
        let mut lo = [[f64::INFINITY; MOMENT_LANES]; MOMENT_CHAINS];
        let mut hi = [[f64::NEG_INFINITY; MOMENT_LANES]; MOMENT_CHAINS];
        let groups = block.chunks_exact(W * MOMENT_LANES * MOMENT_CHAINS);
        let tail = groups.remainder();
        for group in groups {
            for (c, part) in group.chunks_exact(W * MOMENT_LANES).enumerate() {
                let mut v = [0.0f64; MOMENT_LANES];
                for (k, x) in v.iter_mut().enumerate() {
                    *x = value(&part[k * W..(k + 1) * W]);
                }
                for k in 0..MOMENT_LANES {
                    s[c][k] += v[k];
                    q[c][k] += v[k] * v[k];
                    lo[c][k] = if v[k] < lo[c][k] { v[k] } else { lo[c][k] };
                    hi[c][k] = if v[k] > hi[c][k] { v[k] } else { hi[c][k] };
                }
            }
        }
        for b in tail.chunks_exact(W) {
            let v = value(b);
            s[0][0] += v;
            q[0][0] += v * v;
            lo[0][0] = lo[0][0].min(v);
            hi[0][0] = hi[0][0].max(v);
        }
        let s: Vec<f64> = s.concat();
        let q: Vec<f64> = q.concat();
        let lo: Vec<f64> = lo.concat();
        let hi: Vec<f64> = hi.concat();
        // Every lane sum is an integer below 2⁵³: exact, and so are the conversions.
        m.sum += s.iter().map(|&x| x as i64 as i128).sum::<i128>();
        m.sum_sq += q.iter().map(|&x| x as i64 as i128).sum::<i128>();
        m.min = m
            .min
            .min(lo.iter().fold(f64::INFINITY, |a, &b| a.min(b)) as i64);
        m.max = m
            .max
            .max(hi.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b)) as i64);
    }
    m
}

/// Reads a NIfTI file into a [`Volume`] of f64 values (scaled by `scl_slope`/`scl_inter`),
/// within the memory budget (8 bytes per voxel besides the file's).
pub fn read_volume(path: &Path) -> Result<Volume> {
    open(path)?.into_checked_volume(path)
}

/// Reads a label image and selects the voxels equal to `label` as the ROI.
pub fn read_mask(path: &Path, label: i64) -> Result<Mask> {
    open(path)?.into_mask(label, path)
}

/// The distinct label values present in a label image (for error messages).
pub fn labels_present(path: &Path) -> Result<Vec<f64>> {
    let v = read_volume(path)?;
    let mut labels: Vec<f64> = v.data.into_iter().filter(|x| *x != 0.0).collect();
    labels.sort_by(f64::total_cmp);
    labels.dedup();
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Geometry;
    use crate::io::nifti_write::write_volume;

    fn grid(size: [usize; 3]) -> Geometry {
        Geometry {
            size,
            spacing: [0.7, 0.7, 4.0],
            origin: [0.0; 3],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        }
    }

    /// Masks from stored integers equal those from decoded values, for every integer type,
    /// both byte orders, and labels inside, outside and at the edges of each type's range.
    #[test]
    fn integer_masks_equal_decoded_comparison() {
        let types = [
            NiftiType::Uint8,
            NiftiType::Int8,
            NiftiType::Uint16,
            NiftiType::Int16,
            NiftiType::Uint32,
            NiftiType::Int32,
        ];
        let g = grid([7, 5, 3]);
        for t in types {
            let w = t.size_of();
            // Bytes from a fixed generator: every pattern of the type's width occurs.
            let bytes: Vec<u8> = (0..g.len() * w)
                .map(|i| [0u8, 1, 255, 128, 127, 2][(i * 7 + i / 3) % 6])
                .collect();
            for be in [false, true] {
                let img = Opened::from_parts(Cow::Borrowed(&bytes), t, be, g.clone());
                let decoded = {
                    let mut v = vec![0.0; g.len()];
                    img.decode_into(0, &mut v);
                    v
                };
                let mut labels: Vec<i64> = decoded.iter().map(|&x| x as i64).collect();
                labels.extend([0, 1, -1, 255, 256, -129, 65535, 65536, i64::MAX, i64::MIN]);
                for label in labels {
                    let mut got = vec![true; g.len()];
                    assert!(
                        img.integer_mask(label, &mut got),
                        "{t:?} is an integer type"
                    );
                    let want: Vec<bool> = decoded.iter().map(|&x| x == label as f64).collect();
                    assert_eq!(got, want, "{t:?} big-endian {be} label {label}");
                }
            }
        }
        let floats = Opened::from_parts(vec![0; g.len() * 4].into(), NiftiType::Float32, false, g);
        assert!(!floats.integer_mask(0, &mut [false; 105]));
    }

    /// Mean and SD as normalisation takes them from decoded values.
    fn decoded_moments(values: &[f64]) -> (f64, f64) {
        crate::preprocess::normalize::moments(values.iter().copied())
    }

    #[test]
    fn exact_moments_of_int16_equal_the_decoded_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("i16.nii.gz");
        // Several blocks, the full i16 range, a mean far from zero relative to the spread.
        let g = grid([67, 61, 5]);
        let data: Vec<i16> = (0..g.len())
            .map(|i| match i % 1001 {
                0 => i16::MIN,
                1 => i16::MAX,
                k => 20_000 + (k as i16 * 37) % 300,
            })
            .collect();
        write_volume(&path, &g, &data).unwrap();
        let opened = open(&path).unwrap();
        let m = opened
            .exact_moments()
            .expect("unscaled int16 has exact moments");
        let decoded = open(&path).unwrap().into_volume().unwrap().data;
        assert_eq!(m.n, decoded.len());
        assert_eq!(m.min, i16::MIN as i64);
        assert_eq!(m.max, i16::MAX as i64);
        let exact_sum: i128 = data.iter().map(|&v| v as i128).sum();
        assert_eq!(m.sum, exact_sum);
        let (mean, sd) = decoded_moments(&decoded);
        // Integer partial sums below 2⁵³ are exact in f64: the means are identical.
        assert_eq!(m.mean(), mean);
        // Compensated sums of integers are exact too: the same formula, the same bits.
        assert_eq!(m.sd(), sd);
    }

    #[test]
    fn avx2_and_baseline_moments_agree() {
        let bytes: Vec<u8> = (0..40_001u32).map(|i| (i * 7919 % 251) as u8).collect();
        for (t, be) in [
            (NiftiType::Int16, false),
            (NiftiType::Uint16, true),
            (NiftiType::Uint8, false),
        ] {
            let plain = moments_of(t, be, &bytes[..40_000]);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 is present, checked above.
                assert_eq!(plain, unsafe { moments_avx2(t, be, &bytes[..40_000]) });
            }
            assert!(plain.is_some());
        }
    }

    #[test]
    fn exact_moments_of_uint8_and_none_for_scaled_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u8.nii");
        let g = grid([9, 8, 7]);
        let data: Vec<u8> = (0..g.len()).map(|i| (i * 53 % 256) as u8).collect();
        write_volume(&path, &g, &data).unwrap();
        let m = open(&path).unwrap().exact_moments().unwrap();
        let decoded: Vec<f64> = data.iter().map(|&v| v as f64).collect();
        let (mean, sd) = decoded_moments(&decoded);
        assert_eq!((m.min, m.max), (0, 255));
        assert_eq!(m.mean(), mean);
        assert_eq!(m.sd(), sd);

        // scl_slope = 2: values are no longer the stored integers.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[112..116].copy_from_slice(&2.0f32.to_le_bytes());
        let scaled = dir.path().join("scaled.nii");
        std::fs::write(&scaled, bytes).unwrap();
        assert_eq!(open(&scaled).unwrap().exact_moments(), None);
    }
}
