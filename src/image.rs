//! In-memory volumes and their physical geometry.
//!
//! Voxels are stored x fastest (`index = x + nx * (y + ny * z)`), the NIfTI on-disk order.
//! Physical coordinates follow the ITK/DICOM LPS convention, so that origins and directions
//! match what SimpleITK (and hence PyRadiomics) report for the same file.

/// Voxel grid of a volume: size, spacing and its placement in physical space.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// Number of voxels along x, y, z.
    pub size: [usize; 3],
    /// Voxel spacing along x, y, z in millimetres.
    pub spacing: [f64; 3],
    /// Physical position (LPS, mm) of the centre of voxel (0, 0, 0).
    pub origin: [f64; 3],
    /// Direction cosines: column `j` is the physical direction of index axis `j`.
    pub direction: [[f64; 3]; 3],
}

impl Geometry {
    /// Geometry with the given size and spacing, origin 0 and identity direction.
    pub fn with_spacing(size: [usize; 3], spacing: [f64; 3]) -> Self {
        Geometry {
            size,
            spacing,
            origin: [0.0; 3],
            direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        }
    }

    /// Number of voxels in the grid.
    pub fn len(&self) -> usize {
        self.size[0] * self.size[1] * self.size[2]
    }

    /// True when the grid holds no voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Linear index of voxel `(x, y, z)`.
    #[inline]
    pub fn index(&self, x: usize, y: usize, z: usize) -> usize {
        x + self.size[0] * (y + self.size[1] * z)
    }

    /// Voxel coordinates `(x, y, z)` of a linear index.
    #[inline]
    pub fn coords(&self, i: usize) -> [usize; 3] {
        let x = i % self.size[0];
        let yz = i / self.size[0];
        [x, yz % self.size[1], yz / self.size[1]]
    }

    /// Physical point (mm) of a continuous voxel index.
    pub fn index_to_physical(&self, idx: [f64; 3]) -> [f64; 3] {
        let mut p = self.origin;
        for (r, pr) in p.iter_mut().enumerate() {
            for (c, &i) in idx.iter().enumerate() {
                *pr += self.direction[r][c] * self.spacing[c] * i;
            }
        }
        p
    }

    /// Continuous voxel index of a physical point (inverse of [`Geometry::index_to_physical`];
    /// the direction matrix is orthonormal, so its inverse is its transpose).
    pub fn physical_to_index(&self, p: [f64; 3]) -> [f64; 3] {
        let d = [
            p[0] - self.origin[0],
            p[1] - self.origin[1],
            p[2] - self.origin[2],
        ];
        let mut idx = [0.0; 3];
        for (c, ic) in idx.iter_mut().enumerate() {
            let proj: f64 = (0..3).map(|r| self.direction[r][c] * d[r]).sum();
            *ic = proj / self.spacing[c];
        }
        idx
    }
}

/// Storage type of an image's voxels as read from its file.
///
/// Values are always held as f64; the type matters where SimpleITK (and so PyRadiomics)
/// writes results back into the input type, as when resampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelType {
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 8-bit integer.
    I8,
    /// Unsigned 16-bit integer.
    U16,
    /// Signed 16-bit integer.
    I16,
    /// Unsigned 32-bit integer.
    U32,
    /// Signed 32-bit integer.
    I32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 64-bit integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
}

impl PixelType {
    /// Converts a computed value to this type as ITK's resampler does: integers are clamped
    /// to the type's range and truncated toward zero, f32 is rounded to nearest.
    pub fn cast(self, v: f64) -> f64 {
        let int = |lo: f64, hi: f64| {
            if v.is_nan() {
                0.0
            } else {
                v.clamp(lo, hi).trunc()
            }
        };
        match self {
            PixelType::U8 => int(0.0, 255.0),
            PixelType::I8 => int(-128.0, 127.0),
            PixelType::U16 => int(0.0, 65535.0),
            PixelType::I16 => int(-32768.0, 32767.0),
            PixelType::U32 => int(0.0, u32::MAX as f64),
            PixelType::I32 => int(i32::MIN as f64, i32::MAX as f64),
            PixelType::U64 => int(0.0, u64::MAX as f64),
            PixelType::I64 => int(i64::MIN as f64, i64::MAX as f64),
            PixelType::F32 => v as f32 as f64,
            PixelType::F64 => v,
        }
    }
}

/// A scalar image: voxel values as f64 on a [`Geometry`].
#[derive(Debug, Clone)]
pub struct Volume {
    /// The voxel grid.
    pub geometry: Geometry,
    /// Voxel values, x fastest.
    pub data: Vec<f64>,
    /// Storage type of the values in the source file (after any intensity scaling).
    pub pixel_type: PixelType,
}

impl Volume {
    /// A double-precision volume.
    pub fn new(geometry: Geometry, data: Vec<f64>) -> Self {
        Volume {
            geometry,
            data,
            pixel_type: PixelType::F64,
        }
    }
}

/// A binary region-of-interest mask on a [`Geometry`] (true = inside the ROI).
#[derive(Debug, Clone)]
pub struct Mask {
    /// The voxel grid.
    pub geometry: Geometry,
    /// One flag per voxel, x fastest.
    pub data: Vec<bool>,
}

/// Inclusive voxel bounding box `[lo, hi]` along x, y, z.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundingBox {
    /// Lowest index per axis.
    pub lo: [usize; 3],
    /// Highest index per axis (inclusive).
    pub hi: [usize; 3],
}

impl BoundingBox {
    /// Number of voxels spanned along each axis.
    pub fn extent(&self) -> [usize; 3] {
        [
            self.hi[0] - self.lo[0] + 1,
            self.hi[1] - self.lo[1] + 1,
            self.hi[2] - self.lo[2] + 1,
        ]
    }
}

impl Mask {
    /// Number of voxels inside the ROI.
    pub fn count(&self) -> usize {
        // Booleans are bytes 0 or 1: summed as bytes in blocks of 255, which cannot overflow
        // (the compiler packs 16 or 32 per vector instruction; a usize per voxel packs 2 or 4).
        self.data
            .chunks(255)
            .map(|c| c.iter().fold(0u8, |a, &m| a + u8::from(m)) as usize)
            .sum()
    }

    /// Tight bounding box of the ROI, or `None` when the ROI is empty.
    pub fn bounding_box(&self) -> Option<BoundingBox> {
        let g = &self.geometry;
        let mut lo = [usize::MAX; 3];
        let mut hi = [0usize; 3];
        let mut any = false;
        let plane = g.size[0] * g.size[1];
        for z in 0..g.size[2] {
            // The slice's first and last ROI voxels bound the rows to look at.
            let slice: &[u8] = bytemuck::cast_slice(&self.data[z * plane..(z + 1) * plane]);
            let Some(first_in_slice) = memchr::memchr(1, slice) else {
                continue;
            };
            let last_in_slice = memchr::memrchr(1, slice).unwrap_or(first_in_slice);
            let (y0, y1) = (first_in_slice / g.size[0], last_in_slice / g.size[0]);
            for y in y0..=y1 {
                let start = g.index(0, y, z);
                let row: &[u8] = bytemuck::cast_slice(&self.data[start..start + g.size[0]]);
                // The first and last ROI voxels of the row bound it along x.
                let Some(first) = memchr::memchr(1, row) else {
                    continue;
                };
                let last = memchr::memrchr(1, row).unwrap_or(first);
                any = true;
                lo = [lo[0].min(first), lo[1].min(y), lo[2].min(z)];
                hi = [hi[0].max(last), hi[1].max(y), hi[2].max(z)];
            }
        }
        any.then_some(BoundingBox { lo, hi })
    }
}

/// Copies the box `[lo, hi]` (inclusive) out of a voxel array laid out on `geometry`,
/// returning the sub-array and the geometry of the sub-grid (origin moved to `lo`).
pub fn crop<T: Copy>(geometry: &Geometry, data: &[T], bb: &BoundingBox) -> (Geometry, Vec<T>) {
    let ext = bb.extent();
    let mut out = Vec::with_capacity(ext[0] * ext[1] * ext[2]);
    for z in bb.lo[2]..=bb.hi[2] {
        for y in bb.lo[1]..=bb.hi[1] {
            let start = geometry.index(bb.lo[0], y, z);
            out.extend_from_slice(&data[start..start + ext[0]]);
        }
    }
    (crop_geometry(geometry, bb), out)
}

/// The grid of the box `bb` of `geometry` (same spacing and direction, origin at the box's
/// first voxel).
pub fn crop_geometry(geometry: &Geometry, bb: &BoundingBox) -> Geometry {
    let origin = geometry.index_to_physical([bb.lo[0] as f64, bb.lo[1] as f64, bb.lo[2] as f64]);
    Geometry {
        size: bb.extent(),
        spacing: geometry.spacing,
        origin,
        direction: geometry.direction,
    }
}

/// The ROI box grown by `pad` voxels and clamped to a grid of `size`.
pub fn padded_box(bb: &BoundingBox, pad: usize, size: [usize; 3]) -> BoundingBox {
    BoundingBox {
        lo: [0, 1, 2].map(|a| bb.lo[a].saturating_sub(pad)),
        hi: [0, 1, 2].map(|a| (bb.hi[a] + pad).min(size[a] - 1)),
    }
}

/// Crops a volume to the ROI box grown by `pad` voxels (PyRadiomics `cropToTumorMask`).
pub fn crop_volume(image: &Volume, bb: &BoundingBox, pad: usize) -> Volume {
    let (geometry, data) = crop(
        &image.geometry,
        &image.data,
        &padded_box(bb, pad, image.geometry.size),
    );
    Volume {
        geometry,
        data,
        pixel_type: image.pixel_type,
    }
}

/// Crops a mask to the ROI box grown by `pad` voxels (PyRadiomics `cropToTumorMask`).
pub fn crop_mask(mask: &Mask, bb: &BoundingBox, pad: usize) -> Mask {
    let (geometry, data) = crop(
        &mask.geometry,
        &mask.data,
        &padded_box(bb, pad, mask.geometry.size),
    );
    Mask { geometry, data }
}

/// Crops image and mask together (see [`crop_volume`], [`crop_mask`]).
pub fn crop_to_roi(image: &Volume, mask: &Mask, bb: &BoundingBox, pad: usize) -> (Volume, Mask) {
    (crop_volume(image, bb, pad), crop_mask(mask, bb, pad))
}

/// Values of `image` inside `mask`, in voxel order.
pub fn roi_values(image: &Volume, mask: &Mask) -> Vec<f64> {
    image
        .data
        .iter()
        .zip(&mask.data)
        .filter(|(_, &m)| m)
        .map(|(&v, _)| v)
        .collect()
}

/// An index mirrored into `[0, n)` without repeating the edge sample (period `2n − 2`; 0 for
/// `n = 1`): the boundary of ITK's `ApplyMirrorBoundaryConditions` and of SciPy's `mirror`
/// mode.
pub fn mirror_index(i: isize, n: usize) -> usize {
    if i >= 0 && (i as usize) < n {
        return i as usize;
    }
    if n == 1 {
        return 0;
    }
    let p = 2 * (n as isize - 1);
    let mut j = if i < 0 {
        -i - p * ((-i) / p)
    } else {
        i - p * (i / p)
    };
    if j > n as isize - 1 {
        j = p - j;
    }
    j as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trip_and_physical_inverse() {
        let mut g = Geometry::with_spacing([4, 5, 6], [0.5, 2.0, 3.0]);
        g.origin = [10.0, -3.0, 7.0];
        // 90 degree rotation about z.
        g.direction = [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
        let i = g.index(3, 4, 5);
        assert_eq!(g.coords(i), [3, 4, 5]);
        let p = g.index_to_physical([1.0, 2.0, 3.0]);
        assert_eq!(p, [10.0 - 4.0, -3.0 + 0.5, 7.0 + 9.0]);
        let back = g.physical_to_index(p);
        for (b, e) in back.iter().zip([1.0, 2.0, 3.0]) {
            assert!((b - e).abs() < 1e-12);
        }
    }

    #[test]
    fn count_over_whole_and_partial_blocks() {
        for n in [0usize, 1, 254, 255, 256, 255 * 3 + 17, 100_000] {
            let g = Geometry::with_spacing([n, 1, 1], [1.0; 3]);
            let m = Mask {
                geometry: g,
                // All set in the first block (every byte 1), then one in three.
                data: (0..n).map(|i| i < 255 || i % 3 == 0).collect(),
            };
            assert_eq!(m.count(), m.data.iter().filter(|&&b| b).count(), "n {n}");
        }
    }

    #[test]
    fn bounding_box_and_crop() {
        let g = Geometry::with_spacing([4, 3, 2], [1.0; 3]);
        let mut m = Mask {
            geometry: g.clone(),
            data: vec![false; g.len()],
        };
        assert!(m.bounding_box().is_none());
        m.data[g.index(1, 2, 0)] = true;
        m.data[g.index(2, 1, 1)] = true;
        let bb = m.bounding_box().unwrap();
        assert_eq!(
            bb,
            BoundingBox {
                lo: [1, 1, 0],
                hi: [2, 2, 1]
            }
        );
        let values: Vec<usize> = (0..g.len()).collect();
        let (cg, c) = crop(&g, &values, &bb);
        assert_eq!(cg.size, [2, 2, 2]);
        assert_eq!(c, vec![5, 6, 9, 10, 17, 18, 21, 22]);
        assert_eq!(cg.origin, [1.0, 1.0, 0.0]);
    }

    #[test]
    fn bounding_box_equals_a_scan_of_every_voxel() {
        let mut step = crate::rng::lcg(77);
        let mut next = || step() >> 33;
        for size in [[1, 1, 1], [5, 4, 3], [9, 2, 6], [3, 8, 1]] {
            let g = Geometry::with_spacing(size, [1.0; 3]);
            for density in [0u64, 1, 5, 50] {
                let m = Mask {
                    geometry: g.clone(),
                    data: (0..g.len()).map(|_| next() % 100 < density).collect(),
                };
                let mut want: Option<BoundingBox> = None;
                for z in 0..size[2] {
                    for y in 0..size[1] {
                        for x in 0..size[0] {
                            if m.data[g.index(x, y, z)] {
                                let b = want.get_or_insert(BoundingBox {
                                    lo: [x, y, z],
                                    hi: [x, y, z],
                                });
                                b.lo = [b.lo[0].min(x), b.lo[1].min(y), b.lo[2].min(z)];
                                b.hi = [b.hi[0].max(x), b.hi[1].max(y), b.hi[2].max(z)];
                            }
                        }
                    }
                }
                assert_eq!(m.bounding_box(), want, "{size:?} density {density}");
            }
        }
    }
}
