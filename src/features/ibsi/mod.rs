//! IBSI-1 feature families as the IBSI reference manual defines them, named by their IBSI
//! identifiers (Zwanenburg et al., "The Image Biomarker Standardization Initiative",
//! Radiology 2020; reference manual v11, chapter "Image features"), where they depart from
//! or go beyond PyRadiomics' classes:
//!
//! - [`statistics`]: intensity-based statistics (IBSI family UHIW), all 18 features;
//! - [`histogram`]: intensity histogram (ZVCW), all 23 features;
//! - [`ivh`]: intensity–volume histogram (P88C), the 6 reference features;
//! - [`local_intensity`]: local and global intensity peak (9ST6);
//! - [`morphology`]: the morphological features (HCUG) PyRadiomics lacks;
//! - [`gldzm`]: grey level distance zone features (VMDZ), with [`aggregate`] for IBSI's
//!   per-slice aggregations of every texture class;
//! - [`ngldm`]: the dependence count percentage and energy (REK0);
//! - [`row`]: a case's every IBSI value under IBSI names (`featureNames: ibsi`), the texture
//!   families through [`texture_names`].
//!
//! Each function returns `(id, value)` pairs, `id` the IBSI feature identifier (with the
//! parameter of parametrised features: `BC2M_V10`).

pub mod aggregate;
pub mod gldzm;
pub mod histogram;
pub mod inverse_distance;
pub mod ivh;
pub mod local_intensity;
pub mod morphology;
pub mod ngldm;
pub mod row;
pub mod statistics;
pub mod texture_names;

/// Linear-interpolation percentile `p` (0–100) of sorted data, as `numpy.percentile`
/// (IBSI does not fix the percentile definition; its reference values were produced with it).
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    crate::features::firstorder::percentile_sorted(sorted, p)
}

/// The values sorted ascending (non-finite values are not expected: callers check the ROI).
pub(crate) fn sorted(values: &[f64]) -> Vec<f64> {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

/// The dispersion features shared by the statistics and histogram families, computed on
/// `values` (sorted ascending in `sorted`): in order mean, variance, skewness, excess
/// kurtosis, median, minimum, P10, P90, maximum, interquartile range, range, mean absolute
/// deviation, robust mean absolute deviation (over P10 ≤ x ≤ P90, about that subset's mean),
/// median absolute deviation, coefficient of variation, quartile coefficient of dispersion.
pub(crate) fn distribution(values: &[f64], sorted: &[f64]) -> [f64; 16] {
    let n = values.len() as f64;
    let (mean, m2, m3, m4) = crate::features::firstorder::central_moments(values);
    // A constant ROI has no skewness or kurtosis: IBSI sets them to 0.
    let (skew, kurt) = if m2 > 0.0 {
        (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
    } else {
        (0.0, 0.0)
    };
    let median = percentile(sorted, 50.0);
    let (p10, p25, p75, p90) = (
        percentile(sorted, 10.0),
        percentile(sorted, 25.0),
        percentile(sorted, 75.0),
        percentile(sorted, 90.0),
    );
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let mad = values.iter().map(|x| (x - mean).abs()).sum::<f64>() / n;
    let robust: Vec<f64> = values
        .iter()
        .copied()
        .filter(|&x| x >= p10 && x <= p90)
        .collect();
    let robust_mean = robust.iter().sum::<f64>() / robust.len() as f64;
    let rmad = robust.iter().map(|x| (x - robust_mean).abs()).sum::<f64>() / robust.len() as f64;
    let medad = values.iter().map(|x| (x - median).abs()).sum::<f64>() / n;
    [
        mean,
        m2,
        skew,
        kurt,
        median,
        min,
        p10,
        p90,
        max,
        p75 - p25,
        max - min,
        mad,
        rmad,
        medad,
        m2.sqrt() / mean,
        (p75 - p25) / (p75 + p25),
    ]
}
