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

use crate::image::{mirror_index, BoundingBox, Geometry, Mask, Volume};
use crate::settings::{Interpolator, MaskInterpolator, ResamplingGrid};

/// `D · diag(s)`: maps index offsets to physical offsets (ITK `m_IndexToPhysicalPoint`).
fn index_matrix(g: &Geometry) -> [[f64; 3]; 3] {
    let mut m = [[0.0; 3]; 3];
    for (r, row) in m.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = g.direction[r][c] * g.spacing[c];
        }
    }
    m
}

/// `diag(1/s) · Dᵀ`: physical offsets to index offsets (exact inverse for axis-aligned and
/// flipped directions, as ITK computes it there).
fn inverse_index_matrix(g: &Geometry) -> [[f64; 3]; 3] {
    let mut m = [[0.0; 3]; 3];
    for (r, row) in m.iter_mut().enumerate() {
        let inv = 1.0 / g.spacing[r];
        for (c, v) in row.iter_mut().enumerate() {
            *v = g.direction[c][r] * inv;
        }
    }
    m
}

/// Integer index to physical point, origin first (ITK `TransformIndexToPhysicalPoint`).
fn index_to_point(g: &Geometry, m: &[[f64; 3]; 3], idx: [f64; 3]) -> [f64; 3] {
    let mut p = g.origin;
    for r in 0..3 {
        for c in 0..3 {
            p[r] += m[r][c] * idx[c];
        }
    }
    p
}

/// Continuous index to physical point, origin last (ITK `TransformContinuousIndexToPhysicalPoint`).
fn cindex_to_point(g: &Geometry, m: &[[f64; 3]; 3], ci: [f64; 3]) -> [f64; 3] {
    let mut p = [0.0; 3];
    for r in 0..3 {
        let mut acc = 0.0;
        for c in 0..3 {
            acc += m[r][c] * ci[c];
        }
        p[r] = acc + g.origin[r];
    }
    p
}

/// Physical point to continuous index (ITK `TransformPhysicalPointToContinuousIndex`).
fn point_to_cindex(g: &Geometry, minv: &[[f64; 3]; 3], p: [f64; 3]) -> [f64; 3] {
    let v = [p[0] - g.origin[0], p[1] - g.origin[1], p[2] - g.origin[2]];
    let mut ci = [0.0; 3];
    for r in 0..3 {
        let mut acc = 0.0;
        for c in 0..3 {
            acc += minv[r][c] * v[c];
        }
        ci[r] = acc;
    }
    ci
}

/// Grid computed by PyRadiomics' `resampleImage` for the given ROI box and target spacing
/// (floating-point operations in PyRadiomics' order, so grid ties resolve identically).
pub fn output_grid(g: &Geometry, bb: &BoundingBox, new_spacing: [f64; 3], pad: usize) -> Geometry {
    let mut size = [0usize; 3];
    let mut ci = [0.0; 3];
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
        size[a] = (ub - lo + 1.0) as usize;
        ci[a] = 0.5 * (new_spacing[a] - g.spacing[a]) / g.spacing[a] + lo / ratio;
    }
    let origin = cindex_to_point(g, &index_matrix(g), ci);
    Geometry {
        size,
        spacing: new_spacing,
        origin,
        direction: g.direction,
    }
}

/// IBSI's grid (reference manual, "Interpolation": grid centres aligned): along each axis
/// ⌈n·s / s′⌉ voxels of spacing s′ whose centre is the image's centre, so that voxel 0 lies at
/// continuous index c₀ = ((n − 1) − (n′ − 1)·s′/s) / 2 of the image. Of that grid, the part
/// covering the ROI box `bb` grown by `pad` output voxels.
pub fn ibsi_grid(g: &Geometry, bb: &BoundingBox, new_spacing: [f64; 3], pad: usize) -> Geometry {
    let mut size = [0usize; 3];
    let mut ci = [0.0; 3];
    for a in 0..3 {
        let r = new_spacing[a] / g.spacing[a];
        let n = g.size[a] as f64;
        let n_new = (n / r).ceil().max(1.0);
        let c0 = ((n - 1.0) - (n_new - 1.0) * r) / 2.0;
        // New voxels whose centres lie in the ROI box's extent, grown by `pad`.
        let lo = (((bb.lo[a] as f64 - 0.5 - c0) / r).ceil() - pad as f64).max(0.0);
        let hi = (((bb.hi[a] as f64 + 0.5 - c0) / r).floor() + pad as f64).min(n_new - 1.0);
        size[a] = if hi >= lo {
            (hi - lo + 1.0) as usize
        } else {
            0
        };
        ci[a] = c0 + lo * r;
    }
    let origin = cindex_to_point(g, &index_matrix(g), ci);
    Geometry {
        size,
        spacing: new_spacing,
        origin,
        direction: g.direction,
    }
}

/// The resampled grid of `options.grid` ([`output_grid`] or [`ibsi_grid`]).
fn grid_of(
    g: &Geometry,
    bb: &BoundingBox,
    new_spacing: [f64; 3],
    pad: usize,
    grid: ResamplingGrid,
) -> Geometry {
    match grid {
        ResamplingGrid::Pyradiomics => output_grid(g, bb, new_spacing, pad),
        ResamplingGrid::Ibsi => ibsi_grid(g, bb, new_spacing, pad),
    }
}

/// How the grid is placed, the mask resampled and the intensities rounded (the IBSI
/// processing settings; PyRadiomics' behaviour by default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResampleOptions {
    /// Grid placement (`resamplingGrid`).
    pub grid: ResamplingGrid,
    /// Mask interpolation (`maskInterpolator`).
    pub mask: MaskInterpolator,
    /// Partial volume a linearly interpolated mask voxel needs (`maskPartialVolumeThreshold`).
    pub threshold: f64,
    /// Round resampled intensities to the nearest integer (`roundIntensities`).
    pub round: bool,
}

impl Default for ResampleOptions {
    fn default() -> Self {
        ResampleOptions {
            grid: ResamplingGrid::Pyradiomics,
            mask: MaskInterpolator::Nearest,
            threshold: 0.5,
            round: false,
        }
    }
}

/// True when two spacings are equal in `numpy.allclose`'s sense (rtol 1e-5, atol 1e-8).
fn allclose(a: &[f64; 3], b: &[f64; 3]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (x - y).abs() <= 1e-8 + 1e-5 * y.abs())
}

/// The spacing of the resampled grid: `spacing`, except that entries of 0 keep the
/// original spacing of that axis, as do axes along which the ROI is one voxel thick.
fn target_spacing(g: &Geometry, bb: &BoundingBox, spacing: [f64; 3]) -> [f64; 3] {
    let ext = bb.extent();
    [0, 1, 2].map(|a| {
        if spacing[a] == 0.0 || ext[a] == 1 {
            g.spacing[a]
        } else {
            spacing[a]
        }
    })
}

/// Voxels beyond what a B-spline resampling reads whose values still enter its
/// coefficients. The prefilter's recursions weigh a voxel `k` voxels away by `|z|^k`,
/// `z = √3 − 2` (|z| ≈ 0.268), its gain and the geometric sums of both passes by less than
/// 16 in all: cutting the image 40 voxels beyond the read box changes a coefficient there by
/// at most 16 · 0.268⁴⁰ ≈ 2e-22 times the largest |value| of the line, far below double
/// precision (1.1e-16): the coefficients, and the resampled values, are those of the whole
/// image. Where the box reaches the image's faces nothing is cut and the mirror boundary is
/// the image's own.
pub const BSPLINE_MARGIN: usize = 40;

/// The box of `g`'s voxels that resampling the ROI box `bb` (ROI grown by `pad` output
/// voxels) to `spacing` reads: the input voxels around the output grid's points that the
/// interpolator weighs (for B-splines grown by [`BSPLINE_MARGIN`]), clamped to the image.
/// Without a change of spacing, the box the image is cropped to.
pub fn read_box(
    g: &Geometry,
    bb: &BoundingBox,
    spacing: [f64; 3],
    interpolator: Interpolator,
    pad: usize,
    grid: ResamplingGrid,
) -> BoundingBox {
    let new_spacing = target_spacing(g, bb, spacing);
    if allclose(&g.spacing, &new_spacing) {
        return crate::image::padded_box(bb, pad, g.size);
    }
    let out = grid_of(g, bb, new_spacing, pad, grid);
    if out.size.contains(&0) {
        return *bb;
    }
    let (m_out, minv_in) = (index_matrix(&out), inverse_index_matrix(g));
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    // The scanlines run from x = 0 towards x = size (exclusive): those ends bound them.
    for corner in 0..8 {
        let idx = [
            if corner & 1 == 0 {
                0.0
            } else {
                out.size[0] as f64
            },
            if corner & 2 == 0 {
                0.0
            } else {
                (out.size[1] - 1) as f64
            },
            if corner & 4 == 0 {
                0.0
            } else {
                (out.size[2] - 1) as f64
            },
        ];
        let c = point_to_cindex(g, &minv_in, index_to_point(&out, &m_out, idx));
        for a in 0..3 {
            lo[a] = lo[a].min(c[a]);
            hi[a] = hi[a].max(c[a]);
        }
    }
    // Cubic support: floor(c) − 1 … floor(c) + 2, one more for rounding; linear and nearest
    // read within it.
    let margin = match interpolator {
        Interpolator::BSpline => BSPLINE_MARGIN as f64,
        _ => 0.0,
    };
    let clamp = |v: f64, n: usize| v.max(0.0).min((n - 1) as f64) as usize;
    BoundingBox {
        lo: [0, 1, 2].map(|a| clamp(lo[a].floor() - 2.0 - margin, g.size[a])),
        hi: [0, 1, 2].map(|a| clamp(hi[a].floor() + 3.0 + margin, g.size[a])),
    }
}

/// Resamples image and mask onto the PyRadiomics output grid. `part` holds the image's
/// voxels in `read` (from [`read_box`]; the whole image works too) of the image grid `g`;
/// `mask` is on `g`. `spacing` entries of 0 keep the original spacing of that axis, as do
/// axes along which the ROI is one voxel thick. When the spacing is unchanged, the pair is
/// only cropped.
///
/// The output grid's size is checked against the memory budget ([`crate::limits`]) before
/// anything is allocated: an absurdly fine spacing is an error naming the setting, as is a
/// spacing so coarse that the grid has no voxel.
#[allow(clippy::too_many_arguments)]
pub fn resample_pair(
    part: &Volume,
    g: &Geometry,
    read: &BoundingBox,
    mask: &Mask,
    spacing: [f64; 3],
    interpolator: Interpolator,
    pad: usize,
    bb: &BoundingBox,
    options: ResampleOptions,
) -> crate::error::Result<(Volume, Mask)> {
    debug_assert_eq!(part.geometry.size, read.extent());
    let new_spacing = target_spacing(g, bb, spacing);
    if allclose(&g.spacing, &new_spacing) {
        let cut = crate::image::padded_box(bb, pad, g.size);
        let local = BoundingBox {
            lo: [0, 1, 2].map(|a| cut.lo[a] - read.lo[a]),
            hi: [0, 1, 2].map(|a| cut.hi[a] - read.lo[a]),
        };
        let (_, data) = crate::image::crop(&part.geometry, &part.data, &local);
        return Ok((
            Volume {
                geometry: crate::image::crop_geometry(g, &cut),
                data,
                pixel_type: part.pixel_type,
            },
            crate::image::crop_mask(mask, bb, pad),
        ));
    }
    let out = grid_of(g, bb, new_spacing, pad, options.grid);
    check_grid(&out, spacing, part.geometry.len(), interpolator)?;
    let sampler = Sampler::new(part, read.lo, g.size, interpolator);
    // A linearly interpolated mask reads the mask as 0/1 values over the same box.
    let mask_part = (options.mask == MaskInterpolator::Linear).then(|| {
        let (geometry, data) = crate::image::crop(&mask.geometry, &mask.data, read);
        Volume {
            geometry,
            data: data
                .into_iter()
                .map(|m| if m { 1.0 } else { 0.0 })
                .collect(),
            pixel_type: crate::image::PixelType::F64,
        }
    });
    let mask_sampler = mask_part
        .as_ref()
        .map(|m| Sampler::new(m, read.lo, g.size, Interpolator::Linear));
    let (m_out, minv_in) = (index_matrix(&out), inverse_index_matrix(g));
    let n0 = out.size[0];
    let mut points = Vec::with_capacity(n0);
    let mut line = vec![0.0; n0];
    let mut data = Vec::with_capacity(out.len());
    let mut mdata = Vec::with_capacity(out.len());
    for z in 0..out.size[2] {
        for y in 0..out.size[1] {
            // ITK's scanline form: exact input indices at x = 0 and x = N0, interpolated between.
            let start = point_to_cindex(
                g,
                &minv_in,
                index_to_point(&out, &m_out, [0.0, y as f64, z as f64]),
            );
            let end = point_to_cindex(
                g,
                &minv_in,
                index_to_point(&out, &m_out, [n0 as f64, y as f64, z as f64]),
            );
            points.clear();
            for x in 0..n0 {
                let alpha = x as f64 / n0 as f64;
                let c = [0, 1, 2].map(|d| start[d] + alpha * (end[d] - start[d]));
                let inside = (0..3).all(|a| c[a] >= -0.5 && c[a] < g.size[a] as f64 - 0.5);
                if inside {
                    points.push((x, c));
                    let keep = match &mask_sampler {
                        Some(m) => m.eval(c) >= options.threshold,
                        None => {
                            let n = nearest_index(g, c);
                            mask.data[g.index(n[0], n[1], n[2])]
                        }
                    };
                    mdata.push(keep);
                } else {
                    mdata.push(false);
                }
            }
            line.fill(0.0);
            sampler.eval_points(&points, &mut line);
            for &(x, _) in &points {
                line[x] = part.pixel_type.cast(line[x]);
                if options.round {
                    line[x] = line[x].round_ties_even();
                }
            }
            data.extend_from_slice(&line);
        }
    }
    Ok((
        Volume {
            geometry: out.clone(),
            data,
            pixel_type: part.pixel_type,
        },
        Mask {
            geometry: out,
            data: mdata,
        },
    ))
}

/// Checks that the resampled grid `out` has voxels and fits the memory budget with what
/// resampling and the steps after it allocate: the image (f64) and mask (1 byte) on `out`,
/// their cropped copies and the work on the ROI box (about 32 bytes a voxel: the grid is
/// the ROI box grown by `padDistance`), and for B-splines the coefficients of the part of
/// the input read (`input_voxels` f64).
fn check_grid(
    out: &Geometry,
    spacing: [f64; 3],
    input_voxels: usize,
    interpolator: Interpolator,
) -> crate::error::Result<()> {
    if out.size.contains(&0) {
        return Err(crate::error::Error::Settings(format!(
            "resampledPixelSpacing {spacing:?} is coarser than the image itself: the resampled grid has no voxel"
        )));
    }
    let voxels = crate::limits::product(&out.size.map(|v| v as u128));
    let coefficients = match interpolator {
        Interpolator::BSpline => input_voxels as u128 * 8,
        _ => 0,
    };
    crate::limits::check(
        || {
            format!(
                "resampling to resampledPixelSpacing {spacing:?} (a grid of {}×{}×{} voxels)",
                out.size[0], out.size[1], out.size[2]
            )
        },
        voxels
            .saturating_mul(9 + 9 + 32)
            .saturating_add(coefficients),
        "choose a coarser spacing (in mm)",
    )
}

/// Nearest voxel of an inside-buffer continuous index, ties rounded up (ITK
/// `RoundHalfIntegerUp`, computed as `rint(2x + 0.5) >> 1` as on x86-64).
fn nearest_index(g: &Geometry, c: [f64; 3]) -> [usize; 3] {
    nearest_index_in(g.size, c)
}

fn nearest_index_in(size: [usize; 3], c: [f64; 3]) -> [usize; 3] {
    [0, 1, 2].map(|a| {
        let i = ((2.0 * c[a] + 0.5).round_ties_even() as i64) >> 1;
        i.clamp(0, size[a] as i64 - 1) as usize
    })
}

/// Evaluates the image at continuous indices (of the whole image) with one interpolator,
/// from the part of the image that holds the voxels it reads.
struct Sampler<'a> {
    /// The voxels of the box starting at `lo`.
    part: &'a Volume,
    lo: [usize; 3],
    /// The whole image's size (boundary conditions are the whole image's).
    size: [usize; 3],
    kind: Kind,
}

enum Kind {
    Nearest,
    Linear,
    /// B-spline coefficients of the part (those of the whole image there, as ITK computes
    /// them, so results agree to the last bit: see [`BSPLINE_MARGIN`]).
    BSpline(Vec<f64>),
}

impl<'a> Sampler<'a> {
    fn new(part: &'a Volume, lo: [usize; 3], size: [usize; 3], interpolator: Interpolator) -> Self {
        let kind = match interpolator {
            Interpolator::NearestNeighbor => Kind::Nearest,
            Interpolator::Linear => Kind::Linear,
            Interpolator::BSpline => {
                let mut coef = part.data.clone();
                bspline_coefficients(&mut coef, part.geometry.size);
                Kind::BSpline(coef)
            }
        };
        Sampler {
            part,
            lo,
            size,
            kind,
        }
    }

    /// The value at whole-image voxel `i` (inside the part).
    fn at(&self, data: &[f64], i: [usize; 3]) -> f64 {
        let s = self.part.geometry.size;
        data[(i[0] - self.lo[0]) + s[0] * ((i[1] - self.lo[1]) + s[1] * (i[2] - self.lo[2]))]
    }

    /// Evaluates at every point of `points`, writing `out[x]` for each `(x, point)`.
    fn eval_points(&self, points: &[(usize, [f64; 3])], out: &mut [f64]) {
        if let Kind::BSpline(coef) = &self.kind {
            let part = Part {
                data: coef,
                lo: self.lo,
                size: self.part.geometry.size,
            };
            let mut chunks = points.chunks_exact(4);
            for q in &mut chunks {
                let c = [q[0].1, q[1].1, q[2].1, q[3].1];
                let v = bspline_eval4(self.size, part, &c);
                for (p, v) in q.iter().zip(v) {
                    out[p.0] = v;
                }
            }
            for &(x, c) in chunks.remainder() {
                out[x] = bspline_eval(self.size, part, c);
            }
            return;
        }
        for &(x, c) in points {
            out[x] = self.eval(c);
        }
    }

    fn eval(&self, c: [f64; 3]) -> f64 {
        match &self.kind {
            Kind::Nearest => {
                let n = nearest_index_in(self.size, c);
                self.at(&self.part.data, n)
            }
            Kind::Linear => linear(self.size, |i| self.at(&self.part.data, i), c),
            Kind::BSpline(coef) => bspline_eval(
                self.size,
                Part {
                    data: coef,
                    lo: self.lo,
                    size: self.part.geometry.size,
                },
                c,
            ),
        }
    }
}

/// Trilinear interpolation as ITK's `LinearInterpolateImageFunction`: lerps along x, then y,
/// then z; an axis is skipped where the point lies on or before its first voxel or past its
/// last, which extends edge values.
fn linear(s: [usize; 3], value: impl Fn([usize; 3]) -> f64, c: [f64; 3]) -> f64 {
    let mut b = [0usize; 3];
    let mut t = [0.0f64; 3];
    let mut used = [false; 3];
    for a in 0..3 {
        let base = (c[a].floor() as i64).max(0);
        t[a] = c[a] - base as f64;
        used[a] = t[a] > 0.0 && base < s[a] as i64 - 1;
        b[a] = base as usize;
    }
    let px = |dx: usize, dy: usize, dz: usize| value([b[0] + dx, b[1] + dy, b[2] + dz]);
    let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
    let line = |dy: usize, dz: usize| {
        let a = px(0, dy, dz);
        if used[0] {
            lerp(a, px(1, dy, dz), t[0])
        } else {
            a
        }
    };
    let plane = |dz: usize| {
        let a = line(0, dz);
        if used[1] {
            lerp(a, line(1, dz), t[1])
        } else {
            a
        }
    };
    let a = plane(0);
    if used[2] {
        lerp(a, plane(1), t[2])
    } else {
        a
    }
}

/// Cubic B-spline pole `z = √3 − 2`.
const POLE: f64 = -0.267_949_192_431_122_7;

/// In-place conversion of samples to cubic B-spline coefficients along every axis
/// (Unser, Aldroubi & Eden 1993; mirror boundaries, causal initialisation truncated at 1e-10
/// as ITK's `BSplineDecompositionImageFilter`).
pub fn bspline_coefficients(data: &mut [f64], size: [usize; 3]) {
    for axis in 0..3 {
        let n = size[axis];
        if n == 1 {
            continue;
        }
        // The image as blocks of n × `inner` values: sample k of lane j at k·inner + j.
        let inner: usize = size[..axis].iter().product();
        for block in data.chunks_exact_mut(n * inner) {
            decompose_lanes(block, n, inner);
        }
    }
}

/// Converts `lanes` interleaved lines of `n` samples (sample `k` of line `j` at
/// `k·lanes + j`) to B-spline coefficients, each line exactly as [`decompose_line`] would
/// (the same operations in the same order), a row of lanes at a time.
fn decompose_lanes(c: &mut [f64], n: usize, lanes: usize) {
    if lanes == 1 {
        decompose_line(c);
        return;
    }
    let z = POLE;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    for v in c.iter_mut() {
        *v *= gain;
    }
    let (first, rest) = c.split_at_mut(lanes);
    // Causal initialisation.
    let horizon = ((1e-10f64).ln() / z.abs().ln()).ceil() as usize;
    if horizon < n {
        let mut zn = z;
        for k in 1..horizon {
            let row = &rest[(k - 1) * lanes..k * lanes];
            for (s, v) in first.iter_mut().zip(row) {
                *s += zn * v;
            }
            zn *= z;
        }
    } else {
        let iz = 1.0 / z;
        let mut zn = z;
        let mut z2n = z.powi(n as i32 - 1);
        let last = &rest[(n - 2) * lanes..(n - 1) * lanes];
        for (s, v) in first.iter_mut().zip(last) {
            *s += z2n * v;
        }
        z2n = z2n * z2n * iz;
        for k in 1..n - 1 {
            let row = &rest[(k - 1) * lanes..k * lanes];
            for (s, v) in first.iter_mut().zip(row) {
                *s += (zn + z2n) * v;
            }
            zn *= z;
            z2n *= iz;
        }
        let d = 1.0 - zn * zn;
        for s in first.iter_mut() {
            *s /= d;
        }
    }
    for k in 1..n {
        let (done, todo) = c.split_at_mut(k * lanes);
        let prev = &done[(k - 1) * lanes..];
        for (v, p) in todo[..lanes].iter_mut().zip(prev) {
            *v += z * p;
        }
    }
    // Anti-causal initialisation and recursion.
    let (head, last) = c.split_at_mut((n - 1) * lanes);
    let before = &head[(n - 2) * lanes..];
    for (v, p) in last.iter_mut().zip(before) {
        *v = (z / (z * z - 1.0)) * (z * p + *v);
    }
    for k in (0..n - 1).rev() {
        let (lo, hi) = c.split_at_mut((k + 1) * lanes);
        let next = &hi[..lanes];
        for (v, q) in lo[k * lanes..].iter_mut().zip(next) {
            *v = z * (q - *v);
        }
    }
}

/// Converts one contiguous line of samples to B-spline coefficients in place.
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

/// Evaluates the cubic B-spline with coefficients `coef` (by voxel of an image of `size`)
/// at `c`, with ITK's operation order (support from `floor(f32(c)) − 1`, weights of Unser's
/// cubic, taps summed x fastest).
fn bspline_eval(size: [usize; 3], part: Part<'_>, c: [f64; 3]) -> f64 {
    bspline_taps(size, part, c).sum(part.data)
}

/// [`bspline_eval`] at four points, their sums interleaved (each still added in ITK's
/// order, so each equals [`bspline_eval`]'s bit for bit).
fn bspline_eval4(size: [usize; 3], part: Part<'_>, c: &[[f64; 3]; 4]) -> [f64; 4] {
    let t = c.map(|c| bspline_taps(size, part, c));
    let mut sum = [0.0; 4];
    for kz in 0..4 {
        for ky in 0..4 {
            let rows = [0, 1, 2, 3].map(|p| t[p].off[1][ky] + t[p].off[2][kz]);
            for kx in 0..4 {
                for p in 0..4 {
                    sum[p] += t[p].wxy[ky][kx] * t[p].wz[kz] * part.data[rows[p] + t[p].off[0][kx]];
                }
            }
        }
    }
    sum
}

/// The 64 taps of a cubic B-spline evaluation: per axis the four coefficients' offsets
/// into the part, and the weights (`wxy[ky][kx] = (1·w_x)·w_y`, then `·w_z`).
struct Taps {
    off: [[usize; 4]; 3],
    wxy: [[f64; 4]; 4],
    wz: [f64; 4],
}

impl Taps {
    /// `Σ ((1·w_x)·w_y)·w_z · coefficient`, x fastest, as ITK adds them.
    fn sum(&self, data: &[f64]) -> f64 {
        let mut sum = 0.0;
        for kz in 0..4 {
            for ky in 0..4 {
                let row = self.off[1][ky] + self.off[2][kz];
                for kx in 0..4 {
                    sum += self.wxy[ky][kx] * self.wz[kz] * data[row + self.off[0][kx]];
                }
            }
        }
        sum
    }
}

fn bspline_taps(size: [usize; 3], part: Part<'_>, c: [f64; 3]) -> Taps {
    let mut off = [[0usize; 4]; 3];
    let mut w = [[0.0f64; 4]; 3];
    let stride = [1, part.size[0], part.size[0] * part.size[1]];
    for a in 0..3 {
        let base = floor_f32(c[a] as f32) - 1;
        for (k, o) in off[a].iter_mut().enumerate() {
            *o = (mirror_index(base + k as isize, size[a]) - part.lo[a]) * stride[a];
        }
        let t = c[a] - (base + 1) as f64;
        let w3 = (1.0 / 6.0) * t * t * t;
        let w0 = (1.0 / 6.0) + 0.5 * t * (t - 1.0) - w3;
        let w2 = t + w0 - 2.0 * w3;
        let w1 = 1.0 - w0 - w2 - w3;
        w[a] = [w0, w1, w2, w3];
    }
    let mut wxy = [[0.0f64; 4]; 4];
    for ky in 0..4 {
        for kx in 0..4 {
            wxy[ky][kx] = 1.0 * w[0][kx] * w[1][ky];
        }
    }
    Taps { off, wxy, wz: w[2] }
}

/// `floor(x)` of a float32 within ±2³¹ (a continuous index), without a libm call.
fn floor_f32(x: f32) -> isize {
    let t = x as i32;
    (if (t as f32) > x { t - 1 } else { t }) as isize
}

/// Coefficients (x fastest) of the box of an image starting at `lo`, of extent `size`.
#[derive(Clone, Copy)]
struct Part<'a> {
    data: &'a [f64],
    lo: [usize; 3],
    size: [usize; 3],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_points_at_once_equal_one_at_a_time() {
        let size = [9, 6, 5];
        let data: Vec<f64> = (0..270)
            .map(|i| ((i * 37) % 23) as f64 * 1.7 - 4.0)
            .collect();
        let mut coef = data;
        bspline_coefficients(&mut coef, size);
        let part = Part {
            data: &coef,
            lo: [0; 3],
            size,
        };
        let c = [
            [0.2, 5.4, 0.0],
            [8.3, 0.1, 3.9],
            [4.5, 2.5, 2.5],
            [-0.4, 5.4, 4.4],
        ];
        let four = bspline_eval4(size, part, &c);
        for (p, v) in c.iter().zip(four) {
            assert_eq!(v.to_bits(), bspline_eval(size, part, *p).to_bits());
        }
    }

    #[test]
    fn floor_of_f32() {
        for x in [-2.5f32, -2.0, -0.5, -0.0, 0.0, 0.3, 1.0, 7.99, 1e6 + 0.5] {
            assert_eq!(floor_f32(x), x.floor() as isize, "{x}");
        }
    }

    #[test]
    fn mirror_indices() {
        assert_eq!(mirror_index(-1, 5), 1);
        assert_eq!(mirror_index(-2, 5), 2);
        assert_eq!(mirror_index(5, 5), 3);
        assert_eq!(mirror_index(6, 5), 2);
        assert_eq!(mirror_index(3, 1), 0);
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
                    let part = Part {
                        data: &coef,
                        lo: [0; 3],
                        size,
                    };
                    let v = bspline_eval(size, part, [x as f64, y as f64, z as f64]);
                    let e = data[x + 7 * (y + 5 * z)];
                    assert!((v - e).abs() < 1e-9, "{v} vs {e} at {x},{y},{z}");
                }
            }
        }
    }

    #[test]
    fn lanes_give_each_line_s_coefficients_bit_for_bit() {
        // Long lines (truncated causal sum) and short ones (the full mirror sum).
        for n in [3usize, 7, 19, 40] {
            let lanes = 5;
            let c: Vec<f64> = (0..n * lanes)
                .map(|i| ((i * 7919) % 613) as f64 * 0.37 - 50.0)
                .collect();
            let mut together = c.clone();
            decompose_lanes(&mut together, n, lanes);
            for j in 0..lanes {
                let mut line: Vec<f64> = (0..n).map(|k| c[k * lanes + j]).collect();
                decompose_line(&mut line);
                for k in 0..n {
                    assert_eq!(line[k].to_bits(), together[k * lanes + j].to_bits());
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
        let v = Volume::new(g.clone(), data);
        let at = |i: [usize; 3]| v.data[g.index(i[0], i[1], i[2])];
        assert!((linear(g.size, at, [1.25, 0.5, 0.75]) - (2.5 + 1.5 - 0.75)).abs() < 1e-12);
    }

    #[test]
    fn resampling_from_the_read_box_equals_resampling_the_whole_image() {
        // A long x axis, so that the B-spline read box is cut inside the image there.
        let mut g = Geometry::with_spacing([160, 23, 9], [0.7, 0.9, 3.0]);
        g.origin = [-3.0, 12.5, 40.0];
        let data: Vec<f64> = (0..g.len())
            .map(|i| {
                let c = g.coords(i);
                let (x, y, z) = (c[0] as f64, c[1] as f64, c[2] as f64);
                1000.0 * (x / 7.0).sin() + 30.0 * y - 100.0 * z + ((i * 7919) % 613) as f64
            })
            .collect();
        let whole = Volume::new(g.clone(), data);
        let mut mask = Mask {
            geometry: g.clone(),
            data: vec![false; g.len()],
        };
        for x in 70..78 {
            for y in 8..14 {
                for z in 3..6 {
                    mask.data[g.index(x, y, z)] = true;
                }
            }
        }
        let bb = mask.bounding_box().unwrap();
        let all = BoundingBox {
            lo: [0; 3],
            hi: [159, 22, 8],
        };
        for interpolator in [
            Interpolator::BSpline,
            Interpolator::Linear,
            Interpolator::NearestNeighbor,
        ] {
            for spacing in [[1.0, 1.0, 1.0], [0.0, 0.0, 1.5], [0.7, 0.9, 3.0]] {
                let read = read_box(
                    &g,
                    &bb,
                    spacing,
                    interpolator,
                    2,
                    ResamplingGrid::Pyradiomics,
                );
                if interpolator == Interpolator::BSpline && spacing[0] != 0.7 {
                    assert!(read.lo[0] > 0 && read.hi[0] < 159, "{read:?}");
                }
                let (_, part) = crate::image::crop(&g, &whole.data, &read);
                let part = Volume::new(crate::image::crop_geometry(&g, &read), part);
                let a = resample_pair(
                    &whole,
                    &g,
                    &all,
                    &mask,
                    spacing,
                    interpolator,
                    2,
                    &bb,
                    Default::default(),
                )
                .unwrap();
                let b = resample_pair(
                    &part,
                    &g,
                    &read,
                    &mask,
                    spacing,
                    interpolator,
                    2,
                    &bb,
                    Default::default(),
                )
                .unwrap();
                assert_eq!(a.0.geometry, b.0.geometry);
                assert_eq!(a.1.data, b.1.data);
                // The cut changes coefficients by far less than an ulp: the same bits.
                for (p, q) in a.0.data.iter().zip(&b.0.data) {
                    assert!(p == q, "{interpolator:?} {spacing:?}: {p} vs {q}");
                }
            }
        }
    }
}
