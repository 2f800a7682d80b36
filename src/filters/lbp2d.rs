//! Local binary pattern images computed slice by slice, as PyRadiomics computes them
//! (`imageoperations.getLBP2DImage`: scikit-image's `local_binary_pattern` on every slice
//! normal to the `force2Ddimension` axis, the result stored back in the image's own pixel
//! type), named `lbp-2D`.
//!
//! T. Ojala, M. Pietikäinen, T. Mäenpää, "Multiresolution gray-scale and rotation invariant
//! texture classification with local binary patterns", IEEE TPAMI 24(7), 2002. For a pixel at
//! (row r, column c), `P` neighbours lie on a circle of radius `R` at
//! `(r − R·sin(2πp/P), c + R·cos(2πp/P))`, offsets rounded to 5 decimals, their values
//! bilinearly interpolated with 0 outside the slice. Neighbour `p` is "on" when its value
//! minus the centre's is ≥ 0. Methods, as scikit-image defines them:
//! * `default`: `Σ on_p · 2^p`;
//! * `ror`: the smallest value of `default` over the `P` rotations of the pattern;
//! * `uniform`: the number of neighbours on when the pattern has at most two on/off changes
//!   between consecutive neighbours `p, p+1` (the wrap from `P−1` to 0 is not counted, as in
//!   scikit-image), else `P + 1`;
//! * `var`: the (biased) variance of the `P` neighbour values; NaN where it is 0.
//!
//! scikit-image's arithmetic is kept (positions `r + offset` in double, weights
//! `1 − d` and `d`), so every threshold falls as it does there.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::image::{crop_geometry, BoundingBox, PixelType, Volume};
use crate::settings::{Lbp2dMethod, Settings};

/// The slice axes for `force2Ddimension` `dim` (which counts axes z, y, x as PyRadiomics'
/// array does): (axis across slices, row axis, column axis), as x = 0, y = 1, z = 2.
/// PyRadiomics swaps array axis 0 with axis `dim` and then takes `[row, column]` slices.
pub fn slice_axes(dim: usize) -> (usize, usize, usize) {
    match dim {
        0 => (2, 1, 0),
        1 => (1, 2, 0),
        _ => (0, 1, 2),
    }
}

/// `numpy.round(x, 5)`: `rint(x · 10⁵) / 10⁵`.
fn round5(x: f64) -> f64 {
    (x * 100000.0).round_ties_even() / 100000.0
}

/// The neighbour offsets (rows, columns) of `P` samples at radius `R`, as scikit-image
/// computes them.
fn offsets(p: usize, r: f64) -> Vec<(f64, f64)> {
    (0..p)
        .map(|i| {
            let angle = 2.0 * std::f64::consts::PI * i as f64 / p as f64;
            (round5(-r * angle.sin()), round5(r * angle.cos()))
        })
        .collect()
}

/// Stores a value computed in double in an image of pixel type `t`, as NumPy's array
/// assignment does on x86-64: floats are rounded (float32) or kept; integers of up to 32
/// bits go through a truncating conversion to a 32-bit integer (NaN and values beyond it
/// become −2³¹) and keep its low bits; 64-bit signed integers likewise through 64 bits.
/// Unsigned 32- and 64-bit types have no such rule: a value outside them is `None`.
pub fn numpy_store(t: PixelType, v: f64) -> Option<f64> {
    // 2^31 and 2^63 as doubles (exact).
    let two31 = 2147483648.0;
    let two63 = -(i64::MIN as f64);
    let via32 = || {
        if v > -two31 - 1.0 && v < two31 {
            v as i32
        } else {
            i32::MIN
        }
    };
    Some(match t {
        PixelType::F64 => v,
        PixelType::F32 => v as f32 as f64,
        PixelType::I8 => via32() as i8 as f64,
        PixelType::U8 => via32() as u8 as f64,
        PixelType::I16 => via32() as i16 as f64,
        PixelType::U16 => via32() as u16 as f64,
        PixelType::I32 => via32() as f64,
        PixelType::I64 => {
            if (-two63..two63).contains(&v) {
                (v as i64) as f64
            } else {
                i64::MIN as f64
            }
        }
        PixelType::U32 => {
            if !(v > -1.0 && v < 4294967296.0) {
                return None;
            }
            v.trunc().max(0.0)
        }
        PixelType::U64 => {
            if !(v > -1.0 && v < 2.0 * two63) {
                return None;
            }
            v.trunc().max(0.0)
        }
    })
}

/// The LBP value of one pixel of a slice; `at(row, col)` reads the slice (0 outside it).
fn pattern(
    at: &dyn Fn(i64, i64) -> f64,
    r: usize,
    c: usize,
    offsets: &[(f64, f64)],
    method: Lbp2dMethod,
    texture: &mut [f64],
) -> f64 {
    let p = offsets.len();
    for (t, &(dr, dc)) in texture.iter_mut().zip(offsets) {
        let (rr, cc) = (r as f64 + dr, c as f64 + dc);
        let (minr, minc) = (rr.floor(), cc.floor());
        let (maxr, maxc) = (rr.ceil(), cc.ceil());
        let (fr, fc) = (rr - minr, cc - minc);
        let (minr, minc, maxr, maxc) = (minr as i64, minc as i64, maxr as i64, maxc as i64);
        let top = (1.0 - fc) * at(minr, minc) + fc * at(minr, maxc);
        let bottom = (1.0 - fc) * at(maxr, minc) + fc * at(maxr, maxc);
        *t = (1.0 - fr) * top + fr * bottom;
    }
    let centre = at(r as i64, c as i64);
    let on = |i: usize| texture[i] - centre >= 0.0;
    match method {
        Lbp2dMethod::Var => {
            let (mut sum, mut sq) = (0.0, 0.0);
            for &t in texture.iter() {
                sum += t;
                sq += t * t;
            }
            let var = (sq - (sum * sum) / p as f64) / p as f64;
            if var != 0.0 {
                var
            } else {
                f64::NAN
            }
        }
        Lbp2dMethod::Uniform => {
            let changes = (0..p.saturating_sub(1))
                .filter(|&i| on(i) != on(i + 1))
                .count();
            if changes <= 2 {
                (0..p).filter(|&i| on(i)).count() as f64
            } else {
                (p + 1) as f64
            }
        }
        Lbp2dMethod::Default | Lbp2dMethod::Ror => {
            let code: u32 = (0..p).filter(|&i| on(i)).map(|i| 1u32 << i).sum();
            if method == Lbp2dMethod::Default {
                return code as f64;
            }
            let rotate = |v: u32| (v >> 1) | ((v & 1) << (p - 1));
            let mut v = code;
            let mut best = code;
            for _ in 1..p {
                v = rotate(v);
                best = best.min(v);
            }
            best as f64
        }
    }
}

/// The LBP image of `region` (the whole filtered region), cut to `bb`, in the region's pixel
/// type (as PyRadiomics stores it back in the image's array).
pub fn image(region: &Volume, bb: &BoundingBox, settings: &Settings) -> Result<Volume> {
    let size = region.geometry.size;
    let (slice_axis, row_axis, col_axis) = slice_axes(settings.force2d_dimension);
    let offsets = offsets(settings.lbp2d_samples, settings.lbp2d_radius);
    let method = settings.lbp2d_method;
    let e = bb.extent();
    let data = &region.data;
    let index = |p: [usize; 3]| p[0] + size[0] * (p[1] + size[1] * p[2]);
    let values: Vec<f64> = (0..e[2])
        .into_par_iter()
        .flat_map_iter(|zi| {
            let mut texture = vec![0.0; offsets.len()];
            let mut plane = Vec::with_capacity(e[0] * e[1]);
            for yi in 0..e[1] {
                for xi in 0..e[0] {
                    let p = [bb.lo[0] + xi, bb.lo[1] + yi, bb.lo[2] + zi];
                    let at = |row: i64, col: i64| -> f64 {
                        if row < 0
                            || col < 0
                            || row as usize >= size[row_axis]
                            || col as usize >= size[col_axis]
                        {
                            return 0.0;
                        }
                        let mut q = p;
                        q[row_axis] = row as usize;
                        q[col_axis] = col as usize;
                        data[index(q)]
                    };
                    debug_assert!(p[slice_axis] < size[slice_axis]);
                    plane.push(pattern(
                        &at,
                        p[row_axis],
                        p[col_axis],
                        &offsets,
                        method,
                        &mut texture,
                    ));
                }
            }
            plane
        })
        .collect();
    let stored: Option<Vec<f64>> = values
        .iter()
        .map(|&v| numpy_store(region.pixel_type, v))
        .collect();
    let data = stored.ok_or_else(|| {
        Error::Compute(format!(
            "image type lbp-2D: lbp2DMethod 'var' gives variances that do not fit the image's pixel type ({:?}), where PyRadiomics stores them; convert the image to a float type",
            region.pixel_type
        ))
    })?;
    Ok(Volume {
        geometry: crop_geometry(&region.geometry, bb),
        data,
        pixel_type: region.pixel_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_match_scikit_image() {
        // P = 8, R = 1: the axis points exactly, the diagonals rounded to 5 decimals.
        let o = offsets(8, 1.0);
        assert_eq!(o[0], (0.0, 1.0));
        // The diagonal: 1/√2 rounded to 5 decimals (70711 / 10⁵).
        let d = 70711.0 / 100000.0;
        assert_eq!(o[1], (-d, d));
        assert_eq!(o[2], (-1.0, 0.0));
        assert_eq!(o[4], (0.0, -1.0));
        assert_eq!(o[6], (1.0, 0.0));
    }

    #[test]
    fn numpy_integer_stores_wrap_as_on_x86_64() {
        // Values printed by NumPy 1.26 for `a[0, ...] = v` into each dtype.
        assert_eq!(numpy_store(PixelType::I16, 1e5), Some(-31072.0));
        assert_eq!(numpy_store(PixelType::I16, -3.5), Some(-3.0));
        assert_eq!(numpy_store(PixelType::I16, f64::NAN), Some(0.0));
        assert_eq!(numpy_store(PixelType::I16, 3e9), Some(0.0));
        assert_eq!(numpy_store(PixelType::U16, 1e5), Some(34464.0));
        assert_eq!(numpy_store(PixelType::U8, -70000.2), Some(144.0));
        assert_eq!(numpy_store(PixelType::I32, f64::NAN), Some(-2147483648.0));
        assert_eq!(numpy_store(PixelType::I64, 3e9), Some(3e9));
        assert_eq!(numpy_store(PixelType::U32, 70000.7), Some(70000.0));
        assert_eq!(numpy_store(PixelType::U32, f64::NAN), None);
    }

    #[test]
    fn uniform_patterns_count_neighbours_on() {
        // A bright centre: no neighbour is ≥ it; a dark centre: all are.
        let img = |v: f64| move |r: i64, c: i64| if r == 5 && c == 5 { v } else { 10.0 };
        let o = offsets(8, 1.0);
        let mut t = vec![0.0; 8];
        assert_eq!(
            pattern(&img(20.0), 5, 5, &o, Lbp2dMethod::Uniform, &mut t),
            0.0
        );
        assert_eq!(
            pattern(&img(0.0), 5, 5, &o, Lbp2dMethod::Uniform, &mut t),
            8.0
        );
        assert_eq!(
            pattern(&img(0.0), 5, 5, &o, Lbp2dMethod::Default, &mut t),
            255.0
        );
        // A flat neighbourhood has no variance: NaN, as scikit-image gives.
        assert!(pattern(&img(10.0), 5, 5, &o, Lbp2dMethod::Var, &mut t).is_nan());
        assert!(pattern(&img(0.0), 5, 5, &o, Lbp2dMethod::Var, &mut t) > 0.0);
    }
}
