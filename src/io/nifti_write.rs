//! NIfTI-1 writing (`.nii`, `.nii.gz`) of integer volumes and label masks.
//!
//! The inverse of [`crate::io::nifti::read_volume`]: a [`Geometry`] (LPS, as SimpleITK and
//! gpurad hold it) becomes a RAS sform *and* an equivalent qform (both with code 1, scanner
//! anatomical), `pixdim` holds the spacing and `xyzt_units` says millimetres. Voxels are
//! stored x fastest; gzip is chosen by a `.gz` file name. Encoding is done by the `nifti`
//! crate's [`nifti::writer::WriterOptions`], whose gzip stream carries no time stamp, so the
//! same volume always gives the same bytes.

use std::path::Path;

use ndarray::{ArrayView3, ShapeBuilder};
use nifti::writer::WriterOptions;
use nifti::{NiftiError, NiftiHeader};

use crate::error::{Error, Result};
use crate::image::Geometry;

/// Voxel types the writer stores: `i16`, `i32` and `f64` for images and `u8` for label
/// masks (any other scalar type the `nifti` crate encodes may be added with one line).
pub trait WritableVoxel: nifti::DataElement + bytemuck::Pod {}

impl WritableVoxel for i16 {}
impl WritableVoxel for i32 {}
impl WritableVoxel for f64 {}
impl WritableVoxel for u8 {}

/// `NIFTI_XFORM_SCANNER_ANAT`: coordinates relative to the scanner.
const XFORM_SCANNER_ANAT: i16 = 1;
/// `NIFTI_UNITS_MM`.
const UNITS_MM: u8 = 2;

/// Writes `data` (x fastest, `geometry.len()` voxels) as a NIfTI-1 file; `.nii.gz` names are
/// gzip-compressed.
///
/// Fails with [`Error::Nifti`] when `data` does not fill the grid or a dimension exceeds
/// the format's 32767, and with [`Error::Write`] when the file cannot be created or written.
pub fn write_volume<T: WritableVoxel>(path: &Path, geometry: &Geometry, data: &[T]) -> Result<()> {
    let fail = |cause: String| Error::Nifti {
        path: path.to_path_buf(),
        cause,
    };
    crate::io::output::require_regular_or_new(path, "the image output")?;
    if data.len() != geometry.len() {
        return Err(fail(format!(
            "{} voxel values given for a {:?} grid of {} voxels",
            data.len(),
            geometry.size,
            geometry.len()
        )));
    }
    if let Some(d) = geometry
        .size
        .iter()
        .find(|&&d| d == 0 || d > i16::MAX as usize)
    {
        return Err(fail(format!(
            "dimension {d} is outside the NIfTI-1 range 1..=32767"
        )));
    }
    let [nx, ny, nz] = geometry.size;
    let array = ArrayView3::from_shape((nx, ny, nz).f(), data)
        .map_err(|e| fail(format!("cannot shape the voxel array: {e}")))?;
    let header = header_for(geometry);
    WriterOptions::new(path)
        .reference_header(&header)
        .write_nifti(&array)
        .map_err(|e| match e {
            NiftiError::Io(cause) => Error::Write {
                path: path.to_path_buf(),
                cause,
            },
            other => fail(other.to_string()),
        })
}

/// A NIfTI-1 header carrying `geometry` (dimensions and data type are filled in by the writer
/// from the array): sform and qform with code 1, `pixdim` = spacing, units millimetres.
pub fn header_for(geometry: &Geometry) -> NiftiHeader {
    let m = ras_affine(geometry);
    let (quatern, qfac) = quaternion(&m, geometry.spacing);
    let sp = geometry.spacing;
    NiftiHeader {
        pixdim: [
            qfac as f32,
            sp[0] as f32,
            sp[1] as f32,
            sp[2] as f32,
            1.0,
            1.0,
            1.0,
            1.0,
        ],
        xyzt_units: UNITS_MM,
        qform_code: XFORM_SCANNER_ANAT,
        sform_code: XFORM_SCANNER_ANAT,
        quatern_b: quatern[0] as f32,
        quatern_c: quatern[1] as f32,
        quatern_d: quatern[2] as f32,
        quatern_x: m[0][3] as f32,
        quatern_y: m[1][3] as f32,
        quatern_z: m[2][3] as f32,
        srow_x: m[0].map(|v| v as f32),
        srow_y: m[1].map(|v| v as f32),
        srow_z: m[2].map(|v| v as f32),
        ..NiftiHeader::default()
    }
}

/// The RAS voxel-to-world affine (3×4) of an LPS geometry: x and y rows negated.
fn ras_affine(g: &Geometry) -> [[f64; 4]; 3] {
    let mut m = [[0.0; 4]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        let flip = if i < 2 { -1.0 } else { 1.0 };
        for (j, cell) in row.iter_mut().take(3).enumerate() {
            *cell = flip * g.direction[i][j] * g.spacing[j];
        }
        row[3] = flip * g.origin[i];
    }
    m
}

/// Quaternion (b, c, d) and qfac of the rotation part of a RAS affine, as
/// `nifti_mat44_to_quatern` of the NIfTI reference library computes them.
fn quaternion(m: &[[f64; 4]; 3], spacing: [f64; 3]) -> ([f64; 3], f64) {
    let mut r = [[0.0; 3]; 3];
    for (i, row) in r.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = m[i][j] / spacing[j];
        }
    }
    let det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
        - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
        + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    let qfac = if det < 0.0 { -1.0 } else { 1.0 };
    if qfac < 0.0 {
        for row in r.iter_mut() {
            row[2] = -row[2];
        }
    }
    let trace = r[0][0] + r[1][1] + r[2][2] + 1.0;
    let (a, b, c, d) = if trace > 0.5 {
        let a = 0.5 * trace.sqrt();
        (
            a,
            0.25 * (r[2][1] - r[1][2]) / a,
            0.25 * (r[0][2] - r[2][0]) / a,
            0.25 * (r[1][0] - r[0][1]) / a,
        )
    } else {
        let xd = 1.0 + r[0][0] - (r[1][1] + r[2][2]);
        let yd = 1.0 + r[1][1] - (r[0][0] + r[2][2]);
        let zd = 1.0 + r[2][2] - (r[0][0] + r[1][1]);
        if xd > 1.0 {
            let b = 0.5 * xd.sqrt();
            (
                0.25 * (r[2][1] - r[1][2]) / b,
                b,
                0.25 * (r[0][1] + r[1][0]) / b,
                0.25 * (r[0][2] + r[2][0]) / b,
            )
        } else if yd > 1.0 {
            let c = 0.5 * yd.sqrt();
            (
                0.25 * (r[0][2] - r[2][0]) / c,
                0.25 * (r[0][1] + r[1][0]) / c,
                c,
                0.25 * (r[1][2] + r[2][1]) / c,
            )
        } else {
            let d = 0.5 * zd.sqrt();
            (
                0.25 * (r[1][0] - r[0][1]) / d,
                0.25 * (r[0][2] + r[2][0]) / d,
                0.25 * (r[1][2] + r[2][1]) / d,
                d,
            )
        }
    };
    let sign = if a < 0.0 { -1.0 } else { 1.0 };
    ([sign * b, sign * c, sign * d], qfac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::nifti::{read_mask, read_volume};

    /// A sagittal grid: index x runs posterior, y inferior, z towards the patient's right.
    fn sagittal(size: [usize; 3]) -> Geometry {
        Geometry {
            size,
            spacing: [0.7, 0.8, 4.0],
            origin: [12.5, -40.25, 61.0],
            direction: [[0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, -1.0, 0.0]],
        }
    }

    fn assert_geometry_close(a: &Geometry, b: &Geometry) {
        assert_eq!(a.size, b.size);
        for i in 0..3 {
            assert!((a.spacing[i] - b.spacing[i]).abs() < 1e-6, "{a:?} vs {b:?}");
            assert!((a.origin[i] - b.origin[i]).abs() < 1e-4, "{a:?} vs {b:?}");
            for j in 0..3 {
                assert!((a.direction[i][j] - b.direction[i][j]).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn int16_round_trip_keeps_values_and_geometry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("img.nii.gz");
        let g = sagittal([5, 4, 3]);
        let data: Vec<i16> = (0..g.len()).map(|i| (i as i16 - 20) * 97).collect();
        write_volume(&path, &g, &data).unwrap();
        let v = read_volume(&path).unwrap();
        assert_geometry_close(&v.geometry, &g);
        let expect: Vec<f64> = data.iter().map(|&x| x as f64).collect();
        assert_eq!(v.data, expect);
        assert_eq!(v.pixel_type, crate::image::PixelType::I16);
    }

    #[test]
    fn uint8_mask_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mask.nii");
        let g = sagittal([6, 5, 2]);
        let data: Vec<u8> = (0..g.len()).map(|i| u8::from(i % 7 == 3)).collect();
        write_volume(&path, &g, &data).unwrap();
        let m = read_mask(&path, 1).unwrap();
        assert_geometry_close(&m.geometry, &g);
        let expect: Vec<bool> = data.iter().map(|&x| x == 1).collect();
        assert_eq!(m.data, expect);
    }

    #[test]
    fn qform_alone_gives_the_same_geometry() {
        for direction in [
            [[0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, -1.0, 0.0]],
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, -1.0, 0.0]],
            [[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]],
        ] {
            let dir = tempfile::tempdir().unwrap();
            let g = Geometry {
                direction,
                ..sagittal([3, 4, 5])
            };
            let data = vec![7i16; g.len()];
            let mut header = header_for(&g);
            header.sform_code = 0;
            let path = dir.path().join("q.nii");
            let [nx, ny, nz] = g.size;
            let array = ArrayView3::from_shape((nx, ny, nz).f(), &data[..]).unwrap();
            WriterOptions::new(&path)
                .reference_header(&header)
                .write_nifti(&array)
                .unwrap();
            assert_geometry_close(&read_volume(&path).unwrap().geometry, &g);
        }
    }

    #[test]
    fn same_volume_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let g = sagittal([8, 8, 2]);
        let data: Vec<i16> = (0..g.len()).map(|i| (i * 31 % 200) as i16).collect();
        let (a, b) = (dir.path().join("a.nii.gz"), dir.path().join("b.nii.gz"));
        write_volume(&a, &g, &data).unwrap();
        write_volume(&b, &g, &data).unwrap();
        assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    }

    #[test]
    fn wrong_length_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let g = sagittal([2, 2, 2]);
        let err = write_volume(&dir.path().join("x.nii"), &g, &[0u8; 7]).unwrap_err();
        assert!(err.to_string().contains("7 voxel values"), "{err}");
    }
}
