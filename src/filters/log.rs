//! Laplacian of Gaussian images as PyRadiomics computes them (`imageoperations.getLoGImage`:
//! SimpleITK's `LaplacianRecursiveGaussianImageFilter` with normalisation across scale, σ in
//! mm, float output), named `log-sigma-<σ>-mm-3D`.
//!
//! The Laplacian `Σ_d ∂²(G_σ ∗ I)/∂x_d²` is a sum of three separable terms. Term `d` is the
//! [`RecursiveGaussian`] second derivative along axis `d`, then the smoothing Gaussian along
//! the other two axes in increasing order, divided by `spacing_d²`; the terms are added in the
//! order x, y, z. As in ITK, every intermediate image is float32 (each pass rounds its
//! output to float), the sum is accumulated in float, and the result is float.
//!
//! The filters see the whole filtered region (recursive filters reach across every line),
//! but only the final ROI box is kept: each pass computes whole lines along its axis only
//! where a later pass or the box reads them. Term `d` filters every line along `d` of the
//! region but keeps only the box's range along `d`; the second pass keeps the box's range
//! along its axis too, and the last pass only the box. Lines are computed exactly as ITK
//! computes them, so the box's values are ITK's bit for bit.

use rayon::prelude::*;

use super::recursive_gaussian::{Order, RecursiveGaussian};
use crate::error::{Error, Result};
use crate::image::{crop_geometry, BoundingBox, PixelType, Volume};

/// Fewest voxels along every axis of the region (ITK's recursive filters need four per line;
/// PyRadiomics computes no LoG image below this).
pub const MIN_SIZE: usize = 4;

/// The image name PyRadiomics gives σ written as `text` (`str(sigma)` in Python: `3` for an
/// integer, `3.0` for a float): `log-sigma-3-0-mm-3D`.
pub fn image_name(text: &str) -> String {
    format!("log-sigma-{}-mm-3D", text.replace('.', "-"))
}

/// Checks PyRadiomics' size conditions for σ on a region of `size` voxels of `spacing` mm:
/// at least [`MIN_SIZE`] voxels along every axis, and `size ≥ ⌈σ / spacing⌉ + 1` along each.
/// PyRadiomics skips the image with a warning; here it is an error that says why. A σ so
/// small against the spacing that the filter's coefficients overflow is refused too.
pub fn check_size(size: [usize; 3], spacing: [f64; 3], sigma: f64, name: &str) -> Result<()> {
    if size.iter().any(|&n| n < MIN_SIZE) {
        return Err(Error::Compute(format!(
            "image type {name}: the filtered region is {}×{}×{} voxels; the LoG filter needs at least {MIN_SIZE} along every axis",
            size[0], size[1], size[2]
        )));
    }
    for a in 0..3 {
        let finite = [Order::Smoothing, Order::SecondDerivative]
            .iter()
            .all(|&o| RecursiveGaussian::new(sigma, spacing[a], o).is_finite());
        if !finite {
            return Err(Error::Compute(format!(
                "image type {name}: σ {sigma} mm is too small for voxels of {} mm along axis {}: the recursive filter's coefficients are not finite numbers",
                spacing[a],
                ["x", "y", "z"][a]
            )));
        }
        let need = (sigma / spacing[a]).ceil() + 1.0;
        if (size[a] as f64) < need {
            return Err(Error::Compute(format!(
                "image type {name}: σ {sigma} mm over voxels of {} mm needs at least {need} voxels along axis {} of the filtered region, which has {}",
                spacing[a],
                ["x", "y", "z"][a],
                size[a]
            )));
        }
    }
    Ok(())
}

/// Bytes one LoG image holds while it is computed, besides the region itself: the float32
/// results of the first two passes of the largest term, the last pass and the sum.
pub fn scratch_bytes(size: [usize; 3], bb: &BoundingBox) -> u128 {
    let e = bb.extent().map(|v| v as u128);
    let n = size.map(|v| v as u128);
    let term = |d: usize| {
        let (j0, j1) = match d {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        e[d] * n[j0] * n[j1] + e[d] * e[j0] * n[j1]
    };
    4 * ((0..3).map(term).max().unwrap_or(0) + 2 * e.iter().product::<u128>())
}

/// A box of a voxel grid: first index and size along x, y, z.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    lo: [usize; 3],
    size: [usize; 3],
}

impl Span {
    fn len(&self) -> usize {
        self.size.iter().product()
    }

    /// This span with axis `a` narrowed to `other`'s range.
    fn narrowed(mut self, a: usize, other: &Span) -> Span {
        self.lo[a] = other.lo[a];
        self.size[a] = other.size[a];
        self
    }
}

/// Lines filtered together (along x, lines of neighbouring rows share instructions).
const BUNDLE: usize = super::recursive_gaussian::LANES;

/// Filters `input` (values on `from`, x fastest) along `axis` with `filter` and returns the
/// float32-rounded results on `to` (x fastest). `from` must hold whole lines along `axis`
/// (its range there is the region's), and `to` must lie inside `from`.
fn pass<T: Copy + Into<f64> + Sync>(
    input: &[T],
    from: Span,
    axis: usize,
    filter: &RecursiveGaussian,
    to: Span,
) -> Vec<f32> {
    debug_assert_eq!(input.len(), from.len());
    let len = from.size[axis];
    let at = |p: [usize; 3]| {
        (p[0] - from.lo[0])
            + from.size[0] * ((p[1] - from.lo[1]) + from.size[1] * (p[2] - from.lo[2]))
    };
    let keep = to.lo[axis] - from.lo[axis]..to.lo[axis] - from.lo[axis] + to.size[axis];
    let mut out = vec![0f32; to.len()];
    let (tx, ty) = (to.size[0], to.size[1]);
    // Filters the `w` interleaved lines in `data`; the kept samples, `[k][line]`, in `res`.
    let run = |data: &[f64], w: usize, res: &mut Vec<f64>, c: &mut Vec<f64>, a: &mut Vec<f64>| {
        res.clear();
        res.resize(keep.len() * w, 0.0);
        filter.filter_lines(data, w, keep.clone(), res, c, a);
    };
    match axis {
        0 => {
            // One task per output z plane; lines along x in bundles of rows.
            out.par_chunks_mut((tx * ty).max(1))
                .enumerate()
                .for_each(|(zi, plane)| {
                    let z = to.lo[2] + zi;
                    let (mut data, mut res) = (Vec::new(), Vec::new());
                    let (mut c, mut a) = (Vec::new(), Vec::new());
                    for y0 in (0..ty).step_by(BUNDLE) {
                        let w = BUNDLE.min(ty - y0);
                        data.clear();
                        data.resize(len * w, 0.0);
                        for j in 0..w {
                            let start = at([from.lo[0], to.lo[1] + y0 + j, z]);
                            for (k, &v) in input[start..start + len].iter().enumerate() {
                                data[k * w + j] = v.into();
                            }
                        }
                        run(&data, w, &mut res, &mut c, &mut a);
                        for j in 0..w {
                            let row = &mut plane[(y0 + j) * tx..(y0 + j + 1) * tx];
                            for (k, o) in row.iter_mut().enumerate() {
                                *o = res[k * w + j] as f32;
                            }
                        }
                    }
                })
        }
        1 => {
            // One task per output z plane; all lines of the plane's rows together.
            out.par_chunks_mut((tx * ty).max(1))
                .enumerate()
                .for_each(|(zi, plane)| {
                    let z = to.lo[2] + zi;
                    let mut data = Vec::with_capacity(len * tx);
                    for k in 0..len {
                        let start = at([to.lo[0], from.lo[1] + k, z]);
                        data.extend(input[start..start + tx].iter().map(|&v| v.into()));
                    }
                    let (mut res, mut c, mut a) = (Vec::new(), Vec::new(), Vec::new());
                    run(&data, tx, &mut res, &mut c, &mut a);
                    for (o, &r) in plane.iter_mut().zip(&res) {
                        *o = r as f32;
                    }
                })
        }
        _ => {
            // One task per output row y (its lines along z), scattered into the planes after.
            let rows: Vec<Vec<f32>> = (0..ty)
                .into_par_iter()
                .map(|yi| {
                    let y = to.lo[1] + yi;
                    let mut data = Vec::with_capacity(len * tx);
                    for k in 0..len {
                        let start = at([to.lo[0], y, from.lo[2] + k]);
                        data.extend(input[start..start + tx].iter().map(|&v| v.into()));
                    }
                    let (mut res, mut c, mut a) = (Vec::new(), Vec::new(), Vec::new());
                    run(&data, tx, &mut res, &mut c, &mut a);
                    res.iter().map(|&r| r as f32).collect()
                })
                .collect();
            for (yi, row) in rows.iter().enumerate() {
                for (zi, part) in row.chunks(tx.max(1)).enumerate() {
                    out[tx * (yi + ty * zi)..][..tx].copy_from_slice(part);
                }
            }
        }
    }
    out
}

/// The LoG image of σ `sigma` mm of `region` (the whole filtered region), cut to `bb`.
/// Values are float32, as SimpleITK's. The caller checks [`check_size`] first.
pub fn image(region: &Volume, bb: &BoundingBox, sigma: f64) -> Volume {
    let size = region.geometry.size;
    let spacing = region.geometry.spacing;
    let whole = Span { lo: [0; 3], size };
    let target = Span {
        lo: bb.lo,
        size: bb.extent(),
    };
    let mut sum = vec![0f32; target.len()];
    for d in 0..3 {
        let others: Vec<usize> = (0..3).filter(|&a| a != d).collect();
        let (j0, j1) = (others[0], others[1]);
        let second = RecursiveGaussian::new(sigma, spacing[d], Order::SecondDerivative);
        let first_out = whole.narrowed(d, &target);
        let a = pass(&region.data, whole, d, &second, first_out);
        let smooth0 = RecursiveGaussian::new(sigma, spacing[j0], Order::Smoothing);
        let second_out = first_out.narrowed(j0, &target);
        let b = pass(&a, first_out, j0, &smooth0, second_out);
        drop(a);
        let smooth1 = RecursiveGaussian::new(sigma, spacing[j1], Order::Smoothing);
        let c = pass(&b, second_out, j1, &smooth1, target);
        drop(b);
        // ITK adds `a + b · (1 / spacing²)` in double and stores float.
        let spacing2 = spacing[d] * spacing[d];
        for (s, &v) in sum.iter_mut().zip(&c) {
            *s = (*s as f64 + v as f64 * (1.0 / spacing2)) as f32;
        }
    }
    Volume {
        geometry: crop_geometry(&region.geometry, bb),
        data: sum.into_iter().map(f64::from).collect(),
        pixel_type: PixelType::F32,
    }
}
