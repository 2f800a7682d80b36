//! Catalogue of feature classes and their features: names as PyRadiomics spells them, and
//! which are enabled by default.
//!
//! Within a class, features are listed in PyRadiomics' output order (alphabetical by the name
//! of PyRadiomics' `get<Name>FeatureValue` method), so gpurad's columns line up with its tables.

/// One feature of a class.
#[derive(Debug, Clone, Copy)]
pub struct FeatureSpec {
    /// PyRadiomics name, e.g. `InterquartileRange`.
    pub name: &'static str,
    /// Enabled when the class is enabled without a feature list.
    pub default: bool,
}

/// One feature class.
#[derive(Debug, Clone, Copy)]
pub struct ClassSpec {
    /// PyRadiomics class name, e.g. `firstorder`.
    pub name: &'static str,
    /// Its features in output order.
    pub features: &'static [FeatureSpec],
}

const fn on(name: &'static str) -> FeatureSpec {
    FeatureSpec {
        name,
        default: true,
    }
}
const fn off(name: &'static str) -> FeatureSpec {
    FeatureSpec {
        name,
        default: false,
    }
}

/// First-order statistics (IBSI chapter 3.3 / 3.4).
pub const FIRSTORDER: ClassSpec = ClassSpec {
    name: "firstorder",
    features: &[
        on("10Percentile"),
        on("90Percentile"),
        on("Energy"),
        on("Entropy"),
        on("InterquartileRange"),
        on("Kurtosis"),
        on("Maximum"),
        on("MeanAbsoluteDeviation"),
        on("Mean"),
        on("Median"),
        on("Minimum"),
        on("Range"),
        on("RobustMeanAbsoluteDeviation"),
        on("RootMeanSquared"),
        on("Skewness"),
        off("StandardDeviation"),
        on("TotalEnergy"),
        on("Uniformity"),
        on("Variance"),
    ],
};

/// 3D shape (IBSI chapter 3.1, morphology).
pub const SHAPE: ClassSpec = ClassSpec {
    name: "shape",
    features: &[
        off("Compactness1"),
        off("Compactness2"),
        on("Elongation"),
        on("Flatness"),
        on("LeastAxisLength"),
        on("MajorAxisLength"),
        on("Maximum2DDiameterColumn"),
        on("Maximum2DDiameterRow"),
        on("Maximum2DDiameterSlice"),
        on("Maximum3DDiameter"),
        on("MeshVolume"),
        on("MinorAxisLength"),
        off("SphericalDisproportion"),
        on("Sphericity"),
        on("SurfaceArea"),
        on("SurfaceVolumeRatio"),
        on("VoxelVolume"),
    ],
};

/// Grey-level co-occurrence matrix features (IBSI chapter 3.6). The four PyRadiomics calls
/// deprecated (off by default) are computed, when named, as the features they equal:
/// Dissimilarity = DifferenceAverage, Homogeneity1 = Id, Homogeneity2 = Idm,
/// SumVariance = ClusterTendency.
pub const GLCM: ClassSpec = ClassSpec {
    name: "glcm",
    features: &[
        on("Autocorrelation"),
        on("ClusterProminence"),
        on("ClusterShade"),
        on("ClusterTendency"),
        on("Contrast"),
        on("Correlation"),
        on("DifferenceAverage"),
        on("DifferenceEntropy"),
        on("DifferenceVariance"),
        off("Dissimilarity"),
        off("Homogeneity1"),
        off("Homogeneity2"),
        on("Id"),
        on("Idm"),
        on("Idmn"),
        on("Idn"),
        on("Imc1"),
        on("Imc2"),
        on("InverseVariance"),
        on("JointAverage"),
        on("JointEnergy"),
        on("JointEntropy"),
        on("MCC"),
        on("MaximumProbability"),
        on("SumAverage"),
        on("SumEntropy"),
        on("SumSquares"),
        off("SumVariance"),
    ],
};

/// Grey-level run-length matrix features (IBSI chapter 3.7).
pub const GLRLM: ClassSpec = ClassSpec {
    name: "glrlm",
    features: &[
        on("GrayLevelNonUniformity"),
        on("GrayLevelNonUniformityNormalized"),
        on("GrayLevelVariance"),
        on("HighGrayLevelRunEmphasis"),
        on("LongRunEmphasis"),
        on("LongRunHighGrayLevelEmphasis"),
        on("LongRunLowGrayLevelEmphasis"),
        on("LowGrayLevelRunEmphasis"),
        on("RunEntropy"),
        on("RunLengthNonUniformity"),
        on("RunLengthNonUniformityNormalized"),
        on("RunPercentage"),
        on("RunVariance"),
        on("ShortRunEmphasis"),
        on("ShortRunHighGrayLevelEmphasis"),
        on("ShortRunLowGrayLevelEmphasis"),
    ],
};

/// Grey-level size-zone matrix features (IBSI chapter 3.8).
pub const GLSZM: ClassSpec = ClassSpec {
    name: "glszm",
    features: &[
        on("GrayLevelNonUniformity"),
        on("GrayLevelNonUniformityNormalized"),
        on("GrayLevelVariance"),
        on("HighGrayLevelZoneEmphasis"),
        on("LargeAreaEmphasis"),
        on("LargeAreaHighGrayLevelEmphasis"),
        on("LargeAreaLowGrayLevelEmphasis"),
        on("LowGrayLevelZoneEmphasis"),
        on("SizeZoneNonUniformity"),
        on("SizeZoneNonUniformityNormalized"),
        on("SmallAreaEmphasis"),
        on("SmallAreaHighGrayLevelEmphasis"),
        on("SmallAreaLowGrayLevelEmphasis"),
        on("ZoneEntropy"),
        on("ZonePercentage"),
        on("ZoneVariance"),
    ],
};

/// Grey-level dependence matrix features (IBSI chapter 3.11, NGLDM). The deprecated
/// GrayLevelNonUniformityNormalized (equal to first-order Uniformity) is computed when named.
pub const GLDM: ClassSpec = ClassSpec {
    name: "gldm",
    features: &[
        on("DependenceEntropy"),
        on("DependenceNonUniformity"),
        on("DependenceNonUniformityNormalized"),
        on("DependenceVariance"),
        on("GrayLevelNonUniformity"),
        off("GrayLevelNonUniformityNormalized"),
        on("GrayLevelVariance"),
        on("HighGrayLevelEmphasis"),
        on("LargeDependenceEmphasis"),
        on("LargeDependenceHighGrayLevelEmphasis"),
        on("LargeDependenceLowGrayLevelEmphasis"),
        on("LowGrayLevelEmphasis"),
        on("SmallDependenceEmphasis"),
        on("SmallDependenceHighGrayLevelEmphasis"),
        on("SmallDependenceLowGrayLevelEmphasis"),
    ],
};

/// Neighbourhood grey-tone difference matrix features (IBSI chapter 3.10).
pub const NGTDM: ClassSpec = ClassSpec {
    name: "ngtdm",
    features: &[
        on("Busyness"),
        on("Coarseness"),
        on("Complexity"),
        on("Contrast"),
        on("Strength"),
    ],
};

/// All implemented classes, in output order (shape is computed first, as in PyRadiomics).
pub const CLASSES: &[ClassSpec] = &[SHAPE, FIRSTORDER, GLCM, GLRLM, GLSZM, GLDM, NGTDM];

/// Looks a class up by its PyRadiomics name.
pub fn class(name: &str) -> Option<&'static ClassSpec> {
    CLASSES.iter().find(|c| c.name == name)
}

/// Default-enabled feature names of a class (empty for an unknown class).
pub fn default_features(name: &str) -> Vec<String> {
    class(name)
        .map(|c| {
            c.features
                .iter()
                .filter(|f| f.default)
                .map(|f| f.name.to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_counts_match_pyradiomics() {
        assert_eq!(default_features("firstorder").len(), 18);
        assert_eq!(default_features("shape").len(), 14);
        let total: usize = CLASSES
            .iter()
            .filter(|c| c.name != "shape2D")
            .map(|c| default_features(c.name).len())
            .sum();
        assert_eq!(total, 107, "PyRadiomics' 107 default features");
        assert!(default_features("wavelet").is_empty());
    }
}
