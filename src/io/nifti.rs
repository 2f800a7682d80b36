//! NIfTI-1 and NIfTI-2 reading (`.nii`, `.nii.gz`) into [`Volume`]s and label [`Mask`]s.
//!
//! Gzip is recognised by content (magic bytes), not by file name. NIfTI-1 headers are parsed by
//! the `nifti` crate, NIfTI-2 headers here; voxels (all integer and float datatypes, either
//! byte order, `scl_slope`/`scl_inter` scaling as the `nifti` crate applies it) are decoded
//! here straight from the file's bytes, so that no intermediate copy of the image is made and
//! a region can be decoded without the rest ([`Opened::crop`]).
//!
//! Geometry follows ITK: the sform is used when `sform_code > 0`, else the qform when
//! `qform_code > 0`, else the diagonal of `pixdim`; the RAS affine of the file is turned into
//! LPS (x and y negated) so origins and directions equal SimpleITK's.

use std::io::Read;
use std::path::Path;

use nifti::{Endianness, NiftiHeader, NiftiType};

use crate::error::{Error, Result};
use crate::image::{Geometry, Mask, PixelType, Volume};

/// Header fields gpurad needs, in f64, from either NIfTI version.
#[derive(Debug, Clone)]
struct HeaderInfo {
    dim: [i64; 8],
    pixdim: [f64; 8],
    datatype: i16,
    vox_offset: u64,
    scl_slope: f64,
    scl_inter: f64,
    qform_code: i32,
    sform_code: i32,
    quatern: [f64; 3],
    qoffset: [f64; 3],
    srow: [[f64; 4]; 3],
    endianness: Endianness,
}

/// Reads the whole file, inflating it when it starts with the gzip magic bytes.
fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|cause| Error::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        // The gzip trailer holds the uncompressed size modulo 2^32: a good capacity hint.
        let hint = if raw.len() >= 4 {
            u32::from_le_bytes(raw[raw.len() - 4..].try_into().unwrap()) as usize
        } else {
            0
        };
        let mut out = Vec::with_capacity(hint.min(1 << 31));
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| nifti_error(path, format!("gzip stream is corrupt or truncated ({e})")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn nifti_error(path: &Path, cause: impl Into<String>) -> Error {
    Error::Nifti {
        path: path.to_path_buf(),
        cause: cause.into(),
    }
}

/// Parses the header of a NIfTI-1 (348-byte) or NIfTI-2 (540-byte) file.
fn parse_header(path: &Path, bytes: &[u8]) -> Result<HeaderInfo> {
    if bytes.len() < 4 {
        return Err(nifti_error(
            path,
            "file is too short to hold a NIfTI header",
        ));
    }
    let le = i32::from_le_bytes(bytes[0..4].try_into().unwrap());
    let be = i32::from_be_bytes(bytes[0..4].try_into().unwrap());
    match (le, be) {
        (348, _) | (_, 348) => parse_header_1(path, bytes),
        (540, _) => parse_header_2(path, bytes, Endianness::Little),
        (_, 540) => parse_header_2(path, bytes, Endianness::Big),
        _ => Err(nifti_error(
            path,
            format!("header size field is {le}, expected 348 (NIfTI-1) or 540 (NIfTI-2): not a NIfTI file"),
        )),
    }
}

fn parse_header_1(path: &Path, bytes: &[u8]) -> Result<HeaderInfo> {
    let h = NiftiHeader::from_reader(bytes)
        .map_err(|e| nifti_error(path, format!("bad NIfTI-1 header: {e}")))?;
    if &h.magic != b"n+1\0" {
        return Err(nifti_error(
            path,
            "header magic is 'ni1' (separate .hdr/.img pair); only single-file .nii/.nii.gz is supported",
        ));
    }
    let mut dim = [0i64; 8];
    for (d, &s) in dim.iter_mut().zip(h.dim.iter()) {
        *d = s as i64;
    }
    Ok(HeaderInfo {
        dim,
        pixdim: h.pixdim.map(|v| v as f64),
        datatype: h.datatype,
        vox_offset: h.vox_offset.max(0.0) as u64,
        scl_slope: h.scl_slope as f64,
        scl_inter: h.scl_inter as f64,
        qform_code: h.qform_code as i32,
        sform_code: h.sform_code as i32,
        quatern: [h.quatern_b as f64, h.quatern_c as f64, h.quatern_d as f64],
        qoffset: [h.quatern_x as f64, h.quatern_y as f64, h.quatern_z as f64],
        srow: [
            h.srow_x.map(|v| v as f64),
            h.srow_y.map(|v| v as f64),
            h.srow_z.map(|v| v as f64),
        ],
        endianness: h.endianness,
    })
}

/// NIfTI-2 header layout (nifti2.h): offsets in bytes.
fn parse_header_2(path: &Path, b: &[u8], endianness: Endianness) -> Result<HeaderInfo> {
    if b.len() < 540 {
        return Err(nifti_error(
            path,
            "file is truncated inside its NIfTI-2 header",
        ));
    }
    if &b[4..8] != b"n+2\0" {
        return Err(nifti_error(
            path,
            "NIfTI-2 header magic is not 'n+2' (separate header/image pairs are not supported)",
        ));
    }
    let little = endianness == Endianness::Little;
    let rd = |o: usize, n: usize| -> [u8; 8] {
        let mut a = [0u8; 8];
        a[..n].copy_from_slice(&b[o..o + n]);
        if !little {
            a[..n].reverse();
        }
        a
    };
    let i16_at = |o| i16::from_le_bytes(rd(o, 2)[..2].try_into().unwrap());
    let i32_at = |o| i32::from_le_bytes(rd(o, 4)[..4].try_into().unwrap());
    let i64_at = |o| i64::from_le_bytes(rd(o, 8));
    let f64_at = |o| f64::from_le_bytes(rd(o, 8));
    let mut dim = [0i64; 8];
    let mut pixdim = [0f64; 8];
    for i in 0..8 {
        dim[i] = i64_at(16 + 8 * i);
        pixdim[i] = f64_at(104 + 8 * i);
    }
    let row = |o: usize| [f64_at(o), f64_at(o + 8), f64_at(o + 16), f64_at(o + 24)];
    Ok(HeaderInfo {
        dim,
        pixdim,
        datatype: i16_at(12),
        vox_offset: i64_at(168).max(0) as u64,
        scl_slope: f64_at(176),
        scl_inter: f64_at(184),
        qform_code: i32_at(344),
        sform_code: i32_at(348),
        quatern: [f64_at(352), f64_at(360), f64_at(368)],
        qoffset: [f64_at(376), f64_at(384), f64_at(392)],
        srow: [row(400), row(432), row(464)],
        endianness,
    })
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
            size[i - 1] = d as usize;
        } else if d != 1 {
            return Err(nifti_error(
                path,
                format!("{nd}-D image with {d} elements along dimension {i}; only single 3-D volumes are supported"),
            ));
        }
    }
    Ok(size)
}

/// Affine (RAS, 3×4) chosen as ITK does: sform, then qform, then pixdim.
fn ras_affine(path: &Path, h: &HeaderInfo) -> Result<[[f64; 4]; 3]> {
    if h.sform_code > 0 {
        return Ok(h.srow);
    }
    let sp = [h.pixdim[1], h.pixdim[2], h.pixdim[3]];
    if sp.iter().any(|&s| !s.is_finite() || s <= 0.0) {
        return Err(nifti_error(
            path,
            format!("voxel spacing (pixdim) {sp:?} must be positive"),
        ));
    }
    if h.qform_code > 0 {
        let [b, c, d] = h.quatern;
        let a = (1.0 - (b * b + c * c + d * d)).max(0.0).sqrt();
        // Rotation matrix of the unit quaternion (a, b, c, d) (NIfTI-1 standard, qform method 2).
        let r = [
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
        ];
        let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let scale = [sp[0], sp[1], sp[2] * qfac];
        let mut m = [[0.0; 4]; 3];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] = r[i][j] * scale[j];
            }
            m[i][3] = h.qoffset[i];
        }
        return Ok(m);
    }
    Ok([
        [sp[0], 0.0, 0.0, 0.0],
        [0.0, sp[1], 0.0, 0.0],
        [0.0, 0.0, sp[2], 0.0],
    ])
}

fn geometry(path: &Path, h: &HeaderInfo, size: [usize; 3]) -> Result<Geometry> {
    let m = ras_affine(path, h)?;
    let mut spacing = [0.0; 3];
    let mut direction = [[0.0; 3]; 3];
    for j in 0..3 {
        let norm = (0..3).map(|i| m[i][j] * m[i][j]).sum::<f64>().sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return Err(nifti_error(
                path,
                format!("affine column {j} has zero or invalid length"),
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
    let origin = [-m[0][3], -m[1][3], m[2][3]];
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

/// An opened image: its decompressed bytes and what is needed to decode its voxels.
pub struct Opened {
    bytes: Vec<u8>,
    start: usize,
    datatype: NiftiType,
    big_endian: bool,
    slope: f32,
    inter: f32,
    /// Voxel grid.
    pub geometry: Geometry,
    /// Pixel type as SimpleITK would report it.
    pub pixel_type: PixelType,
}

/// Reads and checks a NIfTI file's header and voxel data, without decoding the voxels.
pub fn open(path: &Path) -> Result<Opened> {
    let bytes = read_bytes(path)?;
    let h = parse_header(path, &bytes)?;
    let size = spatial_size(path, &h)?;
    let geometry = geometry(path, &h, size)?;
    let datatype = nifti_type(path, h.datatype)?;
    let n = geometry.len();
    let elem = datatype.size_of();
    let start = h.vox_offset as usize;
    let need = n
        .checked_mul(elem)
        .ok_or_else(|| nifti_error(path, "image dimensions overflow"))?;
    let have = bytes.len().saturating_sub(start);
    if have < need {
        return Err(nifti_error(
            path,
            format!("file is truncated: {need} bytes of voxel data expected after offset {start}, {have} found"),
        ));
    }
    // SimpleITK reads scaled integer data as float.
    let scaled = h.scl_slope != 0.0 && (h.scl_slope != 1.0 || h.scl_inter != 0.0);
    let pixel_type = if scaled {
        PixelType::F32
    } else {
        pixel_type_of(datatype)
    };
    Ok(Opened {
        bytes,
        start,
        datatype,
        big_endian: h.endianness == Endianness::Big,
        slope: h.scl_slope as f32,
        inter: h.scl_inter as f32,
        geometry,
        pixel_type,
    })
}

/// Voxels decoded per chunk by [`Opened::for_each_chunk`].
const CHUNK: usize = 16 * 1024;

impl Opened {
    /// Decodes voxels `first..first + out.len()` (x fastest, as NIfTI stores them) into `out`,
    /// scaled by `scl_slope`/`scl_inter` exactly as the `nifti` crate does (`v · slope + inter`
    /// with the f32 header values, unless the slope is 0).
    pub fn decode_into(&self, first: usize, out: &mut [f64]) {
        let size = self.datatype.size_of();
        let at = self.start + first * size;
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
        let bytes = &self.bytes[self.start..self.start + self.len() * self.datatype.size_of()];
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

    /// Decodes every voxel into a [`Volume`].
    pub fn into_volume(self) -> Volume {
        let mut data = vec![0.0; self.len()];
        self.decode_into(0, &mut data);
        Volume {
            geometry: self.geometry,
            data,
            pixel_type: self.pixel_type,
        }
    }

    /// Decodes only the voxels of `bb` into a [`Volume`] on that box (geometry as
    /// [`crate::image::crop`] gives it).
    pub fn crop(&self, bb: &crate::image::BoundingBox) -> Volume {
        let g = &self.geometry;
        let [nx, ny, _] = g.size;
        let ext = bb.extent();
        let mut data = vec![0.0; ext.iter().product()];
        let mut rows = data.chunks_exact_mut(ext[0]);
        for z in bb.lo[2]..=bb.hi[2] {
            for y in bb.lo[1]..=bb.hi[1] {
                let row = rows.next().expect("one output row per box row");
                self.decode_into((z * ny + y) * nx + bb.lo[0], row);
            }
        }
        Volume {
            geometry: crate::image::crop_geometry(g, bb),
            data,
            pixel_type: self.pixel_type,
        }
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

/// Reads a NIfTI file into a [`Volume`] of f64 values (scaled by `scl_slope`/`scl_inter`).
pub fn read_volume(path: &Path) -> Result<Volume> {
    Ok(open(path)?.into_volume())
}

/// Reads a label image and selects the voxels equal to `label` as the ROI.
pub fn read_mask(path: &Path, label: i64) -> Result<Mask> {
    let v = open(path)?;
    let target = label as f64;
    let mut data = Vec::with_capacity(v.len());
    v.for_each_chunk(|_, chunk| data.extend(chunk.iter().map(|&x| x == target)));
    Ok(Mask {
        geometry: v.geometry,
        data,
    })
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
        let decoded = open(&path).unwrap().into_volume().data;
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
