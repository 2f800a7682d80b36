//! GLSZM features (IBSI 3.8; PyRadiomics `glszm`): one matrix of zone counts per grey level
//! and zone size. As PyRadiomics, an empty matrix normalises by 1 instead of 0.

use super::size_matrix::{single_size_matrix, SizeMatrix, Stat};
use crate::matrices::glszm::Glszm;

/// Feature name → statistic of the size-zone matrix.
pub const TABLE: &[(&str, Stat)] = &[
    ("GrayLevelNonUniformity", Stat::GreyNonUniformity),
    (
        "GrayLevelNonUniformityNormalized",
        Stat::GreyNonUniformityNormalized,
    ),
    ("GrayLevelVariance", Stat::GreyVariance),
    ("HighGrayLevelZoneEmphasis", Stat::HighGreyEmphasis),
    ("LargeAreaEmphasis", Stat::LargeEmphasis),
    (
        "LargeAreaHighGrayLevelEmphasis",
        Stat::LargeHighGreyEmphasis,
    ),
    ("LargeAreaLowGrayLevelEmphasis", Stat::LargeLowGreyEmphasis),
    ("LowGrayLevelZoneEmphasis", Stat::LowGreyEmphasis),
    ("SizeZoneNonUniformity", Stat::SizeNonUniformity),
    (
        "SizeZoneNonUniformityNormalized",
        Stat::SizeNonUniformityNormalized,
    ),
    ("SmallAreaEmphasis", Stat::SmallEmphasis),
    (
        "SmallAreaHighGrayLevelEmphasis",
        Stat::SmallHighGreyEmphasis,
    ),
    ("SmallAreaLowGrayLevelEmphasis", Stat::SmallLowGreyEmphasis),
    ("ZoneEntropy", Stat::Entropy),
    ("ZonePercentage", Stat::Percentage),
    ("ZoneVariance", Stat::SizeVariance),
];

/// Computes the requested GLSZM features.
pub fn compute(m: &Glszm, present: &[u32], names: &[String]) -> Vec<(String, f64)> {
    single_size_matrix(
        SizeMatrix::from_columns(&m.counts, &m.sizes, present),
        TABLE,
        names,
    )
}
