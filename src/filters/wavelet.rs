//! Wavelet sub-band images as PyRadiomics computes them (`imageoperations.getWaveletImage`,
//! `_swt3`).
//!
//! Each level is one level-1 stationary (undecimated) wavelet transform of the previous
//! level's approximation (`pywt.swtn(level=1)` called again, so the filters are never
//! dilated: not an à-trous transform). Along each transformed axis, in the order x, y, z, a
//! line is convolved with the decomposition low-pass (`L`) or high-pass (`H`) filter with
//! periodic boundaries and without normalisation (a low-pass axis scales a constant by √2);
//! an axis of odd length is first extended by one sample wrapped around from its start and
//! cut back afterwards. A sub-band's name lists its letters in axis order x, y, z
//! (`wavelet-LLH`: low-pass along x and y, high-pass along z); levels after the first are
//! numbered (`wavelet2-HLH`); only the last level's approximation (`wavelet-LLL`) is kept.
//! With `force2D`, the `force2Ddimension` axis is not transformed (two letters).
//!
//! The convolution adds its products in the order of PyWavelets' periodisation convolution
//! (`downsampling_convolution_periodization` with step 1), so that values equal PyRadiomics'
//! to the last bit, which matters where they fall on a bin edge. As PyWavelets, a float32
//! image is transformed in single precision (float32 filters, products and sums) into float32
//! sub-bands; every other pixel type in double.

use super::wavelet_coefficients::WAVELETS;
use crate::error::{Error, Result};
use crate::image::{crop_geometry, BoundingBox, PixelType, Volume};
use crate::settings::Settings;

/// Most multiplications one wavelet image type may take (a few seconds to a minute, whatever
/// the levels and the filter length ask for).
const MAX_WAVELET_PRODUCTS: u128 = 100_000_000_000;

/// The decomposition filters (low-pass, high-pass) of wavelet `name`.
pub fn filters(name: &str) -> Option<(&'static [f64], &'static [f64])> {
    WAVELETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(_, lo, hi)| (lo, hi))
}

/// Names of every wavelet known, for messages.
pub fn names() -> Vec<&'static str> {
    WAVELETS.iter().map(|(n, _, _)| *n).collect()
}

/// The products that make output sample `o` of the periodic undecimated convolution of a
/// line of `n` samples with a filter of `f` taps, in PyWavelets' order of addition
/// (`downsampling_convolution_periodization`, step 1): (tap, input sample) pairs. PyWavelets
/// centres output `o` at `i = o + F/2` and adds, in this order, the taps whose input index
/// `i − j` wraps past the end (from `j = i − n` down), those inside the line, and those that
/// wrap before its start (to `n − 1`, `n − 2`, …).
fn taps_at(n: usize, f: usize, o: usize) -> Vec<(usize, usize)> {
    let i = o + f / 2;
    let mut out = Vec::with_capacity(f);
    let mut j = 0;
    if i >= n {
        while i - j >= n {
            let mut k = 0;
            while k < n && i - j >= n {
                out.push((i - n - j, k));
                k += 1;
                j += 1;
            }
        }
    }
    while j <= i && j < f {
        out.push((j, i - j));
        j += 1;
    }
    while j < f {
        let mut k = 0;
        while k < n && j < f {
            out.push((j, n - 1 - k));
            k += 1;
            j += 1;
        }
    }
    out
}

/// The arithmetic of a transform: double, or single precision on values held as doubles.
trait Arith: Copy + Send + Sync {
    /// `acc + h·v`, each operation rounded in this precision.
    fn madd(acc: f64, h: Self, v: f64) -> f64;
}

impl Arith for f64 {
    #[inline]
    fn madd(acc: f64, h: f64, v: f64) -> f64 {
        acc + h * v
    }
}

impl Arith for f32 {
    #[inline]
    fn madd(acc: f64, h: f32, v: f64) -> f64 {
        (acc as f32 + h * v as f32) as f64
    }
}

/// A filter as PyWavelets holds it in single precision: each coefficient rounded to float32,
/// except the coiflets', which PyWavelets tabulates divided by √2 and multiplies by
/// `float32(√2)` in float32 (`coif_float[i] * sqrt2_float`): `f32(c/√2) · f32(√2)`.
fn single_precision(wavelet: &str, filter: &[f64]) -> Vec<f32> {
    let s2 = std::f64::consts::SQRT_2;
    filter
        .iter()
        .map(|&c| {
            if wavelet.starts_with("coif") {
                (c / s2) as f32 * s2 as f32
            } else {
                c as f32
            }
        })
        .collect()
}

/// Convolves every line of `data` (grid `dims`, x fastest) along `axis`: output sample `o` of
/// a line is the sum, in order, of `filter[j] · line[k]` over the pairs `(j, k)` of
/// `taps[o]` (`k` an index into the line). The output grid is `dims` with `taps.len()`
/// samples along `axis`. Lines along y and z are processed a whole row or plane at a time
/// (the same additions for every element, in the same order, so that the loops vectorise),
/// in parallel.
fn transform_axis<A: Arith>(
    data: &[f64],
    dims: [usize; 3],
    axis: usize,
    taps: &[Vec<(usize, usize)>],
    filter: &[A],
) -> (Vec<f64>, [usize; 3]) {
    use rayon::prelude::*;
    let m = taps.len();
    let mut out_dims = dims;
    out_dims[axis] = m;
    let mut out = vec![0.0; out_dims.iter().product()];
    let (sx, sy) = (dims[0], dims[1]);
    match axis {
        0 => out
            .par_chunks_mut(m.max(1))
            .zip(data.par_chunks(sx.max(1)))
            .for_each(|(o_line, line)| {
                for (o, t) in o_line.iter_mut().zip(taps) {
                    let mut sum = 0.0;
                    for &(j, k) in t {
                        sum = A::madd(sum, filter[j], line[k]);
                    }
                    *o = sum;
                }
            }),
        1 => out
            .par_chunks_mut((sx * m).max(1))
            .zip(data.par_chunks((sx * sy).max(1)))
            .for_each(|(o_plane, plane)| {
                for (o, t) in taps.iter().enumerate() {
                    let o_row = &mut o_plane[o * sx..(o + 1) * sx];
                    for &(j, k) in t {
                        let h = filter[j];
                        for (acc, &v) in o_row.iter_mut().zip(&plane[k * sx..(k + 1) * sx]) {
                            *acc = A::madd(*acc, h, v);
                        }
                    }
                }
            }),
        _ => {
            let plane = sx * sy;
            // Columns of the planes in blocks, each block one task.
            let block = 4096.min(plane.max(1));
            let starts: Vec<usize> = (0..plane).step_by(block).collect();
            let parts: Vec<(usize, Vec<f64>)> = starts
                .par_iter()
                .map(|&b| {
                    let len = block.min(plane - b);
                    let mut part = vec![0.0; len * m];
                    for (o, t) in taps.iter().enumerate() {
                        let acc = &mut part[o * len..(o + 1) * len];
                        for &(j, k) in t {
                            let h = filter[j];
                            let src = &data[k * plane + b..k * plane + b + len];
                            for (a, &v) in acc.iter_mut().zip(src) {
                                *a = A::madd(*a, h, v);
                            }
                        }
                    }
                    (b, part)
                })
                .collect();
            for (b, part) in parts {
                let len = part.len() / m.max(1);
                for o in 0..m {
                    out[o * plane + b..o * plane + b + len]
                        .copy_from_slice(&part[o * len..(o + 1) * len]);
                }
            }
        }
    }
    (out, out_dims)
}

/// The transformed axes (0 = x, 1 = y, 2 = z) in PyRadiomics' order: x, y, z, without the
/// `force2Ddimension` axis under `force2D` (which counts axes in z, y, x order).
fn axes(settings: &Settings) -> Vec<usize> {
    let skip = settings.force2d.then(|| 2 - settings.force2d_dimension);
    (0..3).filter(|&a| Some(a) != skip).collect()
}

/// Sample positions along one axis that a level reads and writes: outputs wanted, and the
/// inputs they read (positions on the axis's periodic, odd-padded line of `len` samples).
#[derive(Debug, Clone)]
struct Window {
    /// Output positions computed, ascending.
    outputs: Vec<usize>,
    /// Input positions read, ascending.
    inputs: Vec<usize>,
    /// Per output, its products (tap, index into `inputs`) in PyWavelets' order.
    taps: Vec<Vec<(usize, usize)>>,
}

impl Window {
    /// The window of a transformed axis computing `outputs` with a filter of `f` taps.
    fn transformed(outputs: Vec<usize>, len: usize, f: usize) -> Window {
        let full: Vec<Vec<(usize, usize)>> = outputs.iter().map(|&o| taps_at(len, f, o)).collect();
        let mut inputs: Vec<usize> = full.iter().flatten().map(|&(_, k)| k).collect();
        inputs.sort_unstable();
        inputs.dedup();
        let taps = full
            .into_iter()
            .map(|t| {
                t.into_iter()
                    .map(|(j, k)| (j, inputs.binary_search(&k).expect("listed above")))
                    .collect()
            })
            .collect();
        Window {
            outputs,
            inputs,
            taps,
        }
    }

    /// The window of an axis left as it is (`force2D`): outputs are inputs.
    fn identity(outputs: Vec<usize>) -> Window {
        Window {
            inputs: outputs.clone(),
            outputs,
            taps: Vec::new(),
        }
    }
}

/// Ascending union of two ascending position lists.
fn union(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut v: Vec<usize> = a.iter().chain(b).copied().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Image type names of the wavelet sub-bands under `settings`, in PyRadiomics' order:
/// per level the detail bands (`LLH`, `LHL`, …, `HHH`), then the last level's `LLL`.
pub fn image_names(settings: &Settings) -> Vec<String> {
    let k = axes(settings).len();
    let mut out = Vec::new();
    let letters = |code: usize| -> String {
        (0..k)
            .map(|a| {
                if code >> (k - 1 - a) & 1 == 1 {
                    'H'
                } else {
                    'L'
                }
            })
            .collect()
    };
    let prefix = |idx: usize| {
        if idx == 1 {
            "wavelet".to_string()
        } else {
            format!("wavelet{idx}")
        }
    };
    for idx in 1..=settings.level {
        for code in 1..(1 << k) {
            out.push(format!("{}-{}", prefix(idx), letters(code)));
        }
    }
    out.push(format!("{}-{}", prefix(settings.level), "L".repeat(k)));
    out
}

/// The wavelet sub-band images of `region` (the preprocessed image PyRadiomics filters),
/// each cut to `bb` (the final ROI box, in `region`'s indices), named as [`image_names`]
/// names them, in that order.
///
/// Only what the ROI box needs is computed: going back from the last level, each level's
/// outputs along an axis are the box (for its kept sub-bands) and the samples the next level
/// reads of its approximation; its inputs are the samples those outputs' filter taps reach,
/// wrapped periodically on the (odd-padded) axis. Each sample is the same sum of the same
/// products as in a transform of the whole region.
pub fn images(
    region: &Volume,
    bb: &BoundingBox,
    settings: &Settings,
) -> Result<Vec<(String, Volume)>> {
    let (lo, hi) = filters(&settings.wavelet).ok_or_else(|| {
        Error::Settings(format!(
            "setting 'wavelet': unknown wavelet '{}' (known: {})",
            settings.wavelet,
            names().join(", ")
        ))
    })?;
    let size = region.geometry.size;
    let transformed = axes(settings);
    let levels = settings.start_level + settings.level;
    // Padded line lengths (an odd transformed axis gains one wrapped sample).
    let len = [0, 1, 2].map(|a| size[a] + usize::from(transformed.contains(&a)) * (size[a] % 2));
    let boxed = |a: usize| -> Vec<usize> { (bb.lo[a]..=bb.hi[a]).collect() };
    // Windows per level and axis, from the last level back.
    let mut windows: Vec<[Window; 3]> = Vec::with_capacity(levels);
    let mut next_inputs: Option<[Vec<usize>; 3]> = None;
    for level in (0..levels).rev() {
        let keep = level >= settings.start_level;
        let w = [0, 1, 2].map(|a| {
            let mut outputs = match &next_inputs {
                Some(n) => n[a].clone(),
                None => Vec::new(),
            };
            if keep {
                outputs = union(&outputs, &boxed(a));
            }
            if transformed.contains(&a) {
                Window::transformed(outputs, len[a], lo.len())
            } else {
                Window::identity(outputs)
            }
        });
        next_inputs = Some([0, 1, 2].map(|a| w[a].inputs.clone()));
        windows.push(w);
    }
    windows.reverse();
    // The work, bounded before it starts: per level, the products of its 2 + 4 + 8 line
    // transforms (fewer in 2D), each at most (input grid) × (taps).
    let work: u128 = windows
        .iter()
        .map(|w| {
            let grid = crate::limits::product(&[0, 1, 2].map(|a| w[a].inputs.len() as u128));
            let transforms = (1u128 << (transformed.len() + 1)) - 2;
            grid.saturating_mul(transforms)
                .saturating_mul(lo.len() as u128)
        })
        .fold(0, u128::saturating_add);
    if work > MAX_WAVELET_PRODUCTS {
        return Err(Error::Settings(format!(
            "the wavelet transform ({}, start_level {} and level {}) would take about {work:.1e} multiplications over this region (at most {MAX_WAVELET_PRODUCTS:.0e}): use fewer levels or a shorter wavelet, or a smaller region (preCrop, resampling)",
            settings.wavelet, settings.start_level, settings.level
        )));
    }
    // The first level's inputs, gathered from the region (a padded sample wraps to the start).
    let first = &windows[0];
    let dims = [0, 1, 2].map(|a| first[a].inputs.len());
    crate::limits::check(
        || {
            format!(
                "the wavelet transform ({}) of a window of {}×{}×{} voxels",
                settings.wavelet, dims[0], dims[1], dims[2]
            )
        },
        crate::limits::product(&dims.map(|d| d as u128)).saturating_mul(8 * 8),
        "use a smaller ROI or fewer wavelet levels",
    )?;
    let mut data = Vec::with_capacity(dims.iter().product());
    for &z in &first[2].inputs {
        for &y in &first[1].inputs {
            let row = size[0] * (y % size[1] + size[1] * (z % size[2]));
            data.extend(
                first[0]
                    .inputs
                    .iter()
                    .map(|&x| region.data[row + x % size[0]]),
            );
        }
    }
    let geometry = crop_geometry(&region.geometry, bb);
    let single = region.pixel_type == PixelType::F32;
    let lo32 = single_precision(&settings.wavelet, lo);
    let hi32 = single_precision(&settings.wavelet, hi);
    let pixel_type = if single {
        PixelType::F32
    } else {
        PixelType::F64
    };
    let mut names = image_names(settings).into_iter();
    let mut out = Vec::new();
    for (level, w) in windows.iter().enumerate() {
        let keep = level >= settings.start_level;
        let out_dims = [0, 1, 2].map(|a| w[a].outputs.len());
        // Where the box sits in this level's output grid.
        let at = [0, 1, 2].map(|a| w[a].outputs.binary_search(&bb.lo[a]).unwrap_or(0));
        let crop = |band: &[f64]| -> Vec<f64> {
            let e = bb.extent();
            let mut v = Vec::with_capacity(e.iter().product());
            for z in 0..e[2] {
                for y in 0..e[1] {
                    let row = out_dims[0] * (at[1] + y + out_dims[1] * (at[2] + z)) + at[0];
                    v.extend_from_slice(&band[row..row + e[0]]);
                }
            }
            v
        };
        let next = windows.get(level + 1);
        let mut approximation = Vec::new();
        let in_dims = [0, 1, 2].map(|a| w[a].inputs.len());
        let mut visit = |code: usize, band: Vec<f64>| {
            if code == 0 {
                if let Some(n) = next {
                    // The next level's inputs, picked from this level's outputs.
                    approximation = pick(&band, w, n);
                } else if keep {
                    approximation = crop(&band);
                }
            } else if keep {
                let name = names.next().expect("a name per band");
                out.push((name, crop(&band)));
            }
        };
        if single {
            let plan = Plan {
                windows: w,
                axes: &transformed,
                lo: &lo32,
                hi: &hi32,
            };
            plan.bands(data, in_dims, 0, 0, &mut visit);
        } else {
            let plan = Plan {
                windows: w,
                axes: &transformed,
                lo,
                hi,
            };
            plan.bands(data, in_dims, 0, 0, &mut visit);
        }
        data = approximation;
        if next.is_none() {
            let name = names.next().expect("the approximation's name");
            out.push((name, std::mem::take(&mut data)));
        }
    }
    Ok(out
        .into_iter()
        .map(|(name, data)| {
            (
                name,
                Volume {
                    geometry: geometry.clone(),
                    data,
                    pixel_type,
                },
            )
        })
        .collect())
}

/// The samples of `next`'s input grid taken from a band on `w`'s output grid.
fn pick(band: &[f64], w: &[Window; 3], next: &[Window; 3]) -> Vec<f64> {
    let dims = [0, 1, 2].map(|a| w[a].outputs.len());
    let index = |a: usize, p: usize| {
        w[a].outputs
            .binary_search(&p)
            .expect("a level's outputs hold the next level's inputs")
    };
    let mut v = Vec::with_capacity(next.iter().map(|n| n.inputs.len()).product());
    for &z in &next[2].inputs {
        let zi = index(2, z);
        for &y in &next[1].inputs {
            let yi = index(1, y);
            let row = dims[0] * (yi + dims[1] * zi);
            v.extend(next[0].inputs.iter().map(|&x| band[row + index(0, x)]));
        }
    }
    v
}

/// What one level's transform needs: its windows, the transformed axes in order, the filters
/// (in the transform's precision).
struct Plan<'a, A> {
    windows: &'a [Window; 3],
    axes: &'a [usize],
    lo: &'a [A],
    hi: &'a [A],
}

impl<A: Arith> Plan<'_, A> {
    /// Transforms `input` (grid `dims`) along the axes from `depth` on, depth first, calling
    /// `visit` with each finished sub-band (on the level's output grid) and its code (bit set
    /// = high-pass, the first axis highest), in increasing code order: PyWavelets' order
    /// (`aaa`, `aad`, `ada`, …).
    fn bands(
        &self,
        input: Vec<f64>,
        dims: [usize; 3],
        depth: usize,
        code: usize,
        visit: &mut dyn FnMut(usize, Vec<f64>),
    ) {
        if depth == self.axes.len() {
            visit(code, input);
            return;
        }
        let axis = self.axes[depth];
        let taps = &self.windows[axis].taps;
        let (low, low_dims) = transform_axis(&input, dims, axis, taps, self.lo);
        let (high, high_dims) = transform_axis(&input, dims, axis, taps, self.hi);
        drop(input);
        self.bands(low, low_dims, depth + 1, code << 1, visit);
        self.bands(high, high_dims, depth + 1, code << 1 | 1, visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The periodic convolution written plainly: Σ_j h[j]·x[(i − j) mod n], i = o + F/2.
    fn plain(input: &[f64], filter: &[f64], o: usize) -> f64 {
        let n = input.len() as i64;
        let i = (o + filter.len() / 2) as i64;
        filter
            .iter()
            .enumerate()
            .map(|(j, h)| h * input[(i - j as i64).rem_euclid(n) as usize])
            .sum()
    }

    #[test]
    fn taps_cover_every_product_once_and_wrap_periodically() {
        for (n, f) in [(6, 2), (6, 6), (4, 8), (2, 62), (10, 62), (7, 3)] {
            for o in 0..n {
                let t = taps_at(n, f, o);
                assert_eq!(t.len(), f, "n {n} f {f} o {o}");
                let i = (o + f / 2) as i64;
                for &(j, k) in &t {
                    assert_eq!(k as i64, (i - j as i64).rem_euclid(n as i64), "n {n} f {f}");
                }
                let mut js: Vec<usize> = t.iter().map(|&(j, _)| j).collect();
                js.sort_unstable();
                assert_eq!(js, (0..f).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn every_axis_gives_the_plain_convolution() {
        let size = [5, 6, 4];
        let data: Vec<f64> = (0..120).map(|v| ((v * 37) % 11) as f64 - 4.0).collect();
        for name in ["haar", "coif1", "db4", "dmey"] {
            let (lo, _) = filters(name).unwrap();
            for axis in 0..3 {
                let n = size[axis];
                let taps: Vec<Vec<(usize, usize)>> =
                    (0..n).map(|o| taps_at(n, lo.len(), o)).collect();
                let (out, dims) = transform_axis(&data, size, axis, &taps, lo);
                assert_eq!(dims, size);
                for z in 0..size[2] {
                    for y in 0..size[1] {
                        for x in 0..size[0] {
                            let idx = [x, y, z];
                            let line: Vec<f64> = (0..size[axis])
                                .map(|k| {
                                    let mut p = idx;
                                    p[axis] = k;
                                    data[p[0] + 5 * (p[1] + 6 * p[2])]
                                })
                                .collect();
                            let want = plain(&line, lo, idx[axis]);
                            let got = out[x + 5 * (y + 6 * z)];
                            assert!(
                                (got - want).abs() < 1e-12 * (1.0 + want.abs()),
                                "{name} axis {axis}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// Computing only the windows a ROI box needs gives, in that box, the very values of a
    /// transform of the whole region (the same sums of the same products, bit for bit).
    #[test]
    fn windows_equal_the_whole_transform_in_the_box() {
        let size = [9, 8, 7];
        let g = crate::image::Geometry::with_spacing(size, [1.0; 3]);
        let data: Vec<f64> = (0..504)
            .map(|v| ((v * 7919) % 101) as f64 * 0.37 - 11.0)
            .collect();
        let region = Volume::new(g, data);
        let whole = BoundingBox {
            lo: [0, 0, 0],
            hi: [8, 7, 6],
        };
        let boxes = [
            BoundingBox {
                lo: [2, 3, 1],
                hi: [5, 4, 4],
            },
            BoundingBox {
                lo: [0, 0, 6],
                hi: [8, 1, 6],
            },
            BoundingBox {
                lo: [7, 6, 0],
                hi: [8, 7, 2],
            },
        ];
        for (wavelet, level, start, force2d) in [
            ("haar", 1, 0, false),
            ("coif1", 2, 0, false),
            ("db3", 1, 1, false),
            ("dmey", 1, 0, false),
            ("sym4", 2, 1, true),
        ] {
            let s = Settings {
                wavelet: wavelet.into(),
                level,
                start_level: start,
                force2d,
                ..Settings::default()
            };
            let full = images(&region, &whole, &s).unwrap();
            for bb in &boxes {
                let part = images(&region, bb, &s).unwrap();
                for ((name, f), (pname, p)) in full.iter().zip(&part) {
                    assert_eq!(name, pname);
                    let (_, cut) = crate::image::crop(&f.geometry, &f.data, bb);
                    assert_eq!(cut, p.data, "{wavelet} {name} {bb:?}");
                }
            }
        }
    }

    #[test]
    fn names_follow_pyradiomics() {
        let mut s = Settings::default();
        let n = image_names(&s);
        assert_eq!(n.len(), 8);
        assert_eq!(n[0], "wavelet-LLH");
        assert_eq!(n[6], "wavelet-HHH");
        assert_eq!(n[7], "wavelet-LLL");
        s.level = 2;
        let n = image_names(&s);
        assert_eq!(n[7], "wavelet2-LLH");
        assert_eq!(n[14], "wavelet2-LLL");
        s.level = 1;
        s.force2d = true;
        assert_eq!(
            image_names(&s),
            ["wavelet-LH", "wavelet-HL", "wavelet-HH", "wavelet-LL"]
        );
    }

    #[test]
    fn a_constant_image_scales_by_sqrt2_per_low_pass_axis() {
        let g = crate::image::Geometry::with_spacing([5, 4, 3], [1.0; 3]);
        let v = Volume::new(g, vec![2.0; 60]);
        let bb = BoundingBox {
            lo: [0, 0, 0],
            hi: [4, 3, 2],
        };
        let out = images(&v, &bb, &Settings::default()).unwrap();
        let lll = &out.last().unwrap().1;
        assert!(lll
            .data
            .iter()
            .all(|x| (x - 2.0 * 2f64.sqrt().powi(3)).abs() < 1e-12));
        assert!(
            out[0].1.data.iter().all(|x| x.abs() < 1e-12),
            "details of a constant vanish"
        );
    }
}
