//! Gradient magnitude images as PyRadiomics computes them (`imageoperations.getGradientImage`:
//! SimpleITK's `GradientMagnitudeImageFilter`), named `gradient`.
//!
//! Each voxel's value is `√(g_x² + g_y² + g_z²)` with the central differences
//! `g_a = (I[a+1] − I[a−1]) / (2·spacing_a)` (spacing 1 with `gradientUseSpacing: false`);
//! beyond the image a neighbour is the nearest voxel inside it (ITK's zero-flux Neumann
//! boundary). ITK's arithmetic is kept (operator taps `±0.5 · (1/spacing)`, sums in double, the
//! result stored as float32), so the values are SimpleITK's to the last bit.

use rayon::prelude::*;

use crate::image::{crop_geometry, BoundingBox, PixelType, Volume};

/// The gradient magnitude of `region` (the whole filtered region), cut to `bb`; spacing
/// divides the differences when `use_spacing`. Values are float32, as SimpleITK's.
pub fn image(region: &Volume, bb: &BoundingBox, use_spacing: bool) -> Volume {
    let size = region.geometry.size;
    let tap = [0, 1, 2].map(|a| {
        if use_spacing {
            0.5 * (1.0 / region.geometry.spacing[a])
        } else {
            0.5
        }
    });
    let e = bb.extent();
    let data = &region.data;
    let index = |p: [usize; 3]| p[0] + size[0] * (p[1] + size[1] * p[2]);
    let mut out = vec![0.0; e.iter().product()];
    out.par_chunks_mut((e[0] * e[1]).max(1))
        .enumerate()
        .for_each(|(zi, plane)| {
            for yi in 0..e[1] {
                for xi in 0..e[0] {
                    let p = [bb.lo[0] + xi, bb.lo[1] + yi, bb.lo[2] + zi];
                    let mut sum = 0.0;
                    for a in 0..3 {
                        let (mut before, mut after) = (p, p);
                        before[a] = p[a].saturating_sub(1);
                        after[a] = (p[a] + 1).min(size[a] - 1);
                        // ITK's inner product: taps +c, 0, −c over the neighbours in order.
                        let g = tap[a] * data[index(before)]
                            + 0.0 * data[index(p)]
                            + -tap[a] * data[index(after)];
                        sum += g * g;
                    }
                    plane[xi + e[0] * yi] = (sum.sqrt() as f32) as f64;
                }
            }
        });
    Volume {
        geometry: crop_geometry(&region.geometry, bb),
        data: out,
        pixel_type: PixelType::F32,
    }
}
