//! The one catalogue of feature classes and their features: each class as an enum variant,
//! each feature with its name as PyRadiomics spells it, whether it is enabled by default, its
//! IBSI identifier (where IBSI defines the same quantity) and its formula.
//!
//! Within a class, features are listed in PyRadiomics' output order (alphabetical by the name
//! of PyRadiomics' `get<Name>FeatureValue` method), so gpurad's columns line up with its tables.
//! `gpurad features` prints this catalogue (Markdown, CSV or JSON); `docs/features.md` is its
//! Markdown output, and a test keeps the two equal.

use serde::Serialize;

/// A feature class, in output order (shape first, as in PyRadiomics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureClass {
    /// 3D shape (morphology).
    Shape,
    /// First-order (intensity) statistics.
    FirstOrder,
    /// Grey-level co-occurrence matrix.
    Glcm,
    /// Grey-level run-length matrix.
    Glrlm,
    /// Grey-level size-zone matrix.
    Glszm,
    /// Grey-level dependence matrix.
    Gldm,
    /// Neighbourhood grey-tone difference matrix.
    Ngtdm,
}

impl FeatureClass {
    /// Every class, in output order.
    pub const ALL: [FeatureClass; 7] = [
        FeatureClass::Shape,
        FeatureClass::FirstOrder,
        FeatureClass::Glcm,
        FeatureClass::Glrlm,
        FeatureClass::Glszm,
        FeatureClass::Gldm,
        FeatureClass::Ngtdm,
    ];

    /// The class's catalogue entry.
    pub fn spec(self) -> &'static ClassSpec {
        match self {
            FeatureClass::Shape => &SHAPE,
            FeatureClass::FirstOrder => &FIRSTORDER,
            FeatureClass::Glcm => &GLCM,
            FeatureClass::Glrlm => &GLRLM,
            FeatureClass::Glszm => &GLSZM,
            FeatureClass::Gldm => &GLDM,
            FeatureClass::Ngtdm => &NGTDM,
        }
    }

    /// PyRadiomics' name of the class (`firstorder`, `glcm`, …), as in parameter files and
    /// feature columns.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The class named `name` in PyRadiomics' spelling.
    pub fn from_name(name: &str) -> Option<FeatureClass> {
        FeatureClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the class is computed from a texture matrix of the discretised ROI.
    pub fn is_texture(self) -> bool {
        !matches!(self, FeatureClass::Shape | FeatureClass::FirstOrder)
    }

    /// The names of the features enabled by default, in output order.
    pub fn default_features(self) -> Vec<String> {
        self.spec()
            .features
            .iter()
            .filter(|f| f.default)
            .map(|f| f.name.to_string())
            .collect()
    }
}

impl std::fmt::Display for FeatureClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One feature of a class.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FeatureSpec {
    /// PyRadiomics name, e.g. `InterquartileRange`.
    pub name: &'static str,
    /// Enabled when the class is enabled without a feature list.
    pub default: bool,
    /// The IBSI-1 identifier of the same quantity (e.g. `SALO`); empty when IBSI defines none
    /// or defines it differently (the note says how).
    pub ibsi: &'static str,
    /// The formula, in the notation of its class ([`ClassSpec::notation`]).
    pub formula: &'static str,
    /// What a user must know beyond the formula (empty when nothing).
    pub note: &'static str,
}

impl FeatureSpec {
    /// Sets the IBSI identifier.
    const fn ibsi(self, code: &'static str) -> FeatureSpec {
        FeatureSpec { ibsi: code, ..self }
    }
    /// Sets the formula.
    const fn is(self, formula: &'static str) -> FeatureSpec {
        FeatureSpec { formula, ..self }
    }
    /// Sets the note.
    const fn note(self, note: &'static str) -> FeatureSpec {
        FeatureSpec { note, ..self }
    }
}

/// One feature class.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ClassSpec {
    /// PyRadiomics class name, e.g. `firstorder`.
    pub name: &'static str,
    /// What the class is, in words.
    pub title: &'static str,
    /// The IBSI-1 identifier of the feature family (e.g. `LFYI` for GLCM).
    pub ibsi: &'static str,
    /// The symbols its formulas use.
    pub notation: &'static str,
    /// Its features in output order.
    pub features: &'static [FeatureSpec],
}

const fn on(name: &'static str) -> FeatureSpec {
    FeatureSpec {
        name,
        default: true,
        ibsi: "",
        formula: "",
        note: "",
    }
}
const fn off(name: &'static str) -> FeatureSpec {
    FeatureSpec {
        default: false,
        ..on(name)
    }
}

/// First-order statistics (IBSI chapter 3.3 / 3.4).
pub const FIRSTORDER: ClassSpec = ClassSpec {
    name: "firstorder",
    title: "First-order statistics of the ROI intensities",
    ibsi: "UHIW",
    notation: "X: the N_p ROI intensities (after any filter, resampling and normalisation); X̄ their mean; c: voxelArrayShift; P(i): the histogram of the discretised ROI with N_g bins, p(i) = P(i)/N_p; V_voxel: the voxel volume; P_q(X): the q-th percentile (linear interpolation, as numpy); X_10-90: the values with P₁₀ ≤ x ≤ P₉₀; ε = 2.2e-16. Moments divide by N_p. Entropy and Uniformity belong to IBSI's intensity-histogram family (ZVCW).",
    features: &[
        on("10Percentile").ibsi("QG58").is("P₁₀(X)").note("numpy percentile with default linear interpolation on raw (non-discretised) values."),
        on("90Percentile").ibsi("8DWT").is("P₉₀(X)").note("numpy percentile with default linear interpolation."),
        on("Energy").ibsi("N8CA").is("Σ_{i=1}^{N_p} (X(i) + c)²").note("Uses voxelArrayShift c; equals IBSI N8CA when c = 0."),
        on("Entropy").ibsi("TLU2").is("−Σ_{i=1}^{N_g} p(i)·log₂(p(i) + ε)").note("On the discretised histogram (binWidth/binCount), not on raw values."),
        on("InterquartileRange").ibsi("SALO").is("P₇₅(X) − P₂₅(X)").note("numpy linear-interpolation percentiles."),
        on("Kurtosis").is("μ₄/σ⁴ = [(1/N_p)·Σ(X(i) − X̄)⁴] / [(1/N_p)·Σ(X(i) − X̄)²]²").note("Not excess kurtosis: IBSI IPH6 (excess kurtosis) equals this value − 3; 0 for a flat region."),
        on("Maximum").ibsi("84IY").is("max(X)"),
        on("MeanAbsoluteDeviation").ibsi("4FUA").is("(1/N_p)·Σ_{i=1}^{N_p} |X(i) − X̄|").note("Deviation about the mean, not the median."),
        on("Mean").ibsi("Q4LE").is("X̄ = (1/N_p)·Σ_{i=1}^{N_p} X(i)"),
        on("Median").ibsi("Y12H").is("median(X)").note("numpy median (mean of the two middle values when N_p is even)."),
        on("Minimum").ibsi("1GSF").is("min(X)"),
        on("Range").ibsi("2OJQ").is("max(X) − min(X)"),
        on("RobustMeanAbsoluteDeviation").ibsi("1128").is("(1/N_10-90)·Σ |X_10-90(i) − X̄_10-90|").note("X_10-90 = values with P₁₀ ≤ x ≤ P₉₀ (inclusive); deviation about the mean of that subset."),
        on("RootMeanSquared").ibsi("5ZWQ").is("√((1/N_p)·Σ_{i=1}^{N_p} (X(i) + c)²)").note("Uses voxelArrayShift c; equals IBSI 5ZWQ when c = 0."),
        on("Skewness").ibsi("KE2A").is("μ₃/σ³ = [(1/N_p)·Σ(X(i) − X̄)³] / [(1/N_p)·Σ(X(i) − X̄)²]^(3/2)").note("Population (biased) moments; 0 for a flat region."),
        off("StandardDeviation").is("σ = √((1/N_p)·Σ_{i=1}^{N_p} (X(i) − X̄)²)").note("Off by default (PyRadiomics deprecates it); population SD (÷ N_p), = √Variance; no IBSI feature."),
        on("TotalEnergy").is("V_voxel · Σ_{i=1}^{N_p} (X(i) + c)²").note("Uses voxelArrayShift c; no IBSI feature."),
        on("Uniformity").ibsi("BJ5W").is("Σ_{i=1}^{N_g} p(i)²").note("On the discretised histogram."),
        on("Variance").ibsi("ECT3").is("σ² = (1/N_p)·Σ_{i=1}^{N_p} (X(i) − X̄)²").note("Population variance (÷N_p, not N_p − 1)."),
    ],
};

/// 3D shape (IBSI chapter 3.1, morphology).
pub const SHAPE: ClassSpec = ClassSpec {
    name: "shape",
    title: "3D shape (morphology) of the ROI",
    ibsi: "HCUG",
    notation: "V: mesh volume and A: surface area of the marching-cubes mesh of the mask (vertices at edge midpoints, physical coordinates); N_v: ROI voxels; V_voxel: voxel volume; λ_major ≥ λ_minor ≥ λ_least: eigenvalues of the covariance (÷ N_v) of the physical coordinates of the ROI voxel centres. Computed once per case on the original mask.",
    features: &[
        off("Compactness1").ibsi("SKGS").is("V / √(π·A³)").note("Off by default (PyRadiomics deprecates it); = √Compactness2 / (6π)."),
        off("Compactness2").ibsi("BQWJ").is("36π·V² / A³").note("Off by default (PyRadiomics deprecates it); = Sphericity³."),
        on("Elongation").ibsi("Q3CK").is("√(λ_minor / λ_major)").note("Inverse of true elongation (range 0–1); PCA of voxel centres, not the mesh; NaN if an eigenvalue < 0."),
        on("Flatness").ibsi("N17B").is("√(λ_least / λ_major)").note("Inverse of true flatness (range 0–1); 0 for a single-slice ROI."),
        on("LeastAxisLength").ibsi("7J51").is("4·√λ_least").note("0 for a single-slice ROI; eigenvalues in (−1e−10, 0) are rounded to 0."),
        on("MajorAxisLength").ibsi("TDIC").is("4·√λ_major").note("λ are eigenvalues of the population covariance (divided by N_v) of the physical voxel-centre coordinates."),
        on("Maximum2DDiameterColumn").is("max ‖v_a − v_b‖ over mesh-vertex pairs with v_a.y = v_b.y (x–z, usually coronal, plane)").note("Vertices compared by exact coordinate equality; no IBSI feature."),
        on("Maximum2DDiameterRow").is("max ‖v_a − v_b‖ over mesh-vertex pairs with v_a.x = v_b.x (y–z, usually sagittal, plane)").note("Vertices compared by exact coordinate equality; no IBSI feature."),
        on("Maximum2DDiameterSlice").is("max ‖v_a − v_b‖ over mesh-vertex pairs with v_a.z = v_b.z (x–y, usually axial, plane)").note("Vertices on voxel-centre planes and on the mid-planes between them both count; no IBSI feature."),
        on("Maximum3DDiameter").ibsi("L0JK").is("max ‖v_a − v_b‖ over all pairs of mesh vertices").note("Vertices are marching-cubes edge midpoints in physical coordinates (Feret diameter), not voxel centres."),
        on("MeshVolume").ibsi("RNU0").is("V = Σ_f a_f·(b_f × c_f) / 6 over mesh triangles f = (a_f, b_f, c_f)").note("Signed tetrahedra with the origin over the marching-cubes mesh of the mask padded by one voxel."),
        on("MinorAxisLength").ibsi("P9VJ").is("4·√λ_minor").note("Same PCA as MajorAxisLength."),
        off("SphericalDisproportion").ibsi("KRCK").is("A / (36π·V²)^(1/3)").note("Off by default (PyRadiomics deprecates it); = 1 / Sphericity."),
        on("Sphericity").ibsi("QCFX").is("(36π·V²)^(1/3) / A").note("Range 0–1, 1 for a perfect sphere."),
        on("SurfaceArea").ibsi("C0JK").is("A = Σ_f ½·|(a_f − c_f) × (b_f − c_f)|").note("Sum of marching-cubes triangle areas in mm²."),
        on("SurfaceVolumeRatio").ibsi("2PR5").is("A / V").note("Not dimensionless (mm⁻¹)."),
        on("VoxelVolume").ibsi("YEKZ").is("N_v · V_voxel").note("V_voxel = product of the three spacings; does not use the mesh."),
    ],
};

/// Grey-level co-occurrence matrix features (IBSI chapter 3.6). The four PyRadiomics calls
/// deprecated (off by default) are computed, when named, as the features they equal:
/// Dissimilarity = DifferenceAverage, Homogeneity1 = Id, Homogeneity2 = Idm,
/// SumVariance = ClusterTendency.
pub const GLCM: ClassSpec = ClassSpec {
    name: "glcm",
    title: "Grey-level co-occurrence matrix",
    ibsi: "LFYI",
    notation: "p(i,j): the symmetric co-occurrence matrix of one direction θ normalised to sum 1, i and j the discretised grey levels (rows and columns of levels absent from the ROI removed); N_g: the highest grey level in the ROI; p_x, p_y: its marginals with means μ_x, μ_y and deviations σ_x, σ_y; p_{x+y}(k) = Σ_{i+j=k} p(i,j), p_{x−y}(k) = Σ_{|i−j|=k} p(i,j); HX, HY: marginal entropies, HXY: joint entropy, HXY1 = −Σ p(i,j) log₂(p_x(i)p_y(j) + ε), HXY2 = −Σ p_x(i)p_y(j) log₂(p_x(i)p_y(j) + ε); ε = 2.2e-16. Each feature is computed per direction and averaged over directions (IBSI 3D averaged; NaN values left out).",
    features: &[
        on("Autocorrelation").ibsi("QWB0").is("Σ_i Σ_j p(i,j)·i·j"),
        on("ClusterProminence").ibsi("AE86").is("Σ_i Σ_j (i + j − μ_x − μ_y)⁴·p(i,j)"),
        on("ClusterShade").ibsi("7NFM").is("Σ_i Σ_j (i + j − μ_x − μ_y)³·p(i,j)"),
        on("ClusterTendency").ibsi("DG8W").is("Σ_i Σ_j (i + j − μ_x − μ_y)²·p(i,j)").note("Equal to SumVariance (deprecated)."),
        on("Contrast").ibsi("ACUI").is("Σ_i Σ_j (i − j)²·p(i,j)"),
        on("Correlation").ibsi("NI2N").is("Σ_i Σ_j p(i,j)(i − μ_x)(j − μ_y) / (σ_x·σ_y + ε)").note("ε in the denominator; set to 1 for an angle where σ_x·σ_y = 0 (flat region)."),
        on("DifferenceAverage").ibsi("TF7R").is("DA = Σ_{k=0}^{N_g−1} k·p_{x−y}(k)").note("Equal to Dissimilarity (deprecated)."),
        on("DifferenceEntropy").ibsi("NTRS").is("−Σ_{k=0}^{N_g−1} p_{x−y}(k)·log₂(p_{x−y}(k) + ε)"),
        on("DifferenceVariance").ibsi("D3YU").is("Σ_{k=0}^{N_g−1} (k − DA)²·p_{x−y}(k)").note("DA = DifferenceAverage of the same angle."),
        off("Dissimilarity").ibsi("8S9J").is("Σ_i Σ_j |i − j|·p(i,j)").note("Off by default: PyRadiomics 3.1 deprecates it and writes no value; gpurad computes it when named, equal to DifferenceAverage."),
        off("Homogeneity1").ibsi("IB1Z").is("Σ_i Σ_j p(i,j) / (1 + |i − j|)").note("Off by default: PyRadiomics 3.1 deprecates it and writes no value; gpurad computes it when named, equal to Id."),
        off("Homogeneity2").ibsi("WF0Z").is("Σ_i Σ_j p(i,j) / (1 + |i − j|²)").note("Off by default: PyRadiomics 3.1 deprecates it and writes no value; gpurad computes it when named, equal to Idm."),
        on("Id").ibsi("IB1Z").is("Σ_{k=0}^{N_g−1} p_{x−y}(k) / (1 + k)").note("Also known as Homogeneity1."),
        on("Idm").ibsi("WF0Z").is("Σ_{k=0}^{N_g−1} p_{x−y}(k) / (1 + k²)").note("Also known as Homogeneity2."),
        on("Idmn").ibsi("1QCO").is("Σ_{k=0}^{N_g−1} p_{x−y}(k) / (1 + k²/N_g²)").note("N_g = highest discretised grey level in the ROI, not the number of levels present."),
        on("Idn").ibsi("NDRX").is("Σ_{k=0}^{N_g−1} p_{x−y}(k) / (1 + k/N_g)").note("N_g = highest discretised grey level in the ROI."),
        on("Imc1").ibsi("R8DG").is("(HXY − HXY1) / max(HX, HY)").note("Per angle, 0 where max(HX, HY) = 0; value ≤ 0."),
        on("Imc2").ibsi("JN9H").is("√(1 − e^(−2·(HXY2 − HXY)))").note("Per angle; 0 where HXY2 = HXY; an angle with HXY > HXY2 (rounding) gives NaN and is left out of the mean over angles."),
        on("InverseVariance").ibsi("E8JP").is("Σ_{k=1}^{N_g−1} p_{x−y}(k) / k²").note("k = 0 is excluded."),
        on("JointAverage").ibsi("60VM").is("μ_x = Σ_i Σ_j p(i,j)·i").note("Assumes a symmetric GLCM (the default)."),
        on("JointEnergy").ibsi("8ZQL").is("Σ_i Σ_j p(i,j)²").note("IBSI Angular Second Moment."),
        on("JointEntropy").ibsi("TU9B").is("HXY = −Σ_i Σ_j p(i,j)·log₂(p(i,j) + ε)"),
        on("MCC").is("√(second-largest eigenvalue of Q), Q(i,k) = Σ_j p(i,j)·p(k,j) / (p_x(i)·p_y(j) + ε)").note("Per angle; the eigenvalues of the non-symmetric Q sorted ascending, real part kept; 1 when the ROI has one grey level; no IBSI feature."),
        on("MaximumProbability").ibsi("GYBY").is("max_{i,j} p(i,j)").note("IBSI Joint Maximum."),
        on("SumAverage").ibsi("ZGXS").is("SA = Σ_{k=2}^{2N_g} k·p_{x+y}(k)").note("= μ_x + μ_y = 2·JointAverage for a symmetric GLCM."),
        on("SumEntropy").ibsi("P6QZ").is("−Σ_{k=2}^{2N_g} p_{x+y}(k)·log₂(p_{x+y}(k) + ε)"),
        on("SumSquares").ibsi("UR99").is("Σ_i Σ_j (i − μ_x)²·p(i,j)").note("IBSI Joint Variance; assumes a symmetric GLCM."),
        off("SumVariance").ibsi("OEEB").is("Σ_{k=2}^{2N_g} (k − SA)²·p_{x+y}(k)").note("Off by default: PyRadiomics 3.1 deprecates it and writes no value; gpurad computes it when named, equal to ClusterTendency."),
    ],
};

/// Grey-level run-length matrix features (IBSI chapter 3.7).
pub const GLRLM: ClassSpec = ClassSpec {
    name: "glrlm",
    title: "Grey-level run-length matrix",
    ibsi: "TP0I",
    notation: "P(i,j|θ): the number of runs of grey level i and length j along direction θ; N_r(θ) = Σ P(i,j|θ) the number of runs; p(i,j|θ) = P(i,j|θ)/N_r(θ); N_p(θ) = Σ j·P(i,j|θ); ε = 2.2e-16. Each feature is computed per direction and averaged (IBSI 3D averaged).",
    features: &[
        on("GrayLevelNonUniformity").ibsi("R5YN").is("Σ_i (Σ_j P(i,j|θ))² / N_r(θ)"),
        on("GrayLevelNonUniformityNormalized").ibsi("OVBL").is("Σ_i (Σ_j P(i,j|θ))² / N_r(θ)²"),
        on("GrayLevelVariance").ibsi("8CE5").is("Σ_i Σ_j p(i,j|θ)·(i − μ)², μ = Σ_i Σ_j p(i,j|θ)·i"),
        on("HighGrayLevelRunEmphasis").ibsi("G3QZ").is("Σ_i Σ_j P(i,j|θ)·i² / N_r(θ)"),
        on("LongRunEmphasis").ibsi("W4KF").is("Σ_i Σ_j P(i,j|θ)·j² / N_r(θ)"),
        on("LongRunHighGrayLevelEmphasis").ibsi("3KUM").is("Σ_i Σ_j P(i,j|θ)·i²·j² / N_r(θ)"),
        on("LongRunLowGrayLevelEmphasis").ibsi("IVPO").is("Σ_i Σ_j P(i,j|θ)·j² / i² / N_r(θ)"),
        on("LowGrayLevelRunEmphasis").ibsi("V3SW").is("Σ_i Σ_j P(i,j|θ) / i² / N_r(θ)"),
        on("RunEntropy").ibsi("HJ9O").is("−Σ_i Σ_j p(i,j|θ)·log₂(p(i,j|θ) + ε)"),
        on("RunLengthNonUniformity").ibsi("W92Y").is("Σ_j (Σ_i P(i,j|θ))² / N_r(θ)"),
        on("RunLengthNonUniformityNormalized").ibsi("IC23").is("Σ_j (Σ_i P(i,j|θ))² / N_r(θ)²"),
        on("RunPercentage").ibsi("9ZK5").is("N_r(θ) / N_p(θ), N_p(θ) = Σ_i Σ_j j·P(i,j|θ)").note("N_p is recomputed from each angle's matrix (= ROI voxel count unless weighting is used)."),
        on("RunVariance").ibsi("SXLW").is("Σ_i Σ_j p(i,j|θ)·(j − μ)², μ = Σ_i Σ_j p(i,j|θ)·j"),
        on("ShortRunEmphasis").ibsi("22OV").is("Σ_i Σ_j P(i,j|θ) / j² / N_r(θ)"),
        on("ShortRunHighGrayLevelEmphasis").ibsi("GD3A").is("Σ_i Σ_j P(i,j|θ)·i² / j² / N_r(θ)"),
        on("ShortRunLowGrayLevelEmphasis").ibsi("HTZT").is("Σ_i Σ_j P(i,j|θ) / (i²·j²) / N_r(θ)"),
    ],
};

/// Grey-level size-zone matrix features (IBSI chapter 3.8).
pub const GLSZM: ClassSpec = ClassSpec {
    name: "glszm",
    title: "Grey-level size-zone matrix",
    ibsi: "9SAK",
    notation: "P(i,j): the number of 26-connected zones of grey level i and size j voxels; N_z = Σ P(i,j) the number of zones; N_p = Σ j·P(i,j) the ROI voxels; p(i,j) = P(i,j)/N_z; ε = 2.2e-16. One matrix per ROI (IBSI 3D).",
    features: &[
        on("GrayLevelNonUniformity").ibsi("JNSA").is("Σ_i (Σ_j P(i,j))² / N_z"),
        on("GrayLevelNonUniformityNormalized").ibsi("Y1RO").is("Σ_i (Σ_j P(i,j))² / N_z²"),
        on("GrayLevelVariance").ibsi("BYLV").is("Σ_i Σ_j p(i,j)·(i − μ)², μ = Σ_i Σ_j p(i,j)·i"),
        on("HighGrayLevelZoneEmphasis").ibsi("5GN9").is("Σ_i Σ_j P(i,j)·i² / N_z"),
        on("LargeAreaEmphasis").ibsi("48P8").is("Σ_i Σ_j P(i,j)·j² / N_z"),
        on("LargeAreaHighGrayLevelEmphasis").ibsi("J17V").is("Σ_i Σ_j P(i,j)·i²·j² / N_z"),
        on("LargeAreaLowGrayLevelEmphasis").ibsi("YH51").is("Σ_i Σ_j P(i,j)·j² / i² / N_z"),
        on("LowGrayLevelZoneEmphasis").ibsi("XMSY").is("Σ_i Σ_j P(i,j) / i² / N_z"),
        on("SizeZoneNonUniformity").ibsi("4JP3").is("Σ_j (Σ_i P(i,j))² / N_z"),
        on("SizeZoneNonUniformityNormalized").ibsi("VB3A").is("Σ_j (Σ_i P(i,j))² / N_z²"),
        on("SmallAreaEmphasis").ibsi("5QRC").is("Σ_i Σ_j P(i,j) / j² / N_z"),
        on("SmallAreaHighGrayLevelEmphasis").ibsi("HW1V").is("Σ_i Σ_j P(i,j)·i² / j² / N_z"),
        on("SmallAreaLowGrayLevelEmphasis").ibsi("5RAI").is("Σ_i Σ_j P(i,j) / (i²·j²) / N_z"),
        on("ZoneEntropy").ibsi("GU8N").is("−Σ_i Σ_j p(i,j)·log₂(p(i,j) + ε)"),
        on("ZonePercentage").ibsi("P30P").is("N_z / N_p, N_p = Σ_i Σ_j j·P(i,j)").note("Single matrix (no angles); N_p equals the ROI voxel count."),
        on("ZoneVariance").ibsi("3NSA").is("Σ_i Σ_j p(i,j)·(j − μ)², μ = Σ_i Σ_j p(i,j)·j"),
    ],
};

/// Grey-level dependence matrix features (IBSI chapter 3.11, NGLDM). The deprecated
/// GrayLevelNonUniformityNormalized (equal to first-order Uniformity) is computed when named.
pub const GLDM: ClassSpec = ClassSpec {
    name: "gldm",
    title: "Grey-level dependence matrix (IBSI's neighbouring grey level dependence matrix, NGLDM, with coarseness α = gldm_a and distance δ)",
    ibsi: "REK0",
    notation: "P(i,j): the number of ROI voxels of grey level i with j − 1 dependent neighbours (|i − level| ≤ α within distance δ); N_z = Σ P(i,j) = N_p; p(i,j) = P(i,j)/N_z; ε = 2.2e-16.",
    features: &[
        on("DependenceEntropy").ibsi("FCBV").is("−Σ_i Σ_j p(i,j)·log₂(p(i,j) + ε)"),
        on("DependenceNonUniformity").ibsi("Z87G").is("Σ_j (Σ_i P(i,j))² / N_z"),
        on("DependenceNonUniformityNormalized").ibsi("OKJI").is("Σ_j (Σ_i P(i,j))² / N_z²"),
        on("DependenceVariance").ibsi("DNX2").is("Σ_i Σ_j p(i,j)·(j − μ)², μ = Σ_i Σ_j p(i,j)·j"),
        on("GrayLevelNonUniformity").ibsi("FP8K").is("Σ_i (Σ_j P(i,j))² / N_z"),
        off("GrayLevelNonUniformityNormalized").ibsi("5SPA").is("Σ_i (Σ_j P(i,j))² / N_z²").note("Off by default: PyRadiomics 3.1 deprecates it and writes no value; gpurad computes it when named, equal to firstorder Uniformity (N_z = N_p)."),
        on("GrayLevelVariance").ibsi("1PFV").is("Σ_i Σ_j p(i,j)·(i − μ)², μ = Σ_i Σ_j p(i,j)·i"),
        on("HighGrayLevelEmphasis").ibsi("OAE7").is("Σ_i Σ_j P(i,j)·i² / N_z"),
        on("LargeDependenceEmphasis").ibsi("IMOQ").is("Σ_i Σ_j P(i,j)·j² / N_z"),
        on("LargeDependenceHighGrayLevelEmphasis").ibsi("9QMG").is("Σ_i Σ_j P(i,j)·i²·j² / N_z"),
        on("LargeDependenceLowGrayLevelEmphasis").ibsi("NBZI").is("Σ_i Σ_j P(i,j)·j² / i² / N_z"),
        on("LowGrayLevelEmphasis").ibsi("TL9H").is("Σ_i Σ_j P(i,j) / i² / N_z"),
        on("SmallDependenceEmphasis").ibsi("SODN").is("Σ_i Σ_j P(i,j) / j² / N_z"),
        on("SmallDependenceHighGrayLevelEmphasis").ibsi("JA6D").is("Σ_i Σ_j P(i,j)·i² / j² / N_z"),
        on("SmallDependenceLowGrayLevelEmphasis").ibsi("EQ3F").is("Σ_i Σ_j P(i,j) / (i²·j²) / N_z"),
    ],
};

/// Neighbourhood grey-tone difference matrix features (IBSI chapter 3.10).
pub const NGTDM: ClassSpec = ClassSpec {
    name: "ngtdm",
    title: "Neighbourhood grey-tone difference matrix",
    ibsi: "IPET",
    notation: "n_i: ROI voxels of grey level i; N_v,p = Σ n_i; p_i = n_i/N_v,p; s_i = Σ |i − Ā| over the voxels of level i, Ā the mean of a voxel's ROI neighbours (itself excluded); N_g,p: the number of levels with p_i ≠ 0; sums over i and j run over levels with p_i, p_j ≠ 0.",
    features: &[
        on("Busyness").ibsi("NQ30").is("Σ_i p_i·s_i / Σ_i Σ_j |i·p_i − j·p_j|  (i, j with p_i, p_j ≠ 0)").note("0 if the denominator is 0 (a single grey level)."),
        on("Coarseness").ibsi("QCDE").is("1 / Σ_i p_i·s_i").note("10⁶ if Σ p_i·s_i = 0."),
        on("Complexity").ibsi("HDEZ").is("(1/N_v,p)·Σ_i Σ_j |i − j|·(p_i·s_i + p_j·s_j) / (p_i + p_j)  (p_i, p_j ≠ 0)"),
        on("Contrast").ibsi("65HE").is("[Σ_i Σ_j p_i·p_j·(i − j)² / (N_g,p·(N_g,p − 1))]·[Σ_i s_i / N_v,p]").note("0 if N_g,p = 1."),
        on("Strength").ibsi("1X9X").is("Σ_i Σ_j (p_i + p_j)·(i − j)² / Σ_i s_i  (p_i, p_j ≠ 0)").note("0 if Σ s_i = 0."),
    ],
};

/// Every class's catalogue entry, in output order.
pub fn classes() -> impl Iterator<Item = &'static ClassSpec> {
    FeatureClass::ALL.into_iter().map(FeatureClass::spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_counts_match_pyradiomics() {
        assert_eq!(FeatureClass::FirstOrder.default_features().len(), 18);
        assert_eq!(FeatureClass::Shape.default_features().len(), 14);
        let total: usize = FeatureClass::ALL
            .iter()
            .map(|c| c.default_features().len())
            .sum();
        assert_eq!(total, 107, "PyRadiomics' 107 default features");
        assert_eq!(FeatureClass::from_name("glcm"), Some(FeatureClass::Glcm));
        assert_eq!(FeatureClass::from_name("wavelet"), None);
        for c in FeatureClass::ALL {
            assert_eq!(FeatureClass::from_name(c.name()), Some(c));
        }
    }
}
