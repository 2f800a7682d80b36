//! `gpurad demo`: the built-in study — a synthetic two-centre spine-MRI cohort
//! ([`crate::synth`]) run through `gpurad study` ([`crate::study::pipeline`]) with MR-style
//! settings, so that a new user sees the whole pipeline on a laptop in about a minute.
//!
//! The cohort is regenerated only when its options change (a stamp file records them), so a
//! second run reuses both the images and, through the resumable extraction, the features.

use std::path::PathBuf;

use crate::cohort;
use crate::error::Result;
use crate::settings::Params;
use crate::study::clinical::Clinical;
use crate::study::fit::{FilterSpec, LambdaRule};
use crate::study::pipeline::{run_study, StudyOptions, StudyResult};
use crate::synth::{synthesize, SynthOptions};

/// Extraction settings of the demo (written beside the cohort as `params.yaml`): the
/// original image, its Laplacian of Gaussian at 2 and 3 mm and its 8 wavelet sub-bands (as
/// PyRadiomics' MR example), all default features, MR-style intensity handling — each image
/// normalised (z-score × 100, as PyRadiomics `normalize`) and the ROI discretised into 32
/// bins (fixed bin count, robust to the scanner's arbitrary intensity scale and to the
/// filters' ranges).
pub const DEMO_PARAMS: &str = "\
# gpurad demo: PyRadiomics-style parameter file for MR images
imageType:
  Original: {}
  LoG: {sigma: [2.0, 3.0]}
  Wavelet: {}
featureClass:
  shape:
  firstorder:
  glcm:
  glrlm:
  glszm:
  gldm:
  ngtdm:
setting:
  normalize: true
  normalizeScale: 100
  binCount: 32
  label: 1
";

/// Options of the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Output folder (cohort in `data/`, study in `study/`).
    pub out: PathBuf,
    /// Patients (half training centre, half external validation centre).
    pub patients: usize,
    /// Seed of the synthetic cohort.
    pub seed: u64,
    /// Extraction run settings.
    pub extraction: cohort::Options,
}

/// Writes (or reuses) the synthetic cohort and runs the study on it.
pub fn run_demo(o: &DemoOptions) -> Result<StudyResult> {
    let data = o.out.join("data");
    let stamp = data.join("synth-options.txt");
    let wanted = format!(
        "gpurad {} patients {} seed {}\n",
        crate::extract::VERSION,
        o.patients,
        o.seed
    );
    let manifest = data.join("manifest.csv");
    let fresh = std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())
        && manifest.exists();
    if !fresh {
        crate::note!(
            "writing a synthetic cohort of {} patients to {} ...",
            o.patients,
            data.display()
        );
        let s = synthesize(
            &data,
            &SynthOptions {
                patients: o.patients,
                seed: o.seed,
                ..SynthOptions::default()
            },
        )?;
        crate::note!(
            "  {} training + {} validation patients, {} metastatic",
            s.train,
            s.validation,
            s.events
        );
        crate::io::output::write(&stamp, &wanted)?;
    } else {
        crate::note!("reusing the synthetic cohort in {}", data.display());
    }
    let params_path = data.join("params.yaml");
    crate::io::output::write(&params_path, DEMO_PARAMS)?;
    let params = Params::from_yaml(DEMO_PARAMS)?;
    // The candidates a study of spinal metastases screens: age and ALP, continuous and at
    // their usual clinical cut-offs.
    let clinical_candidates = ["age>60", "alp>120", "age", "alp"]
        .iter()
        .map(|c| Clinical::parse(c))
        .collect::<Result<Vec<_>>>()?;
    run_study(&StudyOptions {
        manifest,
        out: o.out.join("study"),
        outcome: "metastatic".into(),
        clinical: Vec::new(),
        clinical_candidates,
        enter_p: 0.05,
        firth: false,
        bootstrap: 1000,
        bootstrap_pipeline: 0,
        // The two synthetic centres' scanners differ: ComBat aligns the validation centre
        // to the training one, and the report compares validation with and without it.
        harmonize_batch: Some("centre".into()),
        cohort_column: "cohort".into(),
        train_value: "train".into(),
        filters: vec![FilterSpec::NearZeroVariance, FilterSpec::Spearman(0.9)],
        nfolds: 10,
        seed: 1,
        lambda: LambdaRule::Min,
        params,
        extraction: o.extraction.clone(),
        title: "gpurad demo — synthetic lumbar spine tumours: metastatic vs primary".into(),
    })
}
