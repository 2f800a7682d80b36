//! DICOM input through dicom-rs: an image series (a folder of single-frame slices) and an
//! RTSTRUCT's contours rasterised on that series' grid.
//!
//! **Series** (DICOM PS3.3 C.7.6.2, Image Plane Module): the slices of one
//! `SeriesInstanceUID` are sorted along the slice normal `n = row × column` of
//! `ImageOrientationPatient` by the projection of `ImagePositionPatient`; the grid's x axis
//! runs along a row (spacing `PixelSpacing[1]`), y along a column (`PixelSpacing[0]`), z
//! along `n` with the distance between consecutive slices, which must be uniform (within
//! 1 % of the spacing); positions off the normal (gantry tilt) are refused. The origin is
//! the first slice's position, in DICOM's patient coordinates (LPS, as gpurad's grid).
//! Voxel values are `stored · RescaleSlope + RescaleIntercept`, kept as 16- or 32-bit
//! integers when those are integers, else 64-bit floats. Only uncompressed transfer syntaxes
//! are read; a compressed one is an error naming it.
//!
//! **SEG** (PS3.3 C.8.20): a segment chosen by label or number; each of its frames
//! (`PlanePositionSequence` per frame, `SegmentIdentificationSequence` per frame or shared
//! by all) must lie on a slice of the image grid, in its orientation and spacing; BINARY frames are
//! bit-packed across frame boundaries (first pixel in the lowest bit), FRACTIONAL ones keep
//! the voxels at or above half the maximum fractional value.
//!
//! **RTSTRUCT** (PS3.3 C.8.8.6): the ROI is chosen by name (`StructureSetROISequence`); each
//! `CLOSED_PLANAR` contour lies on one slice of the grid (its points' z index, rounded); a
//! voxel is inside when its centre is inside the contour's polygon (even–odd rule in the
//! slice's index coordinates), and contours of one slice combine by exclusive or, so that a
//! contour inside another is a hole.

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::{open_file, DefaultDicomObject, InMemDicomObject};
use nifti::NiftiType;

use super::nifti::Opened;
use crate::error::{Error, Result};
use crate::image::{Geometry, Mask};

/// Largest DICOM file read (a single slice is a few megabytes).
const MAX_FILE: u64 = 1 << 30;

fn bad(path: &Path, cause: impl Into<String>) -> Error {
    Error::Image {
        path: path.to_path_buf(),
        format: "DICOM",
        cause: cause.into(),
    }
}

/// Opens one DICOM file, within the size limit.
fn open(path: &Path) -> Result<DefaultDicomObject> {
    let (_, len) = crate::limits::open_regular(path, "DICOM file")?;
    if len > MAX_FILE {
        return Err(bad(
            path,
            format!("{len} bytes: larger than a DICOM slice can be"),
        ));
    }
    open_file(path).map_err(|e| bad(path, format!("not a DICOM file: {e}")))
}

fn text(obj: &InMemDicomObject, tag: dicom_object::Tag) -> Option<String> {
    obj.element(tag)
        .ok()
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim().trim_end_matches('\0').to_string())
}

fn floats(
    path: &Path,
    obj: &InMemDicomObject,
    tag: dicom_object::Tag,
    what: &str,
    n: usize,
) -> Result<Vec<f64>> {
    let v = obj
        .element(tag)
        .map_err(|_| bad(path, format!("no {what}")))?
        .to_multi_float64()
        .map_err(|e| bad(path, format!("{what}: {e}")))?;
    if v.len() != n || v.iter().any(|x| !x.is_finite()) {
        return Err(bad(
            path,
            format!("{what} must be {n} finite numbers, got {v:?}"),
        ));
    }
    Ok(v)
}

fn int(path: &Path, obj: &InMemDicomObject, tag: dicom_object::Tag, what: &str) -> Result<i64> {
    obj.element(tag)
        .map_err(|_| bad(path, format!("no {what}")))?
        .to_int::<i64>()
        .map_err(|e| bad(path, format!("{what}: {e}")))
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// One slice of a series.
struct Slice {
    path: PathBuf,
    position: [f64; 3],
    values: Vec<f64>,
}

/// Reads the image series in folder `dir` (every regular file that is a DICOM image; other
/// files, such as an RTSTRUCT, are skipped).
///
/// # Errors
/// No image, several series, slices that disagree (orientation, size, spacing), a gantry
/// tilt or non-uniform slice spacing, compressed pixel data, or an unreadable file.
pub fn read_series(dir: &Path) -> Result<Opened<'static>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|cause| Error::Io {
            path: dir.to_path_buf(),
            cause,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    let mut series: Option<String> = None;
    let mut orientation: Option<[f64; 6]> = None;
    let mut grid: Option<(usize, usize, [f64; 2])> = None;
    let mut slices = Vec::new();
    for path in &entries {
        let Ok(obj) = open_file(path) else { continue };
        if obj.element(tags::PIXEL_DATA).is_err() {
            continue;
        }
        let ts = obj
            .meta()
            .transfer_syntax()
            .trim_end_matches('\0')
            .to_string();
        if !matches!(
            ts.as_str(),
            "1.2.840.10008.1.2" | "1.2.840.10008.1.2.1" | "1.2.840.10008.1.2.2"
        ) {
            return Err(bad(
                path,
                format!("transfer syntax {ts} is compressed; gpurad reads uncompressed DICOM (convert with e.g. gdcmconv --raw)"),
            ));
        }
        let uid = text(&obj, tags::SERIES_INSTANCE_UID).unwrap_or_default();
        match &series {
            None => series = Some(uid),
            Some(s) if *s != uid => {
                return Err(bad(
                    dir,
                    format!("the folder holds more than one series ({s} and {uid}); give a folder of one series"),
                ))
            }
            _ => {}
        }
        let iop = floats(
            path,
            &obj,
            tags::IMAGE_ORIENTATION_PATIENT,
            "ImageOrientationPatient",
            6,
        )?;
        let iop: [f64; 6] = iop.try_into().expect("six values");
        match orientation {
            None => orientation = Some(iop),
            Some(o) if o.iter().zip(&iop).any(|(a, b)| (a - b).abs() > 1e-4) => {
                return Err(bad(
                    path,
                    "its ImageOrientationPatient differs from the other slices'",
                ))
            }
            _ => {}
        }
        let ipp = floats(
            path,
            &obj,
            tags::IMAGE_POSITION_PATIENT,
            "ImagePositionPatient",
            3,
        )?;
        let ps = floats(path, &obj, tags::PIXEL_SPACING, "PixelSpacing", 2)?;
        let rows = int(path, &obj, tags::ROWS, "Rows")?;
        let cols = int(path, &obj, tags::COLUMNS, "Columns")?;
        if !(1..=65535).contains(&rows)
            || !(1..=65535).contains(&cols)
            || ps.iter().any(|s| *s <= 0.0)
        {
            return Err(bad(path, format!("{cols}×{rows} pixels of spacing {ps:?}")));
        }
        let (rows, cols) = (rows as usize, cols as usize);
        match grid {
            None => grid = Some((cols, rows, [ps[0], ps[1]])),
            Some((c, r, s))
                if c != cols
                    || r != rows
                    || (s[0] - ps[0]).abs() > 1e-6
                    || (s[1] - ps[1]).abs() > 1e-6 =>
            {
                return Err(bad(
                    path,
                    "its size or pixel spacing differs from the other slices'",
                ))
            }
            _ => {}
        }
        let samples = obj
            .element(tags::SAMPLES_PER_PIXEL)
            .ok()
            .and_then(|e| e.to_int::<i64>().ok())
            .unwrap_or(1);
        if samples != 1 {
            return Err(bad(
                path,
                format!("{samples} samples per pixel: gpurad reads grey-scale images"),
            ));
        }
        let bits = int(path, &obj, tags::BITS_ALLOCATED, "BitsAllocated")?;
        let signed = obj
            .element(tags::PIXEL_REPRESENTATION)
            .ok()
            .and_then(|e| e.to_int::<i64>().ok())
            .unwrap_or(0)
            == 1;
        let slope = obj
            .element(tags::RESCALE_SLOPE)
            .ok()
            .and_then(|e| e.to_float64().ok())
            .unwrap_or(1.0);
        let intercept = obj
            .element(tags::RESCALE_INTERCEPT)
            .ok()
            .and_then(|e| e.to_float64().ok())
            .unwrap_or(0.0);
        let big = ts == "1.2.840.10008.1.2.2";
        let data = obj
            .element(tags::PIXEL_DATA)
            .map_err(|e| bad(path, format!("pixel data: {e}")))?
            .to_bytes()
            .map_err(|e| bad(path, format!("pixel data: {e}")))?;
        let n = rows * cols;
        // The decoded series (8 bytes a voxel, twice while it is assembled) is checked
        // against the memory budget slice by slice, before this slice is decoded.
        crate::limits::check(
            || {
                format!(
                    "the series in '{}' ({cols}×{rows} pixels × {} slices so far)",
                    dir.display(),
                    slices.len() + 1
                )
            },
            (slices.len() as u128 + 1) * n as u128 * 16,
            "raise --max-memory for a series this large",
        )?;
        let width = match bits {
            8 => 1,
            16 => 2,
            32 => 4,
            other => {
                return Err(bad(
                    path,
                    format!("{other} bits allocated (8, 16 or 32 are read)"),
                ))
            }
        };
        if data.len() < n * width {
            return Err(bad(
                path,
                format!(
                    "pixel data of {} bytes for {cols}×{rows} pixels of {bits} bits",
                    data.len()
                ),
            ));
        }
        let values: Vec<f64> = data[..n * width]
            .chunks_exact(width)
            .map(|b| {
                let raw = match (width, signed) {
                    (1, false) => b[0] as f64,
                    (1, true) => b[0] as i8 as f64,
                    (2, s) => {
                        let a = [b[0], b[1]];
                        let u = if big {
                            u16::from_be_bytes(a)
                        } else {
                            u16::from_le_bytes(a)
                        };
                        if s {
                            u as i16 as f64
                        } else {
                            u as f64
                        }
                    }
                    (_, s) => {
                        let a = [b[0], b[1], b[2], b[3]];
                        let u = if big {
                            u32::from_be_bytes(a)
                        } else {
                            u32::from_le_bytes(a)
                        };
                        if s {
                            u as i32 as f64
                        } else {
                            u as f64
                        }
                    }
                };
                raw * slope + intercept
            })
            .collect();
        slices.push(Slice {
            path: path.clone(),
            position: [ipp[0], ipp[1], ipp[2]],
            values,
        });
    }
    let (Some(o), Some((cols, rows, ps))) = (orientation, grid) else {
        return Err(bad(dir, "no DICOM image in the folder"));
    };
    let row_dir = [o[0], o[1], o[2]];
    let col_dir = [o[3], o[4], o[5]];
    let normal = cross(row_dir, col_dir);
    slices.sort_by(|a, b| dot(a.position, normal).total_cmp(&dot(b.position, normal)));
    let z = slices.len();
    let spacing_z = if z > 1 {
        let gaps: Vec<f64> = slices
            .windows(2)
            .map(|w| dot(w[1].position, normal) - dot(w[0].position, normal))
            .collect();
        let mut sorted = gaps.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        if median <= 0.0 {
            return Err(bad(dir, "two slices share a position"));
        }
        for (k, (w, g)) in slices.windows(2).zip(&gaps).enumerate() {
            if (g - median).abs() > 0.01 * median {
                return Err(bad(
                    &w[1].path,
                    format!("slice spacing {g} mm differs from the series' {median} mm (slice {k}): non-uniform spacing is not read"),
                ));
            }
            let step = [
                w[1].position[0] - w[0].position[0],
                w[1].position[1] - w[0].position[1],
                w[1].position[2] - w[0].position[2],
            ];
            let off = cross(step, normal);
            if dot(off, off).sqrt() > 0.01 * g {
                return Err(bad(
                    &w[1].path,
                    "slice positions are not along the slice normal (gantry tilt): not read",
                ));
            }
        }
        median
    } else {
        obj_slice_thickness(&slices[0].path).unwrap_or(1.0)
    };
    let geometry = Geometry {
        size: [cols, rows, z],
        spacing: [ps[1], ps[0], spacing_z],
        origin: slices[0].position,
        direction: [
            [row_dir[0], col_dir[0], normal[0]],
            [row_dir[1], col_dir[1], normal[1]],
            [row_dir[2], col_dir[2], normal[2]],
        ],
    };
    let total = geometry.len();
    crate::limits::check(
        || {
            format!(
                "the series in '{}' ({cols}×{rows}×{z} voxels)",
                dir.display()
            )
        },
        total as u128 * 8,
        "raise --max-memory for a series this large",
    )?;
    let all: Vec<f64> = slices.into_iter().flat_map(|s| s.values).collect();
    // Integers stay integers (as SimpleITK reads a CT series), others are f64.
    let integral = all.iter().all(|v| v.fract() == 0.0);
    let (datatype, bytes): (NiftiType, Vec<u8>) = if integral
        && all
            .iter()
            .all(|v| (i16::MIN as f64..=i16::MAX as f64).contains(v))
    {
        (
            NiftiType::Int16,
            all.iter().flat_map(|&v| (v as i16).to_le_bytes()).collect(),
        )
    } else if integral
        && all
            .iter()
            .all(|v| (i32::MIN as f64..=i32::MAX as f64).contains(v))
    {
        (
            NiftiType::Int32,
            all.iter().flat_map(|&v| (v as i32).to_le_bytes()).collect(),
        )
    } else {
        (
            NiftiType::Float64,
            all.iter().flat_map(|&v| v.to_le_bytes()).collect(),
        )
    };
    Ok(Opened::from_parts(bytes.into(), datatype, false, geometry))
}

/// `SliceThickness` of a single-slice series.
fn obj_slice_thickness(path: &Path) -> Option<f64> {
    let obj = open_file(path).ok()?;
    obj.element(tags::SLICE_THICKNESS)
        .ok()?
        .to_float64()
        .ok()
        .filter(|t| *t > 0.0)
}

/// The names of the ROIs of an RTSTRUCT file.
pub fn rtstruct_roi_names(path: &Path) -> Result<Vec<String>> {
    let obj = open(path)?;
    Ok(structure_rois(&obj).into_iter().map(|(_, n)| n).collect())
}

/// (number, label) of each item of sequence `seq` (structures of an RTSTRUCT, segments of a
/// SEG).
fn numbered_items(
    obj: &InMemDicomObject,
    seq: dicom_object::Tag,
    number: dicom_object::Tag,
    label: dicom_object::Tag,
) -> Vec<(i64, String)> {
    obj.element(seq)
        .ok()
        .and_then(|e| e.items())
        .map(|items| {
            items
                .iter()
                .filter_map(|it| {
                    let n = it.element(number).ok()?.to_int::<i64>().ok()?;
                    Some((n, text(it, label).unwrap_or_default()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// (ROI number, name) of each structure.
fn structure_rois(obj: &InMemDicomObject) -> Vec<(i64, String)> {
    numbered_items(
        obj,
        tags::STRUCTURE_SET_ROI_SEQUENCE,
        tags::ROI_NUMBER,
        tags::ROI_NAME,
    )
}

/// The number of the item of `items` (number, label) named `wanted` (its label, or with
/// `by_number` its number too), or the only item when `wanted` is `None`; errors list the
/// items, `kind` (ROI, segment) naming them.
fn choose(
    path: &Path,
    items: &[(i64, String)],
    wanted: Option<&str>,
    kind: &str,
    by_number: bool,
) -> Result<i64> {
    let listed: Vec<String> = items
        .iter()
        .map(|(n, l)| {
            if by_number {
                format!("{n} '{l}'")
            } else {
                l.clone()
            }
        })
        .collect();
    match wanted {
        Some(w) => items
            .iter()
            .find(|(n, l)| l == w || (by_number && n.to_string() == w))
            .map(|(n, _)| *n)
            .ok_or_else(|| {
                bad(
                    path,
                    format!("no {kind} '{w}' ({kind}s: {})", listed.join(", ")),
                )
            }),
        None if items.len() == 1 => Ok(items[0].0),
        None => Err(bad(
            path,
            format!(
                "{} {kind}s: choose one with --roi ({kind}s: {})",
                items.len(),
                listed.join(", ")
            ),
        )),
    }
}

/// Whether point (x, y) is inside the polygon `poly` (even–odd rule).
fn inside(poly: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut c = false;
    let n = poly.len();
    let mut j = n - 1;
    for i in 0..n {
        let (xi, yi) = poly[i];
        let (xj, yj) = poly[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            c = !c;
        }
        j = i;
    }
    c
}

/// The mask of a DICOM segmentation file on `geometry` (the image series' grid): an
/// RTSTRUCT's ROI ([`read_rtstruct`]) or a SEG's segment ([`read_seg`]), chosen by `roi`
/// (name, or a SEG segment's number; the only one when `None`).
pub fn read_mask_file(path: &Path, geometry: &Geometry, roi: Option<&str>) -> Result<Mask> {
    let obj = open(path)?;
    match text(&obj, tags::MODALITY).as_deref() {
        Some("SEG") => seg_mask(path, &obj, geometry, roi),
        Some("RTSTRUCT") | None => read_rtstruct(path, geometry, roi),
        Some(other) => Err(bad(
            path,
            format!("modality {other}: a mask is an RTSTRUCT or a SEG file"),
        )),
    }
}

/// Reads segment `segment` (label or number; the only one when `None`) of the DICOM-SEG
/// `path` on `geometry`.
///
/// # Errors
/// As [`read_mask_file`], and frames that do not lie on the grid's slices.
pub fn read_seg(path: &Path, geometry: &Geometry, segment: Option<&str>) -> Result<Mask> {
    let obj = open(path)?;
    seg_mask(path, &obj, geometry, segment)
}

fn first_item(obj: &InMemDicomObject, tag: dicom_object::Tag) -> Option<&InMemDicomObject> {
    obj.element(tag).ok()?.items()?.first()
}

fn seg_mask(
    path: &Path,
    obj: &InMemDicomObject,
    g: &Geometry,
    segment: Option<&str>,
) -> Result<Mask> {
    let segments = numbered_items(
        obj,
        tags::SEGMENT_SEQUENCE,
        tags::SEGMENT_NUMBER,
        tags::SEGMENT_LABEL,
    );
    let number = choose(path, &segments, segment, "segment", true)?;
    let rows = int(path, obj, tags::ROWS, "Rows")? as usize;
    let cols = int(path, obj, tags::COLUMNS, "Columns")? as usize;
    let [nx, ny, nz] = g.size;
    if rows != ny || cols != nx {
        return Err(bad(
            path,
            format!("frames of {cols}×{rows} pixels on an image of {nx}×{ny}"),
        ));
    }
    let bits = int(path, obj, tags::BITS_ALLOCATED, "BitsAllocated")?;
    let fractional = text(obj, tags::SEGMENTATION_TYPE).as_deref() == Some("FRACTIONAL");
    let max_fraction = obj
        .element(tags::MAXIMUM_FRACTIONAL_VALUE)
        .ok()
        .and_then(|e| e.to_int::<i64>().ok())
        .unwrap_or(255) as f64;
    if !(bits == 1 && !fractional || bits == 8 && fractional) {
        return Err(bad(
            path,
            format!(
                "{bits} bits allocated for a {} segmentation",
                if fractional { "FRACTIONAL" } else { "BINARY" }
            ),
        ));
    }
    let frames = obj
        .element(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .ok()
        .and_then(|e| e.items())
        .ok_or_else(|| bad(path, "no PerFrameFunctionalGroupsSequence"))?;
    let data = obj
        .element(tags::PIXEL_DATA)
        .map_err(|_| bad(path, "no pixel data"))?
        .to_bytes()
        .map_err(|e| bad(path, format!("pixel data: {e}")))?;
    let per_frame = rows * cols;
    let needed_bits = frames.len() * per_frame * bits as usize;
    if data.len() * 8 < needed_bits {
        return Err(bad(
            path,
            format!(
                "pixel data of {} bytes for {} frames",
                data.len(),
                frames.len()
            ),
        ));
    }
    let mut mask = crate::limits::zeroed_vec::<bool>(g.len(), || {
        format!("the mask of '{}' ({} voxels)", path.display(), g.len())
    })?;
    // A functional group common to every frame sits in the shared groups instead.
    let shared = first_item(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
    let segment_of = |item: &InMemDicomObject| {
        first_item(item, tags::SEGMENT_IDENTIFICATION_SEQUENCE)
            .and_then(|s| s.element(tags::REFERENCED_SEGMENT_NUMBER).ok())
            .and_then(|e| e.to_int::<i64>().ok())
    };
    let orientation_of = |item: &InMemDicomObject| {
        first_item(item, tags::PLANE_ORIENTATION_SEQUENCE)
            .and_then(|p| p.element(tags::IMAGE_ORIENTATION_PATIENT).ok())
            .and_then(|e| e.to_multi_float64().ok())
    };
    if let Some(o) = shared.and_then(orientation_of) {
        let grid = [
            g.direction[0][0],
            g.direction[1][0],
            g.direction[2][0],
            g.direction[0][1],
            g.direction[1][1],
            g.direction[2][1],
        ];
        if o.len() != 6 || o.iter().zip(grid).any(|(a, b)| (a - b).abs() > 1e-4) {
            return Err(bad(
                path,
                format!("its frames' orientation {o:?} is not the image grid's {grid:?}"),
            ));
        }
    }
    for (f, item) in frames.iter().enumerate() {
        let seg = segment_of(item).or_else(|| shared.and_then(segment_of));
        if seg != Some(number) {
            continue;
        }
        let pos = first_item(item, tags::PLANE_POSITION_SEQUENCE)
            .and_then(|p| p.element(tags::IMAGE_POSITION_PATIENT).ok())
            .and_then(|e| e.to_multi_float64().ok())
            .filter(|v| v.len() == 3)
            .ok_or_else(|| bad(path, format!("frame {} has no ImagePositionPatient", f + 1)))?;
        let idx = g.physical_to_index([pos[0], pos[1], pos[2]]);
        let k = idx[2].round();
        if idx[0].abs() > 0.01
            || idx[1].abs() > 0.01
            || (idx[2] - k).abs() > 0.01
            || k < 0.0
            || k >= nz as f64
        {
            return Err(bad(
                path,
                format!(
                    "frame {} at index {idx:?} does not lie on a slice of the image grid",
                    f + 1
                ),
            ));
        }
        let k = k as usize;
        for p in 0..per_frame {
            let on = if bits == 1 {
                let bit = f * per_frame + p;
                data[bit / 8] >> (bit % 8) & 1 == 1
            } else {
                data[f * per_frame + p] as f64 >= 0.5 * max_fraction
            };
            if on {
                mask[k * per_frame + p] = true;
            }
        }
    }
    Ok(Mask {
        geometry: g.clone(),
        data: mask,
    })
}

/// Rasterises ROI `roi` (by name; the only one when `None`) of the RTSTRUCT `path` on
/// `geometry` (the image series' grid).
///
/// # Errors
/// An unreadable file, an unknown ROI (the names are listed), several ROIs and no name, a
/// contour off the grid's slices, or no contour.
pub fn read_rtstruct(path: &Path, geometry: &Geometry, roi: Option<&str>) -> Result<Mask> {
    let obj = open(path)?;
    let number = choose(path, &structure_rois(&obj), roi, "ROI", false)?;
    let contours = obj
        .element(tags::ROI_CONTOUR_SEQUENCE)
        .ok()
        .and_then(|e| e.items())
        .and_then(|items| {
            items.iter().find(|it| {
                it.element(tags::REFERENCED_ROI_NUMBER)
                    .ok()
                    .and_then(|e| e.to_int::<i64>().ok())
                    == Some(number)
            })
        })
        .and_then(|it| it.element(tags::CONTOUR_SEQUENCE).ok())
        .and_then(|e| e.items())
        .ok_or_else(|| bad(path, format!("ROI {number} has no contours")))?;
    let g = geometry;
    let [nx, ny, nz] = g.size;
    let mut data = crate::limits::zeroed_vec::<bool>(g.len(), || {
        format!("the mask of '{}' ({} voxels)", path.display(), g.len())
    })?;
    let mut drawn = 0;
    for c in contours {
        let kind = text(c, tags::CONTOUR_GEOMETRIC_TYPE).unwrap_or_default();
        if kind != "CLOSED_PLANAR" {
            continue;
        }
        let pts = c
            .element(tags::CONTOUR_DATA)
            .map_err(|_| bad(path, "a contour without ContourData"))?
            .to_multi_float64()
            .map_err(|e| bad(path, format!("ContourData: {e}")))?;
        if pts.len() < 9 || pts.len() % 3 != 0 || pts.iter().any(|v| !v.is_finite()) {
            return Err(bad(path, format!("a contour of {} coordinates", pts.len())));
        }
        let idx: Vec<[f64; 3]> = pts
            .chunks_exact(3)
            .map(|p| g.physical_to_index([p[0], p[1], p[2]]))
            .collect();
        let zk = idx.iter().map(|p| p[2]).sum::<f64>() / idx.len() as f64;
        let k = zk.round();
        if (zk - k).abs() > 0.1 || k < 0.0 || k >= nz as f64 {
            return Err(bad(
                path,
                format!("a contour at slice index {zk:.3}, not on one of the image's {nz} slices"),
            ));
        }
        let k = k as usize;
        let poly: Vec<(f64, f64)> = idx.iter().map(|p| (p[0], p[1])).collect();
        let (x0, x1) = poly
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.0), b.max(p.0))
            });
        let (y0, y1) = poly
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
        // Voxel centres inside the polygon's bounding box, clipped to the grid.
        let span = |lo: f64, hi: f64, n: usize| -> Option<std::ops::RangeInclusive<usize>> {
            let a = lo.ceil().max(0.0);
            let b = hi.floor().min(n as f64 - 1.0);
            (a <= b).then_some(a as usize..=b as usize)
        };
        let (Some(xs), Some(ys)) = (span(x0, x1, nx), span(y0, y1, ny)) else {
            drawn += 1;
            continue;
        };
        for y in ys {
            for x in xs.clone() {
                if inside(&poly, x as f64, y as f64) {
                    let v = &mut data[(k * ny + y) * nx + x];
                    *v = !*v;
                }
            }
        }
        drawn += 1;
    }
    if drawn == 0 {
        return Err(bad(
            path,
            format!("ROI {number} has no closed planar contour"),
        ));
    }
    Ok(Mask {
        geometry: geometry.clone(),
        data,
    })
}
