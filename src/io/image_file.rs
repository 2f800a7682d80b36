//! Image files of any supported format, chosen by the file name: a folder is a DICOM series
//! and a `.dcm` file a DICOM RTSTRUCT mask ([`super::dicom`]), `.nrrd` and `.nhdr` are NRRD
//! ([`super::nrrd`]), `.mha` and `.mhd` MetaImage ([`super::metaimage`]), everything else
//! NIfTI (`.nii`, `.nii.gz`; [`super::nifti`],
//! whose errors name the expected formats). Every reader gives the same [`Opened`] image,
//! with the same geometry checks, so the rest of gpurad never sees the format.

use std::path::Path;

use super::memory_image::MemoryImage;
use super::nifti::{self, Opened};
use crate::error::Result;
use crate::image::{Geometry, Mask, Volume};

/// The image formats gpurad reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// NIfTI-1 or NIfTI-2 (`.nii`, `.nii.gz`).
    Nifti,
    /// NRRD (`.nrrd`, or a `.nhdr` header with detached data).
    Nrrd,
    /// MetaImage (`.mha`, or a `.mhd` header with a data file).
    MetaImage,
    /// A folder of DICOM slices: one image series.
    DicomSeries,
    /// One DICOM file (`.dcm`): an RTSTRUCT, as a mask on its image's grid.
    DicomFile,
}

/// The format of `path`, from its name.
pub fn format_of(path: &Path) -> Format {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if path.is_dir() {
        Format::DicomSeries
    } else if name.ends_with(".dcm") {
        Format::DicomFile
    } else if name.ends_with(".nrrd") || name.ends_with(".nhdr") {
        Format::Nrrd
    } else if name.ends_with(".mha") || name.ends_with(".mhd") {
        Format::MetaImage
    } else {
        Format::Nifti
    }
}

/// Reads and checks an image's header and voxel data, without decoding the voxels.
pub fn open(path: &Path) -> Result<Opened<'static>> {
    match format_of(path) {
        Format::Nifti => nifti::open(path),
        Format::Nrrd => super::nrrd::open(path),
        Format::MetaImage => super::metaimage::open(path),
        Format::DicomSeries => super::dicom::read_series(path),
        Format::DicomFile => Err(single_dicom(path)),
    }
}

/// The voxel grid of an image from its header alone.
pub fn read_geometry(path: &Path) -> Result<Geometry> {
    match format_of(path) {
        Format::Nifti => nifti::read_geometry(path),
        Format::Nrrd => super::nrrd::read_geometry(path),
        Format::MetaImage => super::metaimage::read_geometry(path),
        Format::DicomSeries => Ok(super::dicom::read_series(path)?.geometry),
        Format::DicomFile => Err(single_dicom(path)),
    }
}

/// Reads an image into a [`Volume`] of f64 values, within the memory budget.
pub fn read_volume(path: &Path) -> Result<Volume> {
    open(path)?.into_checked_volume(path)
}

/// Reads a label image and selects the voxels equal to `label` as the ROI.
pub fn read_mask(path: &Path, label: i64) -> Result<Mask> {
    open(path)?.into_mask(label, path)
}

/// The ROI of `mask_path` for the image `image_path`: a label image's voxels equal to
/// `label`, or a DICOM RTSTRUCT's or SEG's only ROI on the image's grid (with several,
/// `gpurad convert --roi NAME` chooses one).
pub fn read_mask_for(image_path: &Path, mask_path: &Path, label: i64) -> Result<Mask> {
    match format_of(mask_path) {
        Format::DicomFile => {
            super::dicom::read_mask_file(mask_path, &read_geometry(image_path)?, None)
        }
        _ => read_mask(mask_path, label),
    }
}

/// An image to read: a file of any supported format, or one held in memory.
#[derive(Debug, Clone, Copy)]
pub enum ImageInput<'a> {
    /// A file (or a DICOM series folder).
    File(&'a Path),
    /// An image in memory (an array handed over by a caller).
    Memory(&'a MemoryImage<'a>),
}

impl<'a> ImageInput<'a> {
    /// The path (or, in memory, the name) it is called by in messages.
    pub fn path(&self) -> &'a Path {
        match self {
            ImageInput::File(p) => p,
            ImageInput::Memory(m) => m.name(),
        }
    }

    /// Its header and voxel data, not decoded (see [`open`]).
    pub fn open(&self) -> Result<Opened<'a>> {
        match self {
            ImageInput::File(p) => open(p),
            ImageInput::Memory(m) => Ok(m.open()),
        }
    }

    /// Its voxel grid, from the header alone (see [`read_geometry`]).
    pub fn geometry(&self) -> Result<Geometry> {
        match self {
            ImageInput::File(p) => read_geometry(p),
            ImageInput::Memory(m) => Ok(m.geometry().clone()),
        }
    }

    /// True when both are the same file, or the same image in memory.
    pub fn same_as(&self, other: &ImageInput<'_>) -> bool {
        match (self, other) {
            (ImageInput::File(a), ImageInput::File(b)) => a == b,
            (ImageInput::Memory(a), ImageInput::Memory(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

/// The ROI of `mask` for `image`, as [`read_mask_for`] gives it for files; a mask in memory
/// is a label image.
pub fn read_input_mask(image: ImageInput<'_>, mask: ImageInput<'_>, label: i64) -> Result<Mask> {
    match (image, mask) {
        (ImageInput::File(i), ImageInput::File(m)) => read_mask_for(i, m, label),
        (_, ImageInput::File(m)) if format_of(m) == Format::DicomFile => {
            super::dicom::read_mask_file(m, &image.geometry()?, None)
        }
        (_, m) => m.open()?.into_mask(label, m.path()),
    }
}

/// The error for a single DICOM file given as an image.
fn single_dicom(path: &Path) -> crate::error::Error {
    crate::error::Error::Image {
        path: path.to_path_buf(),
        format: "DICOM",
        cause:
            "a single DICOM file is read as an RTSTRUCT mask; give an image series as its folder"
                .into(),
    }
}

/// The distinct non-zero label values present in a label image (for error messages).
pub fn labels_present(path: &Path) -> Result<Vec<f64>> {
    let v = read_volume(path)?;
    let mut labels: Vec<f64> = v.data.into_iter().filter(|x| *x != 0.0).collect();
    labels.sort_by(f64::total_cmp);
    labels.dedup();
    Ok(labels)
}
