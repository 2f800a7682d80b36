//! A synthetic multi-centre spine-MRI cohort written as real NIfTI files: the built-in demo
//! data of gpurad.
//!
//! The cohort imitates the retrospective studies that tell a spinal metastasis from a primary
//! spinal tumour on routine lumbar MRI with a radiomics nomogram: sagittal T1-weighted,
//! T2-weighted and fat-suppressed T2-weighted series, one segmented tumour per patient, age
//! and serum alkaline phosphatase (ALP) as clinical predictors, a LASSO Radscore combined
//! with them in a logistic nomogram, and a training centre with an external validation
//! centre, the design of Huang et al., *J Clin Oncol* 34:2157 (2016). Nothing in it comes
//! from a real patient.
//!
//! # Generative model
//!
//! * **Outcome** `metastatic` ~ Bernoulli(0.45).
//! * **Clinical**: age ~ N(58, 10) years for primary tumours and N(65, 10) for metastases
//!   (whole years); ALP log-normal with median 86 U/L (log-sd 0.40) and 118 U/L (log-sd
//!   0.45), as osteoblastic activity raises it. The cut-offs age > 60 and ALP > 120 U/L each
//!   carry modest information (population AUC of the two together ≈ 0.71).
//! * **Grid**: sagittal slices, 128 × 128 voxels of 0.7 × 0.7 mm, 12–16 slices of 4 mm,
//!   LPS orientation x → posterior, y → inferior, z → right; int16 images and a uint8 mask
//!   with the same sform and qform.
//! * **Anatomy**: vertebral bodies as rounded boxes (cortical rim, marrow with a trabecular
//!   texture) separated by discs (annulus and nucleus), a dural sac of CSF behind them and
//!   soft tissue around, whose fat/muscle mix follows a smooth random field. Sizes, spacing,
//!   lordotic tilt and position vary per patient.
//! * **Tumour**: one irregular blob inside a vertebral body, an ellipsoid whose radius is
//!   perturbed by low-frequency value noise (more irregular for metastases), scaled to
//!   about 1,650–5,600 voxels and reduced to its largest 6-connected component; the mask
//!   (label 1) is the blob, with a partial-volume rim.
//! * **Tumour appearance** follows latent scores. A heterogeneity score and a signal score
//!   per sequence are each the sum of a class effect (with a sequence-specific weight), a
//!   per-patient part shared by the three sequences and a sequence-specific part.
//!   Heterogeneity shortens the correlation length of the internal texture and raises its
//!   contrast; the signal score shifts the mean (metastases darker on T1WI, brighter on T2WI
//!   and FS-T2WI); a third score sets the fraction of dark, sclerotic foci. The classes
//!   overlap widely, so that single features are only moderately discriminative.
//! * **Contrast** per sequence as described for marrow-replacing lesions (Shah & Salzman,
//!   *Int J Surg Oncol* 2011:769753): on T1WI fatty marrow is bright and the tumour
//!   hypointense; on T2WI the tumour and CSF are bright; on FS-T2WI fat and marrow are dark
//!   and the tumour bright.
//! * **Acquisition**: a smooth multiplicative coil bias field (the model corrected by N3,
//!   Sled et al., *IEEE Trans Med Imaging* 17:87, 1998), Rician noise (the magnitude of the
//!   signal plus complex noise, Gudbjartsson & Patz, *Magn Reson Med* 34:910, 1995; the
//!   per-voxel deviates are standardised sums of four uniforms, a close and fast
//!   approximation of the normal) and a per-exam gain.
//! * **Centres**: the first `train_fraction` of patients come from centre A (`train`), the
//!   rest from centre B (`validation`), whose scanner has another intensity scale and offset
//!   per sequence, more noise and a stronger bias field.
//!
//! Every random number comes from xoshiro256** streams seeded by SplitMix64 from the seed,
//! the patient index and a stream number, and transcendental functions come from `libm`, so
//! a seed gives the same files on every platform and with any number of threads.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::image::Geometry;
use crate::io::nifti_write::write_volume;

/// Sequence names, in the order of the manifest's image columns.
pub const SEQUENCES: [&str; 3] = ["T1WI", "T2WI", "FST2WI"];

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    /// Number of patients (at least 1).
    pub patients: usize,
    /// Seed of every random draw: the same seed gives the same files.
    pub seed: u64,
    /// Fraction of patients (the first ones, rounded) in the training cohort from centre A;
    /// the others form the external validation cohort from centre B. Between 0 and 1.
    pub train_fraction: f64,
}

impl Default for SynthOptions {
    /// 200 patients, seed 20261127, half of them for training.
    fn default() -> Self {
        SynthOptions {
            patients: 200,
            seed: 20261127,
            train_fraction: 0.5,
        }
    }
}

/// What [`synthesize`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSummary {
    /// The manifest CSV (`DIR/manifest.csv`).
    pub manifest: PathBuf,
    /// Number of patients.
    pub patients: usize,
    /// Patients in the training cohort (centre A).
    pub train: usize,
    /// Patients in the validation cohort (centre B).
    pub validation: usize,
    /// Patients with the outcome (`metastatic` = 1).
    pub events: usize,
}

/// Writes a synthetic cohort: `DIR/images/<ID>_T1WI.nii.gz`, `<ID>_T2WI.nii.gz`,
/// `<ID>_FST2WI.nii.gz`, `DIR/images/<ID>_mask.nii.gz` and `DIR/manifest.csv`.
///
/// The manifest's columns are `ID,Image_T1WI,Image_T2WI,Image_FST2WI,Mask,age,alp,
/// metastatic,cohort,centre`, with image paths relative to `DIR`; IDs are `P0001`, `P0002`,
/// … Patients are rendered and written in parallel; the files depend only on `options`.
pub fn synthesize(dir: &Path, options: &SynthOptions) -> Result<SynthSummary> {
    check_options(options)?;
    let images = dir.join("images");
    std::fs::create_dir_all(&images).map_err(|cause| Error::Write {
        path: images.clone(),
        cause,
    })?;
    let n = options.patients;
    let n_train = train_count(options);
    let patients: Vec<Patient> = (0..n)
        .map(|i| Patient::draw(options.seed, i, n, i < n_train))
        .collect();
    patients
        .par_iter()
        .map(|p| write_patient(&images, p))
        .collect::<Result<Vec<()>>>()?;
    let manifest = dir.join("manifest.csv");
    crate::io::output::write(&manifest, manifest_text(&patients))?;
    Ok(SynthSummary {
        manifest,
        patients: n,
        train: n_train,
        validation: n - n_train,
        events: patients.iter().filter(|p| p.metastatic).count(),
    })
}

fn check_options(o: &SynthOptions) -> Result<()> {
    if o.patients == 0 {
        return Err(Error::Settings(
            "a synthetic cohort needs at least one patient".into(),
        ));
    }
    if !(0.0..=1.0).contains(&o.train_fraction) {
        return Err(Error::Settings(format!(
            "train fraction {} must lie between 0 and 1",
            o.train_fraction
        )));
    }
    // Every patient is drawn before the files are written, and the manifest is built in
    // memory: well under a kilobyte each.
    crate::limits::check(
        || format!("a synthetic cohort of {} patients", o.patients),
        o.patients as u128 * 1024,
        "ask for fewer patients",
    )
}

fn train_count(o: &SynthOptions) -> usize {
    ((o.patients as f64 * o.train_fraction).round() as usize).min(o.patients)
}

fn manifest_text(patients: &[Patient]) -> String {
    let mut s = String::from(
        "ID,Image_T1WI,Image_T2WI,Image_FST2WI,Mask,age,alp,metastatic,cohort,centre\n",
    );
    for p in patients {
        let images: Vec<String> = SEQUENCES
            .iter()
            .map(|q| format!("images/{}", file_name(&p.id, q)))
            .collect();
        s.push_str(&format!(
            "{},{},images/{},{},{:.1},{},{},{}\n",
            p.id,
            images.join(","),
            file_name(&p.id, "mask"),
            p.age,
            p.alp,
            u8::from(p.metastatic),
            if p.centre == Centre::A {
                "train"
            } else {
                "validation"
            },
            p.centre.label(),
        ));
    }
    s
}

fn file_name(id: &str, part: &str) -> String {
    format!("{id}_{part}.nii.gz")
}

fn write_patient(images: &Path, p: &Patient) -> Result<()> {
    let r = render(p);
    for (q, volume) in SEQUENCES.iter().zip(&r.images) {
        write_volume(&images.join(file_name(&p.id, q)), &r.geometry, volume)?;
    }
    write_volume(&images.join(file_name(&p.id, "mask")), &r.geometry, &r.mask)
}

// ---------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------

/// xoshiro256** ([`crate::rng::Xoshiro256`]) with polar Box–Muller normal deviates.
struct Rng {
    core: crate::rng::Xoshiro256,
    spare: Option<f64>,
}

impl Rng {
    /// The generator of one `stream` of one patient, independent of all others.
    fn stream(seed: u64, patient: usize, stream: u64) -> Rng {
        Rng {
            core: crate::rng::Xoshiro256::stream(seed, patient as u64, stream),
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.core.next_u64()
    }

    /// Uniform on [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal (Marsaglia's polar form of Box–Muller; the second deviate of each pair
    /// is kept for the next call).
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = libm::sqrt(-2.0 * libm::log(s) / s);
                self.spare = Some(v * f);
                return u * f;
            }
        }
    }
}

impl Rng {
    /// A fast, nearly normal deviate for per-voxel thermal noise: the standardised sum of four
    /// 16-bit uniforms (Irwin–Hall; unit variance, excess kurtosis −0.3, tails cut at ±3.5).
    fn noise(&mut self) -> f64 {
        let r = self.next_u64();
        let sum = (r & 0xFFFF) + ((r >> 16) & 0xFFFF) + ((r >> 32) & 0xFFFF) + (r >> 48);
        // Mean 4 · 65535/2, variance 4 · (65536² − 1)/12 ≈ 65536²/3.
        (sum as f64 - 131_070.0) * (3.0f64.sqrt() / 65_536.0)
    }
}

/// Streams of a patient's random numbers.
const STREAM_PATIENT: u64 = 0;
const STREAM_FIELDS: u64 = 1;
const STREAM_SHAPE: u64 = 2;
const STREAM_FOCI: u64 = 3;
const STREAM_NOISE: u64 = 10;

// ---------------------------------------------------------------------------------------
// Smooth random fields
// ---------------------------------------------------------------------------------------

/// Value noise: standard normal values on a regular lattice, interpolated with smoothstep
/// weights; a smooth random field whose correlation length is about one lattice step.
struct ValueNoise {
    lo: [f64; 3],
    step: [f64; 3],
    dims: [usize; 3],
    values: Vec<f32>,
}

impl ValueNoise {
    /// A field covering the box `lo..hi` (outside it the border values extend).
    fn new(rng: &mut Rng, lo: [f64; 3], hi: [f64; 3], step: [f64; 3]) -> Self {
        let dims = [0, 1, 2].map(|a| ((hi[a] - lo[a]) / step[a]).max(0.0).ceil() as usize + 2);
        let values = (0..dims[0] * dims[1] * dims[2])
            .map(|_| rng.normal() as f32)
            .collect();
        ValueNoise {
            lo,
            step,
            dims,
            values,
        }
    }

    fn at(&self, p: [f64; 3]) -> f64 {
        let mut base = [0usize; 3];
        let mut t = [0.0f64; 3];
        for a in 0..3 {
            let x = ((p[a] - self.lo[a]) / self.step[a]).clamp(0.0, (self.dims[a] - 2) as f64);
            base[a] = (x as usize).min(self.dims[a] - 2);
            let f = x - base[a] as f64;
            t[a] = f * f * (3.0 - 2.0 * f);
        }
        let [nx, ny, _] = self.dims;
        let v = |dx: usize, dy: usize, dz: usize| {
            self.values[(base[0] + dx) + nx * ((base[1] + dy) + ny * (base[2] + dz))] as f64
        };
        let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
        let x00 = lerp(v(0, 0, 0), v(1, 0, 0), t[0]);
        let x10 = lerp(v(0, 1, 0), v(1, 1, 0), t[0]);
        let x01 = lerp(v(0, 0, 1), v(1, 0, 1), t[0]);
        let x11 = lerp(v(0, 1, 1), v(1, 1, 1), t[0]);
        lerp(lerp(x00, x10, t[1]), lerp(x01, x11, t[1]), t[2])
    }
}

// ---------------------------------------------------------------------------------------
// Patients
// ---------------------------------------------------------------------------------------

/// Prevalence of metastasis.
const PREVALENCE: f64 = 0.45;
/// In-plane grid size and the voxel spacing (mm) along x (AP), y (SI), z (slices, LR).
const NX: usize = 128;
const NY: usize = 128;
const SPACING: [f64; 3] = [0.7, 0.7, 4.0];
/// Field of view along AP and SI (mm, voxel centre to voxel centre).
const FOV: [f64; 2] = [(NX - 1) as f64 * SPACING[0], (NY - 1) as f64 * SPACING[1]];
/// Range of tumour sizes (voxels) the generator aims at.
const TUMOUR_VOXELS: (f64, f64) = (1800.0, 5200.0);

/// Acquisition centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Centre {
    A,
    B,
}

impl Centre {
    fn label(self) -> &'static str {
        match self {
            Centre::A => "A",
            Centre::B => "B",
        }
    }

    /// How the centre's scanner turns tissue signal into stored integers.
    fn scanner(self) -> Scanner {
        match self {
            Centre::A => Scanner {
                scale: [1.0, 1.0, 1.0],
                offset: [0.0, 0.0, 0.0],
                noise: 14.0,
                bias: 0.10,
            },
            Centre::B => Scanner {
                scale: [1.35, 0.8, 1.5],
                offset: [60.0, 25.0, 40.0],
                noise: 24.0,
                bias: 0.28,
            },
        }
    }
}

/// A scanner: per-sequence scale and offset of stored values, noise standard deviation (in
/// tissue-signal units, where marrow on T1WI is about 620) and bias-field strength.
struct Scanner {
    scale: [f64; 3],
    offset: [f64; 3],
    noise: f64,
    bias: f64,
}

/// The lumbar spine of one patient, in millimetres of the local frame (u: anterior →
/// posterior, v: superior → inferior, w: slice direction).
#[derive(Debug, Clone)]
struct Spine {
    /// Anterior edge of the vertebral bodies (u).
    anterior: f64,
    /// Antero-posterior depth of the bodies.
    depth: f64,
    /// Half of the bodies' left-right width.
    half_width: f64,
    /// Mid-sagittal plane (w).
    midline: f64,
    /// Height of a vertebral body.
    height: f64,
    /// Height of a disc.
    disc: f64,
    /// Superior edge (v) of the first body.
    phase: f64,
    /// Lordotic tilt: antero-posterior shift per millimetre down the spine.
    tilt: f64,
}

impl Spine {
    fn period(&self) -> f64 {
        self.height + self.disc
    }

    fn centre_u(&self) -> f64 {
        self.anterior + 0.5 * self.depth
    }

    /// Local point in the frame that follows the tilt of the spine.
    fn straighten(&self, p: [f64; 3]) -> [f64; 3] {
        [p[0] - self.tilt * (p[1] - 0.5 * FOV[1]), p[1], p[2]]
    }

    /// Centre (v) of the vertebral body nearest to `v`.
    fn body_centre(&self, v: f64) -> f64 {
        let first = self.phase + 0.5 * self.height;
        first + ((v - first) / self.period()).round() * self.period()
    }

    /// Centres of the bodies that lie wholly inside the field of view, 3 mm from its edges.
    fn whole_bodies(&self) -> Vec<f64> {
        (-2..=4)
            .map(|n| self.phase + 0.5 * self.height + n as f64 * self.period())
            .filter(|c| c - 0.5 * self.height >= 3.0 && c + 0.5 * self.height <= FOV[1] - 3.0)
            .collect()
    }
}

/// The tumour: centre (straightened frame, mm), radii (mm) and irregularity.
#[derive(Debug, Clone)]
struct Tumour {
    centre: [f64; 3],
    radii: [f64; 3],
    irregularity: f64,
    target_voxels: f64,
}

/// Appearance of the tumour on one sequence.
#[derive(Debug, Clone)]
struct Look {
    /// Correlation length of the internal texture (mm).
    corr_len: f64,
    /// Relative amplitude of the texture.
    amplitude: f64,
    /// Relative shift of the mean signal.
    mean_shift: f64,
}

/// Per sequence: weight of the class effect on heterogeneity and on mean signal, and the
/// direction of the mean shift of metastases.
const HETEROGENEITY_WEIGHT: [f64; 3] = [0.6, 1.0, 0.8];
const SIGNAL_WEIGHT: [f64; 3] = [1.0, 0.5, 0.7];
const SIGNAL_SIGN: [f64; 3] = [-1.0, 1.0, 1.0];
/// Class effects (in standard deviations of the shared per-patient variation).
const HETEROGENEITY_EFFECT: f64 = 1.1;
const SIGNAL_EFFECT: f64 = 0.9;
const FOCI_EFFECT: f64 = 0.9;
/// Standard deviation of the sequence-specific part of the latent scores.
const SEQUENCE_SD: f64 = 0.7;

/// Everything drawn for one patient before rendering.
#[derive(Debug, Clone)]
struct Patient {
    index: usize,
    id: String,
    centre: Centre,
    metastatic: bool,
    age: u32,
    alp: f64,
    slices: usize,
    origin: [f64; 3],
    gain: f64,
    bias: [f64; 5],
    spine: Spine,
    tumour: Tumour,
    looks: [Look; 3],
    foci_fraction: f64,
    seed: u64,
}

impl Patient {
    /// Draws patient `index` of `n` (all patient-level randomness comes from one stream).
    fn draw(seed: u64, index: usize, n: usize, train: bool) -> Patient {
        let mut rng = Rng::stream(seed, index, STREAM_PATIENT);
        let metastatic = rng.uniform() < PREVALENCE;
        let y = f64::from(u8::from(metastatic));
        let (age, alp) = clinical(&mut rng, metastatic);
        let slices = 12 + (rng.uniform() * 5.0) as usize;
        let spine = draw_spine(&mut rng, slices);
        let tumour = draw_tumour(&mut rng, &spine, y);
        let looks = draw_looks(&mut rng, y);
        let foci_fraction = 0.14 * normal_cdf(FOCI_EFFECT * y + rng.normal() - 1.2);
        let origin = [
            2.0 * (slices - 1) as f64 + rng.range(-3.0, 3.0),
            -45.0 + rng.range(-5.0, 5.0),
            55.0 + rng.range(-8.0, 8.0),
        ];
        let gain = libm::exp(0.1 * rng.normal());
        let bias = [0; 5].map(|_| 0.5 * rng.normal());
        let width = n.to_string().len().max(4);
        Patient {
            index,
            id: format!("P{:0width$}", index + 1),
            centre: if train { Centre::A } else { Centre::B },
            metastatic,
            age,
            alp,
            slices,
            origin,
            gain,
            bias,
            spine,
            tumour,
            looks,
            foci_fraction,
            seed,
        }
    }

    /// The voxel grid: x → posterior, y → inferior, z → right (LPS directions).
    fn geometry(&self) -> Geometry {
        Geometry {
            size: [NX, NY, self.slices],
            spacing: SPACING,
            origin: self.origin,
            direction: [[0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, -1.0, 0.0]],
        }
    }

    fn rng(&self, stream: u64) -> Rng {
        Rng::stream(self.seed, self.index, stream)
    }
}

fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
}

/// Age (whole years) and ALP (U/L, one decimal).
fn clinical(rng: &mut Rng, metastatic: bool) -> (u32, f64) {
    let (age_mean, alp_median, alp_sd) = if metastatic {
        (65.0, 118.0, 0.45)
    } else {
        (58.0, 86.0, 0.40)
    };
    let age = (age_mean + 10.0 * rng.normal()).clamp(18.0, 92.0).round() as u32;
    let alp = libm::exp(libm::log(alp_median) + alp_sd * rng.normal()).clamp(25.0, 1500.0);
    (age, (alp * 10.0).round() / 10.0)
}

fn draw_spine(rng: &mut Rng, slices: usize) -> Spine {
    let height = rng.range(25.0, 29.0);
    let disc = rng.range(8.0, 11.0);
    Spine {
        anterior: rng.range(14.0, 22.0),
        depth: rng.range(31.0, 37.0),
        half_width: rng.range(19.0, 23.0),
        midline: 2.0 * (slices - 1) as f64 + rng.range(-2.0, 2.0),
        height,
        disc,
        phase: rng.range(-height - disc, 0.0),
        tilt: rng.range(-0.12, 0.12),
    }
}

fn draw_tumour(rng: &mut Rng, spine: &Spine, y: f64) -> Tumour {
    let (lo, hi) = TUMOUR_VOXELS;
    let target = libm::exp(rng.range(libm::log(lo), libm::log(hi)));
    let volume = target * SPACING.iter().product::<f64>();
    let r = libm::cbrt(3.0 * volume / (4.0 * PI));
    let rv = (r * rng.range(0.8, 1.0)).min(0.5 * spine.height - 1.5);
    let ru = (r * rng.range(0.95, 1.2)).min(0.5 * spine.depth - 2.0);
    let rw = (3.0 * volume / (4.0 * PI * ru * rv)).min(spine.half_width - 1.5);
    let bodies = spine.whole_bodies();
    let body = bodies[((rng.uniform() * bodies.len() as f64) as usize).min(bodies.len() - 1)];
    let centre = [
        spine.centre_u() + rng.range(-1.0, 1.0) * (0.5 * spine.depth - ru - 2.0).max(0.0),
        body + rng.range(-1.0, 1.0) * (0.5 * spine.height - rv - 1.5).max(0.0),
        spine.midline + rng.range(-1.0, 1.0) * (spine.half_width - rw - 2.0).max(0.0),
    ];
    let irregularity = (0.14 + 0.05 * (0.8 * y + rng.normal())).clamp(0.04, 0.3);
    Tumour {
        centre,
        radii: [ru, rv, rw],
        irregularity,
        target_voxels: target,
    }
}

fn draw_looks(rng: &mut Rng, y: f64) -> [Look; 3] {
    let shared_h = rng.normal();
    let shared_m = rng.normal();
    [0, 1, 2].map(|q| {
        let h = HETEROGENEITY_EFFECT * HETEROGENEITY_WEIGHT[q] * y
            + shared_h
            + SEQUENCE_SD * rng.normal();
        let m = SIGNAL_EFFECT * SIGNAL_WEIGHT[q] * y + shared_m + SEQUENCE_SD * rng.normal();
        Look {
            corr_len: (3.0 * libm::exp(-0.3 * h)).clamp(1.0, 8.0),
            amplitude: (0.10 * libm::exp(0.3 * h)).clamp(0.03, 0.4),
            mean_shift: SIGNAL_SIGN[q] * 0.07 * m,
        }
    })
}

// ---------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------

/// Tissue classes of the anatomy.
const MARROW: usize = 0;
const CORTEX: usize = 1;
const ANNULUS: usize = 2;
const NUCLEUS: usize = 3;
const CSF: usize = 4;
const MUSCLE: usize = 5;
const FAT: usize = 6;
const TUMOUR: usize = 7;
const TISSUES: usize = 8;

/// Signal of each tissue on T1WI, T2WI and FS-T2WI (arbitrary units).
const SIGNAL: [[f64; 3]; TISSUES] = [
    [620.0, 420.0, 110.0],  // marrow
    [90.0, 70.0, 50.0],     // cortical bone
    [300.0, 280.0, 220.0],  // annulus fibrosus
    [330.0, 720.0, 600.0],  // nucleus pulposus
    [160.0, 1000.0, 900.0], // CSF
    [330.0, 230.0, 170.0],  // muscle
    [900.0, 700.0, 70.0],   // fat
    [330.0, 640.0, 560.0],  // tumour (before its per-patient look)
];
/// How much a sclerotic focus darkens the tumour on each sequence.
const FOCI_DEPTH: [f64; 3] = [0.6, 0.65, 0.7];

/// A rendered patient: three int16 images and the uint8 mask on one grid.
struct Rendered {
    geometry: Geometry,
    images: [Vec<i16>; 3],
    mask: Vec<u8>,
}

/// Voxel-wise tissue fractions and the fields shared by the three sequences.
struct Anatomy {
    weights: Vec<[f32; TISSUES]>,
    marrow_texture: Vec<f32>,
    foci: Vec<f32>,
    bias: Vec<f32>,
    tumour: Raster,
}

fn render(p: &Patient) -> Rendered {
    let geometry = p.geometry();
    let anatomy = anatomy(p);
    let images = [0, 1, 2].map(|q| render_sequence(p, &anatomy, q));
    Rendered {
        geometry,
        images,
        mask: anatomy.tumour.mask,
    }
}

/// Local position (mm) of voxel (i, j, k).
fn local(i: usize, j: usize, k: usize) -> [f64; 3] {
    [
        i as f64 * SPACING[0],
        j as f64 * SPACING[1],
        k as f64 * SPACING[2],
    ]
}

fn voxel_index(i: usize, j: usize, k: usize) -> usize {
    i + NX * (j + NY * k)
}

/// Linear ramp from 0 (r ≥ 1 + edge/2) to 1 (r ≤ 1 − edge/2): a partial-volume edge.
fn inside(r: f64, edge: f64) -> f64 {
    (0.5 + (1.0 - r) / edge).clamp(0.0, 1.0)
}

/// A cheap sigmoid from 0 to 1 (0.5 at 0).
fn soft_step(x: f64) -> f64 {
    0.5 + 0.5 * x / (1.0 + x.abs())
}

fn anatomy(p: &Patient) -> Anatomy {
    let mut rng = p.rng(STREAM_FIELDS);
    let n = NX * NY * p.slices;
    let hi = local(NX - 1, NY - 1, p.slices - 1);
    let marrow_field = ValueNoise::new(&mut rng, [0.0; 3], hi, [2.5, 2.5, 4.0]);
    let fat_field = ValueNoise::new(&mut rng, [0.0; 3], hi, [9.0, 9.0, 12.0]);
    let tumour = rasterize_tumour(p);
    let foci = foci(p, &tumour);
    let mut weights = vec![[0f32; TISSUES]; n];
    let mut marrow_texture = vec![0f32; n];
    for k in 0..p.slices {
        for j in 0..NY {
            for i in 0..NX {
                let v = voxel_index(i, j, k);
                let x = local(i, j, k);
                let mut w = tissue_weights(&p.spine, x, || fat_field.at(x));
                let t = f64::from(tumour.weight[v]);
                if t > 0.0 {
                    w.iter_mut().for_each(|a| *a *= 1.0 - t);
                    w[TUMOUR] = t;
                }
                weights[v] = w.map(|a| a as f32);
                marrow_texture[v] = if w[MARROW] > 0.0 {
                    (1.0 + 0.06 * marrow_field.at(x)) as f32
                } else {
                    1.0
                };
            }
        }
    }
    Anatomy {
        weights,
        marrow_texture,
        foci,
        bias: bias_field(&p.bias, p.centre.scanner().bias, p.slices),
        tumour,
    }
}

/// [`inside`] for the rounded box `|a|⁶ + |b|⁶ + |c|⁶ ≤ scale⁶`, given the sum of sixth
/// powers (the root is taken only on the edge).
fn inside_box(sum6: f64, scale: f64, edge: f64) -> f64 {
    if sum6 <= (scale * (1.0 - 0.5 * edge)).powi(6) {
        1.0
    } else if sum6 >= (scale * (1.0 + 0.5 * edge)).powi(6) {
        0.0
    } else {
        inside(libm::cbrt(libm::sqrt(sum6)) / scale, edge)
    }
}

/// Tissue fractions at local point `x`; `fat` gives the soft-tissue fat/muscle field there
/// (called only where there is soft tissue).
fn tissue_weights(s: &Spine, x: [f64; 3], fat: impl FnOnce() -> f64) -> [f64; TISSUES] {
    let [u, v, w] = s.straighten(x);
    let a = (u - s.centre_u()) / (0.5 * s.depth);
    let c = (w - s.midline) / s.half_width;
    let body_v = s.body_centre(v);
    let b = (v - body_v) / (0.5 * s.height);
    let body6 = a.powi(6) + b.powi(6) + c.powi(6);
    let body = inside_box(body6, 1.0, 0.06);
    let marrow = inside_box(body6, 0.92, 0.06);
    // The disc nearest to v, slightly taller than the gap so that it meets the endplates.
    let disc_v = body_v + (v - body_v).signum() * 0.5 * s.period();
    let bd = (v - disc_v) / (0.5 * s.disc + 0.7);
    let (ad, cd) = (a * 1.03, c * 1.03);
    let disc = inside_box(ad.powi(6) + bd.powi(6) + cd.powi(6), 1.0, 0.08) * (1.0 - body);
    let r_nucleus = libm::sqrt((ad / 0.55).powi(2) + (bd / 0.6).powi(2) + (cd / 0.6).powi(2));
    let nucleus = disc * inside(r_nucleus, 0.25);
    let canal_u = s.anterior + s.depth + 9.0;
    let r_canal = libm::sqrt(((u - canal_u) / 6.5).powi(2) + ((w - s.midline) / 8.0).powi(2));
    let csf = inside(r_canal, 0.15) * (1.0 - body - disc).max(0.0);
    let rest = (1.0 - body - disc - csf).max(0.0);
    // Epidural and subcutaneous fat, muscle in front of and behind the spine.
    let region = if u > s.anterior + s.depth && u < canal_u {
        1.0
    } else if u > canal_u + 8.0 {
        -0.6
    } else {
        -0.2
    };
    let fat = if rest > 0.0 {
        rest * soft_step(3.0 * (fat() + region))
    } else {
        0.0
    };
    let mut out = [0.0; TISSUES];
    out[MARROW] = marrow;
    out[CORTEX] = body - marrow;
    out[ANNULUS] = disc - nucleus;
    out[NUCLEUS] = nucleus;
    out[CSF] = csf;
    out[MUSCLE] = rest - fat;
    out[FAT] = fat;
    out
}

/// Multiplicative coil sensitivity, voxel by voxel: a smooth low-order field, brighter
/// posteriorly, of the given strength.
fn bias_field(coef: &[f64; 5], strength: f64, slices: usize) -> Vec<f32> {
    let unit = |i: usize, n: usize| 2.0 * i as f64 / (n - 1).max(1) as f64 - 1.0;
    let mut plane = Vec::with_capacity(NX * NY);
    for j in 0..NY {
        let v = unit(j, NY);
        for i in 0..NX {
            let u = unit(i, NX);
            let g =
                (0.6 + coef[0]) * u + coef[1] * v + coef[2] * u * v + coef[3] * (v * v - 1.0 / 3.0);
            plane.push(libm::exp(strength * g));
        }
    }
    let mut out = Vec::with_capacity(NX * NY * slices);
    for k in 0..slices {
        let across = libm::exp(strength * 0.3 * coef[4] * unit(k, slices));
        out.extend(plane.iter().map(|&b| (b * across) as f32));
    }
    out
}

/// The tumour on the grid: the mask (0/1), a partial-volume weight (0 outside the mask) and
/// the bounding box of the mask.
struct Raster {
    mask: Vec<u8>,
    weight: Vec<f32>,
    lo: [usize; 3],
    hi: [usize; 3],
}

/// Rasterises the tumour, rescaling its radii until its size is within 8 % of the target.
fn rasterize_tumour(p: &Patient) -> Raster {
    let shape = ValueNoise::new(&mut p.rng(STREAM_SHAPE), [-1.8; 3], [1.8; 3], [0.55; 3]);
    let mut tumour = p.tumour.clone();
    let mut raster = raster_once(p, &tumour, &shape);
    for _ in 0..8 {
        let count = raster.mask.iter().filter(|&&m| m == 1).count() as f64;
        let ratio = tumour.target_voxels / count.max(1.0);
        if (ratio - 1.0).abs() < 0.08 {
            break;
        }
        tumour.radii = tumour.radii.map(|r| r * libm::cbrt(ratio));
        raster = raster_once(p, &tumour, &shape);
    }
    raster
}

fn raster_once(p: &Patient, t: &Tumour, shape: &ValueNoise) -> Raster {
    let n = NX * NY * p.slices;
    let reach = 1.7;
    let (lo, hi) = search_box(p, t, reach);
    let level = |x: [f64; 3]| {
        let y = p.spine.straighten(x);
        let q = [0, 1, 2].map(|a| (y[a] - t.centre[a]) / t.radii[a]);
        let r = libm::sqrt(q.iter().map(|c| c * c).sum());
        r - t.irregularity * shape.at(q).clamp(-2.0, 2.0)
    };
    let mut levels = vec![f64::INFINITY; n];
    for k in lo[2]..hi[2] {
        for j in lo[1]..hi[1] {
            for i in lo[0]..hi[0] {
                levels[voxel_index(i, j, k)] = level(local(i, j, k));
            }
        }
    }
    let mask = largest_component(&levels, p.slices);
    let weight = levels
        .iter()
        .zip(&mask)
        .map(|(&l, &m)| {
            if m == 1 {
                inside(l, 0.2).max(0.5) as f32
            } else {
                0.0
            }
        })
        .collect();
    let (lo, hi) = bounding_box(&mask);
    Raster {
        mask,
        weight,
        lo,
        hi,
    }
}

/// Voxel box (lo inclusive, hi exclusive) that holds every point within `reach` radii of the
/// tumour centre, tilt included.
fn search_box(p: &Patient, t: &Tumour, reach: f64) -> ([usize; 3], [usize; 3]) {
    let dims = [NX, NY, p.slices];
    let v_span = reach * t.radii[1];
    let u_shift = p.spine.tilt.abs() * (v_span + (t.centre[1] - 0.5 * FOV[1]).abs());
    let half = [reach * t.radii[0] + u_shift, v_span, reach * t.radii[2]];
    let mut lo = [0usize; 3];
    let mut hi = [0usize; 3];
    for a in 0..3 {
        let centre = if a == 0 {
            t.centre[0] + p.spine.tilt * (t.centre[1] - 0.5 * FOV[1])
        } else {
            t.centre[a]
        };
        let first = ((centre - half[a]) / SPACING[a]).floor().max(0.0) as usize;
        let last = ((centre + half[a]) / SPACING[a]).ceil().max(0.0) as usize + 1;
        lo[a] = first.min(dims[a]);
        hi[a] = last.min(dims[a]);
    }
    (lo, hi)
}

/// The largest 6-connected component of the voxels with level < 1, as a 0/1 mask.
fn largest_component(levels: &[f64], slices: usize) -> Vec<u8> {
    let n = levels.len();
    let mut label = vec![0u32; n];
    let mut best = (0u32, 0usize);
    let mut next = 0u32;
    let mut stack = Vec::new();
    for start in 0..n {
        if levels[start] >= 1.0 || label[start] != 0 {
            continue;
        }
        next += 1;
        label[start] = next;
        stack.push(start);
        let mut size = 0usize;
        while let Some(v) = stack.pop() {
            size += 1;
            for nb in neighbours(v, slices).into_iter().flatten() {
                if levels[nb] < 1.0 && label[nb] == 0 {
                    label[nb] = next;
                    stack.push(nb);
                }
            }
        }
        if size > best.1 {
            best = (next, size);
        }
    }
    label
        .iter()
        .map(|&l| u8::from(l != 0 && l == best.0))
        .collect()
}

fn neighbours(v: usize, slices: usize) -> [Option<usize>; 6] {
    let (i, j, k) = (v % NX, (v / NX) % NY, v / (NX * NY));
    let plane = NX * NY;
    [
        (i > 0).then(|| v - 1),
        (i + 1 < NX).then(|| v + 1),
        (j > 0).then(|| v - NX),
        (j + 1 < NY).then(|| v + NX),
        (k > 0).then(|| v - plane),
        (k + 1 < slices).then(|| v + plane),
    ]
}

/// Bounding box (lo inclusive, hi exclusive) of a 0/1 mask; empty box at 0 for an empty mask.
fn bounding_box(mask: &[u8]) -> ([usize; 3], [usize; 3]) {
    let mut lo = [usize::MAX; 3];
    let mut hi = [0usize; 3];
    for (v, _) in mask.iter().enumerate().filter(|(_, &m)| m == 1) {
        let c = [v % NX, (v / NX) % NY, v / (NX * NY)];
        for a in 0..3 {
            lo[a] = lo[a].min(c[a]);
            hi[a] = hi[a].max(c[a] + 1);
        }
    }
    if lo[0] == usize::MAX {
        return ([0; 3], [0; 3]);
    }
    (lo, hi)
}

/// Sclerotic foci: the top `foci_fraction` of a fine random field over the tumour, as a soft
/// 0–1 weight (0 outside the tumour).
fn foci(p: &Patient, t: &Raster) -> Vec<f32> {
    let n = NX * NY * p.slices;
    let field = ValueNoise::new(
        &mut p.rng(STREAM_FOCI),
        local(t.lo[0], t.lo[1], t.lo[2]),
        local(t.hi[0], t.hi[1], t.hi[2]),
        [2.0; 3],
    );
    let mut values = vec![f64::NEG_INFINITY; n];
    let mut inside_values = Vec::new();
    for_each_in_box(t, |v, x| {
        if t.mask[v] == 1 {
            values[v] = field.at(x);
            inside_values.push(values[v]);
        }
    });
    if inside_values.is_empty() {
        return vec![0.0; n];
    }
    inside_values.sort_by(f64::total_cmp);
    let at = ((1.0 - p.foci_fraction) * inside_values.len() as f64) as usize;
    let threshold = inside_values[at.min(inside_values.len() - 1)];
    values
        .iter()
        .map(|&f| ((f - threshold) / 0.35).clamp(0.0, 1.0) as f32)
        .collect()
}

/// Calls `f(voxel index, local point)` for every voxel of the tumour's bounding box.
fn for_each_in_box(t: &Raster, mut f: impl FnMut(usize, [f64; 3])) {
    for k in t.lo[2]..t.hi[2] {
        for j in t.lo[1]..t.hi[1] {
            for i in t.lo[0]..t.hi[0] {
                f(voxel_index(i, j, k), local(i, j, k));
            }
        }
    }
}

/// Tumour signal of sequence `q` over its bounding box (0 elsewhere): the base signal with
/// the patient's mean shift, internal texture and sclerotic foci.
fn tumour_signal(p: &Patient, a: &Anatomy, q: usize, rng: &mut Rng) -> Vec<f32> {
    let t = &a.tumour;
    let look = &p.looks[q];
    let (lo, hi) = (
        local(t.lo[0], t.lo[1], t.lo[2]),
        local(t.hi[0], t.hi[1], t.hi[2]),
    );
    let coarse = ValueNoise::new(rng, lo, hi, [look.corr_len; 3]);
    let fine = ValueNoise::new(rng, lo, hi, [0.5 * look.corr_len; 3]);
    let base = SIGNAL[TUMOUR][q] * (1.0 + look.mean_shift);
    let mut out = vec![0f32; a.weights.len()];
    for_each_in_box(t, |v, x| {
        if a.weights[v][TUMOUR] > 0.0 {
            let texture = (coarse.at(x) + 0.5 * fine.at(x)) / 0.75;
            let focus = f64::from(a.foci[v]);
            let s = base * (1.0 + look.amplitude * texture) * (1.0 - FOCI_DEPTH[q] * focus);
            out[v] = s.max(0.0) as f32;
        }
    });
    out
}

/// One sequence: tissue signal, coil bias, Rician noise, then the scanner's scale, offset
/// and the exam's gain, rounded to int16.
fn render_sequence(p: &Patient, a: &Anatomy, q: usize) -> Vec<i16> {
    let mut rng = p.rng(STREAM_NOISE + q as u64);
    let tumour = tumour_signal(p, a, q, &mut rng);
    let scanner = p.centre.scanner();
    let scale = scanner.scale[q] * p.gain;
    a.weights
        .iter()
        .enumerate()
        .map(|(v, w)| {
            let mut s = f64::from(tumour[v]) * f64::from(w[TUMOUR]);
            for (t, &wt) in w.iter().enumerate().take(TUMOUR) {
                let texture = if t == MARROW {
                    f64::from(a.marrow_texture[v])
                } else {
                    1.0
                };
                s += f64::from(wt) * SIGNAL[t][q] * texture;
            }
            s *= f64::from(a.bias[v]);
            let (re, im) = (s + scanner.noise * rng.noise(), scanner.noise * rng.noise());
            let magnitude = libm::sqrt(re * re + im * im);
            // Non-negative, so adding 1/2 and truncating rounds; `as` saturates at i16::MAX.
            (scale * magnitude + scanner.offset[q] + 0.5) as i16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::nifti::{read_mask, read_volume};

    fn small(patients: usize) -> SynthOptions {
        SynthOptions {
            patients,
            seed: 7,
            train_fraction: 0.5,
        }
    }

    #[test]
    fn same_seed_same_bytes() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        synthesize(a.path(), &small(2)).unwrap();
        synthesize(b.path(), &small(2)).unwrap();
        for name in [
            "manifest.csv",
            "images/P0002_T1WI.nii.gz",
            "images/P0002_T2WI.nii.gz",
            "images/P0002_FST2WI.nii.gz",
            "images/P0002_mask.nii.gz",
        ] {
            let read = |d: &Path| std::fs::read(d.join(name)).unwrap();
            assert_eq!(read(a.path()), read(b.path()), "{name} differs");
        }
        let other = SynthOptions {
            seed: 8,
            ..small(2)
        };
        let c = tempfile::tempdir().unwrap();
        synthesize(c.path(), &other).unwrap();
        let t2 = "images/P0002_T2WI.nii.gz";
        assert_ne!(
            std::fs::read(a.path().join(t2)).unwrap(),
            std::fs::read(c.path().join(t2)).unwrap()
        );
    }

    #[test]
    fn manifest_lists_every_patient_with_readable_files() {
        let dir = tempfile::tempdir().unwrap();
        let summary = synthesize(dir.path(), &small(3)).unwrap();
        assert_eq!(
            (summary.patients, summary.train, summary.validation),
            (3, 2, 1)
        );
        let text = std::fs::read_to_string(&summary.manifest).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "ID,Image_T1WI,Image_T2WI,Image_FST2WI,Mask,age,alp,metastatic,cohort,centre"
        );
        assert_eq!(lines.len(), 4);
        let mut events = 0;
        for (n, line) in lines[1..].iter().enumerate() {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 10);
            assert_eq!(f[0], format!("P{:04}", n + 1));
            assert_eq!(f[1], format!("images/{}_T1WI.nii.gz", f[0]));
            assert_eq!(f[4], format!("images/{}_mask.nii.gz", f[0]));
            assert!(f[5].parse::<u32>().is_ok(), "age {}", f[5]);
            assert_eq!(
                f[6].split('.').nth(1).map(str::len),
                Some(1),
                "alp {}",
                f[6]
            );
            assert!(f[7] == "0" || f[7] == "1");
            events += usize::from(f[7] == "1");
            let (cohort, centre) = if n < 2 {
                ("train", "A")
            } else {
                ("validation", "B")
            };
            assert_eq!((f[8], f[9]), (cohort, centre));
            let mask = read_mask(&dir.path().join(f[4]), 1).unwrap();
            for image in &f[1..4] {
                let v = read_volume(&dir.path().join(image)).unwrap();
                assert_eq!(v.geometry, mask.geometry);
                assert_eq!(v.geometry.size[..2], [128, 128]);
                assert!((12..=16).contains(&v.geometry.size[2]));
            }
        }
        assert_eq!(events, summary.events);
    }

    #[test]
    fn tumours_are_single_blobs_of_the_intended_size() {
        for index in 0..12 {
            let p = Patient::draw(3, index, 12, true);
            let r = rasterize_tumour(&p);
            let count = r.mask.iter().filter(|&&m| m == 1).count();
            assert!(
                (1500..=6000).contains(&count),
                "patient {index}: {count} voxels"
            );
            let levels: Vec<f64> = r.mask.iter().map(|&m| 1.0 - f64::from(m)).collect();
            let again = largest_component(&levels, p.slices);
            assert_eq!(again, r.mask, "patient {index}: more than one component");
            // Inside a vertebral body: most of the blob is marrow-bearing bone.
            let in_body = (0..r.mask.len())
                .filter(|&v| r.mask[v] == 1)
                .filter(|&v| {
                    let (i, j, k) = (v % NX, (v / NX) % NY, v / (NX * NY));
                    let w = tissue_weights(&p.spine, local(i, j, k), || 0.0);
                    w[MARROW] + w[CORTEX] > 0.5
                })
                .count();
            assert!(in_body as f64 > 0.9 * count as f64, "patient {index}");
        }
    }

    fn mean_sd(v: &[i16]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = v
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    }

    /// An anatomy of muscle only, without texture, bias or tumour.
    fn flat_anatomy(slices: usize) -> Anatomy {
        let n = NX * NY * slices;
        let mut muscle = [0f32; TISSUES];
        muscle[MUSCLE] = 1.0;
        Anatomy {
            weights: vec![muscle; n],
            marrow_texture: vec![1.0; n],
            foci: vec![0.0; n],
            bias: vec![1.0; n],
            tumour: Raster {
                mask: vec![0; n],
                weight: vec![0.0; n],
                lo: [0; 3],
                hi: [0; 3],
            },
        }
    }

    #[test]
    fn centre_b_scanner_shifts_intensities_and_noise() {
        let mut p = Patient::draw(11, 0, 2, true);
        let flat = flat_anatomy(p.slices);
        let a = render(&p);
        let flat_a = [0, 1, 2].map(|q| render_sequence(&p, &flat, q));
        p.centre = Centre::B;
        let b = render(&p);
        let flat_b = [0, 1, 2].map(|q| render_sequence(&p, &flat, q));
        assert_eq!(a.mask, b.mask);
        let (sa, sb) = (Centre::A.scanner(), Centre::B.scanner());
        for q in 0..3 {
            let name = SEQUENCES[q];
            let (ma, _) = mean_sd(&a.images[q]);
            let (mb, _) = mean_sd(&b.images[q]);
            let expect = sb.scale[q] / sa.scale[q];
            let ratio = (mb - sb.offset[q]) / ma;
            assert!(
                (ratio / expect - 1.0).abs() < 0.15,
                "{name}: mean {ma} vs {mb}"
            );
            let (fa, na) = mean_sd(&flat_a[q]);
            let (fb, nb) = mean_sd(&flat_b[q]);
            let signal = SIGNAL[MUSCLE][q] * p.gain;
            assert!(
                (fa - signal).abs() < 0.02 * signal,
                "{name}: {fa} vs {signal}"
            );
            assert!((fb - sb.offset[q] - signal * sb.scale[q]).abs() < 0.02 * fb);
            assert!(
                (na / p.gain / sa.noise - 1.0).abs() < 0.05,
                "{name}: sd {na}"
            );
            assert!((nb / p.gain / sb.scale[q] / sb.noise - 1.0).abs() < 0.05);
            assert!(nb / sb.scale[q] > 1.5 * na, "{name}: noise {na} vs {nb}");
        }
    }

    #[test]
    fn clinical_variables_follow_the_outcome() {
        let patients: Vec<Patient> = (0..400).map(|i| Patient::draw(5, i, 400, true)).collect();
        let mean = |m: bool, f: &dyn Fn(&Patient) -> f64| {
            let v: Vec<f64> = patients
                .iter()
                .filter(|p| p.metastatic == m)
                .map(f)
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let events = patients.iter().filter(|p| p.metastatic).count();
        assert!((140..=220).contains(&events), "{events} events");
        assert!(mean(true, &|p| f64::from(p.age)) > mean(false, &|p| f64::from(p.age)) + 5.0);
        assert!(mean(true, &|p| p.alp.ln()) > mean(false, &|p| p.alp.ln()) + 0.2);
    }

    #[test]
    fn invalid_options_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        assert!(synthesize(dir.path(), &small(0)).is_err());
        let bad = SynthOptions {
            train_fraction: 1.5,
            ..small(2)
        };
        assert!(synthesize(dir.path(), &bad).is_err());
    }
}
