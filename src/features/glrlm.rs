//! GLRLM features (IBSI 3.7; PyRadiomics `glrlm`): computed per direction and averaged over
//! the non-empty directions (IBSI "3D averaged", BTW3/ITBB family), or on one matrix merged
//! over directions with `weightingNorm` (IBSI "merged"; the run percentage then counts every
//! voxel once per direction, as PyRadiomics and IBSI do).
//!
//! With `weightingNorm` PyRadiomics weights each direction by its length in mm under the
//! chosen norm (not by `exp(−d²)` as for the GLCM); `no_weighting` gives weight 1.

use super::size_matrix::{features, SizeMatrix, Stat};
use super::texture::{nanmean, restrict_rows};
use crate::matrices::angles::Offset;
use crate::matrices::glrlm::Glrlm;
use crate::settings::Settings;

/// Feature name → statistic of the run-length matrix.
pub const TABLE: &[(&str, Stat)] = &[
    ("GrayLevelNonUniformity", Stat::GreyNonUniformity),
    (
        "GrayLevelNonUniformityNormalized",
        Stat::GreyNonUniformityNormalized,
    ),
    ("GrayLevelVariance", Stat::GreyVariance),
    ("HighGrayLevelRunEmphasis", Stat::HighGreyEmphasis),
    ("LongRunEmphasis", Stat::LargeEmphasis),
    ("LongRunHighGrayLevelEmphasis", Stat::LargeHighGreyEmphasis),
    ("LongRunLowGrayLevelEmphasis", Stat::LargeLowGreyEmphasis),
    ("LowGrayLevelRunEmphasis", Stat::LowGreyEmphasis),
    ("RunEntropy", Stat::Entropy),
    ("RunLengthNonUniformity", Stat::SizeNonUniformity),
    (
        "RunLengthNonUniformityNormalized",
        Stat::SizeNonUniformityNormalized,
    ),
    ("RunPercentage", Stat::Percentage),
    ("RunVariance", Stat::SizeVariance),
    ("ShortRunEmphasis", Stat::SmallEmphasis),
    ("ShortRunHighGrayLevelEmphasis", Stat::SmallHighGreyEmphasis),
    ("ShortRunLowGrayLevelEmphasis", Stat::SmallLowGreyEmphasis),
];

/// Length of direction `off` in mm under `norm` (PyRadiomics' GLRLM weighting).
fn direction_length(norm: &str, off: Offset, spacing: [f64; 3]) -> f64 {
    let d: Vec<f64> = (0..3).map(|k| off[k].abs() as f64 * spacing[k]).collect();
    match norm {
        "infinity" => d.iter().copied().fold(0.0, f64::max),
        "euclidean" => d.iter().map(|v| v * v).sum::<f64>().sqrt(),
        "manhattan" => d.iter().sum(),
        _ => 1.0,
    }
}

/// Computes the requested GLRLM features.
pub fn compute(
    m: &Glrlm,
    present: &[u32],
    settings: &Settings,
    spacing: [f64; 3],
    names: &[String],
) -> Vec<(String, f64)> {
    let block = m.ng * m.nr;
    let angle_counts = |a: usize| &m.counts[a * block..(a + 1) * block];
    let matrices: Vec<SizeMatrix> = match &settings.weighting_norm {
        None => {
            // One matrix per direction, straight from its integer counts.
            let mut mats: Vec<SizeMatrix> = (0..m.angles.len())
                .map(|a| SizeMatrix::from_counts(angle_counts(a), m.nr, present))
                .collect();
            if mats.len() > 1 {
                // Empty directions are dropped before averaging (an empty matrix keeps no
                // size column).
                mats.retain(|sm| !sm.sizes.is_empty());
            }
            mats
        }
        Some(norm) => {
            let mut merged = vec![0.0; present.len() * m.nr];
            for (a, &off) in m.angles.iter().enumerate() {
                let w = direction_length(norm, off, spacing);
                let mat = restrict_rows(angle_counts(a), m.nr, present);
                for (acc, v) in merged.iter_mut().zip(&mat) {
                    *acc += v * w;
                }
            }
            vec![SizeMatrix {
                levels: present.iter().map(|&l| l as f64).collect(),
                sizes: (1..=m.nr).map(|r| r as f64).collect(),
                counts: merged,
            }
            .without_empty_sizes()]
        }
    };
    let per_angle: Vec<Vec<f64>> = matrices
        .iter()
        .map(|sm| {
            let n = sm.total();
            let n = if n == 0.0 { f64::NAN } else { n };
            features(sm, n, TABLE, names)
        })
        .collect();
    names
        .iter()
        .enumerate()
        .map(|(f, name)| {
            (
                name.clone(),
                nanmean(&per_angle.iter().map(|v| v[f]).collect::<Vec<_>>()),
            )
        })
        .collect()
}
