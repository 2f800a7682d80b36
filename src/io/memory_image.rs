//! Images held in memory rather than in a file: the voxels and grid of an array handed over
//! by a caller (the Python package's numpy arrays and SimpleITK images). They are checked as
//! a file's header is — the byte count against the grid, spacing positive, origin finite,
//! directions a rotation — and then read by the same code as every file format, so an array
//! gives exactly the features its file would.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use nifti::NiftiType;

use super::nifti::Opened;
use crate::error::{Error, Result};
use crate::image::Geometry;

/// Largest departure of the direction cosines from orthonormality accepted (as the NRRD
/// reader: SimpleITK's own images are orthonormal to rounding).
const ORTHONORMAL_TOLERANCE: f64 = 1e-3;

/// An image in memory: voxel bytes (scalars in the machine's byte order, x fastest; owned,
/// or borrowed from the caller) on a grid, named for messages.
#[derive(Debug, Clone)]
pub struct MemoryImage<'a> {
    name: PathBuf,
    bytes: Cow<'a, [u8]>,
    datatype: NiftiType,
    geometry: Geometry,
}

/// The scalar type of a numpy dtype name (`int16`, `float32`, …).
fn scalar_type(dtype: &str) -> Option<NiftiType> {
    Some(match dtype {
        "int8" => NiftiType::Int8,
        "uint8" | "bool" => NiftiType::Uint8,
        "int16" => NiftiType::Int16,
        "uint16" => NiftiType::Uint16,
        "int32" => NiftiType::Int32,
        "uint32" => NiftiType::Uint32,
        "int64" => NiftiType::Int64,
        "uint64" => NiftiType::Uint64,
        "float32" => NiftiType::Float32,
        "float64" => NiftiType::Float64,
        _ => return None,
    })
}

impl<'a> MemoryImage<'a> {
    /// An image named `name` (in messages, e.g. `image array`) whose voxels are `bytes`:
    /// values of the numpy dtype `dtype` in the machine's byte order, x fastest, on
    /// `geometry`.
    pub fn new(
        name: &str,
        bytes: impl Into<Cow<'a, [u8]>>,
        dtype: &str,
        geometry: Geometry,
    ) -> Result<MemoryImage<'a>> {
        let bytes = bytes.into();
        let path = PathBuf::from(name);
        let bad = |cause: String| Error::Image {
            path: path.clone(),
            format: "array",
            cause,
        };
        let datatype = scalar_type(dtype).ok_or_else(|| {
            bad(format!(
                "arrays of dtype {dtype} are not supported (integers, bool, float32 or float64)"
            ))
        })?;
        let voxels = geometry
            .size
            .iter()
            .try_fold(1usize, |n, &s| n.checked_mul(s))
            .filter(|&n| n > 0);
        let need = voxels.and_then(|n| n.checked_mul(datatype.size_of()));
        if need != Some(bytes.len()) {
            return Err(bad(format!(
                "the array holds {} bytes, but a grid of {:?} voxels of {dtype} needs {}",
                bytes.len(),
                geometry.size,
                need.map_or("more than memory holds".into(), |n| n.to_string())
            )));
        }
        if geometry
            .spacing
            .iter()
            .any(|s| !(s.is_finite() && *s > 0.0))
        {
            return Err(bad(format!(
                "spacing {:?} must be finite and positive",
                geometry.spacing
            )));
        }
        let cosines = geometry.direction.iter().flatten();
        if geometry
            .origin
            .iter()
            .chain(cosines)
            .any(|v| !v.is_finite())
        {
            return Err(bad("origin and direction must be finite".into()));
        }
        let d = &geometry.direction;
        for a in 0..3 {
            for b in a..3 {
                let dot: f64 = (0..3).map(|i| d[i][a] * d[i][b]).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                if (dot - want).abs() > ORTHONORMAL_TOLERANCE {
                    return Err(bad(format!(
                        "direction columns {a} and {b} are not orthonormal: the direction must be a rotation"
                    )));
                }
            }
        }
        Ok(MemoryImage {
            name: path,
            bytes,
            datatype,
            geometry,
        })
    }

    /// The name it is called by in messages.
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// Its voxel grid.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The image opened as a file would be (its voxels borrowed, not copied).
    pub fn open(&self) -> Opened<'_> {
        Opened::from_parts(
            Cow::Borrowed(&self.bytes),
            self.datatype,
            cfg!(target_endian = "big"),
            self.geometry.clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Geometry {
        Geometry::with_spacing([2, 2, 1], [1.0, 1.0, 2.0])
    }

    #[test]
    fn values_read_back_as_written() {
        let v: Vec<u8> = [-3i16, 0, 7, 1000]
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect();
        let img = MemoryImage::new("image array", v, "int16", grid()).unwrap();
        let vol = img.open().into_volume().unwrap();
        assert_eq!(vol.data, vec![-3.0, 0.0, 7.0, 1000.0]);
        assert_eq!(vol.geometry, grid());
    }

    #[test]
    fn wrong_sizes_and_grids_are_refused_with_the_name() {
        let e = MemoryImage::new("image array", vec![0; 7], "int16", grid()).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("image array") && m.contains("7 bytes"), "{m}");
        let e = MemoryImage::new("mask array", vec![0; 4], "complex64", grid()).unwrap_err();
        assert!(e.to_string().contains("complex64"), "{e}");
        let mut g = grid();
        g.spacing[2] = 0.0;
        assert!(MemoryImage::new("a", vec![0; 4], "uint8", g).is_err());
        let mut g = grid();
        g.direction[0] = [1.0, 1.0, 0.0];
        let e = MemoryImage::new("a", vec![0; 4], "uint8", g).unwrap_err();
        assert!(e.to_string().contains("orthonormal"), "{e}");
        let g = Geometry::with_spacing([usize::MAX, 2, 2], [1.0; 3]);
        assert!(MemoryImage::new("a", vec![0; 4], "uint8", g).is_err());
    }
}
