//! The IBSI texture features per family, in the reference manual's order, with where gpurad
//! computes each: a PyRadiomics-defined feature of the matching class that equals IBSI's
//! definition (documented identities: joint maximum = MaximumProbability, joint variance =
//! SumSquares, sum variance = cluster tendency = ClusterTendency, dissimilarity = difference
//! average = DifferenceAverage, angular second moment = JointEnergy, the NGLDM's normalised
//! grey level non-uniformity = the GLDM's GrayLevelNonUniformityNormalized), or gpurad's own
//! IBSI code ([`super::ngldm`], [`super::gldzm`]). The digital phantom's reference values
//! check every entry in every aggregation (`tests/ibsi_phantom_texture.rs`,
//! `tests/ibsi_families.rs`).

use crate::features::registry::FeatureClass;

/// Where a feature's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The named feature of the family's PyRadiomics class.
    Pyradiomics(&'static str),
    /// Entry `k` of gpurad's own IBSI computation for the family.
    Own(usize),
}

/// One IBSI texture family.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// IBSI's family code in the reference tables (`cm`, `rlm`, …).
    pub code: &'static str,
    /// The PyRadiomics class computing its matrix (`None` for the GLDZM, gpurad's own).
    pub class: Option<FeatureClass>,
    /// Aggregations without `force2D` (3D), and with it (2D and 2.5D), as IBSI ids.
    pub aggregations_3d: &'static [&'static str],
    /// Aggregations with `force2D`.
    pub aggregations_2d: &'static [&'static str],
    /// Features: IBSI id and source.
    pub features: &'static [(&'static str, Source)],
}

use Source::{Own, Pyradiomics as Py};

const DIRECTIONAL_3D: &[&str] = &["ITBB", "IAZD"];
const DIRECTIONAL_2D: &[&str] = &["BTW3", "SUJT", "JJUI", "ZW7Z"];
const ZONE_3D: &[&str] = &["KOBO"];
const ZONE_2D: &[&str] = &["8QNN", "62GR"];

/// The six IBSI texture families, in the reference manual's order.
pub const FAMILIES: [Family; 6] = [
    Family {
        code: "cm",
        class: Some(FeatureClass::Glcm),
        aggregations_3d: DIRECTIONAL_3D,
        aggregations_2d: DIRECTIONAL_2D,
        features: &[
            ("GYBY", Py("MaximumProbability")),
            ("60VM", Py("JointAverage")),
            ("UR99", Py("SumSquares")),
            ("TU9B", Py("JointEntropy")),
            ("TF7R", Py("DifferenceAverage")),
            ("D3YU", Py("DifferenceVariance")),
            ("NTRS", Py("DifferenceEntropy")),
            ("ZGXS", Py("SumAverage")),
            ("OEEB", Py("ClusterTendency")),
            ("P6QZ", Py("SumEntropy")),
            ("8ZQL", Py("JointEnergy")),
            ("ACUI", Py("Contrast")),
            ("8S9J", Py("DifferenceAverage")),
            ("IB1Z", Py("Id")),
            ("NDRX", Py("Idn")),
            ("WF0Z", Py("Idm")),
            ("1QCO", Py("Idmn")),
            ("E8JP", Py("InverseVariance")),
            ("NI2N", Py("Correlation")),
            ("QWB0", Py("Autocorrelation")),
            ("DG8W", Py("ClusterTendency")),
            ("7NFM", Py("ClusterShade")),
            ("AE86", Py("ClusterProminence")),
            ("R8DG", Py("Imc1")),
            ("JN9H", Py("Imc2")),
        ],
    },
    Family {
        code: "rlm",
        class: Some(FeatureClass::Glrlm),
        aggregations_3d: DIRECTIONAL_3D,
        aggregations_2d: DIRECTIONAL_2D,
        features: &[
            ("22OV", Py("ShortRunEmphasis")),
            ("W4KF", Py("LongRunEmphasis")),
            ("V3SW", Py("LowGrayLevelRunEmphasis")),
            ("G3QZ", Py("HighGrayLevelRunEmphasis")),
            ("HTZT", Py("ShortRunLowGrayLevelEmphasis")),
            ("GD3A", Py("ShortRunHighGrayLevelEmphasis")),
            ("IVPO", Py("LongRunLowGrayLevelEmphasis")),
            ("3KUM", Py("LongRunHighGrayLevelEmphasis")),
            ("R5YN", Py("GrayLevelNonUniformity")),
            ("OVBL", Py("GrayLevelNonUniformityNormalized")),
            ("W92Y", Py("RunLengthNonUniformity")),
            ("IC23", Py("RunLengthNonUniformityNormalized")),
            ("9ZK5", Py("RunPercentage")),
            ("8CE5", Py("GrayLevelVariance")),
            ("SXLW", Py("RunVariance")),
            ("HJ9O", Py("RunEntropy")),
        ],
    },
    Family {
        code: "szm",
        class: Some(FeatureClass::Glszm),
        aggregations_3d: ZONE_3D,
        aggregations_2d: ZONE_2D,
        features: &[
            ("5QRC", Py("SmallAreaEmphasis")),
            ("48P8", Py("LargeAreaEmphasis")),
            ("XMSY", Py("LowGrayLevelZoneEmphasis")),
            ("5GN9", Py("HighGrayLevelZoneEmphasis")),
            ("5RAI", Py("SmallAreaLowGrayLevelEmphasis")),
            ("HW1V", Py("SmallAreaHighGrayLevelEmphasis")),
            ("YH51", Py("LargeAreaLowGrayLevelEmphasis")),
            ("J17V", Py("LargeAreaHighGrayLevelEmphasis")),
            ("JNSA", Py("GrayLevelNonUniformity")),
            ("Y1RO", Py("GrayLevelNonUniformityNormalized")),
            ("4JP3", Py("SizeZoneNonUniformity")),
            ("VB3A", Py("SizeZoneNonUniformityNormalized")),
            ("P30P", Py("ZonePercentage")),
            ("BYLV", Py("GrayLevelVariance")),
            ("3NSA", Py("ZoneVariance")),
            ("GU8N", Py("ZoneEntropy")),
        ],
    },
    Family {
        code: "dzm",
        class: None,
        aggregations_3d: ZONE_3D,
        aggregations_2d: ZONE_2D,
        features: &[
            ("0GBI", Own(0)),
            ("MB4I", Own(1)),
            ("S1RA", Own(2)),
            ("K26C", Own(3)),
            ("RUVG", Own(4)),
            ("DKNJ", Own(5)),
            ("A7WM", Own(6)),
            ("KLTH", Own(7)),
            ("VFT7", Own(8)),
            ("7HP3", Own(9)),
            ("V294", Own(10)),
            ("IATH", Own(11)),
            ("VIWW", Own(12)),
            ("QK93", Own(13)),
            ("7WT1", Own(14)),
            ("GBDU", Own(15)),
        ],
    },
    Family {
        code: "ngt",
        class: Some(FeatureClass::Ngtdm),
        aggregations_3d: ZONE_3D,
        aggregations_2d: ZONE_2D,
        features: &[
            ("QCDE", Py("Coarseness")),
            ("65HE", Py("Contrast")),
            ("NQ30", Py("Busyness")),
            ("HDEZ", Py("Complexity")),
            ("1X9X", Py("Strength")),
        ],
    },
    Family {
        code: "ngl",
        class: Some(FeatureClass::Gldm),
        aggregations_3d: ZONE_3D,
        aggregations_2d: ZONE_2D,
        features: &[
            ("SODN", Py("SmallDependenceEmphasis")),
            ("IMOQ", Py("LargeDependenceEmphasis")),
            ("TL9H", Py("LowGrayLevelEmphasis")),
            ("OAE7", Py("HighGrayLevelEmphasis")),
            ("EQ3F", Py("SmallDependenceLowGrayLevelEmphasis")),
            ("JA6D", Py("SmallDependenceHighGrayLevelEmphasis")),
            ("NBZI", Py("LargeDependenceLowGrayLevelEmphasis")),
            ("9QMG", Py("LargeDependenceHighGrayLevelEmphasis")),
            ("FP8K", Py("GrayLevelNonUniformity")),
            ("5SPA", Py("GrayLevelNonUniformityNormalized")),
            ("Z87G", Py("DependenceNonUniformity")),
            ("OKJI", Py("DependenceNonUniformityNormalized")),
            ("6XV8", Own(0)),
            ("1PFV", Py("GrayLevelVariance")),
            ("DNX2", Py("DependenceVariance")),
            ("FCBV", Py("DependenceEntropy")),
            ("CAS9", Own(1)),
        ],
    },
];

impl Family {
    /// The PyRadiomics feature names this family needs, without repeats.
    pub fn pyradiomics_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (_, s) in self.features {
            if let Py(n) = s {
                if !names.iter().any(|m| m == n) {
                    names.push(n.to_string());
                }
            }
        }
        names
    }
}
