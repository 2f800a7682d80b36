//! GLDM features (IBSI 3.11 NGLDM; PyRadiomics `gldm`): one matrix of voxel counts per grey
//! level and dependence (1 + number of dependent neighbours). As PyRadiomics, an empty matrix
//! normalises by 1 instead of 0.

use super::size_matrix::{single_matrix, Stat};
use crate::matrices::gldm::Gldm;

/// Feature name → statistic of the dependence matrix.
pub const TABLE: &[(&str, Stat)] = &[
    ("DependenceEntropy", Stat::Entropy),
    ("DependenceNonUniformity", Stat::SizeNonUniformity),
    (
        "DependenceNonUniformityNormalized",
        Stat::SizeNonUniformityNormalized,
    ),
    ("DependenceVariance", Stat::SizeVariance),
    ("GrayLevelNonUniformity", Stat::GreyNonUniformity),
    (
        "GrayLevelNonUniformityNormalized",
        Stat::GreyNonUniformityNormalized,
    ),
    ("GrayLevelVariance", Stat::GreyVariance),
    ("HighGrayLevelEmphasis", Stat::HighGreyEmphasis),
    ("LargeDependenceEmphasis", Stat::LargeEmphasis),
    (
        "LargeDependenceHighGrayLevelEmphasis",
        Stat::LargeHighGreyEmphasis,
    ),
    (
        "LargeDependenceLowGrayLevelEmphasis",
        Stat::LargeLowGreyEmphasis,
    ),
    ("LowGrayLevelEmphasis", Stat::LowGreyEmphasis),
    ("SmallDependenceEmphasis", Stat::SmallEmphasis),
    (
        "SmallDependenceHighGrayLevelEmphasis",
        Stat::SmallHighGreyEmphasis,
    ),
    (
        "SmallDependenceLowGrayLevelEmphasis",
        Stat::SmallLowGreyEmphasis,
    ),
];

/// Computes the requested GLDM features.
pub fn compute(m: &Gldm, present: &[u32], names: &[String]) -> Vec<(String, f64)> {
    single_matrix(&m.counts, m.nd, present, TABLE, names)
}
