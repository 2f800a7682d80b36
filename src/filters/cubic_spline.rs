//! Cubic B-spline interpolation at arbitrary points, as SciPy computes it in
//! `scipy.ndimage.map_coordinates(image, points, order=3, mode='constant', cval=0)` (the
//! sampling of PyRadiomics' `LBP3D` filter).
//!
//! M. Unser, "Splines: a perfect fit for signal and image processing", IEEE Signal Processing
//! Magazine 16(6), 1999. The image is first turned into B-spline coefficients by the
//! recursive prefilter of pole `z = √3 − 2` along each axis in array order (z, then y,
//! then x): scale by the gain `(1 − z)(1 − 1/z)`, a causal pass started with the mirror
//! boundary sum over the whole line, an anticausal pass started as
//! `c[n−1] = (z·c[n−2] + c[n−1])·z/(z² − 1)`. Lines of one voxel stay as they are. A point
//! with any coordinate outside `[0, n−1]` samples 0; otherwise its value is
//! `Σ c[i,j,k]·w_z[i]·w_y[j]·w_x[k]` over the 4×4×4 coefficients around it (indices beyond
//! the image mirrored), with the cubic B-spline weights `w` and the last weight of each axis
//! taken as one minus the others. SciPy's order of operations is kept, so that samples equal
//! SciPy's bit for bit.
//!
//! Every line is filtered whole, as its boundary sum spans it, but only the lines and
//! positions the requested box reads are kept: all z lines (the y pass reads them at every
//! y), the y lines of the box's z range, the x lines of its y and z ranges.

use crate::image::{mirror_index, BoundingBox, Volume};

/// SciPy's pole of the cubic B-spline prefilter, `√3 − 2` (its constant, rounded once).
const POLE: f64 = -0.2679491924311227;

/// Prefilters one line in place (SciPy's `apply_filter` with its mirror initialisation).
fn prefilter_line(c: &mut [f64]) {
    let n = c.len();
    if n < 2 {
        return;
    }
    let z = POLE;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    for v in c.iter_mut() {
        *v *= gain;
    }
    // Causal initialisation: the mirror-symmetric sum over the whole line.
    let z_n_1 = z.powf((n - 1) as f64);
    c[0] += z_n_1 * c[n - 1];
    let mut z_i = z;
    for i in 1..n - 1 {
        c[0] += z_i * (c[i] + z_n_1 * c[n - 1 - i]);
        z_i *= z;
    }
    c[0] /= 1.0 - z_n_1 * z_n_1;
    for i in 1..n {
        c[i] += z * c[i - 1];
    }
    c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1.0);
    for i in (0..n - 1).rev() {
        c[i] = z * (c[i + 1] - c[i]);
    }
}

/// The cubic B-spline weights of the four coefficients around `x` (SciPy's
/// `get_spline_interpolation_weights`, order 3).
fn weights(x: f64) -> [f64; 4] {
    let x = x - x.floor();
    let y = x;
    let z = 1.0 - x;
    let w1 = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
    let w2 = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
    let w0 = z * z * z / 6.0;
    let w3 = 1.0 - w0 - w1 - w2;
    [w0, w1, w2, w3]
}

/// The B-spline coefficients of an image over the part of it one box of points can read.
pub struct Coefficients {
    /// Image size along z, y, x.
    size: [usize; 3],
    /// First kept index along z, y, x.
    lo: [usize; 3],
    /// Kept extent along z, y, x.
    ext: [usize; 3],
    /// Coefficients, x fastest.
    data: Vec<f64>,
}

/// The first and last kept index along an axis of length `n` for points in `[lo, hi]`
/// offset by at most `reach`: the four coefficients around each, mirrored at the ends.
fn kept(lo: usize, hi: usize, reach: f64, n: usize) -> (usize, usize) {
    let r = reach.ceil() as usize + 2;
    (lo.saturating_sub(r), (hi + r).min(n - 1))
}

/// Bytes [`coefficients`] allocates for a region of `size` (x, y, z) and a box `bb` read
/// by points at most `reach` voxels away.
pub fn scratch_bytes(size: [usize; 3], bb: &BoundingBox, reach: f64) -> u128 {
    let k = |a: usize| {
        let (l, h) = kept(bb.lo[a], bb.hi[a], reach, size[a]);
        (h - l + 1) as u128
    };
    let (x, y) = (size[0] as u128, size[1] as u128);
    8 * (x * y * k(2) + x * k(1) * k(2) + k(0) * k(1) * k(2) + x.max(y).max(size[2] as u128))
}

/// The coefficients of `image` read by points within `reach` voxels of `bb` (region
/// indices x, y, z).
pub fn coefficients(image: &Volume, bb: &BoundingBox, reach: f64) -> Coefficients {
    let [nx, ny, nz] = image.geometry.size;
    let (x0, x1) = kept(bb.lo[0], bb.hi[0], reach, nx);
    let (y0, y1) = kept(bb.lo[1], bb.hi[1], reach, ny);
    let (z0, z1) = kept(bb.lo[2], bb.hi[2], reach, nz);
    let (kx, ky, kz) = (x1 - x0 + 1, y1 - y0 + 1, z1 - z0 + 1);
    let mut line = vec![0.0; nx.max(ny).max(nz)];
    // z pass: every (x, y), kept z range. Layout [z][y][x] with all x, y.
    let mut a = vec![0.0; nx * ny * kz];
    for y in 0..ny {
        for x in 0..nx {
            let l = &mut line[..nz];
            for (z, v) in l.iter_mut().enumerate() {
                *v = image.data[x + nx * (y + ny * z)];
            }
            prefilter_line(l);
            for z in z0..=z1 {
                a[x + nx * (y + ny * (z - z0))] = l[z];
            }
        }
    }
    // y pass: every x, kept z range, kept y range. Layout [z][y][x] with all x.
    let mut b = vec![0.0; nx * ky * kz];
    for z in 0..kz {
        for x in 0..nx {
            let l = &mut line[..ny];
            for (y, v) in l.iter_mut().enumerate() {
                *v = a[x + nx * (y + ny * z)];
            }
            prefilter_line(l);
            for y in y0..=y1 {
                b[x + nx * (y - y0 + ky * z)] = l[y];
            }
        }
    }
    drop(a);
    // x pass: kept y and z ranges, kept x range.
    let mut data = vec![0.0; kx * ky * kz];
    for z in 0..kz {
        for y in 0..ky {
            let l = &mut line[..nx];
            l.copy_from_slice(&b[nx * (y + ky * z)..nx * (y + ky * z + 1)]);
            prefilter_line(l);
            data[kx * (y + ky * z)..kx * (y + ky * z + 1)].copy_from_slice(&l[x0..=x1]);
        }
    }
    Coefficients {
        size: [nz, ny, nx],
        lo: [z0, y0, x0],
        ext: [kz, ky, kx],
        data,
    }
}

impl Coefficients {
    /// The interpolated value at `p` (array coordinates z, y, x), in double: 0 outside the
    /// image. `p` must lie within the reach the coefficients were computed for.
    pub fn sample(&self, p: [f64; 3]) -> f64 {
        let mut w = [[0.0; 4]; 3];
        let mut idx = [[0usize; 4]; 3];
        for a in 0..3 {
            let n = self.size[a];
            // NaN fails this test too, and samples 0 as SciPy's does.
            if !(p[a] >= 0.0 && p[a] <= (n - 1) as f64) {
                return 0.0;
            }
            let start = p[a].floor() as i64 - 1;
            for (l, slot) in idx[a].iter_mut().enumerate() {
                let i = mirror_index(start as isize + l as isize, n);
                *slot = i - self.lo[a];
            }
            w[a] = weights(p[a]);
        }
        let [_, ey, ex] = self.ext;
        let mut t = 0.0;
        for i in 0..4 {
            for j in 0..4 {
                let row = ex * (idx[1][j] + ey * idx[0][i]);
                for k in 0..4 {
                    t += self.data[row + idx[2][k]] * w[0][i] * w[1][j] * w[2][k];
                }
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_matches_scipy() {
        // scipy.ndimage's mirror mode for n = 5: ... 2 1 | 0 1 2 3 4 | 3 2 ...
        let got: Vec<usize> = (-6..11).map(|i| mirror_index(i, 5)).collect();
        assert_eq!(got, vec![2, 3, 4, 3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1, 0, 1, 2]);
        assert_eq!(mirror_index(-1, 1), 0);
    }

    #[test]
    fn weights_are_the_cubic_bspline() {
        let w = weights(2.25);
        let b3 = |t: f64| {
            let t = t.abs();
            if t < 1.0 {
                2.0 / 3.0 - t * t + t * t * t / 2.0
            } else if t < 2.0 {
                (2.0 - t).powi(3) / 6.0
            } else {
                0.0
            }
        };
        for (l, wl) in w.iter().enumerate() {
            let knot = 1.0 + l as f64; // floor(2.25) − 1 + l
            assert!((wl - b3(2.25 - knot)).abs() < 1e-15);
        }
    }

    #[test]
    fn reproduces_a_constant_up_to_the_faces() {
        // The mirror boundary keeps a constant image's coefficients constant, so every
        // sample inside the image is the constant (up to rounding) and every one outside 0.
        use crate::image::{Geometry, PixelType};
        let g = Geometry::with_spacing([12, 10, 9], [1.0; 3]);
        let v = Volume {
            data: vec![7.5; g.len()],
            geometry: g,
            pixel_type: PixelType::F64,
        };
        let bb = BoundingBox {
            lo: [0, 4, 7],
            hi: [11, 5, 8],
        };
        let c = coefficients(&v, &bb, 1.0);
        for p in [[8.0, 4.6, 0.2], [7.3, 5.0, 11.0], [8.0, 3.0, 10.9]] {
            assert!((c.sample(p) - 7.5).abs() < 1e-12, "{p:?}: {}", c.sample(p));
        }
        assert_eq!(c.sample([8.5, 4.0, 5.0]), 0.0);
        assert_eq!(c.sample([7.0, 4.0, -1e-9]), 0.0);
    }
}
