//! PyRadiomics-compatible extraction parameters: parameter files (YAML with the keys
//! `setting`, `imageType`, `featureClass`) and `NAME:VALUE` overrides.
//!
//! Names and defaults are PyRadiomics 3.1's. An unknown key, a value of the wrong type or a
//! value out of range is an error that names the key; nothing falls back silently.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_yaml_ng::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::features::registry::FeatureClass;

/// Where fixed-bin-width bin edges start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BinningOrigin {
    /// Edges at multiples of the bin width (PyRadiomics: `lowBound = min - min % binWidth`).
    Pyradiomics,
    /// Edges start at the ROI minimum (IBSI fixed bin size, Eq. in IBSI 3.4.2).
    Ibsi,
}

/// Normalisation of the voxel-position covariance behind the shape axis lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeCovariance {
    /// `1/N` (PyRadiomics).
    Pyradiomics,
    /// `1/(N − 1)` (IBSI 3.1.11–3.1.17 reference values).
    Ibsi,
}

/// How feature columns are named and which features are computed (`featureNames`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FeatureNames {
    /// PyRadiomics' classes and names (`original_glcm_Contrast`).
    #[default]
    Pyradiomics,
    /// Every IBSI-1 family and aggregation the settings allow, one column per value named by
    /// its IBSI identifier (`RNU0`, `GYBY_ITBB`, `BC2M_V10`; see
    /// [`crate::features::ibsi::row`]).
    Ibsi,
}

impl FeatureNames {
    fn is_default(&self) -> bool {
        *self == FeatureNames::Pyradiomics
    }
}

/// Where the resampled grid lies (`resamplingGrid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ResamplingGrid {
    /// PyRadiomics: around the ROI box, its first voxel's corner on the image's.
    #[default]
    Pyradiomics,
    /// IBSI: the new grid's centre on the image's centre (ceil(n·s/s′) voxels per axis).
    Ibsi,
}

/// How the mask is resampled (`maskInterpolator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MaskInterpolator {
    /// Nearest neighbour (PyRadiomics).
    #[default]
    Nearest,
    /// (Tri)linear interpolation of the 0/1 mask, kept where the partial volume reaches
    /// `maskPartialVolumeThreshold` (IBSI).
    Linear,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn is_half(v: &f64) -> bool {
    *v == 0.5
}

/// Image interpolator used for resampling (the mask always uses nearest neighbour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Interpolator {
    /// `sitkNearestNeighbor`.
    NearestNeighbor,
    /// `sitkLinear` (trilinear).
    Linear,
    /// `sitkBSpline` (cubic B-spline).
    BSpline,
}

/// How `resegmentRange` is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResegmentMode {
    /// Range in image intensity units.
    Absolute,
    /// Range as fractions of the ROI maximum.
    Relative,
    /// Range as multiples of the ROI standard deviation around the ROI mean.
    Sigma,
}

/// Resolved settings (the `setting:` section), with PyRadiomics' defaults.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Label value in the mask that defines the ROI (`label`, default 1).
    pub label: i64,
    /// Z-score normalise the whole image before extraction (`normalize`).
    pub normalize: bool,
    /// Factor applied after normalisation (`normalizeScale`, default 1).
    pub normalize_scale: f64,
    /// Clip normalised values to ±this many standard deviations (`removeOutliers`).
    pub remove_outliers: Option<f64>,
    /// Target voxel spacing in mm; 0 keeps an axis unchanged (`resampledPixelSpacing`).
    pub resampled_pixel_spacing: Option<[f64; 3]>,
    /// Image interpolator for resampling (`interpolator`, default sitkBSpline).
    pub interpolator: Interpolator,
    /// Voxels of padding kept around the ROI when cropping (`padDistance`, default 5).
    pub pad_distance: usize,
    /// Crop to the ROI before resampling (`preCrop`).
    pub pre_crop: bool,
    /// Resegmentation range: lower and optional upper bound (`resegmentRange`).
    pub resegment_range: Option<(f64, Option<f64>)>,
    /// IBSI outlier filtering after `resegmentRange`: ROI voxels beyond mean ± k·SD of the
    /// ROI are removed (`resegmentOutliers: k`, IBSI uses 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resegment_outliers: Option<f64>,
    /// Resampled grid placement (`resamplingGrid`: pyradiomics or ibsi).
    #[serde(skip_serializing_if = "is_default")]
    pub resampling_grid: ResamplingGrid,
    /// Mask resampling (`maskInterpolator`: nearest or linear).
    #[serde(skip_serializing_if = "is_default")]
    pub mask_interpolator: MaskInterpolator,
    /// Partial volume a linearly resampled mask voxel needs to be kept
    /// (`maskPartialVolumeThreshold`, default 0.5).
    #[serde(skip_serializing_if = "is_half")]
    pub mask_partial_volume_threshold: f64,
    /// Round intensities to the nearest integer after resampling (`roundIntensities`; IBSI
    /// for CT).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub round_intensities: bool,
    /// Units of `resegmentRange` (`resegmentMode`, default absolute).
    pub resegment_mode: ResegmentMode,
    /// Compute shape on the resegmented mask instead of the original (`resegmentShape`).
    pub resegment_shape: bool,
    /// Fixed bin width for discretisation (`binWidth`, default 25).
    pub bin_width: f64,
    /// Fixed number of bins; overrides `binWidth` when set (`binCount`).
    pub bin_count: Option<usize>,
    /// Where fixed-width bin edges start (`binningOrigin`: pyradiomics or ibsi).
    pub binning_origin: BinningOrigin,
    /// Covariance normalisation for axis lengths, elongation, flatness (`shapeCovariance`).
    pub shape_covariance: ShapeCovariance,
    /// Feature naming and coverage (`featureNames`: pyradiomics, the default, or ibsi).
    #[serde(skip_serializing_if = "FeatureNames::is_default")]
    pub feature_names: FeatureNames,
    /// Bin width of the intensity–volume histogram's grid (`ivhBinWidth`; IBSI names only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ivh_bin_width: Option<f64>,
    /// Bin count of the intensity–volume histogram's grid (`ivhBinCount`; IBSI names only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ivh_bin_count: Option<usize>,
    /// Largest number of grey levels texture matrices may have (`maxGreyLevels`, default 4096).
    pub max_grey_levels: usize,
    /// Constant added to intensities in Energy, TotalEnergy and RMS (`voxelArrayShift`).
    pub voxel_array_shift: f64,
    /// Minimum number of dimensions with more than one voxel in the ROI (`minimumROIDimensions`, 1–3, default 2).
    pub minimum_roi_dimensions: usize,
    /// Minimum number of ROI voxels (`minimumROISize`).
    pub minimum_roi_size: Option<usize>,
    /// Tolerance for image/mask origin, spacing and direction agreement (`geometryTolerance`).
    /// Origin and spacing are compared relative to the image spacing, direction absolutely.
    pub geometry_tolerance: f64,
    /// Write `diagnostics_*` columns (`additionalInfo`, default true).
    pub additional_info: bool,
    /// GLCM/NGTDM neighbour distances (`distances`, default [1]).
    pub distances: Vec<usize>,
    /// Symmetric GLCM (`symmetricalGLCM`, default true).
    pub symmetrical_glcm: bool,
    /// Angle weighting for texture matrices (`weightingNorm`).
    pub weighting_norm: Option<String>,
    /// GLDM dependence threshold (`gldm_a`, default 0).
    pub gldm_a: f64,
    /// Compute texture per slice (`force2D`).
    pub force2d: bool,
    /// Axis treated as slice axis with `force2D` (`force2Ddimension`, default 0).
    pub force2d_dimension: usize,
    /// Wavelet of the `Wavelet` image type (`wavelet`, default coif1).
    #[serde(skip_serializing_if = "is_default_wavelet")]
    pub wavelet: String,
    /// First wavelet level whose sub-bands are kept (`start_level`, default 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub start_level: usize,
    /// Number of wavelet levels kept (`level`, default 1).
    #[serde(skip_serializing_if = "is_one")]
    pub level: usize,
    /// Gaussian widths of the `LoG` image type, in mm (`sigma`, default none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sigma: Vec<Sigma>,
    /// Divide the `Gradient` image type's differences by the voxel spacing
    /// (`gradientUseSpacing`, default true).
    #[serde(skip_serializing_if = "is_true")]
    pub gradient_use_spacing: bool,
    /// Radius of the `LBP2D` circle in voxels (`lbp2DRadius`, default 1).
    #[serde(skip_serializing_if = "is_unit")]
    pub lbp2d_radius: f64,
    /// Points on the `LBP2D` circle (`lbp2DSamples`, default 8: PyRadiomics' code, where its
    /// documentation says 9).
    #[serde(skip_serializing_if = "is_eight")]
    pub lbp2d_samples: usize,
    /// `LBP2D` pattern (`lbp2DMethod`, default uniform).
    #[serde(skip_serializing_if = "is_uniform")]
    pub lbp2d_method: Lbp2dMethod,
    /// Spherical-harmonic levels of the `LBP3D` image type (`lbp3DLevels`, default 2): images
    /// `lbp-3D-m1` … `lbp-3D-m<levels>`.
    #[serde(skip_serializing_if = "is_two")]
    pub lbp3d_levels: usize,
    /// Radius of the `LBP3D` icosphere in voxels (`lbp3DIcosphereRadius`, default 1).
    #[serde(skip_serializing_if = "is_unit")]
    pub lbp3d_icosphere_radius: f64,
    /// Subdivisions of the `LBP3D` icosphere (`lbp3DIcosphereSubdivision`, default 1: 42
    /// points).
    #[serde(skip_serializing_if = "is_one")]
    pub lbp3d_icosphere_subdivision: usize,
}

/// The pattern `LBP2D` computes (scikit-image's `local_binary_pattern` methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lbp2dMethod {
    /// `Σ on_p · 2^p`.
    Default,
    /// The smallest `default` value over the pattern's rotations.
    Ror,
    /// Neighbours on, for patterns with at most two changes; else `P + 1`.
    Uniform,
    /// Variance of the neighbours' values.
    Var,
}

/// One Gaussian width of the `LoG` image type, with the text PyRadiomics writes in the image
/// name (Python's `str()` of the number as the parameter file gives it: `3` for an integer,
/// `3.0` for a float, so `log-sigma-3-mm-3D` and `log-sigma-3-0-mm-3D`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sigma {
    /// σ in mm.
    pub mm: f64,
    /// Python's `str()` of the value.
    pub text: String,
}

/// Most σ values `sigma` may list (each is a filtered image of the whole region).
pub const MAX_SIGMAS: usize = 64;

/// Python's `str()` (`repr`) of a float: the shortest digits that read back to the same
/// value, in fixed notation with at least one decimal (`3.0`, `0.0001`) for
/// `1e-4 ≤ |x| < 1e16`, otherwise in exponent notation with a sign and at least two exponent
/// digits (`1e-05`, `1.5e+16`).
pub fn python_float_str(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `d.ddde±x`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if x < 0.0 { "-" } else { "" };
    // Python's decimal point position: digits d1 d2 … with value 0.d1d2… × 10^decpt.
    let decpt = exp + 1;
    if (-3..=16).contains(&decpt) {
        let n = digits.len() as i32;
        let body = if decpt <= 0 {
            format!("0.{}{}", "0".repeat((-decpt) as usize), digits)
        } else if decpt >= n {
            format!("{}{}.0", digits, "0".repeat((decpt - n) as usize))
        } else {
            format!(
                "{}.{}",
                &digits[..decpt as usize],
                &digits[decpt as usize..]
            )
        };
        format!("{sign}{body}")
    } else {
        let rest = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits.clone()
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{rest}e{esign}{:02}", exp.abs())
    }
}

// The filter settings are left out of the serialised settings (and so of the settings hash)
// while they have their defaults: the hash of a configuration without filters is unchanged.
fn is_default_wavelet(w: &String) -> bool {
    w == "coif1"
}
fn is_zero(v: &usize) -> bool {
    *v == 0
}
fn is_one(v: &usize) -> bool {
    *v == 1
}
fn is_true(v: &bool) -> bool {
    *v
}
fn is_unit(v: &f64) -> bool {
    *v == 1.0
}
fn is_eight(v: &usize) -> bool {
    *v == 8
}
fn is_two(n: &usize) -> bool {
    *n == 2
}

fn is_uniform(m: &Lbp2dMethod) -> bool {
    *m == Lbp2dMethod::Uniform
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            label: 1,
            normalize: false,
            normalize_scale: 1.0,
            remove_outliers: None,
            resampled_pixel_spacing: None,
            interpolator: Interpolator::BSpline,
            pad_distance: 5,
            pre_crop: false,
            resegment_range: None,
            resegment_outliers: None,
            resampling_grid: ResamplingGrid::Pyradiomics,
            mask_interpolator: MaskInterpolator::Nearest,
            mask_partial_volume_threshold: 0.5,
            round_intensities: false,
            resegment_mode: ResegmentMode::Absolute,
            resegment_shape: false,
            bin_width: 25.0,
            bin_count: None,
            binning_origin: BinningOrigin::Pyradiomics,
            shape_covariance: ShapeCovariance::Pyradiomics,
            feature_names: FeatureNames::Pyradiomics,
            ivh_bin_width: None,
            ivh_bin_count: None,
            max_grey_levels: 4096,
            voxel_array_shift: 0.0,
            minimum_roi_dimensions: 2,
            minimum_roi_size: None,
            geometry_tolerance: 1e-6,
            additional_info: true,
            distances: vec![1],
            symmetrical_glcm: true,
            weighting_norm: None,
            gldm_a: 0.0,
            force2d: false,
            force2d_dimension: 0,
            wavelet: "coif1".into(),
            start_level: 0,
            level: 1,
            sigma: Vec::new(),
            gradient_use_spacing: true,
            lbp2d_radius: 1.0,
            lbp2d_samples: 8,
            lbp2d_method: Lbp2dMethod::Uniform,
            lbp3d_levels: 2,
            lbp3d_icosphere_radius: 1.0,
            lbp3d_icosphere_subdivision: 1,
        }
    }
}

/// The image types of PyRadiomics' `imageType` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ImageTypeKind {
    /// The preprocessed image itself (`original`).
    Original,
    /// Stationary wavelet sub-bands (`wavelet-LLH`, …).
    Wavelet,
    /// Laplacian of Gaussian (`log-sigma-…`).
    LoG,
    /// `square`.
    Square,
    /// `squareroot`.
    SquareRoot,
    /// `logarithm`.
    Logarithm,
    /// `exponential`.
    Exponential,
    /// Gradient magnitude (`gradient`).
    Gradient,
    /// Local binary pattern per slice (`lbp-2D`).
    LBP2D,
    /// Local binary pattern in 3D (`lbp-3D-m1`, …).
    LBP3D,
}

impl ImageTypeKind {
    /// Every image type, in PyRadiomics' order.
    pub const ALL: [ImageTypeKind; 10] = [
        Self::Original,
        Self::Wavelet,
        Self::LoG,
        Self::Square,
        Self::SquareRoot,
        Self::Logarithm,
        Self::Exponential,
        Self::Gradient,
        Self::LBP2D,
        Self::LBP3D,
    ];

    /// The name in a parameter file (`Wavelet`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Original => "Original",
            Self::Wavelet => "Wavelet",
            Self::LoG => "LoG",
            Self::Square => "Square",
            Self::SquareRoot => "SquareRoot",
            Self::Logarithm => "Logarithm",
            Self::Exponential => "Exponential",
            Self::Gradient => "Gradient",
            Self::LBP2D => "LBP2D",
            Self::LBP3D => "LBP3D",
        }
    }
}

/// One enabled image type with its custom settings (`Wavelet: {binWidth: 10}`), which
/// override the global settings for that type's images, as PyRadiomics merges them.
#[derive(Debug, Clone)]
pub struct ImageType {
    /// Which filter.
    pub kind: ImageTypeKind,
    /// Custom settings, in file order (already checked).
    pub custom: Vec<(String, Value)>,
}

impl Serialize for ImageType {
    /// `"Original"` alone, or `{"Wavelet": {"binWidth": 10}}` with custom settings.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.custom.is_empty() {
            return s.serialize_str(self.kind.name());
        }
        struct Custom<'a>(&'a [(String, Value)]);
        impl Serialize for Custom<'_> {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.kind.name(), &Custom(&self.custom))?;
        m.end()
    }
}

/// A full parameter set: settings, image types and enabled features.
#[derive(Debug, Clone, Serialize)]
pub struct Params {
    /// The `setting:` section.
    pub settings: Settings,
    /// Enabled image types, in file order, with their custom settings.
    pub image_types: Vec<ImageType>,
    /// Enabled feature classes, each with its enabled feature names (in output order).
    pub feature_classes: BTreeMap<FeatureClass, Vec<String>>,
}

impl Default for Params {
    /// PyRadiomics' defaults: original image, every implemented class with its default features.
    fn default() -> Self {
        let feature_classes = FeatureClass::ALL
            .into_iter()
            .map(|c| (c, c.default_features()))
            .collect();
        Params {
            settings: Settings::default(),
            image_types: vec![ImageType {
                kind: ImageTypeKind::Original,
                custom: Vec::new(),
            }],
            feature_classes,
        }
    }
}

fn bad(key: &str, msg: impl std::fmt::Display) -> Error {
    Error::Settings(format!("setting '{key}': {msg}"))
}

fn as_f64(key: &str, v: &Value) -> Result<f64> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| bad(key, "expected a finite number")),
        other => Err(bad(
            key,
            format!("expected a number, got {}", describe(other)),
        )),
    }
}

fn as_positive(key: &str, v: &Value) -> Result<f64> {
    let x = as_f64(key, v)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err(bad(key, format!("must be greater than 0, got {x}")))
    }
}

fn as_int(key: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| bad(key, format!("expected an integer, got {n}"))),
        other => Err(bad(
            key,
            format!("expected an integer, got {}", describe(other)),
        )),
    }
}

fn as_count(key: &str, v: &Value, min: i64, max: i64) -> Result<usize> {
    let i = as_int(key, v)?;
    if i < min || i > max {
        return Err(bad(
            key,
            format!("must be between {min} and {max}, got {i}"),
        ));
    }
    Ok(i as usize)
}

fn as_bool(key: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(bad(
            key,
            format!("expected true or false, got {}", describe(other)),
        )),
    }
}

fn as_str<'a>(key: &str, v: &'a Value) -> Result<&'a str> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(bad(
            key,
            format!("expected a string, got {}", describe(other)),
        )),
    }
}

fn as_list<'a>(key: &str, v: &'a Value) -> Result<&'a [Value]> {
    match v {
        Value::Sequence(s) => Ok(s),
        other => Err(bad(
            key,
            format!("expected a list, got {}", describe(other)),
        )),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) if s.chars().count() > 60 => {
            format!("string '{}…'", s.chars().take(60).collect::<String>())
        }
        Value::String(s) => format!("string '{s}'"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(_) => "a tagged value".into(),
    }
}

/// Settings PyRadiomics knows but gpurad does not implement yet: named in the error.
const NOT_YET: &[&str] = &[
    "correctMask",
    "kernelRadius",
    "maskedKernel",
    "initValue",
    "voxelBatch",
];

/// Every key accepted in the `setting:` section.
pub const KNOWN_SETTINGS: &[&str] = &[
    "label",
    "normalize",
    "normalizeScale",
    "removeOutliers",
    "resampledPixelSpacing",
    "interpolator",
    "padDistance",
    "preCrop",
    "resegmentRange",
    "resegmentOutliers",
    "resamplingGrid",
    "maskInterpolator",
    "maskPartialVolumeThreshold",
    "roundIntensities",
    "resegmentMode",
    "resegmentShape",
    "binWidth",
    "binCount",
    "binningOrigin",
    "shapeCovariance",
    "featureNames",
    "ivhBinWidth",
    "ivhBinCount",
    "maxGreyLevels",
    "voxelArrayShift",
    "minimumROIDimensions",
    "minimumROISize",
    "geometryTolerance",
    "additionalInfo",
    "enableCExtensions",
    "distances",
    "symmetricalGLCM",
    "weightingNorm",
    "gldm_a",
    "force2D",
    "force2Ddimension",
    "wavelet",
    "start_level",
    "level",
    "sigma",
    "gradientUseSpacing",
    "lbp2DRadius",
    "lbp2DSamples",
    "lbp2DMethod",
    "lbp3DLevels",
    "lbp3DIcosphereRadius",
    "lbp3DIcosphereSubdivision",
];

impl Settings {
    /// Sets one PyRadiomics setting from a YAML value, validating its type and range.
    pub fn apply(&mut self, key: &str, v: &Value) -> Result<()> {
        let nullable = matches!(v, Value::Null);
        match key {
            "label" => self.label = as_int(key, v)?,
            "normalize" => self.normalize = as_bool(key, v)?,
            "normalizeScale" => self.normalize_scale = as_positive(key, v)?,
            "removeOutliers" => {
                self.remove_outliers = if nullable {
                    None
                } else {
                    Some(as_positive(key, v)?)
                }
            }
            "resampledPixelSpacing" => {
                self.resampled_pixel_spacing = if nullable {
                    None
                } else {
                    let l = as_list(key, v)?;
                    if l.len() != 3 {
                        return Err(bad(
                            key,
                            format!("expected 3 spacings [x, y, z], got {}", l.len()),
                        ));
                    }
                    let mut s = [0.0; 3];
                    for (o, x) in s.iter_mut().zip(l) {
                        *o = as_f64(key, x)?;
                        if *o < 0.0 {
                            return Err(bad(
                                key,
                                "spacings must be >= 0 (0 keeps the original spacing)",
                            ));
                        }
                    }
                    Some(s)
                }
            }
            "interpolator" => {
                self.interpolator = match v {
                    Value::String(s) => match s.as_str() {
                        "sitkNearestNeighbor" | "nearest" => Interpolator::NearestNeighbor,
                        "sitkLinear" | "linear" => Interpolator::Linear,
                        "sitkBSpline" | "sitkBSpline3" | "bspline" => Interpolator::BSpline,
                        other => {
                            return Err(bad(
                                key,
                                format!("'{other}' is not supported (use sitkNearestNeighbor, sitkLinear or sitkBSpline)"),
                            ))
                        }
                    },
                    Value::Number(_) => match as_int(key, v)? {
                        1 => Interpolator::NearestNeighbor,
                        2 => Interpolator::Linear,
                        // sitkBSpline: 3 in SimpleITK 1.x, 23 (sitkBSpline3) from 2.0.
                        3 | 23 => Interpolator::BSpline,
                        i => return Err(bad(key, format!("SimpleITK interpolator code {i} is not supported (1 sitkNearestNeighbor, 2 sitkLinear, 3 or 23 sitkBSpline)"))),
                    },
                    Value::Null => Interpolator::BSpline,
                    other => return Err(bad(key, format!("expected a name, got {}", describe(other)))),
                }
            }
            "padDistance" => self.pad_distance = as_count(key, v, 0, 1_000_000)?,
            "preCrop" => self.pre_crop = as_bool(key, v)?,
            "resegmentRange" => {
                self.resegment_range = if nullable {
                    None
                } else {
                    let l = as_list(key, v)?;
                    match l {
                        [lo] => Some((as_f64(key, lo)?, None)),
                        [lo, hi] => {
                            let (lo, hi) = (as_f64(key, lo)?, as_f64(key, hi)?);
                            if hi < lo {
                                return Err(bad(
                                    key,
                                    format!("upper bound {hi} is below lower bound {lo}"),
                                ));
                            }
                            Some((lo, Some(hi)))
                        }
                        _ => return Err(bad(key, "expected [lower] or [lower, upper]")),
                    }
                }
            }
            "resegmentMode" => {
                self.resegment_mode = match as_str(key, v)? {
                    "absolute" => ResegmentMode::Absolute,
                    "relative" => ResegmentMode::Relative,
                    "sigma" => ResegmentMode::Sigma,
                    o => {
                        return Err(bad(
                            key,
                            format!("'{o}' is not one of absolute, relative, sigma"),
                        ))
                    }
                }
            }
            "resegmentShape" => self.resegment_shape = as_bool(key, v)?,
            "binWidth" => self.bin_width = as_positive(key, v)?,
            "binCount" => {
                self.bin_count = if nullable {
                    None
                } else {
                    Some(as_count(key, v, 1, 1 << 24)?)
                }
            }
            "binningOrigin" => {
                self.binning_origin = match as_str(key, v)? {
                    "pyradiomics" => BinningOrigin::Pyradiomics,
                    "ibsi" => BinningOrigin::Ibsi,
                    o => return Err(bad(key, format!("'{o}' is not one of pyradiomics, ibsi"))),
                }
            }
            "shapeCovariance" => {
                self.shape_covariance = match as_str(key, v)? {
                    "pyradiomics" => ShapeCovariance::Pyradiomics,
                    "ibsi" => ShapeCovariance::Ibsi,
                    o => return Err(bad(key, format!("'{o}' is not one of pyradiomics, ibsi"))),
                }
            }
            "resegmentOutliers" => {
                self.resegment_outliers = if nullable {
                    None
                } else {
                    let k = as_f64(key, v)?;
                    if !(k.is_finite() && k > 0.0) {
                        return Err(bad(key, "the number of SDs must be a positive number"));
                    }
                    Some(k)
                }
            }
            "resamplingGrid" => {
                self.resampling_grid = match as_str(key, v)? {
                    "pyradiomics" => ResamplingGrid::Pyradiomics,
                    "ibsi" => ResamplingGrid::Ibsi,
                    o => return Err(bad(key, format!("'{o}' is not one of pyradiomics, ibsi"))),
                }
            }
            "maskInterpolator" => {
                self.mask_interpolator = match as_str(key, v)? {
                    "nearest" | "sitkNearestNeighbor" => MaskInterpolator::Nearest,
                    "linear" | "sitkLinear" => MaskInterpolator::Linear,
                    o => return Err(bad(key, format!("'{o}' is not one of nearest, linear"))),
                }
            }
            "maskPartialVolumeThreshold" => {
                let t = as_f64(key, v)?;
                if !(t > 0.0 && t <= 1.0) {
                    return Err(bad(key, "the threshold must lie in (0, 1]"));
                }
                self.mask_partial_volume_threshold = t;
            }
            "roundIntensities" => self.round_intensities = as_bool(key, v)?,
            "featureNames" => {
                self.feature_names = match as_str(key, v)? {
                    "pyradiomics" => FeatureNames::Pyradiomics,
                    "ibsi" => FeatureNames::Ibsi,
                    o => return Err(bad(key, format!("'{o}' is not one of pyradiomics, ibsi"))),
                }
            }
            "ivhBinWidth" => {
                self.ivh_bin_width = if nullable {
                    None
                } else {
                    let w = as_f64(key, v)?;
                    if !(w.is_finite() && w > 0.0) {
                        return Err(bad(key, "the bin width must be a positive number"));
                    }
                    Some(w)
                }
            }
            "ivhBinCount" => {
                self.ivh_bin_count = if nullable {
                    None
                } else {
                    Some(as_count(key, v, 1, 1 << 24)?)
                }
            }
            "maxGreyLevels" => self.max_grey_levels = as_count(key, v, 1, 1 << 20)?,
            "voxelArrayShift" => self.voxel_array_shift = as_f64(key, v)?,
            "minimumROIDimensions" => self.minimum_roi_dimensions = as_count(key, v, 1, 3)?,
            "minimumROISize" => {
                self.minimum_roi_size = if nullable {
                    None
                } else {
                    Some(as_count(key, v, 1, i64::MAX)?)
                }
            }
            "geometryTolerance" => {
                self.geometry_tolerance = if nullable { 1e-6 } else { as_positive(key, v)? }
            }
            "additionalInfo" => self.additional_info = as_bool(key, v)?,
            // PyRadiomics switches between its C and Python code; gpurad has one implementation.
            "enableCExtensions" => {
                as_bool(key, v)?;
            }
            "distances" => {
                let l = as_list(key, v)?;
                if l.is_empty() {
                    return Err(bad(key, "needs at least one distance"));
                }
                self.distances = l
                    .iter()
                    .map(|x| as_count(key, x, 1, 1000))
                    .collect::<Result<_>>()?;
            }
            "symmetricalGLCM" => self.symmetrical_glcm = as_bool(key, v)?,
            "weightingNorm" => {
                self.weighting_norm = if nullable {
                    None
                } else {
                    let s = as_str(key, v)?;
                    if !["manhattan", "euclidean", "infinity", "no_weighting"].contains(&s) {
                        return Err(bad(
                            key,
                            format!(
                                "'{s}' is not one of manhattan, euclidean, infinity, no_weighting"
                            ),
                        ));
                    }
                    Some(s.to_string())
                }
            }
            "gldm_a" => {
                let a = as_f64(key, v)?;
                if a < 0.0 {
                    return Err(bad(key, "must be >= 0"));
                }
                self.gldm_a = a;
            }
            "force2D" => self.force2d = as_bool(key, v)?,
            "force2Ddimension" => self.force2d_dimension = as_count(key, v, 0, 2)?,
            "wavelet" => self.wavelet = as_str(key, v)?.to_string(),
            // Each level transforms the whole filtered region again: a few levels at most.
            "start_level" => self.start_level = as_count(key, v, 0, 16)?,
            "level" => self.level = as_count(key, v, 1, 16)?,
            "sigma" => {
                let l = if nullable { &[][..] } else { as_list(key, v)? };
                if l.len() > MAX_SIGMAS {
                    return Err(bad(
                        key,
                        format!("{} values; at most {MAX_SIGMAS} are accepted", l.len()),
                    ));
                }
                let mut sigma: Vec<Sigma> = Vec::with_capacity(l.len());
                for x in l {
                    let mm = as_positive(key, x)?;
                    let text = match x {
                        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
                        _ => python_float_str(mm),
                    };
                    if sigma.iter().any(|s| s.text == text) {
                        return Err(bad(key, format!("{text} is listed twice")));
                    }
                    sigma.push(Sigma { mm, text });
                }
                self.sigma = sigma;
            }
            "gradientUseSpacing" => self.gradient_use_spacing = as_bool(key, v)?,
            "lbp2DRadius" => {
                let r = as_positive(key, v)?;
                if r > 1000.0 {
                    return Err(bad(key, format!("{r} voxels; at most 1000 are accepted")));
                }
                self.lbp2d_radius = r;
            }
            // Codes are sums of 2^p in 32-bit integers in scikit-image: 31 points at most.
            "lbp2DSamples" => self.lbp2d_samples = as_count(key, v, 1, 31)?,
            "lbp2DMethod" => {
                self.lbp2d_method = match as_str(key, v)? {
                    "default" => Lbp2dMethod::Default,
                    "ror" => Lbp2dMethod::Ror,
                    "uniform" => Lbp2dMethod::Uniform,
                    "var" => Lbp2dMethod::Var,
                    o => {
                        return Err(bad(
                            key,
                            format!("'{o}' is not one of default, ror, uniform, var"),
                        ))
                    }
                }
            }
            // PyRadiomics fails with fewer than 2 levels (its harmonics table is then 1-D).
            "lbp3DLevels" => self.lbp3d_levels = as_count(key, v, 2, 30)?,
            "lbp3DIcosphereRadius" => {
                let r = as_positive(key, v)?;
                if r > 1000.0 {
                    return Err(bad(key, format!("{r} voxels; at most 1000 are accepted")));
                }
                self.lbp3d_icosphere_radius = r;
            }
            // 10·4^s + 2 points: 6 subdivisions give 40,962.
            "lbp3DIcosphereSubdivision" => {
                self.lbp3d_icosphere_subdivision = as_count(key, v, 0, 6)?
            }
            k if NOT_YET.contains(&k) => {
                return Err(Error::Settings(format!(
                    "setting '{k}' is a PyRadiomics setting that gpurad does not support yet"
                )))
            }
            k => {
                return Err(Error::Settings(format!(
                    "unknown setting '{k}' (known settings: {})",
                    KNOWN_SETTINGS.join(", ")
                )))
            }
        }
        Ok(())
    }

    /// Applies a command-line override `NAME:VALUE`; VALUE is read as YAML (`5`, `true`, `[1,1,1]`).
    pub fn apply_override(&mut self, spec: &str) -> Result<()> {
        let (key, value) = spec.split_once(':').ok_or_else(|| {
            Error::Settings(format!("override '{spec}' is not of the form NAME:VALUE"))
        })?;
        let v = parse_yaml(value.trim())
            .map_err(|e| Error::Settings(format!("override '{spec}': cannot read value: {e}")))?;
        self.apply(key.trim(), &v)
    }
}

/// Parses YAML text after checking its size and flow nesting against
/// [`crate::limits::MAX_PARAMS_FILE`] and [`crate::limits::MAX_YAML_DEPTH`] (the parser slows
/// down badly on deeply nested input).
fn parse_yaml(text: &str) -> std::result::Result<Value, String> {
    if text.len() as u64 > crate::limits::MAX_PARAMS_FILE {
        return Err(format!(
            "{} of text is more than the {} a parameter file may have",
            crate::limits::human(text.len() as u128),
            crate::limits::human(crate::limits::MAX_PARAMS_FILE as u128)
        ));
    }
    let depth = crate::limits::yaml_flow_depth(text);
    if depth > crate::limits::MAX_YAML_DEPTH {
        return Err(format!(
            "lists or mappings nested {depth} deep ('[' or '{{'); at most {} levels are accepted",
            crate::limits::MAX_YAML_DEPTH
        ));
    }
    serde_yaml_ng::from_str(text).map_err(|e| e.to_string())
}

impl Params {
    /// Under `featureNames: ibsi` only the original image may be enabled (IBSI-1's features
    /// are defined on it): an error naming the other enabled image types.
    pub fn check_ibsi_names(&self) -> Result<()> {
        if self.settings.feature_names != FeatureNames::Ibsi {
            return Ok(());
        }
        let others: Vec<&str> = self
            .image_types
            .iter()
            .filter(|t| t.kind != ImageTypeKind::Original)
            .map(|t| t.kind.name())
            .collect();
        if others.is_empty() {
            Ok(())
        } else {
            Err(Error::Settings(format!(
                "featureNames: ibsi computes IBSI-1's features of the original image only; disable image type(s) {}",
                others.join(", ")
            )))
        }
    }

    /// Reads a PyRadiomics parameter file (YAML or JSON).
    pub fn from_file(path: &Path) -> Result<Params> {
        let text = crate::limits::read_text_bounded(
            path,
            crate::limits::MAX_PARAMS_FILE,
            "parameter file",
        )
        .map_err(|e| Error::Settings(format!("cannot read parameter file: {e}")))?;
        Params::from_yaml(&text).map_err(|e| match e {
            Error::Settings(m) => Error::Settings(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Parses a parameter file's text.
    pub fn from_yaml(text: &str) -> Result<Params> {
        // A byte-order mark, as some editors write one, is not part of the document.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let doc = parse_yaml(text).map_err(|e| Error::Settings(format!("not valid YAML: {e}")))?;
        let mut params = Params::default();
        let map = match doc {
            Value::Mapping(m) => m,
            Value::Null => return Ok(params),
            other => {
                return Err(Error::Settings(format!(
                    "top level must be a mapping, got {}",
                    describe(&other)
                )))
            }
        };
        for (k, v) in &map {
            let key = k
                .as_str()
                .ok_or_else(|| Error::Settings("top-level keys must be strings".into()))?;
            match key {
                "setting" => {
                    if let Value::Mapping(m) = v {
                        for (sk, sv) in m {
                            let sk = sk.as_str().ok_or_else(|| {
                                Error::Settings("setting names must be strings".into())
                            })?;
                            params.settings.apply(sk, sv)?;
                        }
                    } else if !v.is_null() {
                        return Err(Error::Settings(format!(
                            "'setting' must be a mapping, got {}",
                            describe(v)
                        )));
                    }
                }
                "imageType" => params.image_types = parse_image_types(v)?,
                "featureClass" => params.feature_classes = parse_feature_classes(v)?,
                "voxelSetting" => {
                    return Err(Error::Settings(
                        "'voxelSetting' (voxel-based extraction) is not supported yet".into(),
                    ))
                }
                other => {
                    return Err(Error::Settings(format!(
                    "unknown top-level key '{other}' (expected setting, imageType, featureClass)"
                )))
                }
            }
        }
        Ok(params)
    }

    /// The settings of image type `t`: the global settings with its custom settings applied
    /// over them.
    pub fn settings_for(&self, t: &ImageType) -> Result<Settings> {
        let mut s = self.settings.clone();
        for (k, v) in &t.custom {
            s.apply(k, v).map_err(|e| match e {
                Error::Settings(m) => {
                    Error::Settings(format!("image type '{}': {m}", t.kind.name()))
                }
                other => other,
            })?;
        }
        Ok(s)
    }

    /// Short stable hash of the resolved parameters (hex SHA-256 prefix), for provenance.
    pub fn hash(&self) -> String {
        let json = serde_json::to_string(self).expect("settings serialise");
        let digest = Sha256::digest(json.as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

fn parse_image_types(v: &Value) -> Result<Vec<ImageType>> {
    let m = match v {
        Value::Mapping(m) => m,
        other => {
            return Err(Error::Settings(format!(
                "'imageType' must be a mapping, got {}",
                describe(other)
            )))
        }
    };
    let mut out: Vec<ImageType> = Vec::new();
    let available = || {
        ImageTypeKind::ALL
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (k, custom) in m {
        let name = k
            .as_str()
            .ok_or_else(|| Error::Settings("image type names must be strings".into()))?;
        let kind = ImageTypeKind::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                Error::Settings(format!(
                    "unknown image type '{name}' (available: {})",
                    available()
                ))
            })?;
        let custom = match custom {
            Value::Null => Vec::new(),
            Value::Mapping(cm) => {
                let mut pairs = Vec::new();
                let mut probe = Settings::default();
                for (ck, cv) in cm {
                    let ck = ck.as_str().ok_or_else(|| {
                        Error::Settings(format!(
                            "setting names of image type '{name}' must be strings"
                        ))
                    })?;
                    probe.apply(ck, cv).map_err(|e| match e {
                        Error::Settings(m) => Error::Settings(format!("image type '{name}': {m}")),
                        other => other,
                    })?;
                    pairs.push((ck.to_string(), cv.clone()));
                }
                pairs
            }
            other => {
                return Err(Error::Settings(format!(
                    "custom settings of image type '{name}' must be a mapping, got {}",
                    describe(other)
                )))
            }
        };
        if out.iter().any(|t| t.kind == kind) {
            return Err(Error::Settings(format!(
                "image type '{name}' is given twice"
            )));
        }
        out.push(ImageType { kind, custom });
    }
    if out.is_empty() {
        return Err(Error::Settings("'imageType' enables no image type".into()));
    }
    Ok(out)
}

fn parse_feature_classes(v: &Value) -> Result<BTreeMap<FeatureClass, Vec<String>>> {
    let m = match v {
        Value::Mapping(m) => m,
        other => {
            return Err(Error::Settings(format!(
                "'featureClass' must be a mapping, got {}",
                describe(other)
            )))
        }
    };
    let mut out = BTreeMap::new();
    for (k, features) in m {
        let class = k
            .as_str()
            .ok_or_else(|| Error::Settings("feature class names must be strings".into()))?;
        let class_id = FeatureClass::from_name(class).ok_or_else(|| {
            let known: Vec<&str> = FeatureClass::ALL.iter().map(|c| c.name()).collect();
            let pending = ["shape2D"];
            if pending.contains(&class) {
                Error::Settings(format!(
                    "feature class '{class}' is not available yet (available: {})",
                    known.join(", ")
                ))
            } else {
                Error::Settings(format!(
                    "unknown feature class '{class}' (available: {})",
                    known.join(", ")
                ))
            }
        })?;
        let names = match features {
            Value::Null => class_id.default_features(),
            Value::Sequence(list) if list.is_empty() => class_id.default_features(),
            Value::Sequence(list) => {
                let mut names = Vec::new();
                for f in list {
                    let n = f.as_str().ok_or_else(|| {
                        Error::Settings(format!("feature names in '{class}' must be strings"))
                    })?;
                    let spec = class_id.spec();
                    if !spec.features.iter().any(|d| d.name == n) {
                        let all: Vec<&str> = spec.features.iter().map(|d| d.name).collect();
                        return Err(Error::Settings(format!(
                            "class '{class}' has no feature '{n}' (features: {})",
                            all.join(", ")
                        )));
                    }
                    names.push(n.to_string());
                }
                names
            }
            other => {
                return Err(Error::Settings(format!(
                    "features of class '{class}' must be a list or null, got {}",
                    describe(other)
                )))
            }
        };
        out.insert(class_id, names);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SimpleITK's interpolator codes: sitkBSpline is 3 in SimpleITK 1.x and 23 from 2.0
    /// (what `sitk.sitkBSpline` gives scripts today); other codes are refused by name.
    #[test]
    fn interpolator_codes_of_both_simpleitk_generations() {
        let parse = |code: &str| {
            Params::from_yaml(&format!("setting:\n  interpolator: {code}\n"))
                .map(|p| p.settings.interpolator)
        };
        assert_eq!(parse("1").unwrap(), Interpolator::NearestNeighbor);
        assert_eq!(parse("2").unwrap(), Interpolator::Linear);
        assert_eq!(parse("3").unwrap(), Interpolator::BSpline);
        assert_eq!(parse("23").unwrap(), Interpolator::BSpline);
        let e = parse("4").unwrap_err().to_string();
        assert!(e.contains("code 4") && e.contains("23 sitkBSpline"), "{e}");
    }

    #[test]
    fn floats_are_written_as_python_writes_them() {
        // Expected strings are Python 3's str() of the same values.
        for (x, want) in [
            (3.0, "3.0"),
            (0.5, "0.5"),
            (2.25, "2.25"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (0.0000123, "1.23e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456.789, "123456.789"),
            (1e300, "1e+300"),
            (-2.5, "-2.5"),
            (1.0 / 3.0, "0.3333333333333333"),
        ] {
            assert_eq!(python_float_str(x), want, "{x}");
        }
    }

    #[test]
    fn sigma_keeps_the_text_of_each_value() {
        let p = Params::from_yaml("imageType:\n  LoG: {sigma: [1, 2.0, 0.5, 3.50]}\n").unwrap();
        let s = p.settings_for(&p.image_types[0]).unwrap();
        let texts: Vec<&str> = s.sigma.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["1", "2.0", "0.5", "3.5"]);
        for bad in ["[0]", "[-1]", "[2, 2]", "[.nan]", "3", "[a]"] {
            let e = Params::from_yaml(&format!("setting:\n  sigma: {bad}\n"));
            assert!(e.is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_match_pyradiomics() {
        let p = Params::default();
        assert_eq!(p.settings.bin_width, 25.0);
        assert_eq!(p.settings.label, 1);
        assert_eq!(p.settings.pad_distance, 5);
        assert_eq!(p.settings.minimum_roi_dimensions, 2);
        assert_eq!(p.settings.interpolator, Interpolator::BSpline);
        assert!(p.feature_classes[&FeatureClass::FirstOrder].len() == 18);
        assert!(!p.feature_classes[&FeatureClass::FirstOrder]
            .contains(&"StandardDeviation".to_string()));
        assert_eq!(p.feature_classes[&FeatureClass::Shape].len(), 14);
    }

    #[test]
    fn parses_parameter_file() {
        let p = Params::from_yaml(
            "imageType:\n  Original: {}\nfeatureClass:\n  firstorder: [Mean, StandardDeviation]\n  shape:\nsetting:\n  binWidth: 5\n  normalize: true\n  resampledPixelSpacing: [1, 1, 2.5]\n  interpolator: 'sitkLinear'\n",
        )
        .unwrap();
        assert_eq!(p.settings.bin_width, 5.0);
        assert!(p.settings.normalize);
        assert_eq!(p.settings.resampled_pixel_spacing, Some([1.0, 1.0, 2.5]));
        assert_eq!(p.settings.interpolator, Interpolator::Linear);
        assert_eq!(
            p.feature_classes[&FeatureClass::FirstOrder],
            vec!["Mean", "StandardDeviation"]
        );
        assert_eq!(p.feature_classes[&FeatureClass::Shape].len(), 14);
    }

    #[test]
    fn rejects_unknown_and_ill_typed_keys() {
        let e = Params::from_yaml("setting:\n  binwidth: 5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown setting 'binwidth'"), "{e}");
        let e = Params::from_yaml("setting:\n  binWidth: wide\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'binWidth'") && e.contains("expected a number"),
            "{e}"
        );
        let e = Params::from_yaml("setting:\n  binWidth: -1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("greater than 0"), "{e}");
        let e = Params::from_yaml("featureClass:\n  firstorder: [Mena]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no feature 'Mena'"), "{e}");
        let e = Params::from_yaml("colour: red\n").unwrap_err().to_string();
        assert!(e.contains("unknown top-level key 'colour'"), "{e}");
    }

    #[test]
    fn overrides() {
        let mut s = Settings::default();
        s.apply_override("binWidth:5").unwrap();
        s.apply_override("resampledPixelSpacing:[2,2,2]").unwrap();
        s.apply_override("binningOrigin:ibsi").unwrap();
        assert_eq!(s.bin_width, 5.0);
        assert_eq!(s.resampled_pixel_spacing, Some([2.0; 3]));
        assert_eq!(s.binning_origin, BinningOrigin::Ibsi);
        assert!(s.apply_override("binWidth").is_err());
        assert!(s.apply_override("normalize:maybe").is_err());
    }

    #[test]
    fn hash_changes_with_settings() {
        let a = Params::default();
        let mut b = Params::default();
        b.settings.bin_width = 5.0;
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.hash(), Params::default().hash());
    }
}
