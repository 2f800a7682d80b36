//! Texture matrices (GLCM, GLRLM, GLSZM, GLDM, NGTDM) built from a discretised ROI.
//!
//! The CPU builders here are the reference: integer counts, computed on the ROI bounding box
//! (voxels outside the ROI carry grey level 0 and never count), exactly as PyRadiomics'
//! `cmatrices` extension does. Features are computed from these matrices in f64 by
//! [`crate::features`].

pub mod angles;
pub mod glcm;
pub mod gldm;
pub mod gldzm;
pub mod glrlm;
pub mod glszm;
pub mod gpu;
pub mod neighbourhood;
pub mod ngtdm;
mod padded;

use self::angles::Offset;
use crate::error::Result;
use crate::image::{roi_values, Mask, Volume};
use crate::preprocess::discretize;
use crate::settings::Settings;

/// A discretised ROI on its bounding-box grid: grey level per voxel (1..=`ng`), 0 outside.
#[derive(Debug, Clone)]
pub struct GreyImage {
    /// Grid size (x, y, z).
    pub size: [usize; 3],
    /// Voxel spacing (x, y, z) in mm (used by angle weighting).
    pub spacing: [f64; 3],
    /// Grey level per voxel, x fastest; 0 = outside the ROI.
    pub levels: Vec<u32>,
    /// Highest grey level (bin index) present in the ROI.
    pub ng: u32,
}

impl GreyImage {
    /// Linear index of voxel (x, y, z).
    #[inline]
    pub fn index(&self, x: usize, y: usize, z: usize) -> usize {
        x + self.size[0] * (y + self.size[1] * z)
    }

    /// Grey levels present in the ROI, ascending.
    pub fn present_levels(&self) -> Vec<u32> {
        let mut seen = vec![false; self.ng as usize + 1];
        for &l in &self.levels {
            seen[l as usize] = true;
        }
        (1..=self.ng).filter(|&l| seen[l as usize]).collect()
    }

    /// Number of ROI voxels.
    pub fn roi_count(&self) -> usize {
        self.levels.iter().filter(|&&l| l > 0).count()
    }
}

/// Discretises the ROI of `image` (already cropped to the ROI box) for the texture classes.
///
/// The number of bins is checked before anything is allocated: more than
/// `settings.max_grey_levels` is an error that suggests `binCount` or a wider `binWidth`.
pub fn grey_image(image: &Volume, roi: &Mask, settings: &Settings) -> Result<GreyImage> {
    let values = roi_values(image, roi);
    Ok(grey_image_from(image, roi, &values, settings)?.0)
}

/// As [`grey_image`], from the ROI's intensities `values` already gathered in voxel order
/// ([`roi_values`]); also returns their discretisation (which first-order features use).
pub fn grey_image_from(
    image: &Volume,
    roi: &Mask,
    values: &[f64],
    settings: &Settings,
) -> Result<(GreyImage, discretize::Discretized)> {
    let d = discretize::discretize_checked(values, settings)?;
    let mut levels = vec![0u32; roi.data.len()];
    let mut it = d.levels.iter();
    for (l, &m) in levels.iter_mut().zip(&roi.data) {
        if m {
            *l = *it.next().expect("one level per ROI voxel");
        }
    }
    let ng = d.levels.iter().copied().max().unwrap_or(0);
    let grey = GreyImage {
        size: image.geometry.size,
        spacing: image.geometry.spacing,
        levels,
        ng,
    };
    Ok((grey, d))
}

/// Counts accumulated over the z-slices of a box in parallel: `add(z, counts)` adds slice
/// `z`'s contributions. Integer sums do not depend on the order, so the result equals a
/// sequential pass. Runs sequentially when per-thread copies of a large matrix would cost
/// too much memory (over 256 MiB in all).
pub(crate) fn par_slices(
    nz: usize,
    len: usize,
    add: impl Fn(usize, &mut [u64]) + Sync,
) -> Vec<u64> {
    use rayon::prelude::*;
    let parts = rayon::current_num_threads()
        .min(nz)
        .min((256 << 20) / (len * 8).max(1));
    if parts <= 1 {
        let mut acc = vec![0u64; len];
        (0..nz).for_each(|z| add(z, &mut acc));
        return acc;
    }
    // One accumulator per contiguous block of slices (never one per slice: large matrices).
    (0..parts)
        .into_par_iter()
        .map(|p| {
            let mut acc = vec![0u64; len];
            (p * nz / parts..(p + 1) * nz / parts).for_each(|z| add(z, &mut acc));
            acc
        })
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        })
        .expect("at least two parts")
}

/// One texture matrix to build, with its neighbour directions.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Per-direction co-occurrence counts.
    Glcm(Vec<Offset>),
    /// Per-direction run-length counts.
    Glrlm(Vec<Offset>),
    /// Zone-size counts; the directions define connectivity.
    Glszm(Vec<Offset>),
    /// Dependence counts with the largest grey-level difference that still counts (`gldm_a`).
    Gldm(Vec<Offset>, f64),
    /// Neighbourhood grey-tone differences.
    Ngtdm(Vec<Offset>),
}

/// A built texture matrix.
#[derive(Debug, Clone, PartialEq)]
pub enum Matrix {
    /// See [`glcm::Glcm`].
    Glcm(glcm::Glcm),
    /// See [`glrlm::Glrlm`].
    Glrlm(glrlm::Glrlm),
    /// See [`glszm::Glszm`].
    Glszm(glszm::Glszm),
    /// See [`gldm::Gldm`].
    Gldm(gldm::Gldm),
    /// See [`ngtdm::Ngtdm`].
    Ngtdm(ngtdm::Ngtdm),
}

impl Request {
    /// The directions of the request.
    pub fn angles(&self) -> &[Offset] {
        match self {
            Request::Glcm(a)
            | Request::Glrlm(a)
            | Request::Glszm(a)
            | Request::Gldm(a, _)
            | Request::Ngtdm(a) => a,
        }
    }

    /// Upper bound of the memory (bytes) building this matrix for `img` and computing its
    /// features takes: the zero-bordered copy of the box ([`padded::Padded`]), the integer
    /// counts with their per-thread copies ([`par_slices`], at most 256 MiB more) and the f64
    /// matrices of the feature stage.
    pub fn memory_estimate(&self, img: &GreyImage) -> u128 {
        let d = self.angles().len() as u128;
        let ng = img.ng.max(1) as u128;
        let reach = padded::reach(self.angles()) as u128;
        let padded = crate::limits::product(&img.size.map(|s| s as u128 + 2 * reach)) * 4;
        let voxels = img.levels.len() as u128;
        let counts = match self {
            Request::Glcm(_) => d * ng * ng * 8,
            Request::Glrlm(_) => {
                let nr = img.size.iter().copied().max().unwrap_or(1) as u128;
                d * ng * nr * 8
            }
            // Union-find parents and zone sizes on the padded box (counted below), and at
            // most √(2·voxels) distinct zone sizes per grey level.
            Request::Glszm(_) => {
                voxels * 8 + padded * 4 + ng * ((2.0 * voxels as f64).sqrt() as u128 + 1) * 8
            }
            Request::Gldm(..) => ng * (2 * d + 1) * 8,
            Request::Ngtdm(_) => ng * 32 + voxels * 4,
        };
        let threads = rayon::current_num_threads() as u128;
        let copies = counts
            .saturating_mul(threads.saturating_sub(1))
            .min(256 << 20);
        padded
            .saturating_add(counts.saturating_mul(2))
            .saturating_add(copies)
    }

    /// The class name (`glcm`, …).
    pub fn class(&self) -> &'static str {
        match self {
            Request::Glcm(_) => "glcm",
            Request::Glrlm(_) => "glrlm",
            Request::Glszm(_) => "glszm",
            Request::Gldm(..) => "gldm",
            Request::Ngtdm(_) => "ngtdm",
        }
    }
}

/// Checks that building `requests` for `img` fits the memory budget ([`crate::limits`]),
/// naming the largest request and the grey-level count when it does not.
pub fn check_memory(img: &GreyImage, requests: &[Request]) -> Result<()> {
    let total = requests
        .iter()
        .map(|r| r.memory_estimate(img))
        .fold(0u128, u128::saturating_add);
    let largest = requests.iter().max_by_key(|r| r.memory_estimate(img));
    crate::limits::check(
        || {
            let what = largest.map_or(String::new(), |r| {
                format!(
                    ", mostly {} with {} directions",
                    r.class(),
                    r.angles().len()
                )
            });
            format!(
                "the texture matrices of {} grey levels in a ROI box of {}×{}×{} voxels{what}",
                img.ng, img.size[0], img.size[1], img.size[2]
            )
        },
        total,
        "use fewer grey levels (binCount, a larger binWidth, maxGreyLevels) or smaller distances",
    )
}

/// Builds the requested matrices of one image with the CPU builders, in request order; the
/// first GLCM, GLDM and NGTDM requests share one neighbourhood pass when two or three of them
/// have the same directions.
pub fn build_cpu_all(img: &GreyImage, reqs: &[Request]) -> Vec<Matrix> {
    let find = |kind: fn(&Request) -> bool| reqs.iter().position(kind);
    let glcm = find(|r| matches!(r, Request::Glcm(..)));
    let gldm = find(|r| matches!(r, Request::Gldm(..)));
    let ngtdm = find(|r| matches!(r, Request::Ngtdm(..)));
    let angles_of = |k: usize| match &reqs[k] {
        Request::Glcm(a) | Request::Gldm(a, _) | Request::Ngtdm(a) => a,
        _ => unreachable!("found above"),
    };
    // The directions of the first of the three, and which of them share those directions.
    let first = [glcm, gldm, ngtdm].into_iter().flatten().min();
    let same = |k: Option<usize>| -> Option<usize> {
        k.filter(|&k| first.is_some_and(|f| angles_of(k) == angles_of(f)))
    };
    let (glcm, gldm, ngtdm) = (same(glcm), same(gldm), same(ngtdm));
    let fused = [glcm, gldm, ngtdm].iter().flatten().count() >= 2;
    let mut shared = match first {
        Some(f) if fused => {
            let alpha = gldm.map(|k| match &reqs[k] {
                Request::Gldm(_, alpha) => *alpha,
                _ => unreachable!("a GLDM request"),
            });
            neighbourhood::shared_pass(img, angles_of(f), glcm.is_some(), alpha, ngtdm.is_some())
        }
        _ => neighbourhood::Shared::default(),
    };
    reqs.iter()
        .enumerate()
        .map(|(k, r)| {
            let at = Some(k);
            let take = match r {
                Request::Glcm(..) if at == glcm => shared.glcm.take().map(Matrix::Glcm),
                Request::Gldm(..) if at == gldm => shared.gldm.take().map(Matrix::Gldm),
                Request::Ngtdm(..) if at == ngtdm => shared
                    .ngtdm
                    .take()
                    .map(|t| Matrix::Ngtdm(ngtdm::from_table(&t))),
                _ => None,
            };
            take.unwrap_or_else(|| build_cpu(img, r))
        })
        .collect()
}

/// Builds one requested matrix with the CPU reference builders.
pub fn build_cpu(img: &GreyImage, req: &Request) -> Matrix {
    match req {
        Request::Glcm(a) => Matrix::Glcm(glcm::build(img, a)),
        Request::Glrlm(a) => Matrix::Glrlm(glrlm::build(img, a)),
        Request::Glszm(a) => Matrix::Glszm(glszm::build(img, a)),
        Request::Gldm(a, alpha) => Matrix::Gldm(gldm::build(img, a, *alpha)),
        Request::Ngtdm(a) => Matrix::Ngtdm(ngtdm::build(img, a)),
    }
}
