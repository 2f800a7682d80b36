//! Resampling to a new voxel spacing, as PyRadiomics `imageoperations.resampleImage` does it
//! with SimpleITK (IBSI 2.4 "interpolation").
//!
//! The output grid covers the ROI bounding box plus `padDistance` voxels (in the new spacing),
//! clipped to the image; its first voxel centre is placed so that voxel corners of the old and
//! new grid coincide at the image corner (PyRadiomics' corner alignment). The image is
//! interpolated with nearest neighbour, trilinear or cubic B-spline (ITK's
//! `BSplineInterpolateImageFunction`, Unser's recursive prefilter with mirror boundaries);
//! the mask always with nearest neighbour. Points outside the input get 0, and results are
//! converted back to the input's storage type, as SimpleITK does.

use crate::image::{crop, BoundingBox, Geometry, Mask, Volume};
use crate::settings::Interpolator;

/// Grid computed by PyRadiomics' `resampleImage` for the given ROI box and target spacing.
pub fn output_grid(g: &Geometry, bb: &BoundingBox, new_spacing: [f64; 3], pad: usize) -> Geometry {
    let mut lb = [0.0; 3];
    let mut size = [0usize; 3];
    let mut origin_idx = [0.0; 3];
    let ext = bb.extent();
    for a in 0..3 {
        let ratio = g.spacing[a] / new_spacing[a];
        let lo = ((bb.lo[a] as f64 - 0.5) * ratio - pad as f64)
            .floor()
            .max(0.0);
        let max_ub = (g.size[a] as f64 * ratio).ceil() - 1.0;
        let ub = ((bb.lo[a] as f64 + ext[a] as f64 - 0.5) * ratio + pad as f64)
            .ceil()
            .min(max_ub);
        lb[a] = lo;
        size[a] = (ub - lo + 1.0) as usize;
        origin_idx[a] = 0.5 * (new_spacing[a] - g.spacing[a]) / g.spacing[a] + lo / ratio;
    }
    Geometry {
        size,
        spacing: new_spacing,
        origin: g.index_to_physical(origin_idx),
        direction: g.direction,
    }
}

/// True when two spacings are equal in `numpy.allclose`'s sense (rtol 1e-5, atol 1e-8).
fn allclose(a: &[f64; 3], b: &[f64; 3]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (x - y).abs() <= 1e-8 + 1e-5 * y.abs())
}

/// Resamples image and mask onto the PyRadiomics output grid. `spacing` entries of 0 keep the
/// original spacing of that axis. When the spacing is unchanged, the pair is only cropped.
pub fn resample_pair(
    image: &Volume,
    mask: &Mask,
    spacing: [f64; 3],
    interpolator: Interpolator,
    pad: usize,
    bb: &BoundingBox,
) -> (Volume, Mask) {
    let g = &image.geometry;
    let new_spacing = [0, 1, 2].map(|a| {
        if spacing[a] == 0.0 {
            g.spacing[a]
        } else {
            spacing[a]
        }
    });
    if allclose(&g.spacing, &new_spacing) {
        return crate::extract::crop_to_roi(image, mask, bb, pad);
    }
    let out = output_grid(g, bb, new_spacing, pad);
    // Continuous input index of output voxel (0,0,0) and the step per output index.
    let start = g.physical_to_index(out.origin);
    let step = [0, 1, 2].map(|a| new_spacing[a] / g.spacing[a]);
    let sampler = Sampler::new(image, interpolator, &start, &step, &out.size);
    let mut data = Vec::with_capacity(out.len());
    let mut mdata = Vec::with_capacity(out.len());
    for z in 0..out.size[2] {
        for y in 0..out.size[1] {
            for x in 0..out.size[0] {
                let c = [
                    start[0] + x as f64 * step[0],
                    start[1] + y as f64 * step[1],
                    start[2] + z as f64 * step[2],
                ];
                let inside = (0..3).all(|a| c[a] >= -0.5 && c[a] < g.size[a] as f64 - 0.5);
                if inside {
                    data.push(image.pixel_type.cast(sampler.eval(c)));
                    let n = [0, 1, 2].map(|a| ((c[a] + 0.5).floor() as usize).min(g.size[a] - 1));
                    mdata.push(mask.data[g.index(n[0], n[1], n[2])]);
                } else {
                    data.push(0.0);
                    mdata.push(false);
                }
            }
        }
    }
    (
        Volume {
            geometry: out.clone(),
            data,
            pixel_type: image.pixel_type,
        },
        Mask {
            geometry: out,
            data: mdata,
        },
    )
}

/// Evaluates the image at continuous indices with one interpolator.
enum Sampler<'a> {
    Nearest(&'a Volume),
    Linear(&'a Volume),
    /// B-spline coefficients of a sub-box of the image: box origin (in input indices),
    /// the box geometry and the full image size (for mirror boundaries).
    BSpline {
        coef: Vec<f64>,
        lo: [usize; 3],
        size: [usize; 3],
    },
}

/// Margin (voxels) around the needed region over which B-spline coefficients are computed:
/// the prefilter's influence decays as |z|ⁿ with |z| = 2 − √3, below 1e-13 after 24 voxels.
const BSPLINE_MARGIN: usize = 24;

impl<'a> Sampler<'a> {
    fn new(
        image: &'a Volume,
        interpolator: Interpolator,
        start: &[f64; 3],
        step: &[f64; 3],
        out: &[usize; 3],
    ) -> Self {
        match interpolator {
            Interpolator::NearestNeighbor => Sampler::Nearest(image),
            Interpolator::Linear => Sampler::Linear(image),
            Interpolator::BSpline => {
                let g = &image.geometry;
                // Input region touched by the output grid, grown by the margin and clipped.
                let mut bb = BoundingBox {
                    lo: [0; 3],
                    hi: [0; 3],
                };
                for a in 0..3 {
                    let first = start[a].floor() - 2.0;
                    let last = (start[a] + (out[a].max(1) - 1) as f64 * step[a]).floor() + 3.0;
                    bb.lo[a] = (first - BSPLINE_MARGIN as f64).max(0.0) as usize;
                    bb.hi[a] = ((last + BSPLINE_MARGIN as f64) as usize).min(g.size[a] - 1);
                }
                // Near the image border the box reaches it, so mirror boundaries apply there
                // exactly as on the whole image.
                let (sub, mut coef) = crop(g, &image.data, &bb);
                bspline_coefficients(&mut coef, sub.size);
                Sampler::BSpline {
                    coef,
                    lo: bb.lo,
                    size: sub.size,
                }
            }
        }
    }

    fn eval(&self, c: [f64; 3]) -> f64 {
        match self {
            Sampler::Nearest(v) => {
                let s = v.geometry.size;
                let n = [0, 1, 2].map(|a| ((c[a] + 0.5).floor() as usize).min(s[a] - 1));
                v.data[v.geometry.index(n[0], n[1], n[2])]
            }
            Sampler::Linear(v) => linear(v, c),
            Sampler::BSpline { coef, lo, size } => {
                let local = [
                    c[0] - lo[0] as f64,
                    c[1] - lo[1] as f64,
                    c[2] - lo[2] as f64,
                ];
                bspline_eval(coef, *size, local)
            }
        }
    }
}

/// Trilinear interpolation with neighbours clamped to the image (ITK `LinearInterpolateImageFunction`).
fn linear(v: &Volume, c: [f64; 3]) -> f64 {
    let s = v.geometry.size;
    let mut idx = [[0usize; 2]; 3];
    let mut w = [[0.0f64; 2]; 3];
    for a in 0..3 {
        let base = c[a].floor();
        let f = c[a] - base;
        let b = base as isize;
        let clamp = |i: isize| i.clamp(0, s[a] as isize - 1) as usize;
        idx[a] = [clamp(b), clamp(b + 1)];
        w[a] = [1.0 - f, f];
    }
    let mut sum = 0.0;
    for (kz, &wz) in w[2].iter().enumerate() {
        for (ky, &wy) in w[1].iter().enumerate() {
            for (kx, &wx) in w[0].iter().enumerate() {
                let wt = wx * wy * wz;
                if wt != 0.0 {
                    sum += wt * v.data[v.geometry.index(idx[0][kx], idx[1][ky], idx[2][kz])];
                }
            }
        }
    }
    sum
}

/// Cubic B-spline pole `z = √3 − 2`.
const POLE: f64 = -0.267_949_192_431_122_7;

/// In-place conversion of samples to cubic B-spline coefficients along every axis
/// (Unser, Aldroubi & Eden 1993; mirror boundaries, causal initialisation truncated at 1e-10
/// as ITK's `BSplineDecompositionImageFilter`).
pub fn bspline_coefficients(data: &mut [f64], size: [usize; 3]) {
    let mut line = Vec::new();
    for axis in 0..3 {
        let n = size[axis];
        if n == 1 {
            continue;
        }
        let stride = match axis {
            0 => 1,
            1 => size[0],
            _ => size[0] * size[1],
        };
        let others: Vec<usize> = (0..data.len()).filter(|&i| (i / stride) % n == 0).collect();
        for &base in &others {
            line.clear();
            line.extend((0..n).map(|k| data[base + k * stride]));
            decompose_line(&mut line);
            for (k, &v) in line.iter().enumerate() {
                data[base + k * stride] = v;
            }
        }
    }
}

fn decompose_line(c: &mut [f64]) {
    let n = c.len();
    let z = POLE;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    for v in c.iter_mut() {
        *v *= gain;
    }
    // Causal initialisation.
    let horizon = ((1e-10f64).ln() / z.abs().ln()).ceil() as usize;
    if horizon < n {
        let mut zn = z;
        let mut sum = c[0];
        for v in c.iter().take(horizon).skip(1) {
            sum += zn * v;
            zn *= z;
        }
        c[0] = sum;
    } else {
        let iz = 1.0 / z;
        let mut zn = z;
        let mut z2n = z.powi(n as i32 - 1);
        let mut sum = c[0] + z2n * c[n - 1];
        // z^(2N-3): (z^(N-1))² / z
        z2n = z2n * z2n * iz;
        for v in c.iter().take(n - 1).skip(1) {
            sum += (zn + z2n) * v;
            zn *= z;
            z2n *= iz;
        }
        c[0] = sum / (1.0 - zn * zn);
    }
    for k in 1..n {
        c[k] += z * c[k - 1];
    }
    // Anti-causal initialisation and recursion.
    c[n - 1] = (z / (z * z - 1.0)) * (z * c[n - 2] + c[n - 1]);
    for k in (0..n - 1).rev() {
        c[k] = z * (c[k + 1] - c[k]);
    }
}

/// Mirror an index into `[0, n)` (ITK's `ApplyMirrorBoundaryConditions`).
fn mirror(i: isize, n: usize) -> usize {
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

/// Evaluates the cubic B-spline with coefficients `coef` (x fastest, `size`) at `c`.
fn bspline_eval(coef: &[f64], size: [usize; 3], c: [f64; 3]) -> f64 {
    let mut idx = [[0usize; 4]; 3];
    let mut w = [[0.0f64; 4]; 3];
    for a in 0..3 {
        let base = c[a].floor() as isize - 1;
        for (k, i) in idx[a].iter_mut().enumerate() {
            *i = mirror(base + k as isize, size[a]);
        }
        let t = c[a] - (base + 1) as f64;
        let w3 = t * t * t / 6.0;
        let w0 = 1.0 / 6.0 + 0.5 * t * (t - 1.0) - w3;
        let w2 = t + w0 - 2.0 * w3;
        let w1 = 1.0 - w0 - w2 - w3;
        w[a] = [w0, w1, w2, w3];
    }
    let mut sum = 0.0;
    for kz in 0..4 {
        for ky in 0..4 {
            let row = size[0] * (idx[1][ky] + size[1] * idx[2][kz]);
            let wzy = w[2][kz] * w[1][ky];
            for kx in 0..4 {
                sum += w[0][kx] * wzy * coef[row + idx[0][kx]];
            }
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_indices() {
        assert_eq!(mirror(-1, 5), 1);
        assert_eq!(mirror(-2, 5), 2);
        assert_eq!(mirror(5, 5), 3);
        assert_eq!(mirror(6, 5), 2);
        assert_eq!(mirror(3, 1), 0);
    }

    #[test]
    fn bspline_reproduces_samples_at_grid_points() {
        let size = [7, 5, 4];
        let data: Vec<f64> = (0..140).map(|i| ((i * 37) % 23) as f64 - 4.0).collect();
        let mut coef = data.clone();
        bspline_coefficients(&mut coef, size);
        for z in 0..4 {
            for y in 0..5 {
                for x in 0..7 {
                    let v = bspline_eval(&coef, size, [x as f64, y as f64, z as f64]);
                    let e = data[x + 7 * (y + 5 * z)];
                    assert!((v - e).abs() < 1e-9, "{v} vs {e} at {x},{y},{z}");
                }
            }
        }
    }

    #[test]
    fn linear_is_exact_on_a_ramp() {
        let g = Geometry::with_spacing([4, 3, 2], [1.0; 3]);
        let data: Vec<f64> = (0..24)
            .map(|i| {
                let c = g.coords(i);
                2.0 * c[0] as f64 + 3.0 * c[1] as f64 - c[2] as f64
            })
            .collect();
        let v = Volume::new(g, data);
        assert!((linear(&v, [1.25, 0.5, 0.75]) - (2.5 + 1.5 - 0.75)).abs() < 1e-12);
    }
}
