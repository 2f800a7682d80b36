//! Local binary patterns in 3D by spherical harmonics, as PyRadiomics computes them
//! (`imageoperations.getLBP3DImage`): images `lbp-3D-m1`, …, `lbp-3D-mL` (one per level)
//! and the kurtosis image `lbp-3D-k`, defined on the ROI's voxels only.
//!
//! J. Banerjee, A. Moelker, W. J. Niessen, T. van Walsum, "3D LBP-based rotationally
//! invariant region description", ACCV 2012 Workshops, LNCS 7728, 2013. For each ROI voxel:
//! 1. its neighbourhood is sampled at the `Nv` vertices of an icosphere
//!    ([`super::icosphere`], `lbp3DIcosphereSubdivision`, `lbp3DIcosphereRadius` in voxels)
//!    centred on it, by cubic B-spline interpolation with 0 outside the image
//!    ([`super::cubic_spline`]), each sample stored in the image's pixel type (integers
//!    rounded half away from zero, as SciPy's `map_coordinates` stores them). As in
//!    PyRadiomics, the vertex's x, y, z are added to the voxel's array indices z, y, x;
//! 2. `lbp-3D-k` is the kurtosis of the samples, `m₄/m₂² − 3` with biased moments (SciPy's
//!    `kurtosis`), NaN where `m₂ ≤ (ε·mean)²` (a flat neighbourhood);
//! 3. the pattern `f_v = [sample_v ≥ centre]` is expanded in spherical harmonics up to
//!    degree `L − 1` (`L` = `lbp3DLevels`): `c_nm = Σ_v f_v·Y_nm(v)`;
//! 4. level `n` keeps the degree-`n` part of the pattern, `g_v = Σ_m c_nm·Y_nm(v)`, and
//!    `lbp-3D-m(n+1)` is the real part of `√(Σ_v g_v²)` (complex square root).
//!
//! `Y_nm` is SciPy's `sph_harm(m, n, θ, φ)` (Condon–Shortley phase, orthonormal) called, as
//! PyRadiomics calls it, with the vertex's polar angle `θ = arccos(z/radius)` as the
//! azimuth and its azimuth `φ = atan2(y, x)` as the polar angle:
//! `Y_nm = N_n|m|·P_n^|m|(cos φ)·e^{imθ}`, times `(−1)^m` for `m < 0`. SciPy's recurrences
//! for the harmonics, NumPy's order of summation (sums across vertices and over `m` in
//! sequence, the kurtosis moments pairwise) and its fused complex products are kept, and the
//! angles come from the C library (as NumPy computes them without AVX-512), so the images
//! equal PyRadiomics' bit for bit.

use rayon::prelude::*;

use super::{cubic_spline, icosphere};
use crate::error::{Error, Result};
use crate::image::{crop_geometry, BoundingBox, Mask, PixelType, Volume};
use crate::settings::Settings;

/// Most interpolated samples (ROI voxels × icosphere vertices) one LBP3D filter may take;
/// each costs 64 multiply-adds.
const MAX_SAMPLES: u128 = 500_000_000;

/// Names of the images, in PyRadiomics' order.
pub fn image_names(levels: usize) -> Vec<String> {
    (1..=levels)
        .map(|l| format!("lbp-3D-m{l}"))
        .chain(std::iter::once("lbp-3D-k".to_string()))
        .collect()
}

/// A complex number as (real, imaginary).
type Complex = (f64, f64);

/// A complex product as NumPy 1.26 computes it on x86-64 with AVX-512 (its `multiply` and
/// `square` loops use fused multiply-adds): `re = fma(a.re, b.re, −a.im·b.im)`,
/// `im = fma(a.re, b.im, a.im·b.re)`.
fn mul(a: Complex, b: Complex) -> Complex {
    (a.0.mul_add(b.0, -(a.1 * b.1)), a.0.mul_add(b.1, a.1 * b.0))
}

/// NumPy's pairwise summation of doubles (`add.reduce` over a contiguous axis).
fn pairwise(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(-0.0, |s, &x| s + x)
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj += a[i + j];
            }
            i += 8;
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[i..] {
            s += x;
        }
        s
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

/// The real part of the principal square root of `a + ib` (as glibc's `csqrt` computes it).
fn csqrt_re(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        return if a < 0.0 { 0.0 } else { a.sqrt() };
    }
    if a == 0.0 {
        return (0.5 * b.abs()).sqrt();
    }
    let d = a.hypot(b);
    if a > 0.0 {
        (0.5 * (d + a)).sqrt()
    } else {
        let s = (0.5 * (d - a)).sqrt();
        (0.5 * (b / s)).abs()
    }
}

/// SciPy's biased Fisher kurtosis of `s` (NaN for a flat sample).
fn kurtosis(s: &[f64], scratch: &mut Vec<f64>) -> f64 {
    let n = s.len() as f64;
    let mean = (0.0 + pairwise(s)) / n;
    scratch.clear();
    scratch.extend(s.iter().map(|&x| {
        let d = x - mean;
        d * d
    }));
    let m2 = (0.0 + pairwise(scratch)) / n;
    for v in scratch.iter_mut() {
        *v *= *v;
    }
    let m4 = (0.0 + pairwise(scratch)) / n;
    if m2 <= (f64::EPSILON * mean) * (f64::EPSILON * mean) {
        return f64::NAN;
    }
    m4 / (m2 * m2) - 3.0
}

/// The orthonormal spherical harmonic `Y_nm` (Condon–Shortley phase) at polar angle `pol`
/// and azimuth `az`, computed as SciPy 1.16 computes `sph_harm(m, n, az, pol)` (its `xsf`
/// library's `sph_harm_y`): the normalised associated Legendre function by the recurrences
/// `P̄_mm = √((2m+1)(2m−1)/(4m(m−1)))·sin²·P̄_(m−2)(m−2)` from
/// `P̄_00 = 1/(2√π)`, `P̄_11 = ∓√3/(2√(2π))·|sin|` (sign + for m < 0), then
/// `P̄_(m+1)m = √(2m+3)·cos·P̄_mm` and
/// `P̄_nm = −√((2n+1)((n−1)²−m²)/((2n−3)(n²−m²)))·P̄_(n−2)m
///        + √((2n+1)(4(n−1)²−1)/((2n−3)(n²−m²)))·cos·P̄_(n−1)m`,
/// times `e^{imaz}`, with SciPy's order of operations.
fn harmonic(n: i64, m: i64, pol: f64, az: f64) -> Complex {
    let ma = m.abs();
    if ma > n {
        return (0.0, 0.0);
    }
    let (s, c) = (pol.sin(), pol.cos());
    let pi = std::f64::consts::PI;
    let fac0 = 1.0 / (2.0 * pi.sqrt());
    let mut fac1 = -(3.0f64).sqrt() / (2.0 * (2.0 * pi).sqrt());
    if m < 0 {
        fac1 = -fac1;
    }
    let (mut a, mut b) = (fac0, fac1 * s.abs());
    let pmm = if ma == 0 {
        a
    } else {
        for k in 2..=ma {
            let fac = (((2 * k + 1) * (2 * k - 1)) as f64 / (4 * k * (k - 1)) as f64).sqrt();
            let t = 0.0 + fac * s * s * a;
            (a, b) = (b, t);
        }
        b
    };
    let fac = ((2 * ma + 3) as f64).sqrt();
    let (mut a, mut b) = (pmm, fac * c * pmm);
    let p = if n == ma {
        a
    } else {
        for k in ma + 2..=n {
            let d = ((2 * k - 3) * (k * k - m * m)) as f64;
            let f0 = -(((2 * k + 1) * ((k - 1) * (k - 1) - m * m)) as f64 / d).sqrt();
            let f1 = (((2 * k + 1) * (4 * (k - 1) * (k - 1) - 1)) as f64 / d).sqrt() * c;
            let t = (0.0 + f0 * a) + f1 * b;
            (a, b) = (b, t);
        }
        b
    };
    let y = m as f64 * az;
    let (sin, cos) = if y.abs() > f64::MIN_POSITIVE {
        (y.sin(), y.cos())
    } else {
        (y, 1.0)
    };
    (p * cos, p * sin)
}

/// The harmonics for degrees `0..levels` in PyRadiomics' column order (n = 0; n = 1,
/// m = −1, 0, 1; …), at azimuth `az` and polar angle `pol` as SciPy's
/// `sph_harm(m, n, az, pol)` takes them.
fn harmonics(levels: usize, az: f64, pol: f64) -> Vec<Complex> {
    let mut out = Vec::with_capacity(levels * levels);
    for n in 0..levels as i64 {
        for m in -n..=n {
            out.push(harmonic(n, m, pol, az));
        }
    }
    out
}

/// A value computed in double stored in pixel type `t` as SciPy's interpolation stores it:
/// integers rounded half away from zero and clamped to the type's range.
fn scipy_store(t: PixelType, v: f64) -> f64 {
    let int = |lo: f64, hi: f64, signed: bool| {
        let r = if v > 0.0 {
            v + 0.5
        } else if signed {
            v - 0.5
        } else {
            0.0
        };
        r.clamp(lo, hi).trunc()
    };
    match t {
        PixelType::F64 => v,
        PixelType::F32 => v as f32 as f64,
        PixelType::I8 => int(i8::MIN as f64, i8::MAX as f64, true),
        PixelType::U8 => int(0.0, u8::MAX as f64, false),
        PixelType::I16 => int(i16::MIN as f64, i16::MAX as f64, true),
        PixelType::U16 => int(0.0, u16::MAX as f64, false),
        PixelType::I32 => int(i32::MIN as f64, i32::MAX as f64, true),
        PixelType::U32 => int(0.0, u32::MAX as f64, false),
        PixelType::I64 => int(i64::MIN as f64, i64::MAX as f64, true),
        PixelType::U64 => int(0.0, u64::MAX as f64, false),
    }
}

/// The LBP3D images of `region` (the whole filtered region) over the ROI `roi` (a mask on
/// the box `bb` of region indices), each cut to `bb`, as double with 0 outside the ROI:
/// (name, image) in [`image_names`]' order.
pub fn images(
    region: &Volume,
    bb: &BoundingBox,
    roi: &Mask,
    settings: &Settings,
) -> Result<Vec<(String, Volume)>> {
    let levels = settings.lbp3d_levels;
    let radius = settings.lbp3d_icosphere_radius;
    let subdivision = settings.lbp3d_icosphere_subdivision;
    let e = bb.extent();
    debug_assert_eq!(roi.geometry.size, e);
    let voxels: Vec<usize> = (0..roi.data.len()).filter(|&i| roi.data[i]).collect();
    let samples = (voxels.len() as u128).saturating_mul(icosphere::vertex_count(subdivision));
    if samples > MAX_SAMPLES {
        return Err(Error::Settings(format!(
            "image type LBP3D: {} ROI voxels × {} icosphere vertices (lbp3DIcosphereSubdivision {subdivision}) would take {samples:.1e} interpolations (at most {MAX_SAMPLES:.0e}): use fewer subdivisions or a smaller ROI",
            voxels.len(),
            icosphere::vertex_count(subdivision)
        )));
    }
    let g = &region.geometry;
    let box_len = (e[0] * e[1] * e[2]) as u128;
    crate::limits::check(
        || {
            format!(
                "image type LBP3D over a region of {}×{}×{} voxels",
                g.size[0], g.size[1], g.size[2]
            )
        },
        cubic_spline::scratch_bytes(g.size, bb, radius)
            .saturating_add(box_len.saturating_mul(8 * (levels as u128 + 1))),
        "use preCrop or resampling (the filters then see the ROI box and padDistance), or raise --max-memory",
    )?;
    let vertices = icosphere::vertices(subdivision, radius);
    let table: Vec<Vec<Complex>> = vertices
        .iter()
        .map(|v| harmonics(levels, (v[2] / radius).acos(), v[1].atan2(v[0])))
        .collect();
    let coefficients = cubic_spline::coefficients(region, bb, radius);
    let size = g.size;
    let lo = bb.lo;
    let pixel_type = region.pixel_type;
    // Per ROI voxel: the level values, then the kurtosis (levels + 1 values a voxel).
    let per = levels + 1;
    let mut values = vec![0.0; voxels.len() * per];
    values
        .par_chunks_mut(per)
        .zip(voxels.par_iter())
        .for_each_init(
            || (Vec::new(), Vec::new(), vec![(0.0, 0.0); levels * levels]),
            |(sampled, scratch, c), (out, &i)| {
                let (x, y, z) = (
                    lo[0] + i % e[0],
                    lo[1] + (i / e[0]) % e[1],
                    lo[2] + i / (e[0] * e[1]),
                );
                let centre = region.data[x + size[0] * (y + size[1] * z)];
                sampled.clear();
                sampled.extend(vertices.iter().map(|v| {
                    let p = [z as f64 + v[0], y as f64 + v[1], x as f64 + v[2]];
                    scipy_store(pixel_type, coefficients.sample(p))
                }));
                let k = kurtosis(sampled, scratch);
                // c_nm = Σ_v f_v·Y_nm(v), in vertex order.
                c.fill((0.0, 0.0));
                for (s, y) in sampled.iter().zip(&table) {
                    let f = if *s >= centre { 1.0 } else { 0.0 };
                    for (ck, yk) in c.iter_mut().zip(y) {
                        let t = mul((f, 0.0), *yk);
                        *ck = (ck.0 + t.0, ck.1 + t.1);
                    }
                }
                for (n, level) in out[..levels].iter_mut().enumerate() {
                    let cols = n * n..(n + 1) * (n + 1);
                    let mut sum = (0.0, 0.0);
                    for y in &table {
                        // NumPy lays the products out with m slowest (the boolean column
                        // index comes first) and adds them in sequence.
                        let gv = if n == 0 {
                            mul(c[0], y[0])
                        } else {
                            cols.clone().fold((0.0, 0.0), |s, k| {
                                let t = mul(c[k], y[k]);
                                (s.0 + t.0, s.1 + t.1)
                            })
                        };
                        let sq = mul(gv, gv);
                        sum = (sum.0 + sq.0, sum.1 + sq.1);
                    }
                    *level = csqrt_re(sum.0, sum.1);
                }
                out[levels] = k;
            },
        );
    let names = image_names(levels);
    let geometry = crop_geometry(g, bb);
    let mut images = Vec::with_capacity(names.len());
    for (l, name) in names.into_iter().enumerate() {
        let mut data = vec![0.0; e[0] * e[1] * e[2]];
        for (&i, v) in voxels.iter().zip(values.chunks_exact(per)) {
            data[i] = v[l];
        }
        images.push((
            name,
            Volume {
                geometry: geometry.clone(),
                data,
                pixel_type: PixelType::F64,
            },
        ));
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sums_split_as_numpy() {
        let a: Vec<f64> = (0..300).map(|i| 1.0 / (i as f64 + 0.5)).collect();
        let exact: f64 = a.iter().sum();
        assert!((pairwise(&a) - exact).abs() < 1e-12);
    }

    #[test]
    fn harmonics_are_scipys() {
        // scipy.special.sph_harm(m, n, 1.1, -0.7) from SciPy 1.16.3 (azimuth 1.1, polar −0.7).
        let want = [
            (0.28209479177387814, 0.0),
            (0.10095844999023625, -0.19835908959917178),
            (0.3737038139165246, 0.0),
            (-0.10095844999023625, -0.19835908959917178),
            (-0.0943426963588388, -0.12961017149551016),
            (0.17266309095335006, -0.339241475400997),
            (0.23810508748746873, 0.0),
            (-0.17266309095335006, -0.339241475400997),
            (-0.0943426963588388, 0.12961017149551016),
        ];
        let got = harmonics(3, 1.1, -0.7);
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g.0 - w.0).abs() < 1e-15 && (g.1 - w.1).abs() < 1e-15,
                "{g:?} {w:?}"
            );
        }
    }

    #[test]
    fn complex_square_root_real_part() {
        for (a, b) in [
            (3.0, 4.0),
            (-3.0, 4.0),
            (-3.0, -4.0),
            (0.0, 2.0),
            (4.0, 0.0),
        ] {
            let r = f64::hypot(a, b);
            let want = ((r + a) / 2.0).sqrt();
            assert!((csqrt_re(a, b) - want).abs() < 1e-15, "{a} {b}");
        }
        assert_eq!(csqrt_re(-4.0, 0.0), 0.0);
    }

    #[test]
    fn flat_samples_have_no_kurtosis() {
        let mut s = Vec::new();
        assert!(kurtosis(&[5.0; 42], &mut s).is_nan());
        // Two values, half each: m4/m2² = 1, so −2.
        let two: Vec<f64> = (0..42).map(|i| (i % 2) as f64).collect();
        assert!((kurtosis(&two, &mut s) + 2.0).abs() < 1e-12);
    }

    #[test]
    fn samples_are_stored_as_scipy_stores_them() {
        assert_eq!(scipy_store(PixelType::I16, 2.5), 3.0);
        assert_eq!(scipy_store(PixelType::I16, -2.5), -3.0);
        assert_eq!(scipy_store(PixelType::I16, -2.4), -2.0);
        assert_eq!(scipy_store(PixelType::I16, 1e6), 32767.0);
        assert_eq!(scipy_store(PixelType::U8, -3.0), 0.0);
        assert_eq!(scipy_store(PixelType::F32, 0.1), 0.1f32 as f64);
    }
}
