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
    let sizes: Vec<f64> = (1..=m.nr).map(|r| r as f64).collect();
    let per_angle = |a: usize| {
        restrict_rows(
            &m.counts[a * m.ng * m.nr..(a + 1) * m.ng * m.nr],
            m.nr,
            present,
        )
    };
    let mut mats: Vec<Vec<f64>> = (0..m.angles.len()).map(per_angle).collect();
    if let Some(norm) = &settings.weighting_norm {
        let mut merged = vec![0.0; present.len() * m.nr];
        for (mat, &off) in mats.iter().zip(&m.angles) {
            let w = direction_length(norm, off, spacing);
            for (acc, v) in merged.iter_mut().zip(mat) {
                *acc += v * w;
            }
        }
        mats = vec![merged];
    }
    if mats.len() > 1 {
        mats.retain(|c| c.iter().any(|&v| v != 0.0));
    }
    let levels: Vec<f64> = present.iter().map(|&l| l as f64).collect();
    let per_angle: Vec<Vec<f64>> = mats
        .into_iter()
        .map(|counts| {
            let sm = SizeMatrix {
                levels: levels.clone(),
                sizes: sizes.clone(),
                counts,
            }
            .without_empty_sizes();
            let n = sm.total();
            let n = if n == 0.0 { f64::NAN } else { n };
            features(&sm, n, TABLE, names)
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
