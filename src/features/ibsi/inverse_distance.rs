//! Inverse-distance pair sums over a ROI, for Moran's I and Geary's C (IBSI N365, NPT7):
//! with w_kl = 1 / ‖x⃗_k − x⃗_l‖ over the ROI's voxel centres and a_k = X_k − μ,
//!
//! W = Σ_{k≠l} w_kl,  S = Σ_{k≠l} w_kl a_k a_l,  G = Σ_{k≠l} w_kl (a_k − a_l)²
//!   = 2 Σ_k a_k² (K ∗ m)_k − 2 Σ_k a_k (K ∗ a)_k,
//!
//! where m is the ROI's indicator on the grid, a is zero outside it, and K ∗ f is the
//! convolution with the kernel K(d⃗) = 1 / ‖d⃗‖ (K(0) = 0). Small ROIs sum over the pairs
//! directly; large ones convolve by FFT on a grid padded to twice the ROI box (no wrap-around),
//! O(M log M) for M padded voxels instead of O(N²) for N ROI voxels. Both give the same sums
//! to rounding (checked in the tests).

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

use crate::error::Result;

/// ROIs up to this many voxels are summed pair by pair (≈ 2·10⁷ pairs).
const DIRECT_LIMIT: usize = 6_000;

/// (W, S, G) over unordered pairs k < l (each half the ordered sums above).
pub fn pair_sums(
    size: [usize; 3],
    spacing: [f64; 3],
    voxels: &[usize],
    centred: &[f64],
) -> Result<(f64, f64, f64)> {
    if voxels.len() <= DIRECT_LIMIT {
        Ok(direct(size, spacing, voxels, centred))
    } else {
        by_fft(size, spacing, voxels, centred)
    }
}

fn coords(size: [usize; 3], i: usize) -> [usize; 3] {
    [
        i % size[0],
        (i / size[0]) % size[1],
        i / (size[0] * size[1]),
    ]
}

/// The sums pair by pair.
fn direct(size: [usize; 3], spacing: [f64; 3], voxels: &[usize], a: &[f64]) -> (f64, f64, f64) {
    let points: Vec<[f64; 3]> = voxels
        .iter()
        .map(|&i| {
            let c = coords(size, i);
            [
                c[0] as f64 * spacing[0],
                c[1] as f64 * spacing[1],
                c[2] as f64 * spacing[2],
            ]
        })
        .collect();
    (0..points.len())
        .into_par_iter()
        .map(|k| {
            let (p, x) = (points[k], a[k]);
            let (mut w, mut s, mut g) = (0.0, 0.0, 0.0);
            for l in k + 1..points.len() {
                let q = points[l];
                let d =
                    ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt();
                let wk = 1.0 / d;
                let y = a[l];
                w += wk;
                s += wk * x * y;
                g += wk * (x - y) * (x - y);
            }
            (w, s, g)
        })
        .reduce(|| (0.0, 0.0, 0.0), |u, v| (u.0 + v.0, u.1 + v.1, u.2 + v.2))
}

/// A 3D FFT in place over a grid of `dims` (x fastest).
fn fft3(buf: &mut [Complex<f64>], dims: [usize; 3], inverse: bool) {
    let mut planner = FftPlanner::<f64>::new();
    let plan = |n: usize, planner: &mut FftPlanner<f64>| {
        if inverse {
            planner.plan_fft_inverse(n)
        } else {
            planner.plan_fft_forward(n)
        }
    };
    let [nx, ny, nz] = dims;
    // Along x: contiguous rows.
    let fx = plan(nx, &mut planner);
    buf.par_chunks_mut(nx).for_each(|row| fx.process(row));
    // Along y and z: gathered into contiguous lines.
    let fy = plan(ny, &mut planner);
    buf.par_chunks_mut(nx * ny).for_each(|plane| {
        let mut line = vec![Complex::new(0.0, 0.0); ny];
        for x in 0..nx {
            for y in 0..ny {
                line[y] = plane[x + nx * y];
            }
            fy.process(&mut line);
            for y in 0..ny {
                plane[x + nx * y] = line[y];
            }
        }
    });
    let fz = plan(nz, &mut planner);
    let plane = nx * ny;
    let columns: Vec<Vec<Complex<f64>>> = (0..plane)
        .into_par_iter()
        .map(|c| {
            let mut line: Vec<Complex<f64>> = (0..nz).map(|z| buf[c + plane * z]).collect();
            fz.process(&mut line);
            line
        })
        .collect();
    for (c, line) in columns.into_iter().enumerate() {
        for (z, v) in line.into_iter().enumerate() {
            buf[c + plane * z] = v;
        }
    }
}

/// The sums by FFT convolution with the inverse-distance kernel.
fn by_fft(
    size: [usize; 3],
    spacing: [f64; 3],
    voxels: &[usize],
    a: &[f64],
) -> Result<(f64, f64, f64)> {
    // Padding each axis to twice the box keeps every offset −(n − 1) … n − 1 apart.
    let dims = size.map(|n| 2 * n);
    let cells: usize = dims.iter().product();
    crate::limits::check(
        || {
            format!(
                "Moran's I and Geary's C of a ROI of {} voxels (FFT grid {}×{}×{})",
                voxels.len(),
                dims[0],
                dims[1],
                dims[2]
            )
        },
        cells as u128 * 16 * 3,
        "raise --max-memory",
    )?;
    let index = |c: [usize; 3]| c[0] + dims[0] * (c[1] + dims[1] * c[2]);
    let zero = Complex::new(0.0, 0.0);
    let mut kernel = vec![zero; cells];
    for z in 0..dims[2] {
        for y in 0..dims[1] {
            for x in 0..dims[0] {
                // Offsets wrap: on an axis of 2n cells, index i < n is the offset i and index
                // i ≥ n the offset i − 2n (−n … −1).
                let off = |i: usize, k: usize| {
                    if i < size[k] {
                        i as f64
                    } else {
                        i as f64 - dims[k] as f64
                    }
                };
                let d = [
                    off(x, 0) * spacing[0],
                    off(y, 1) * spacing[1],
                    off(z, 2) * spacing[2],
                ];
                let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
                if r > 0.0 {
                    kernel[index([x, y, z])] = Complex::new(1.0 / r, 0.0);
                }
            }
        }
    }
    let mut m = vec![zero; cells];
    let mut f = vec![zero; cells];
    for (&i, &v) in voxels.iter().zip(a) {
        let c = index(coords(size, i));
        m[c] = Complex::new(1.0, 0.0);
        f[c] = Complex::new(v, 0.0);
    }
    fft3(&mut kernel, dims, false);
    fft3(&mut m, dims, false);
    fft3(&mut f, dims, false);
    for ((mv, fv), kv) in m.iter_mut().zip(f.iter_mut()).zip(&kernel) {
        *mv *= kv;
        *fv *= kv;
    }
    drop(kernel);
    fft3(&mut m, dims, true);
    fft3(&mut f, dims, true);
    let scale = 1.0 / cells as f64;
    let (mut w, mut s, mut g) = (0.0, 0.0, 0.0);
    for (&i, &v) in voxels.iter().zip(a) {
        let c = index(coords(size, i));
        let (km, ka) = (m[c].re * scale, f[c].re * scale);
        w += km;
        s += v * ka;
        g += 2.0 * v * v * km - 2.0 * v * ka;
    }
    // Ordered sums (each pair twice) to unordered.
    Ok((w / 2.0, s / 2.0, g / 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_sums_equal_direct_sums() {
        let mut step = crate::rng::lcg(13579);
        for (size, spacing) in [
            ([9, 7, 5], [1.0, 1.0, 1.0]),
            ([12, 10, 3], [0.7, 0.7, 3.0]),
            ([6, 6, 6], [1.9, 0.4, 1.1]),
        ] {
            let n: usize = size.iter().product();
            let voxels: Vec<usize> = (0..n).filter(|_| (step() >> 33) % 10 < 6).collect();
            let values: Vec<f64> = voxels
                .iter()
                .map(|_| ((step() >> 33) % 1000) as f64 - 300.0)
                .collect();
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let a: Vec<f64> = values.iter().map(|v| v - mean).collect();
            let d = direct(size, spacing, &voxels, &a);
            let f = by_fft(size, spacing, &voxels, &a).unwrap();
            // S is a sum of terms of both signs: its rounding is bounded by the sum of their
            // magnitudes, Σ w |a_k a_l|.
            let abs: Vec<f64> = a.iter().map(|v| v.abs()).collect();
            let magnitude = direct(size, spacing, &voxels, &abs).1;
            assert!((d.0 - f.0).abs() <= 1e-12 * d.0, "W: {} vs {}", d.0, f.0);
            assert!(
                (d.1 - f.1).abs() <= 1e-12 * magnitude,
                "S: {} vs {}",
                d.1,
                f.1
            );
            assert!((d.2 - f.2).abs() <= 1e-12 * d.2, "G: {} vs {}", d.2, f.2);
        }
    }
}
