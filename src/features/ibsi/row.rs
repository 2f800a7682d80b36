//! A case's features under IBSI names (`featureNames: ibsi`): every IBSI-1 family in every
//! aggregation the settings allow, one column per value, named by the IBSI feature id — with
//! `_` and the aggregation id for texture features (`GYBY_ITBB`, `5QRC_KOBO`), and the
//! parameter of the intensity–volume histogram's parametrised features (`BC2M_V10`).
//!
//! Families, in the reference manual's order: morphology (25), local intensity (2),
//! intensity statistics (18), intensity histogram (23, on the texture discretisation),
//! intensity–volume histogram (6), then GLCM and GLRLM (3D: averaged ITBB and merged IAZD;
//! with `force2D`: 2D averaged BTW3, 2D slice-merged SUJT, 2.5D direction-merged JJUI, 2.5D
//! merged ZW7Z) and GLSZM, GLDZM, NGTDM and NGLDM (3D: KOBO; with `force2D`: 2D 8QNN and
//! 2.5D 62GR). IBSI's 2D and 2.5D aggregations slice along the image's z axis.
//!
//! The intensity–volume histogram's grid ([`ivh::IvhGrid`]): `ivhBinWidth` (bins of that
//! width over the resegmentation range, else the ROI's range), else `ivhBinCount`, else — for
//! whole-number intensities such as CT's — the intensities themselves over the resegmentation
//! range or the ROI's range (IBSI's "discrete calibrated" case), else the texture
//! discretisation (`binCount`, or `binWidth` bins).

use super::texture_names::{Family, Source, FAMILIES};
use super::{aggregate, gldzm, histogram, ivh, local_intensity, morphology, ngldm, statistics};
use crate::error::{Error, Result};
use crate::features::registry::FeatureClass;
use crate::features::shape::{self, mesh};
use crate::features::texture;
use crate::image::{roi_values, BoundingBox, Mask, Volume};
use crate::matrices::gpu::{build_batch, DeviceChoice};
use crate::matrices::{angles::generate, gldzm as gldzm_matrix, Matrix};
use crate::matrices::{grey_image_from, GreyImage, Request};
use crate::settings::{Settings, ShapeCovariance};

/// The morphological features in the manual's order: IBSI id and, for those PyRadiomics'
/// shape class computes (with IBSI's covariance), its name.
const MORPHOLOGY: [(&str, Option<&str>); 25] = [
    ("RNU0", Some("MeshVolume")),
    ("YEKZ", Some("VoxelVolume")),
    ("C0JK", Some("SurfaceArea")),
    ("2PR5", Some("SurfaceVolumeRatio")),
    ("SKGS", Some("Compactness1")),
    ("BQWJ", Some("Compactness2")),
    ("KRCK", Some("SphericalDisproportion")),
    ("QCFX", Some("Sphericity")),
    ("25C7", None),
    ("KLMA", None),
    ("L0JK", Some("Maximum3DDiameter")),
    ("TDIC", Some("MajorAxisLength")),
    ("P9VJ", Some("MinorAxisLength")),
    ("7J51", Some("LeastAxisLength")),
    ("Q3CK", Some("Elongation")),
    ("N17B", Some("Flatness")),
    ("PBX1", None),
    ("R59B", None),
    ("6BDE", None),
    ("RDD2", None),
    ("R3ER", None),
    ("7T7F", None),
    ("99N0", None),
    ("N365", None),
    ("NPT7", None),
];

/// What a case's IBSI features are computed from (all on the final ROI's bounding box).
pub struct IbsiInput<'a> {
    /// The preprocessed image on the ROI box.
    pub image: &'a Volume,
    /// The intensity mask (after resegmentation).
    pub roi: &'a Mask,
    /// The morphological mask (before resegmentation).
    pub morphology: &'a Mask,
    /// The image around the ROI box (the whole image, or the resampled region) and where the
    /// box lies in it, for the local intensity features; `None`: the box alone.
    pub region: Option<(&'a Volume, &'a BoundingBox)>,
    /// The settings.
    pub settings: &'a Settings,
}

/// The aggregations of `family` under `settings`.
fn aggregations(family: &Family, settings: &Settings) -> &'static [&'static str] {
    if settings.force2d {
        family.aggregations_2d
    } else {
        family.aggregations_3d
    }
}

/// The columns [`compute`] writes under `settings`, in order.
pub fn columns(settings: &Settings) -> Vec<String> {
    let mut cols: Vec<String> = MORPHOLOGY.iter().map(|(id, _)| id.to_string()).collect();
    cols.extend(["VJGA", "0F91"].map(String::from));
    cols.extend(statistics_ids().map(String::from));
    cols.extend(histogram_ids().map(String::from));
    cols.extend(
        [
            "BC2M_V10", "BC2M_V90", "GBPN_I10", "GBPN_I90", "DDTU", "CNV2",
        ]
        .map(String::from),
    );
    for family in &FAMILIES {
        for agg in aggregations(family, settings) {
            cols.extend(family.features.iter().map(|(id, _)| format!("{id}_{agg}")));
        }
    }
    cols
}

fn statistics_ids() -> [&'static str; 18] {
    [
        "Q4LE", "ECT3", "KE2A", "IPH6", "Y12H", "1GSF", "QG58", "8DWT", "84IY", "SALO", "2OJQ",
        "4FUA", "1128", "N72L", "7TET", "9S40", "N8CA", "5ZWQ",
    ]
}

fn histogram_ids() -> [&'static str; 23] {
    [
        "X6K6", "CH89", "88K1", "C3I7", "WIFQ", "1PR8", "GPMT", "OZ0C", "3NCY", "AMMC", "WR0O",
        "5Z3W", "D2ZX", "WRZB", "4RNL", "CWYJ", "SLWD", "TLU2", "BJ5W", "12CE", "8E6O", "VQB3",
        "RHQZ",
    ]
}

/// The intensity–volume histogram's grid for `values` under `settings` (see the module
/// documentation).
fn ivh_grid(values: &[f64], settings: &Settings) -> ivh::IvhGrid {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let range = match settings.resegment_range {
        Some((l, u)) if settings.resegment_mode == crate::settings::ResegmentMode::Absolute => {
            (l, u.unwrap_or(hi))
        }
        _ => (lo, hi),
    };
    if let Some(width) = settings.ivh_bin_width {
        ivh::IvhGrid::BinWidth { width, range }
    } else if let Some(count) = settings.ivh_bin_count {
        ivh::IvhGrid::BinCount { count }
    } else if values.iter().all(|x| x.fract() == 0.0) {
        ivh::IvhGrid::Discrete { range }
    } else if let Some(count) = settings.bin_count {
        ivh::IvhGrid::BinCount { count }
    } else {
        ivh::IvhGrid::BinWidth {
            width: settings.bin_width,
            range,
        }
    }
}

/// The ROI placed in the region's grid, for the local intensity features.
fn roi_in_region(roi: &Mask, region: &Volume, bb: &BoundingBox) -> Mask {
    let g = &region.geometry;
    let mut data = vec![false; g.len()];
    let e = roi.geometry.size;
    for z in 0..e[2] {
        for y in 0..e[1] {
            for x in 0..e[0] {
                if roi.data[roi.geometry.index(x, y, z)] {
                    data[g.index(bb.lo[0] + x, bb.lo[1] + y, bb.lo[2] + z)] = true;
                }
            }
        }
    }
    Mask {
        geometry: g.clone(),
        data,
    }
}

/// One family's values in one aggregation, in the family's order: PyRadiomics-named
/// features from `computed` (by name), gpurad's own from `own`.
fn family_values(family: &Family, computed: &[(String, f64)], own: &[f64]) -> Vec<f64> {
    family
        .features
        .iter()
        .map(|(_, source)| match source {
            Source::Pyradiomics(name) => computed
                .iter()
                .find(|(n, _)| n == name)
                .map_or(f64::NAN, |(_, v)| *v),
            Source::Own(k) => own[*k],
        })
        .collect()
}

/// What [`texture_features`] gives one family in one aggregation: the PyRadiomics-named values
/// and the NGLDM's own two (dependence count percentage and energy, taken from the same GLDM
/// matrices; empty for the other classes).
type Computed = ((usize, &'static str), Vec<(String, f64)>, Vec<f64>);

/// The texture matrices of every PyRadiomics-class family in every aggregation, built in one
/// batch on `device` (the ROI's grey image for the 3D and 2.5D aggregations, each of `slices`
/// for the 2D ones), and their features per (family index, aggregation), slice features
/// averaged over the slices. Returns them with the device used.
fn texture_features(
    grey: &GreyImage,
    slices: &[(usize, GreyImage)],
    base: &Settings,
    device: DeviceChoice,
) -> Result<(Vec<Computed>, String)> {
    type Key = (usize, &'static str, FeatureClass, Settings);
    let mut whole: Vec<Key> = Vec::new();
    let mut per_slice: Vec<Key> = Vec::new();
    for (fi, family) in FAMILIES.iter().enumerate() {
        let Some(class) = family.class else { continue };
        for &agg in aggregations(family, base) {
            let (settings, slices) = aggregation_settings(base, agg);
            let key = (fi, agg, class, settings);
            if slices {
                per_slice.push(key);
            } else {
                whole.push(key);
            }
        }
    }
    let requests = |img: &GreyImage, keys: &[Key]| -> Result<Vec<Request>> {
        let reqs = keys
            .iter()
            .map(|(_, _, class, settings)| {
                Ok(texture::request(*class, img, settings)?
                    .expect("a texture class has a matrix request"))
            })
            .collect::<Result<Vec<_>>>()?;
        crate::matrices::check_memory(img, &reqs)?;
        Ok(reqs)
    };
    let whole_requests = requests(grey, &whole)?;
    let slice_requests: Vec<Vec<Request>> = if per_slice.is_empty() {
        Vec::new()
    } else {
        slices
            .iter()
            .map(|(_, img)| requests(img, &per_slice))
            .collect::<Result<_>>()?
    };
    let mut jobs: Vec<(&GreyImage, &[Request])> = vec![(grey, whole_requests.as_slice())];
    for ((_, img), reqs) in slices.iter().zip(&slice_requests) {
        jobs.push((img, reqs.as_slice()));
    }
    // Every slice's matrices are held together until their features are taken.
    let total = jobs
        .iter()
        .flat_map(|(img, reqs)| reqs.iter().map(|r| r.memory_estimate(img)))
        .fold(0u128, u128::saturating_add);
    crate::limits::check(
        || {
            format!(
                "the texture matrices of every IBSI aggregation ({} grey levels, the ROI box and {} slices)",
                grey.ng,
                slices.len()
            )
        },
        total,
        "use fewer grey levels (binCount, a larger binWidth, maxGreyLevels)",
    )?;
    let (built, used) = build_batch(&jobs, device);
    // The NGLDM's own features of a built GLDM matrix.
    let extras = |m: &Matrix, img: &GreyImage| match m {
        Matrix::Gldm(g) => ngldm::features(g, img.roi_count() as u64).to_vec(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    let present = grey.present_levels();
    for (k, (fi, agg, _, settings)) in whole.iter().enumerate() {
        let names = FAMILIES[*fi].pyradiomics_names();
        let m = &built[0][k];
        let values = texture::features(m, grey, &present, settings, &names);
        out.push(((*fi, *agg), values, extras(m, grey)));
    }
    for (k, (fi, agg, _, settings)) in per_slice.iter().enumerate() {
        let names = FAMILIES[*fi].pyradiomics_names();
        let mut sums: Vec<(String, f64)> = names.iter().map(|n| (n.clone(), 0.0)).collect();
        let mut own: Vec<f64> = Vec::new();
        for (j, (_, img)) in slices.iter().enumerate() {
            let m = &built[1 + j][k];
            let values = texture::features(m, img, &img.present_levels(), settings, &names);
            for (sum, (name, v)) in sums.iter_mut().zip(values) {
                debug_assert_eq!(sum.0, name);
                sum.1 += v;
            }
            let e = extras(m, img);
            own.resize(e.len(), 0.0);
            for (o, v) in own.iter_mut().zip(e) {
                *o += v;
            }
        }
        let n = slices.len() as f64;
        out.push((
            (*fi, *agg),
            sums.into_iter().map(|(k, v)| (k, v / n)).collect(),
            own.into_iter().map(|v| v / n).collect(),
        ));
    }
    Ok((out, used))
}

/// The GLDZM's 16 values in aggregation `agg` (3D, slices merged, or slices averaged), on the
/// CPU: zones from `grey` (or its `slices`), distances from the morphological mask.
fn gldzm_values(
    agg: &str,
    grey: &GreyImage,
    slices: &[(usize, GreyImage)],
    morphology: &Mask,
) -> Vec<f64> {
    let gldzm_of = |img: &GreyImage, mask: &[bool], in_plane: bool| {
        gldzm_matrix::build(img, &generate(img.size, &[1], None), mask, in_plane)
    };
    let per_slice = || {
        slices
            .iter()
            .map(|(z, s)| gldzm_of(s, &aggregate::mask_slice(morphology, *z), true))
    };
    match agg {
        "KOBO" => gldzm::features(&gldzm_of(grey, &morphology.data, false)).to_vec(),
        "62GR" => {
            let merged = per_slice()
                .reduce(|acc, m| acc.merged(&m))
                .expect("a ROI has a slice");
            gldzm::features(&merged).to_vec()
        }
        _ => {
            let per: Vec<[f64; 16]> = per_slice().map(|m| gldzm::features(&m)).collect();
            aggregate::mean(&per).to_vec()
        }
    }
}

/// The settings of one texture aggregation: IBSI's 2D and 2.5D slice along z; merged
/// aggregations sum the directions' matrices (`no_weighting`), the others average features
/// over directions.
fn aggregation_settings(base: &Settings, agg: &str) -> (Settings, bool) {
    let mut s = base.clone();
    s.force2d = matches!(agg, "BTW3" | "SUJT" | "JJUI" | "ZW7Z" | "8QNN" | "62GR");
    s.force2d_dimension = 0;
    s.weighting_norm = matches!(agg, "IAZD" | "SUJT" | "ZW7Z").then(|| "no_weighting".into());
    let per_slice = matches!(agg, "BTW3" | "SUJT" | "8QNN");
    (s, per_slice)
}

/// Every IBSI value of a case, named as [`columns`] lists them (in that order), with the
/// device that built the texture matrices of the PyRadiomics-defined classes (`device`: as
/// for PyRadiomics names; the GLDZM is built on the CPU).
pub fn compute(
    input: &IbsiInput<'_>,
    device: DeviceChoice,
) -> Result<(Vec<(String, f64)>, String)> {
    let s = input.settings;
    let values = roi_values(input.image, input.roi);
    if values.is_empty() {
        return Err(Error::Compute("the ROI holds no voxel".into()));
    }
    let mut out: Vec<(String, f64)> = Vec::new();

    // Morphology: PyRadiomics' shape features with IBSI's covariance, then IBSI's own.
    let shape_names: Vec<String> = MORPHOLOGY
        .iter()
        .filter_map(|(_, n)| n.map(String::from))
        .collect();
    let shape_values = shape::compute(input.morphology, &shape_names, ShapeCovariance::Ibsi);
    let own = morphology::features(&morphology::MorphologyInput {
        morphology: input.morphology,
        image: input.image,
        intensity: input.roi,
        area_volume: mesh::area_and_volume(input.morphology),
        variances: shape::principal_variances(input.morphology, ShapeCovariance::Ibsi),
    })?;
    for (id, name) in MORPHOLOGY {
        let v = match name {
            Some(n) => shape_values.iter().find(|(k, _)| k == n).map(|(_, v)| *v),
            None => own.iter().find(|(k, _)| *k == id).map(|(_, v)| *v),
        };
        out.push((id.to_string(), v.unwrap_or(f64::NAN)));
    }

    // Local intensity: the image around the ROI.
    let local = match input.region {
        Some((region, bb)) => {
            local_intensity::features(region, &roi_in_region(input.roi, region, bb))?
        }
        None => local_intensity::features(input.image, input.roi)?,
    };
    out.extend(local.into_iter().map(|(k, v)| (k.to_string(), v)));

    out.extend(
        statistics::features(&values)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );

    // The texture discretisation, shared by the intensity histogram and the texture classes.
    let (grey, discretized) = grey_image_from(input.image, input.roi, &values, s)?;
    let levels: Vec<f64> = discretized.levels.iter().map(|&l| l as f64).collect();
    out.extend(
        histogram::features(&levels, discretized.bin_count())
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    out.extend(
        ivh::features(&values, ivh_grid(&values, s))?
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );

    // The slices (IBSI's 2D aggregations), cut once.
    let slices = if s.force2d {
        aggregate::slices(&grey)
    } else {
        Vec::new()
    };
    let (computed, used) = texture_features(&grey, &slices, s, device)?;
    for (fi, family) in FAMILIES.iter().enumerate() {
        for &agg in aggregations(family, s) {
            let (named, own) = match computed.iter().find(|(key, _, _)| *key == (fi, agg)) {
                Some((_, named, own)) => (named.as_slice(), own.clone()),
                None => (&[][..], gldzm_values(agg, &grey, &slices, input.morphology)),
            };
            for ((id, _), v) in family
                .features
                .iter()
                .zip(family_values(family, named, &own))
            {
                out.push((format!("{id}_{agg}"), v));
            }
        }
    }
    Ok((out, used))
}
