//! One case, end to end: read image and mask, validate, preprocess in PyRadiomics' order,
//! compute the enabled feature classes, and assemble a named output row.

use std::path::Path;

use crate::checks;
use crate::error::Result;
use crate::features::registry::FeatureClass;
use crate::features::{firstorder, shape, texture};
pub use crate::image::{crop_mask, crop_to_roi, crop_volume, roi_values};
use crate::image::{BoundingBox, Mask, Volume};
use crate::io::image_file::{self, ImageInput};
use crate::io::nifti;
use crate::matrices::gpu::{build_batch, DeviceChoice};
use crate::matrices::{grey_image, grey_image_from, GreyImage, Matrix, Request};
use crate::preprocess::discretize::{self, Discretized};
use crate::preprocess::normalize::{self, CompensatedSum};
use crate::preprocess::{resample, resegment};
use crate::settings::{FeatureNames, Params, Settings};

pub use crate::row::{Row, Value};

/// gpurad's version, written to every row.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn tuple_f(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:?}")).collect();
    format!("({})", parts.join(", "))
}

fn tuple_u(v: &[usize]) -> String {
    let parts: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("({})", parts.join(", "))
}

/// One pass over an image's voxels: sums of values and squares (compensated, as ITK sums
/// them), count, extremes, and the non-finite voxels inside the ROI (as
/// [`checks::check_finite`] counts them).
struct Scan {
    sum: CompensatedSum,
    sum_sq: CompensatedSum,
    n: usize,
    lo: f64,
    hi: f64,
    non_finite: usize,
    first_non_finite: Option<usize>,
    /// Non-finite voxels anywhere in the image, and the first of them.
    non_finite_anywhere: usize,
    first_anywhere: Option<usize>,
}

fn scan_image(opened: &nifti::Opened, mask: &Mask) -> Scan {
    let mut s = Scan {
        sum: CompensatedSum::default(),
        sum_sq: CompensatedSum::default(),
        n: 0,
        lo: f64::INFINITY,
        hi: f64::NEG_INFINITY,
        non_finite: 0,
        first_non_finite: None,
        non_finite_anywhere: 0,
        first_anywhere: None,
    };
    opened.for_each_chunk(|first, chunk| {
        let mut any_non_finite = false;
        for &v in chunk {
            s.lo = s.lo.min(v);
            s.hi = s.hi.max(v);
            s.sum.add(v);
            s.sum_sq.add(v * v);
            any_non_finite |= !v.is_finite();
        }
        if any_non_finite {
            for (k, &v) in chunk.iter().enumerate() {
                if !v.is_finite() {
                    s.non_finite_anywhere += 1;
                    s.first_anywhere.get_or_insert(first + k);
                    if mask.data[first + k] {
                        s.non_finite += 1;
                        s.first_non_finite.get_or_insert(first + k);
                    }
                }
            }
        }
        s.n += chunk.len();
    });
    s
}

/// The whole image's (mean, minimum, maximum) and SD as ITK computes them, in one pass over
/// the file (exact integer sums where the file stores unscaled integers, else compensated
/// sums of the decoded values in file order). Non-finite voxels inside the ROI are an error;
/// elsewhere too when `whole_reads` names what reads the whole image.
fn whole_image_stats(
    opened: &nifti::Opened,
    full_mask: &Mask,
    image_path: &Path,
    whole_reads: Option<&str>,
) -> Result<((f64, f64, f64), f64)> {
    if let Some(m) = opened.exact_moments() {
        return Ok(((m.mean(), m.min as f64, m.max as f64), m.sd()));
    }
    let scan = scan_image(opened, full_mask);
    let bad = match (scan.first_non_finite, scan.first_anywhere, whole_reads) {
        (Some(first), _, _) => Some((scan.non_finite, first, checks::INSIDE_ROI.to_string())),
        (None, Some(first), Some(why)) => {
            Some((scan.non_finite_anywhere, first, checks::outside_roi(why)))
        }
        _ => None,
    };
    if let Some((count, first, region)) = bad {
        return Err(crate::error::Error::NonFinite {
            image: image_path.to_path_buf(),
            count,
            first: full_mask.geometry.coords(first),
            region,
        });
    }
    let n = scan.n as f64;
    let (s1, s2) = (scan.sum.value(), scan.sum_sq.value());
    Ok(((s1 / n, scan.lo, scan.hi), normalize::itk_sd(s1, s2, n)))
}

/// Mean, minimum and maximum of an image's values (diagnostics).
fn image_stats(values: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let (lo, hi, sum, n) = values.fold(
        (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize),
        |(lo, hi, s, n), x| (lo.min(x), hi.max(x), s + x, n + 1),
    );
    (sum / n as f64, lo, hi)
}

fn diagnostics_for(row: &mut Row, stage: &str, image: &Volume, mask: &Mask, bb: &BoundingBox) {
    let stats = image_stats(image.data.iter().copied());
    diagnostics_with(row, stage, &image.geometry, stats, mask, bb);
}

fn diagnostics_with(
    row: &mut Row,
    stage: &str,
    g: &crate::image::Geometry,
    (mean, lo, hi): (f64, f64, f64),
    mask: &Mask,
    bb: &BoundingBox,
) {
    let push = |row: &mut Row, k: String, v: Value| row.push((k, v));
    push(
        row,
        format!("diagnostics_Image-{stage}_Spacing"),
        Value::Text(tuple_f(&g.spacing)),
    );
    push(
        row,
        format!("diagnostics_Image-{stage}_Size"),
        Value::Text(tuple_u(&g.size)),
    );
    push(
        row,
        format!("diagnostics_Image-{stage}_Mean"),
        Value::Number(mean),
    );
    push(
        row,
        format!("diagnostics_Image-{stage}_Minimum"),
        Value::Number(lo),
    );
    push(
        row,
        format!("diagnostics_Image-{stage}_Maximum"),
        Value::Number(hi),
    );
    push(
        row,
        format!("diagnostics_Mask-{stage}_Spacing"),
        Value::Text(tuple_f(&mask.geometry.spacing)),
    );
    push(
        row,
        format!("diagnostics_Mask-{stage}_Size"),
        Value::Text(tuple_u(&mask.geometry.size)),
    );
    let e = bb.extent();
    push(
        row,
        format!("diagnostics_Mask-{stage}_BoundingBox"),
        Value::Text(tuple_u(&[bb.lo[0], bb.lo[1], bb.lo[2], e[0], e[1], e[2]])),
    );
    push(
        row,
        format!("diagnostics_Mask-{stage}_VoxelNum"),
        Value::Number(mask.count() as f64),
    );
}

/// A case after reading, validation and preprocessing, cut to the bounding box of its ROI.
pub struct Prepared {
    /// Diagnostics columns gathered so far.
    pub row: Row,
    /// Preprocessed image on the ROI box.
    pub image: Volume,
    /// Final ROI (after resegmentation) on the same box.
    pub roi: Mask,
    /// Mask used by the shape class (before resegmentation unless `resegmentShape`).
    pub shape_mask: Mask,
    /// When filtered image types are enabled: the preprocessed image their filters see (the
    /// whole image, the pre-cropped box or the resampled grid) and the final ROI box in its
    /// indices (where `image` was cut from).
    pub region: Option<(Volume, BoundingBox)>,
}

/// Reads, validates and preprocesses one image/mask pair in PyRadiomics' order (normalise,
/// resample or pre-crop, resegment) and cuts it to the final ROI's bounding box.
pub fn prepare(image_path: &Path, mask_path: &Path, params: &Params) -> Result<Prepared> {
    // The mask first: its bounding box lets the image be decoded only there.
    let mask = image_file::read_mask_for(image_path, mask_path, params.settings.label)?;
    prepare_with_mask(image_path, mask_path, &mask, params)
}

/// As [`prepare`], with the mask already read from `mask_path` (sequences of a case that
/// share one mask file read it once).
pub fn prepare_with_mask(
    image_path: &Path,
    mask_path: &Path,
    full_mask: &Mask,
    params: &Params,
) -> Result<Prepared> {
    prepare_prefixed(
        ImageInput::File(image_path),
        ImageInput::File(mask_path),
        full_mask,
        params,
        config_diagnostics(params),
    )
}

/// The configuration diagnostics every row starts with (versions, settings and their hash).
fn config_diagnostics(params: &Params) -> Row {
    vec![
        (
            "diagnostics_Versions_gpurad".into(),
            Value::Text(VERSION.into()),
        ),
        (
            "diagnostics_Configuration_SettingsHash".into(),
            Value::Text(params.hash()),
        ),
        (
            "diagnostics_Configuration_Settings".into(),
            Value::Text(serde_json::to_string(&params.settings).expect("settings serialise")),
        ),
        (
            "diagnostics_Configuration_BinningOrigin".into(),
            Value::Text(format!("{:?}", params.settings.binning_origin).to_lowercase()),
        ),
        (
            "diagnostics_Configuration_EnabledImageTypes".into(),
            Value::Text(serde_json::to_string(&params.image_types).expect("image types serialise")),
        ),
    ]
}

/// [`prepare_with_mask`], with the row's first columns (`config`, from
/// [`config_diagnostics`]) made once per case.
fn prepare_prefixed(
    image: ImageInput<'_>,
    mask: ImageInput<'_>,
    full_mask: &Mask,
    params: &Params,
    config: Row,
) -> Result<Prepared> {
    let (input, image_path, mask_path) = (image, image.path(), mask.path());
    let s = &params.settings;
    // The header first: a mismatched image is refused before its voxels are read.
    checks::check_geometry(
        &input.geometry()?,
        &full_mask.geometry,
        s.geometry_tolerance,
        image_path,
        mask_path,
    )?;
    let mut row = config;
    let bb0 = checks::check_roi(
        full_mask,
        s.label,
        s.minimum_roi_dimensions,
        s.minimum_roi_size,
        mask_path,
    )?;
    // Everything after this works on the ROI's bounding box: the image as f64 (8 bytes a
    // voxel), its masks, grey levels and the copies the texture builders pad (about 32 bytes
    // a voxel in all).
    let box_voxels = crate::limits::product(&bb0.extent().map(|e| e as u128));
    crate::limits::check(
        || {
            let e = bb0.extent();
            format!(
                "the ROI of '{}' (a bounding box of {}×{}×{} voxels)",
                mask_path.display(),
                e[0],
                e[1],
                e[2]
            )
        },
        box_voxels.saturating_mul(32),
        "raise --max-memory for an ROI this large",
    )?;
    let opened = input.open()?;
    // Filters, and IBSI's local intensity features, see the image around the ROI box.
    let filtered =
        crate::filters::need_region(params) || params.settings.feature_names == FeatureNames::Ibsi;
    // The whole image's statistics (diagnostics, normalisation) in one pass over the file;
    // non-finite voxels outside the ROI are an error where a step reads them.
    let reads = match (s.resampled_pixel_spacing, s.normalize, filtered) {
        (Some(_), true, _) => {
            Some("normalize (the whole image's mean and SD) and resampling (interpolation)")
        }
        (Some(_), false, _) => Some("resampling (interpolation)"),
        (None, _, true) => Some("the filters of the enabled image types (the whole image)"),
        (None, true, false) => Some("normalize (the whole image's mean and SD)"),
        (None, false, false) => None,
    };
    let (stats, sd) = whole_image_stats(&opened, full_mask, image_path, reads)?;
    diagnostics_with(
        &mut row,
        "original",
        &opened.geometry,
        stats,
        full_mask,
        &bb0,
    );
    let mut image;
    let mask;
    if let Some(spacing) = s.resampled_pixel_spacing {
        // Resampling reads the image around the ROI: only the box it reads is decoded (for
        // B-splines with the margin that makes its coefficients those of the whole image,
        // see `resample::read_box`). The whole-image statistics (diagnostics, normalisation)
        // come from one pass over the file.
        let read = resample::read_box(
            &opened.geometry,
            &bb0,
            spacing,
            s.interpolator,
            s.pad_distance,
            s.resampling_grid,
        );
        let e = read.extent();
        crate::limits::check(
            || {
                format!(
                    "decoding '{}' around the ROI for resampling ({}×{}×{} voxels as 8-byte values)",
                    image_path.display(),
                    e[0],
                    e[1],
                    e[2]
                )
            },
            crate::limits::product(&e.map(|v| v as u128)).saturating_mul(8),
            "raise --max-memory",
        )?;
        let full_geometry = opened.geometry.clone();
        let mut part = opened.crop(&read)?;
        drop(opened);
        if s.normalize {
            normalize::normalize_with(&mut part, stats.0, sd, s.normalize_scale, s.remove_outliers);
        }
        (image, mask) = resample::resample_pair(
            &part,
            &full_geometry,
            &read,
            full_mask,
            spacing,
            s.interpolator,
            s.pad_distance,
            &bb0,
            resample::ResampleOptions {
                grid: s.resampling_grid,
                mask: s.mask_interpolator,
                threshold: s.mask_partial_volume_threshold,
                round: s.round_intensities,
            },
        )?;
        drop(part);
        let bb = checks::check_roi(
            &mask,
            s.label,
            s.minimum_roi_dimensions,
            s.minimum_roi_size,
            mask_path,
        )
        .map_err(|e| match e {
            crate::error::Error::Roi { mask, detail } => crate::error::Error::Roi {
                mask,
                detail: format!("after resampling to resampledPixelSpacing {spacing:?}: {detail}"),
            },
            other => other,
        })?;
        diagnostics_for(&mut row, "interpolated", &image, &mask, &bb);
    } else {
        // Everything after this point works inside the ROI's bounding box (resegmentation
        // only removes ROI voxels), so only that box is decoded; the whole-image statistics
        // (diagnostics, normalisation) are taken over the file's voxels in the same order as
        // on a decoded image, giving the same numbers. (`preCrop` then changes nothing.)
        // Unscaled integer voxels (always finite) give exact sums in one pass over the file's
        // bytes; other data are decoded and summed with compensation.
        if filtered {
            // PyRadiomics filters the whole image, or with preCrop the ROI box grown by
            // padDistance: that region is decoded.
            crate::limits::check(
                || {
                    format!(
                        "decoding '{}' for the filtered image types ({} voxels as 8-byte values)",
                        image_path.display(),
                        opened.len()
                    )
                },
                opened.len() as u128 * 8,
                "use preCrop or resampling (the filters then see the ROI box and padDistance), or raise --max-memory",
            )?;
            image = if s.pre_crop {
                let cut = opened.crop(&crate::image::padded_box(
                    &bb0,
                    s.pad_distance,
                    opened.geometry.size,
                ))?;
                drop(opened);
                cut
            } else {
                opened.into_volume()?
            };
            mask = if s.pre_crop {
                crop_mask(full_mask, &bb0, s.pad_distance)
            } else {
                full_mask.clone()
            };
        } else {
            image = opened.crop(&bb0)?;
            drop(opened);
            mask = crop_mask(full_mask, &bb0, 0);
        }
        if s.normalize {
            normalize::normalize_with(
                &mut image,
                stats.0,
                sd,
                s.normalize_scale,
                s.remove_outliers,
            );
        }
    }
    let roi_check = |m: &Mask| {
        checks::check_roi(
            m,
            s.label,
            s.minimum_roi_dimensions,
            s.minimum_roi_size,
            mask_path,
        )
    };
    let mut bb = roi_check(&mask)?;
    let mut roi = mask.clone();
    if let Some(range) = s.resegment_range {
        roi = resegment::resegment(&image, &mask, range, s.resegment_mode, mask_path)?;
        bb = roi_check(&roi)?;
    }
    if let Some(k) = s.resegment_outliers {
        // IBSI's outlier filtering, after the range: mean ± k·SD of what the range kept.
        roi = resegment::resegment(
            &image,
            &roi,
            (-k, Some(k)),
            crate::settings::ResegmentMode::Sigma,
            mask_path,
        )?;
        bb = roi_check(&roi)?;
    }
    if s.resegment_range.is_some() || s.resegment_outliers.is_some() {
        row.push((
            "diagnostics_Mask-resegmented_VoxelNum".into(),
            Value::Number(roi.count() as f64),
        ));
    }
    // As PyRadiomics: every class works on the bounding box of the final ROI, without padding;
    // shape uses the mask from before resegmentation (unless resegmentShape) cut to that box.
    let shape_mask = if s.resegment_shape {
        crop_mask(&roi, &bb, 0)
    } else {
        crop_mask(&mask, &bb, 0)
    };
    let roi = crop_mask(&roi, &bb, 0);
    let cut = crop_volume(&image, &bb, 0);
    let region = filtered.then_some((image, bb));
    let image = cut;
    if s.normalize || s.resampled_pixel_spacing.is_some() {
        checks::check_finite_after_preprocessing(
            &image,
            &roi,
            image_path,
            "normalisation and resampling",
        )?;
    }
    Ok(Prepared {
        row,
        image,
        roi,
        shape_mask,
        region,
    })
}

/// The discretised ROI of a case, as the texture classes see it (for matrix dumps and
/// GPU/CPU comparisons).
pub fn case_grey_image(image_path: &Path, mask_path: &Path, params: &Params) -> Result<GreyImage> {
    let p = prepare(image_path, mask_path, params)?;
    grey_image(&p.image, &p.roi, &params.settings)
}

/// Extracts all enabled features of one image/mask pair, building texture matrices with the
/// CPU reference builders (see [`extract_case_on`] for the GPU).
pub fn extract_case(image_path: &Path, mask_path: &Path, params: &Params) -> Result<Row> {
    extract_case_on(image_path, mask_path, params, DeviceChoice::Cpu)
}

/// Extracts all enabled features of one image/mask pair, building texture matrices on
/// `device`. The device actually used (and why the GPU was not, when it was wanted) is
/// recorded in the `diagnostics_Device` column.
pub fn extract_case_on(
    image_path: &Path,
    mask_path: &Path,
    params: &Params,
    device: DeviceChoice,
) -> Result<Row> {
    extract_input_on(
        ImageInput::File(image_path),
        ImageInput::File(mask_path),
        params,
        device,
    )
}

/// As [`extract_case_on`], for an image and mask that may be held in memory (the Python
/// package's arrays): the same steps, checks and columns as on files.
pub fn extract_input_on(
    image: ImageInput<'_>,
    mask: ImageInput<'_>,
    params: &Params,
    device: DeviceChoice,
) -> Result<Row> {
    extract_sequences(
        &[SequenceInput {
            name: None,
            image,
            mask,
        }],
        params,
        device,
    )
}

/// One image/mask pair of a case; `name` (e.g. `T2WI`) prefixes its columns.
#[derive(Debug, Clone, Copy)]
pub struct SequenceInput<'a> {
    /// Sequence name, or `None` for a single-image case (unprefixed columns).
    pub name: Option<&'a str>,
    /// Image (a file, or an image in memory).
    pub image: ImageInput<'a>,
    /// Mask on the image's grid.
    pub mask: ImageInput<'a>,
}

/// A sequence read and preprocessed, its images (the original and the filtered ones)
/// discretised, waiting for their texture matrices.
struct Staged {
    row: Row,
    shape_mask: Mask,
    images: Vec<StagedImage>,
    /// Under `featureNames: ibsi`, every IBSI value (computed while staging) and the device
    /// that built its texture matrices.
    ibsi: Option<(Vec<(String, f64)>, String)>,
}

/// One image of a sequence (the original or a filtered one), discretised on the ROI.
struct StagedImage {
    /// Image type name as PyRadiomics names it (`original`, `wavelet-LLH`): the prefix of
    /// its feature names.
    name: String,
    /// The settings of its image type (custom settings applied).
    settings: Settings,
    /// Voxel spacing of the ROI box.
    spacing: [f64; 3],
    grey: Option<GreyImage>,
    requests: Vec<Request>,
    /// ROI intensities in voxel order, and their discretisation (shared by the first-order
    /// features and the texture classes).
    values: Vec<f64>,
    discretized: Discretized,
}

/// Enabled texture classes in output order.
fn texture_classes(params: &Params) -> Vec<FeatureClass> {
    params
        .feature_classes
        .keys()
        .copied()
        .filter(|c| c.is_texture())
        .collect()
}

/// Discretises the ROI of `image` under `settings` and lists its texture matrices.
fn stage_image(
    name: String,
    image: &Volume,
    roi: &Mask,
    settings: Settings,
    classes: &[FeatureClass],
) -> Result<StagedImage> {
    let values = roi_values(image, roi);
    let (grey, requests, discretized) = if classes.is_empty() {
        let d = discretize::discretize_checked(&values, &settings)?;
        (None, Vec::new(), d)
    } else {
        let (g, d) = grey_image_from(image, roi, &values, &settings)?;
        let requests = classes
            .iter()
            .map(|&c| texture::request(c, &g, &settings))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        crate::matrices::check_memory(&g, &requests)?;
        (Some(g), requests, d)
    };
    Ok(StagedImage {
        name,
        settings,
        spacing: image.geometry.spacing,
        grey,
        requests,
        values,
        discretized,
    })
}

fn stage(
    input: &SequenceInput<'_>,
    mask: &Mask,
    params: &Params,
    config: Row,
    device: DeviceChoice,
) -> Result<Staged> {
    let Prepared {
        row,
        image,
        roi,
        shape_mask,
        region,
    } = prepare_prefixed(input.image, input.mask, mask, params, config)?;
    if params.settings.feature_names == FeatureNames::Ibsi {
        params.check_ibsi_names()?;
        let ibsi = crate::features::ibsi::row::compute(
            &crate::features::ibsi::row::IbsiInput {
                image: &image,
                roi: &roi,
                morphology: &shape_mask,
                region: region.as_ref().map(|(v, bb)| (v, bb)),
                settings: &params.settings,
            },
            device,
        )?;
        return Ok(Staged {
            row,
            shape_mask,
            images: Vec::new(),
            ibsi: Some(ibsi),
        });
    }
    let classes = texture_classes(params);
    let mut images = Vec::new();
    for t in &params.image_types {
        let settings = params.settings_for(t)?;
        if t.kind == crate::settings::ImageTypeKind::Original {
            images.push(stage_image(
                "original".into(),
                &image,
                &roi,
                settings,
                &classes,
            )?);
            continue;
        }
        let (whole, bb) = region
            .as_ref()
            .expect("the filtered region is kept when filtered image types are enabled");
        // Each filtered image is discretised, then released: only its grey levels remain.
        for (name, derived) in crate::filters::derive(t.kind, whole, bb, &roi, &settings)? {
            images.push(
                stage_image(name.clone(), &derived, &roi, settings.clone(), &classes).map_err(
                    |e| match e {
                        crate::error::Error::Compute(m) => {
                            crate::error::Error::Compute(format!("image type {name}: {m}"))
                        }
                        other => other,
                    },
                )?,
            );
        }
    }
    Ok(Staged {
        row,
        shape_mask,
        images,
        ibsi: None,
    })
}

/// Extracts all enabled features of every sequence of one case. All sequences are read and
/// preprocessed first; their texture matrices are then built together (on the GPU: one
/// submission, one read-back). Columns of a named sequence are prefixed with its name
/// (`T2WI_original_glcm_JointEnergy`, `T2WI_diagnostics_Device`). A failure in any sequence
/// fails the case, naming the sequence.
pub fn extract_sequences(
    inputs: &[SequenceInput<'_>],
    params: &Params,
    device: DeviceChoice,
) -> Result<Row> {
    let named = |name: Option<&str>, e: crate::error::Error| match name {
        Some(n) => crate::error::Error::Sequence {
            sequence: n.to_string(),
            source: Box::new(e),
        },
        None => e,
    };
    let config = config_diagnostics(params);
    // Each distinct mask file is read once per case.
    let mut masks: Vec<(ImageInput<'_>, Mask)> = Vec::new();
    let mut staged = Vec::with_capacity(inputs.len());
    for input in inputs {
        let k = match masks.iter().position(|(p, _)| p.same_as(&input.mask)) {
            Some(k) => k,
            None => {
                let m = image_file::read_input_mask(input.image, input.mask, params.settings.label)
                    .map_err(|e| named(input.name, e))?;
                masks.push((input.mask, m));
                masks.len() - 1
            }
        };
        staged.push(
            stage(input, &masks[k].1, params, config.clone(), device)
                .map_err(|e| named(input.name, e))?,
        );
    }
    drop(masks);
    let jobs: Vec<(&GreyImage, &[Request])> = staged
        .iter()
        .flat_map(|s| &s.images)
        .filter_map(|i| i.grey.as_ref().map(|g| (g, i.requests.as_slice())))
        .collect();
    let (built, used) = if jobs.is_empty() {
        (Vec::new(), String::from("cpu"))
    } else {
        build_batch(&jobs, device)
    };
    let mut built = built.into_iter();
    let mut row = Row::new();
    // Sequences sharing a mask usually have identical shape masks: their shape features are
    // computed once and reused (the mask's grid and voxels must match exactly).
    let mut shapes: Vec<(Mask, Vec<(String, f64)>)> = Vec::new();
    for (input, s) in inputs.iter().zip(staged) {
        let matrices: Vec<Vec<Matrix>> = s
            .images
            .iter()
            .map(|i| {
                if i.grey.is_some() {
                    built.next().expect("one matrix set per staged image")
                } else {
                    Vec::new()
                }
            })
            .collect();
        let own = finish(s, matrices, &used, params, &mut shapes);
        match input.name {
            Some(n) => row.extend(own.into_iter().map(|(k, v)| (format!("{n}_{k}"), v))),
            None => row.extend(own),
        }
    }
    Ok(row)
}

/// Shape features of `mask`, reused from `cache` when an identical mask was measured before.
fn shape_features(
    mask: &Mask,
    names: &[String],
    params: &Params,
    cache: &mut Vec<(Mask, Vec<(String, f64)>)>,
) -> Vec<(String, f64)> {
    let same = |m: &Mask| m.geometry == mask.geometry && m.data == mask.data;
    if let Some((_, v)) = cache.iter().find(|(m, _)| same(m)) {
        return v.clone();
    }
    let v = shape::compute(mask, names, params.settings.shape_covariance);
    cache.push((mask.clone(), v.clone()));
    v
}

/// Computes the features of a staged sequence from the texture matrices of its images (one
/// set per image, in order): shape once, then every other class per image, named
/// `<image>_<class>_<feature>`.
fn finish(
    staged: Staged,
    matrices: Vec<Vec<Matrix>>,
    device_used: &str,
    params: &Params,
    shapes: &mut Vec<(Mask, Vec<(String, f64)>)>,
) -> Row {
    let Staged {
        mut row,
        shape_mask,
        images,
        ibsi,
    } = staged;
    if let Some((values, used)) = ibsi {
        row.push(("diagnostics_Device".into(), Value::Text(used)));
        row.extend(values.into_iter().map(|(k, v)| (k, Value::Number(v))));
        return row;
    }
    row.push((
        "diagnostics_Device".into(),
        Value::Text(device_used.to_string()),
    ));
    if let Some(names) = params.feature_classes.get(&FeatureClass::Shape) {
        for (name, v) in shape_features(&shape_mask, names, params, shapes) {
            row.push((format!("original_shape_{name}"), Value::Number(v)));
        }
    }
    let classes = texture_classes(params);
    for (image, matrices) in images.into_iter().zip(matrices) {
        let s = &image.settings;
        let matrices: Vec<(FeatureClass, Matrix)> = classes.iter().copied().zip(matrices).collect();
        // The grey levels present in the ROI, shared by every texture class.
        let present = image
            .grey
            .as_ref()
            .map(|g| g.present_levels())
            .unwrap_or_default();
        for (&class, names) in &params.feature_classes {
            let values = match class {
                FeatureClass::FirstOrder => firstorder::compute(
                    &firstorder::FirstOrderInput {
                        values: &image.values,
                        discretized: &image.discretized,
                        spacing: image.spacing,
                        shift: s.voxel_array_shift,
                    },
                    names,
                ),
                c if c.is_texture() => {
                    let (_, m) = matrices
                        .iter()
                        .find(|(k, _)| *k == c)
                        .expect("a matrix for every enabled texture class");
                    let g = image.grey.as_ref().expect("built with the matrices");
                    texture::features(m, g, &present, s, names)
                }
                _ => continue,
            };
            for (name, v) in values {
                row.push((format!("{}_{class}_{name}", image.name), Value::Number(v)));
            }
        }
    }
    row
}

/// The columns [`extract_sequences`] writes for one sequence under `params`, in order, without
/// the sequence prefix: batch outputs use it to write a stable header before any case is done.
pub fn sequence_columns(params: &Params) -> Vec<String> {
    let s = &params.settings;
    let mut cols: Vec<String> = [
        "diagnostics_Versions_gpurad",
        "diagnostics_Configuration_SettingsHash",
        "diagnostics_Configuration_Settings",
        "diagnostics_Configuration_BinningOrigin",
        "diagnostics_Configuration_EnabledImageTypes",
    ]
    .map(String::from)
    .to_vec();
    let stage_cols = |stage: &str| {
        [
            "Image-{}_Spacing",
            "Image-{}_Size",
            "Image-{}_Mean",
            "Image-{}_Minimum",
            "Image-{}_Maximum",
            "Mask-{}_Spacing",
            "Mask-{}_Size",
            "Mask-{}_BoundingBox",
            "Mask-{}_VoxelNum",
        ]
        .map(|c| format!("diagnostics_{}", c.replace("{}", stage)))
    };
    cols.extend(stage_cols("original"));
    if s.resampled_pixel_spacing.is_some() {
        cols.extend(stage_cols("interpolated"));
    }
    if s.resegment_range.is_some() || s.resegment_outliers.is_some() {
        cols.push("diagnostics_Mask-resegmented_VoxelNum".into());
    }
    cols.push("diagnostics_Device".into());
    if s.feature_names == FeatureNames::Ibsi {
        cols.extend(crate::features::ibsi::row::columns(s));
        return cols;
    }
    if let Some(names) = params.feature_classes.get(&FeatureClass::Shape) {
        cols.extend(names.iter().map(|n| format!("original_shape_{n}")));
    }
    for t in &params.image_types {
        // Settings were checked when the parameters were read.
        let settings = params.settings_for(t).unwrap_or_else(|_| s.clone());
        for image in crate::filters::image_names(t.kind, &settings) {
            for (class, names) in &params.feature_classes {
                if *class != FeatureClass::Shape {
                    cols.extend(names.iter().map(|n| format!("{image}_{class}_{n}")));
                }
            }
        }
    }
    cols
}
