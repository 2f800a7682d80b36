//! `gpurad` command-line tool: parse arguments, call the library, map errors to exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use gpurad::extract::extract_case_on;
use gpurad::matrices::gpu::{DeviceChoice, GpuContext};

use gpurad::bench;
use gpurad::io::{manifest, matrix_dump, output, table};
use gpurad::study::clinical::Clinical;
use gpurad::study::dataset::Dataset;
use gpurad::study::fit::FitOptions;
use gpurad::study::validate::{validate, write_predictions};
use gpurad::{cohort, Params};
use gpurad::{note, outln};

/// Radiomics features from NIfTI, NRRD and MetaImage images, compatible with PyRadiomics and IBSI.
#[derive(Parser)]
#[command(name = "gpurad", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Most memory gpurad may use, e.g. 16G or 512M (default: half of the memory this process
    /// may have: the machine's, or less under ulimit -v or a container's memory limit).
    /// Every size that comes from input (voxels, resampled grids, grey levels, directions,
    /// tables) is checked against it before anything is allocated; a cohort run shares it
    /// among its workers.
    #[arg(long, global = true, value_name = "SIZE", value_parser = gpurad::limits::parse_size)]
    max_memory: Option<u64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Extract features from one image and mask, or from every case of a manifest.
    ///
    /// Output columns are named as PyRadiomics names them (original_firstorder_Mean,
    /// original_shape_MeshVolume, ...), preceded by diagnostics_* columns (version, settings
    /// hash, spacing, sizes, ROI voxel count).
    Extract {
        /// Image: NIfTI-1 or NIfTI-2 (.nii, .nii.gz), NRRD (.nrrd, .nhdr), MetaImage (.mha, .mhd) or
        /// a DICOM series (its folder).
        #[arg(
            long,
            required_unless_present = "manifest",
            conflicts_with = "manifest"
        )]
        image: Option<PathBuf>,
        /// Mask: a label image on the image's voxel grid, or a DICOM RTSTRUCT (.dcm) with one ROI.
        #[arg(long, requires = "image")]
        mask: Option<PathBuf>,
        /// Cohort CSV, one row per patient: ID, one Image_<SEQ> column per sequence
        /// (Image_T1WI, Image_T2WI, ...) and Mask or Mask_<SEQ>, or PyRadiomics' Image,Mask
        /// format; optional Label; other columns are copied to the output. Relative paths are
        /// read from the CSV's folder. Features of a sequence are prefixed with its name
        /// (T2WI_original_glcm_JointEnergy). Rows are flushed to -o as cases finish; a case
        /// that fails gets a row with its error and the run goes on; the exit code is 1 if
        /// any failed.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// With --manifest: keep the finished rows of an existing -o file (same inputs and
        /// settings) and extract only the missing and failed cases.
        #[arg(long, requires = "manifest")]
        resume: bool,
        /// With --manifest: extract only shard K of N (every N-th case from the K-th), e.g.
        /// --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; join outputs with `gpurad merge`.
        #[arg(long, requires = "manifest", value_name = "K/N")]
        shard: Option<cohort::Shard>,
        /// With --manifest: progress display (auto: a bar on a terminal, log lines otherwise).
        #[arg(long, value_enum, default_value = "auto")]
        progress: cohort::Progress,
        /// PyRadiomics parameter file (YAML: setting, imageType, featureClass).
        #[arg(long)]
        params: Option<PathBuf>,
        /// Override one setting, e.g. --setting binWidth:5 --setting resampledPixelSpacing:[1,1,1].
        /// May be repeated; applied after the parameter file.
        #[arg(long = "setting", value_name = "NAME:VALUE")]
        settings: Vec<String>,
        /// Mask label that defines the ROI (default 1; same as --setting label:N).
        #[arg(long)]
        label: Option<i64>,
        /// Feature names and coverage: pyradiomics (PyRadiomics' classes and names) or ibsi
        /// (every IBSI-1 family and aggregation the settings allow, columns named by IBSI id:
        /// RNU0, GYBY_ITBB, BC2M_V10; the original image only). Same as --setting featureNames:NAMES.
        #[arg(long, value_name = "NAMES")]
        names: Option<String>,
        /// Output format for a single case (batches are always CSV).
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// Output file (default: standard output; required with --manifest).
        #[arg(short, long, required_if_eq("resume", "true"))]
        output: Option<PathBuf>,
        /// Worker threads for a batch (default: all cores).
        #[arg(long, default_value_t = 0)]
        jobs: usize,
        /// Where texture matrices are built: auto (a hardware GPU for ROI boxes of 32³ voxels
        /// and more, else the CPU), gpu (an error if none is found) or cpu. Pick one of several GPUs with the
        /// environment variable GPURAD_ADAPTER=<part of its name>. The device used for each
        /// case is written to the diagnostics_Device column.
        #[arg(long, default_value = "auto")]
        device: DeviceChoice,
    },
    /// The built-in study: write a synthetic two-centre cohort (200 patients, three MRI
    /// sequences each, spine tumours, metastatic vs primary, age and ALP) and run `study` on
    /// it: features, Radscore, nomogram, external validation, DIR/study/report.html.
    Demo {
        /// Output folder (the cohort goes to DIR/data, the study to DIR/study).
        #[arg(short, long, default_value = "gpurad-demo")]
        output: PathBuf,
        /// Patients (half training centre, half external validation centre).
        #[arg(long, default_value_t = 200)]
        patients: usize,
        /// Seed of the synthetic cohort.
        #[arg(long, default_value_t = 20261127)]
        seed: u64,
        #[command(flatten)]
        run: ExtractionArgs,
    },
    /// Write a synthetic multi-centre spine-MRI cohort as NIfTI files with its manifest
    /// (T1WI, T2WI and FS-T2WI per patient, tumour mask, age, ALP, metastatic outcome,
    /// training and external validation centres with a scanner shift).
    Synth {
        /// Output folder (DIR/manifest.csv, DIR/images/).
        #[arg(short, long, visible_alias = "out")]
        output: PathBuf,
        /// Number of patients.
        #[arg(long, default_value_t = 200)]
        patients: usize,
        /// Random seed (the same seed writes the same cohort).
        #[arg(long, default_value_t = 20261127)]
        seed: u64,
        /// Fraction of patients in the training centre.
        #[arg(long, default_value_t = 0.5)]
        train_fraction: f64,
    },
    /// A whole study from a cohort manifest: extract every sequence of every patient
    /// (resumable: a rerun reuses finished rows), fit the Radscore (filters, LASSO with
    /// cross-validation) and the nomogram on the training cohort, validate on the other
    /// cohorts, and write DIR/report.html with every figure and table; prints the summary.
    Study {
        /// Cohort manifest (see `extract --manifest`), with outcome and cohort columns.
        #[arg(long)]
        manifest: PathBuf,
        /// Outcome column (0/1).
        #[arg(long)]
        outcome: String,
        #[command(flatten)]
        model: ModelArgs,
        /// Harmonise the radiomics features across scanners or centres before fitting:
        /// `combat` (R's sva::ComBat, the training cohort's batch as the reference); needs
        /// --batch-col. The report compares validation with and without it.
        #[arg(long, value_parser = ["combat"])]
        harmonize: Option<String>,
        /// The batch column for --harmonize (e.g. centre).
        #[arg(long)]
        batch_col: Option<String>,
        /// Cohort column; its --train-value rows train the model, the others validate it.
        #[arg(long, default_value = "cohort")]
        cohort_col: String,
        /// Training cohort label.
        #[arg(long, default_value = "train")]
        train_value: String,
        /// Feature filters before the LASSO (see `fit --filter`).
        #[arg(long, value_delimiter = ',', default_value = "nzv,spearman:0.9")]
        filter: Vec<gpurad::study::fit::FilterSpec>,
        /// Cross-validation folds.
        #[arg(long, default_value_t = 10)]
        nfolds: usize,
        /// Seed of the fold draw.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// λ of the Radscore: min, 1se or a value.
        #[arg(long, default_value = "min")]
        lambda: gpurad::study::fit::LambdaRule,
        /// PyRadiomics parameter file (YAML).
        #[arg(long)]
        params: Option<PathBuf>,
        /// Override one extraction setting (NAME:VALUE); may be repeated.
        #[arg(long = "setting", value_name = "NAME:VALUE")]
        settings: Vec<String>,
        #[command(flatten)]
        run: ExtractionArgs,
        /// Report title.
        #[arg(long, default_value = "Radiomics nomogram study")]
        title: String,
        /// Output folder.
        #[arg(short, long, default_value = "study")]
        output: PathBuf,
    },
    /// ComBat harmonisation (as R's sva::ComBat) of a feature table's radiomics columns
    /// across the batches of one column (scanner, centre), other columns untouched; saves the
    /// fitted adjustment beside the output (OUT.combat.json) so later patients of a seen
    /// batch are harmonised the same way (--apply).
    Harmonize {
        /// Feature table (CSV, one row per patient).
        #[arg(long)]
        data: PathBuf,
        /// The batch column (scanner, centre).
        #[arg(long)]
        batch_col: Option<String>,
        /// Batch left unchanged, to which the others are aligned (e.g. the training centre).
        #[arg(long)]
        ref_batch: Option<String>,
        /// Numeric columns whose effects are preserved (e.g. the outcome), comma-separated.
        #[arg(long, value_delimiter = ',')]
        covariates: Vec<String>,
        /// Feature columns, comma-separated (default: every column named like a radiomics
        /// feature: _firstorder_, _glcm_, _glrlm_, _glszm_, _gldm_, _ngtdm_, _shape_).
        #[arg(long, value_delimiter = ',')]
        features: Vec<String>,
        /// Non-parametric empirical Bayes priors.
        #[arg(long)]
        nonparametric: bool,
        /// Adjust the means only.
        #[arg(long)]
        mean_only: bool,
        /// Instead of fitting: harmonise with a saved adjustment (a .combat.json).
        #[arg(long)]
        apply: Option<PathBuf>,
        /// Harmonised table.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Baseline characteristics ("Table 1"): per stratum (e.g. cohort) and by group (e.g. the
    /// outcome), n, mean (SD), median [Q1, Q3], counts and %, with Welch t, Wilcoxon,
    /// chi-square and Fisher p-values as R computes them. Writes JSON, and CSV beside it.
    Table1 {
        /// The table (CSV, one row per patient), e.g. a manifest or feature table.
        #[arg(long)]
        data: PathBuf,
        /// The column whose two values are compared (e.g. the 0/1 outcome).
        #[arg(long)]
        group_col: String,
        /// Strata column (e.g. cohort): one table per value.
        #[arg(long)]
        strata_col: Option<String>,
        /// Variables, comma-separated (default: every other column but ID).
        #[arg(long, value_delimiter = ',')]
        vars: Vec<String>,
        /// Variables to treat as categorical (text columns and whole numbers with at most 5
        /// values are categorical anyway).
        #[arg(long, value_delimiter = ',')]
        categorical: Vec<String>,
        /// JSON output; the CSV goes beside it (same name, .csv).
        #[arg(short, long, default_value = "table1.json")]
        output: PathBuf,
    },
    /// Join the outputs of `extract --manifest --shard K/N` runs into one table in manifest
    /// order; an ID in two shards, an ID not in the manifest or a case in no shard is an error.
    Merge {
        /// The manifest the shards were extracted from.
        #[arg(long)]
        manifest: PathBuf,
        /// Shard output files.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Merged table.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Write the texture matrices of one case (raw per-direction counts) as JSON or .npy, for
    /// debugging and for comparison with other tools.
    Matrices {
        /// Image file (.nii, .nii.gz, .nrrd, .nhdr, .mha or .mhd).
        #[arg(long)]
        image: PathBuf,
        /// Mask on the same voxel grid as the image.
        #[arg(long)]
        mask: PathBuf,
        /// PyRadiomics parameter file (YAML).
        #[arg(long)]
        params: Option<PathBuf>,
        /// Override one setting (NAME:VALUE); may be repeated.
        #[arg(long = "setting", value_name = "NAME:VALUE")]
        settings: Vec<String>,
        /// Matrix class: glcm, glrlm, glszm, gldm or ngtdm.
        #[arg(long = "class")]
        class: String,
        /// json (levels, directions and values) or npy (a float64 array; directions are
        /// printed on standard error).
        #[arg(long, default_value = "json")]
        format: String,
        /// Where the matrices are built: auto, gpu or cpu.
        #[arg(long, default_value = "cpu")]
        device: DeviceChoice,
        /// Output file (JSON default: standard output; required for npy).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Fit the Radscore (LASSO-logistic with cross-validation, as R's cv.glmnet) and the
    /// logistic models (combined, clinical only, Radscore only) on a feature table's training
    /// patients; writes model.json.
    Fit {
        /// Feature table (CSV, one row per patient): gpurad's extraction output or any other.
        #[arg(long)]
        train: PathBuf,
        /// Outcome column (0/1).
        #[arg(long)]
        outcome: String,
        /// ID column (default: ID when present).
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        model: ModelArgs,
        /// Columns never used as features, comma-separated.
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
        /// Cohort column: only its `--train-value` rows are used (default: cohort when present).
        #[arg(long)]
        cohort_col: Option<String>,
        /// Training cohort label.
        #[arg(long, default_value = "train")]
        train_value: String,
        /// Column of cross-validation fold ids (1..K); else folds are drawn with --nfolds/--seed.
        #[arg(long)]
        foldid_col: Option<String>,
        /// Number of cross-validation folds.
        #[arg(long, default_value_t = 10)]
        nfolds: usize,
        /// Seed of the fold draw.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// λ of the Radscore: min, 1se or a value.
        #[arg(long, default_value = "min")]
        lambda: gpurad::study::fit::LambdaRule,
        /// Drop patients with missing values instead of stopping with an error.
        #[arg(long)]
        drop_incomplete: bool,
        /// Feature filters before the LASSO, comma-separated, applied in order on the training
        /// patients: nzv (near-zero variance), mwu:P or ttest:P (keep univariate p < P),
        /// spearman:R or pearson:R (of features correlated beyond |r| > R keep the one with
        /// the smaller p), icc:T (keep ICC(2,1) ≥ T over the --icc-repeat extractions). Each
        /// step's removals are listed in model.json.
        #[arg(long, value_delimiter = ',')]
        filter: Vec<gpurad::study::fit::FilterSpec>,
        /// A repeated extraction of some training patients (same ID and feature columns, e.g.
        /// from a second reader's segmentation), for the icc:T filter (ICC(2,1) ≥ T); may be
        /// repeated.
        #[arg(long = "icc-repeat", value_name = "FILE")]
        icc_repeat: Vec<PathBuf>,
        /// Model file to write.
        #[arg(short, long, default_value = "model.json")]
        output: PathBuf,
    },
    /// Validate a fitted model on a feature table, per cohort: AUC with DeLong CI, DeLong
    /// tests, sensitivity/specificity at the training Youden threshold, Hosmer–Lemeshow,
    /// calibration, decision curves. Writes DIR/metrics.json and DIR/predictions.csv.
    Validate {
        /// model.json from `gpurad fit`.
        #[arg(long)]
        model: PathBuf,
        /// Feature table with the outcome.
        #[arg(long)]
        data: PathBuf,
        /// ID column of the table (default: the model's, usually ID).
        #[arg(long)]
        id: Option<String>,
        /// Cohort column (default: cohort when present).
        #[arg(long)]
        cohort_col: Option<String>,
        /// Drop patients with missing values instead of stopping with an error.
        #[arg(long)]
        drop_incomplete: bool,
        /// Output folder.
        #[arg(short, long, default_value = "validation")]
        output: PathBuf,
    },
    /// Radscore and predicted probabilities of new patients (CSV to standard output or -o).
    Predict {
        /// model.json from `gpurad fit`.
        #[arg(long)]
        model: PathBuf,
        /// Feature table of the new patients.
        #[arg(long)]
        data: PathBuf,
        /// ID column of the table (default: the model's, usually ID).
        #[arg(long)]
        id: Option<String>,
        /// Cohort column copied to the output (default: cohort when present).
        #[arg(long)]
        cohort_col: Option<String>,
        /// Output CSV (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Time texture-matrix construction on the CPU and the GPU over synthetic volumes of
    /// growing ROI size and grey-level count; prints a table and writes it as CSV.
    Bench(bench::BenchArgs),
    /// Convert an image and its mask to NIfTI (image.nii.gz, mask.nii.gz in -o DIR): any
    /// format gpurad reads, a DICOM series given as its folder, and an RTSTRUCT (.dcm,
    /// rasterised on the image's grid: voxel centres inside the ROI's contours) or a
    /// DICOM-SEG segment.
    Convert {
        /// Image file, or the folder of a DICOM series.
        #[arg(long)]
        image: PathBuf,
        /// Mask: a label image, or a DICOM RTSTRUCT or SEG file.
        #[arg(long)]
        mask: Option<PathBuf>,
        /// The RTSTRUCT's ROI or the SEG's segment, by name (or segment number): needed when
        /// the file holds several.
        #[arg(long)]
        roi: Option<String>,
        /// Mask label to keep (label images; default: every non-zero label).
        #[arg(long)]
        label: Option<i64>,
        /// Output folder.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// List every image type and feature: PyRadiomics name, whether it is on by default, its
    /// IBSI identifier, its formula and notes (the registry behind docs/features.md).
    Features {
        /// Output format.
        #[arg(long, value_enum, default_value = "md")]
        format: CatalogueFormat,
        /// Only this feature class (firstorder, shape, glcm, glrlm, glszm, gldm, ngtdm).
        #[arg(long)]
        class: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CatalogueFormat {
    Md,
    Csv,
    Json,
}

fn main() -> ExitCode {
    private_runtime_dir();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return argument_error(e),
    };
    gpurad::matrices::gpu::set_notice(|m| note!("gpurad: {m}"));
    let result = match cli.max_memory {
        Some(bytes) => gpurad::limits::set_max_memory(bytes).map_err(anyhow::Error::from),
        None => Ok(()),
    }
    .and_then(|()| run(cli));
    match result {
        Ok(code) => code,
        Err(e) => {
            note!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// Prints an argument error on one line (clap's message without its usage block) and exits
/// with code 2; help and version requests print as clap prints them.
fn argument_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        use clap::CommandFactory;
        let commands: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        note!(
            "error: name a command: {} (see gpurad --help)",
            commands.join(", ")
        );
        return ExitCode::from(2);
    }
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    note!("error: {} (see --help)", one_line(message));
    ExitCode::from(2)
}

/// An error message as one line of bounded length: line breaks and other control characters
/// (which may come from file names or cell values) are escaped, and a very long message is cut.
fn one_line(message: &str) -> String {
    const MAX_CHARS: usize = 1000;
    let mut out = String::new();
    for (i, c) in message.chars().enumerate() {
        if i == MAX_CHARS {
            out.push_str("… (message cut)");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not set" on every start when the
/// variable does not name a private folder (as in containers and batch jobs): give them one.
fn private_runtime_dir() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        let usable = |p: &std::path::Path| {
            std::fs::metadata(p).is_ok_and(|m| {
                // SAFETY: getuid has no preconditions.
                m.is_dir()
                    && m.uid() == unsafe { libc::getuid() }
                    && m.permissions().mode() & 0o077 == 0
            })
        };
        if std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| usable(std::path::Path::new(&d))) {
            return;
        }
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        let dir = std::env::temp_dir().join(format!("gpurad-runtime-{uid}"));
        let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
        if usable(&dir) {
            // Single-threaded here: nothing else reads the environment yet.
            std::env::set_var("XDG_RUNTIME_DIR", &dir);
        }
    }
}

/// How a cohort extraction runs (`study`, `demo`).
#[derive(clap::Args)]
struct ExtractionArgs {
    /// Worker threads for the extraction (default: all cores).
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Where texture matrices are built: auto, gpu or cpu.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
    /// Progress display of the extraction.
    #[arg(long, value_enum, default_value = "auto")]
    progress: cohort::Progress,
}

impl ExtractionArgs {
    fn options(&self) -> cohort::Options {
        cohort::Options {
            jobs: self.jobs,
            device: self.device,
            progress: self.progress,
            ..cohort::Options::default()
        }
    }
}

/// The model-fitting options `fit` and `study` share.
#[derive(clap::Args, Debug)]
struct ModelArgs {
    /// Clinical predictors, comma-separated: a column; a threshold such as age>60 or
    /// alp>120 (strict) or a level such as stage=3, which becomes a 0/1 indicator; or a
    /// categorical column factor(stage) (numeric level codes, 2–20 levels), coded as R's
    /// treatment contrasts: one indicator per level against the smallest.
    #[arg(long, value_delimiter = ',')]
    clinical: Vec<String>,
    /// Candidate clinical predictors, comma-separated (same forms as --clinical): each is
    /// tested in a univariable logistic model; those with p < --enter-p enter a
    /// multivariable model with the Radscore (and --clinical), reduced by backward
    /// elimination on AIC as R's step(); the survivors join the combined model. A
    /// factor(…) candidate is one term: screened by its likelihood-ratio test, entered
    /// and removed with all its indicators.
    /// model.json's clinical_selection holds both tables and the steps.
    #[arg(long, value_delimiter = ',')]
    clinical_candidates: Vec<String>,
    /// Entry level of the candidates' univariable screen.
    #[arg(long, default_value_t = 0.05)]
    enter_p: f64,
    /// Fit every logistic model by Firth's penalised likelihood (R's logistf: profile
    /// penalised-likelihood CIs, penalised likelihood-ratio p-values). Without it, Firth
    /// is used only where maximum likelihood meets separation, with a note.
    #[arg(long)]
    firth: bool,
    /// Bootstrap resamples for the internal validation of the nomogram's model (as
    /// rms::validate: optimism-corrected AUC, calibration intercept and slope, Brier
    /// score); 0 skips it.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Bootstrap resamples of the whole pipeline (filters, CV-LASSO, clinical selection and
    /// models refitted on each; 0 skips it): the honest optimism of a LASSO Radscore, with
    /// how often each Radscore feature is selected again. Costs B full fits (200–500 usual).
    #[arg(long, default_value_t = 0)]
    bootstrap_pipeline: usize,
}

/// Parses clinical predictor expressions.
fn parse_clinical(list: &[String]) -> gpurad::Result<Vec<Clinical>> {
    list.iter().map(|c| Clinical::parse(c)).collect()
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Extract {
            image,
            mask,
            manifest,
            params,
            settings,
            label,
            names,
            format,
            output,
            jobs,
            device,
            resume,
            shard,
            progress,
        } => {
            if manifest.is_none() && (resume || shard.is_some()) {
                anyhow::bail!("--resume and --shard apply to a cohort: give --manifest");
            }
            let mut p = load_params(&params, &settings)?;
            if let Some(l) = label {
                p.settings.label = l;
            }
            if let Some(n) = names {
                p.settings.apply_override(&format!("featureNames:{n}"))?;
            }
            p.check_ibsi_names()?;
            if let Some(m) = manifest {
                let cases = manifest::read(&m)?;
                let out = output.ok_or_else(|| {
                    anyhow::anyhow!("-o FILE.csv is required with --manifest (rows are flushed to it as cases finish)")
                })?;
                let mut inputs: Vec<(&str, &std::path::Path)> = vec![("manifest", m.as_path())];
                inputs.extend(params.as_deref().map(|f| ("parameter file", f)));
                for case in &cases.cases {
                    for sq in &case.sequences {
                        inputs.extend(sq.image.as_deref().map(|f| ("image", f)));
                        inputs.extend(sq.mask.as_deref().map(|f| ("mask", f)));
                    }
                }
                output::refuse_overwrite(&out, "-o", inputs)?;
                check_device(device)?;
                let options = cohort::Options {
                    jobs,
                    device,
                    resume,
                    shard,
                    progress,
                };
                let result = cohort::run(&cases, &p, &out, &options)?;
                note!(
                    "{} case(s): {} extracted, {} kept from an earlier run, {} failed; written to {}",
                    result.cases,
                    result.extracted,
                    result.resumed,
                    result.failures,
                    out.display()
                );
                return Ok(if result.failures > 0 {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                });
            }
            let image = image.expect("clap requires --image without --manifest");
            let mask = mask.ok_or_else(|| anyhow::anyhow!("--mask is required with --image"))?;
            if let Some(out) = &output {
                let mut inputs = vec![("image", image.as_path()), ("mask", mask.as_path())];
                inputs.extend(params.as_deref().map(|f| ("parameter file", f)));
                output::refuse_overwrite(out, "-o", inputs)?;
            }
            check_device(device)?;
            let row = extract_case_on(&image, &mask, &p, device)?;
            output::with_writer(output.as_deref(), |out| match format {
                Format::Csv => {
                    table::write_csv(out, &table::columns(std::slice::from_ref(&row)), &[row])
                }
                Format::Json => {
                    serde_json::to_writer_pretty(&mut *out, &table::row_to_json(&row))?;
                    writeln!(out)
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            output,
            patients,
            seed,
            run,
        } => {
            check_device(run.device)?;
            let r = gpurad::demo::run_demo(&gpurad::demo::DemoOptions {
                out: output,
                patients,
                seed,
                extraction: run.options(),
            })?;
            print_study(&r)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Synth {
            output,
            patients,
            seed,
            train_fraction,
        } => {
            let s = gpurad::synth::synthesize(
                &output,
                &gpurad::synth::SynthOptions {
                    patients,
                    seed,
                    train_fraction,
                },
            )?;
            note!(
                "{} patients ({} training, {} validation; {} metastatic) written; manifest {}",
                s.patients,
                s.train,
                s.validation,
                s.events,
                s.manifest.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Study {
            manifest,
            outcome,
            model,
            harmonize,
            batch_col,
            cohort_col,
            train_value,
            filter,
            nfolds,
            seed,
            lambda,
            params,
            settings,
            run,
            title,
            output,
        } => {
            let harmonize_batch = match (harmonize, batch_col) {
                (Some(_), Some(col)) => Some(col),
                (Some(_), None) => {
                    return Err(gpurad::Error::Settings(
                        "--harmonize combat needs --batch-col (the scanner or centre column)"
                            .into(),
                    )
                    .into())
                }
                (None, Some(_)) => {
                    return Err(gpurad::Error::Settings(
                        "--batch-col is used with --harmonize combat".into(),
                    )
                    .into())
                }
                (None, None) => None,
            };
            let options = gpurad::study::pipeline::StudyOptions {
                harmonize_batch,
                manifest,
                out: output,
                outcome,
                clinical: parse_clinical(&model.clinical)?,
                clinical_candidates: parse_clinical(&model.clinical_candidates)?,
                enter_p: model.enter_p,
                firth: model.firth,
                bootstrap: model.bootstrap,
                bootstrap_pipeline: model.bootstrap_pipeline,
                cohort_column: cohort_col,
                train_value,
                filters: filter,
                nfolds,
                seed,
                lambda,
                params: load_params(&params, &settings)?,
                extraction: run.options(),
                title,
            };
            check_device(run.device)?;
            run_study(&options)
        }
        Command::Harmonize {
            data,
            batch_col,
            ref_batch,
            covariates,
            features,
            nonparametric,
            mean_only,
            apply,
            output,
        } => {
            use gpurad::study::harmonize::{apply_saved, fit_and_harmonize, to_csv, Harmonization};
            let saved = output.with_extension("combat.json");
            let mut inputs = vec![("table", data.as_path())];
            inputs.extend(apply.as_deref().map(|p| ("harmonisation", p)));
            output::refuse_overwrite(&output, "-o", inputs.clone())?;
            let mut ds = Dataset::read(&data)?;
            match apply {
                Some(path) => {
                    let text =
                        gpurad::limits::read_text_bounded(&path, 256 << 20, "harmonisation file")?;
                    let h: Harmonization = serde_json::from_str(&text).map_err(|e| {
                        gpurad::Error::Settings(format!(
                            "{}: not a gpurad harmonisation: {e}",
                            path.display()
                        ))
                    })?;
                    apply_saved(&mut ds, &h)?;
                    output::write(&output, to_csv(&ds)?)?;
                    eprintln!(
                        "harmonised {} features of {} patients with {}; written {}",
                        h.features.len(),
                        ds.rows.len(),
                        path.display(),
                        output.display()
                    );
                }
                None => {
                    output::refuse_overwrite(&saved, "-o (harmonisation)", inputs)?;
                    let batch_col = batch_col.ok_or_else(|| {
                        gpurad::Error::Settings(
                            "--batch-col is required to fit a harmonisation".into(),
                        )
                    })?;
                    let h = fit_and_harmonize(
                        &mut ds,
                        &batch_col,
                        &covariates,
                        &features,
                        &gpurad::model::combat::CombatOptions {
                            nonparametric,
                            mean_only,
                            reference: ref_batch,
                        },
                    )?;
                    output::write(&output, to_csv(&ds)?)?;
                    output::write(
                        &saved,
                        serde_json::to_string_pretty(&h).expect("harmonisation serialises") + "\n",
                    )?;
                    eprintln!(
                        "harmonised {} features of {} patients across {} batches ({}); written {} and {}",
                        h.features.len(),
                        ds.rows.len(),
                        h.fit.batches.len(),
                        h.fit.batches.join(", "),
                        output.display(),
                        saved.display()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Convert {
            image,
            mask,
            roi,
            label,
            output,
        } => {
            use gpurad::image::PixelType;
            use gpurad::io::image_file::{self, Format};
            use gpurad::io::nifti_write::write_volume;
            std::fs::create_dir_all(&output).map_err(|e| {
                anyhow::anyhow!("cannot create the folder '{}': {e}", output.display())
            })?;
            let (image_out, mask_out) = (output.join("image.nii.gz"), output.join("mask.nii.gz"));
            output::refuse_overwrite(&image_out, "-o", [("image", image.as_path())])?;
            let opened = image_file::open(&image)?;
            let pixel = opened.pixel_type;
            let v = opened.into_checked_volume(&image)?;
            let g = v.geometry.clone();
            let integral = |lo: f64, hi: f64| {
                v.data
                    .iter()
                    .all(|x| x.fract() == 0.0 && (lo..=hi).contains(x))
            };
            match pixel {
                PixelType::U8 | PixelType::I8 | PixelType::U16 | PixelType::I16
                    if integral(i16::MIN as f64, i16::MAX as f64) =>
                {
                    let d: Vec<i16> = v.data.iter().map(|&x| x as i16).collect();
                    write_volume(&image_out, &g, &d)?
                }
                PixelType::U16 | PixelType::I32 | PixelType::U32
                    if integral(i32::MIN as f64, i32::MAX as f64) =>
                {
                    let d: Vec<i32> = v.data.iter().map(|&x| x as i32).collect();
                    write_volume(&image_out, &g, &d)?
                }
                _ => write_volume(&image_out, &g, &v.data)?,
            }
            note!("image: {} → {}", image.display(), image_out.display());
            if let Some(mask) = mask {
                output::refuse_overwrite(&mask_out, "-o", [("mask", mask.as_path())])?;
                let data: Vec<u8> = if image_file::format_of(&mask) == Format::DicomFile {
                    let m = gpurad::io::dicom::read_mask_file(&mask, &g, roi.as_deref())?;
                    m.data.iter().map(|&b| u8::from(b)).collect()
                } else {
                    if roi.is_some() {
                        anyhow::bail!(
                            "--roi names an RTSTRUCT's ROI; '{}' is a label image",
                            mask.display()
                        );
                    }
                    let m = image_file::read_volume(&mask)?;
                    gpurad::checks::check_geometry(&g, &m.geometry, 1e-3, &image, &mask)?;
                    m.data
                        .iter()
                        .map(|&x| match label {
                            Some(l) => u8::from(x == l as f64),
                            None => u8::from(x != 0.0),
                        })
                        .collect()
                };
                let voxels = data.iter().filter(|&&b| b == 1).count();
                write_volume(&mask_out, &g, &data)?;
                note!(
                    "mask: {} → {} ({voxels} ROI voxels)",
                    mask.display(),
                    mask_out.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Features { format, class } => {
            let only = match class {
                None => None,
                Some(name) => Some(
                    gpurad::features::registry::FeatureClass::from_name(&name).ok_or_else(
                        || {
                            let known: Vec<&str> = gpurad::features::registry::FeatureClass::ALL
                                .iter()
                                .map(|c| c.name())
                                .collect();
                            anyhow::anyhow!(
                                "--class: unknown feature class '{name}' (available: {})",
                                known.join(", ")
                            )
                        },
                    )?,
                ),
            };
            let text = match format {
                CatalogueFormat::Md => gpurad::catalogue::markdown(only),
                CatalogueFormat::Csv => gpurad::catalogue::csv(only),
                CatalogueFormat::Json => gpurad::catalogue::json(only),
            };
            gpurad::outln!("{}", text.trim_end())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Table1 {
            data,
            group_col,
            strata_col,
            vars,
            categorical,
            output,
        } => {
            let csv_path = output.with_extension("csv");
            output::refuse_overwrite(&output, "-o", [("table", data.as_path())])?;
            output::refuse_overwrite(&csv_path, "-o (CSV)", [("table", data.as_path())])?;
            let ds = Dataset::read(&data)?;
            let t = gpurad::study::table1::table1(
                &ds,
                &gpurad::study::table1::Table1Options {
                    group: group_col,
                    strata: strata_col,
                    vars,
                    categorical,
                },
            )?;
            let json = serde_json::to_string_pretty(&t).expect("Table 1 serialises");
            output::write(&output, json.as_bytes())?;
            let csv = gpurad::study::table1::to_csv(&t);
            output::write(&csv_path, csv.as_bytes())?;
            print!("{csv}");
            eprintln!("written {} and {}", output.display(), csv_path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge {
            manifest,
            shards,
            output,
        } => {
            let m = manifest::read(&manifest)?;
            let mut inputs: Vec<(&str, &std::path::Path)> = vec![("manifest", manifest.as_path())];
            inputs.extend(shards.iter().map(|s| ("shard", s.as_path())));
            output::refuse_overwrite(&output, "-o", inputs)?;
            let result = cohort::merge(&m, &shards, &output)?;
            note!(
                "{} row(s) ({} failed) from {} shard(s) written to {}",
                result.rows,
                result.failures,
                shards.len(),
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Matrices {
            image,
            mask,
            params,
            settings,
            class,
            format,
            device,
            output,
        } => {
            let p = load_params(&params, &settings)?;
            if !matches!(format.as_str(), "json" | "npy") {
                anyhow::bail!("unknown format '{format}' (json or npy)");
            }
            if format == "npy" && output.is_none() {
                anyhow::bail!("-o FILE.npy is required with --format npy");
            }
            if let Some(out) = &output {
                output::refuse_overwrite(
                    out,
                    "-o",
                    [("image", image.as_path()), ("mask", mask.as_path())],
                )?;
            }
            let unknown = || {
                anyhow::anyhow!("unknown matrix class '{class}' (glcm, glrlm, glszm, gldm, ngtdm)")
            };
            let class_id = gpurad::features::registry::FeatureClass::from_name(&class)
                .filter(|c| c.is_texture())
                .ok_or_else(unknown)?;
            check_device(device)?;
            let img = gpurad::extract::case_grey_image(&image, &mask, &p)?;
            let req = gpurad::features::texture::request(class_id, &img, &p.settings)?
                .ok_or_else(unknown)?;
            gpurad::matrices::check_memory(&img, std::slice::from_ref(&req))?;
            let (mut built, used) =
                gpurad::matrices::gpu::build_batch(&[(&img, std::slice::from_ref(&req))], device);
            let m = built.remove(0).remove(0);
            // Written dense: 8 bytes a value in .npy, a JSON number takes a few dozen in memory.
            let per_value = if format == "json" { 96 } else { 16 };
            gpurad::limits::check(
                || {
                    format!(
                        "writing the {class} matrix as {format} ({} values)",
                        matrix_dump::dense_len(&m)
                    )
                },
                matrix_dump::dense_len(&m).saturating_mul(per_value),
                "use fewer grey levels (binCount, binWidth) or --format npy",
            )?;
            if format == "json" {
                output::with_writer(output.as_deref(), |out| {
                    serde_json::to_writer(
                        &mut *out,
                        &matrix_dump::to_json(&class, &m, &img, &used),
                    )?;
                    writeln!(out)
                })?;
            } else {
                let path = output.expect("checked above");
                let (shape, data, dirs) = matrix_dump::array(&m);
                matrix_dump::write_npy(&path, &shape, &data)?;
                note!("{class} {shape:?} on {used}; directions (x, y, z): {dirs:?}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Fit {
            train,
            outcome,
            id,
            model,
            exclude,
            cohort_col,
            train_value,
            foldid_col,
            nfolds,
            seed,
            lambda,
            drop_incomplete,
            filter,
            icc_repeat,
            output,
        } => {
            output::refuse_overwrite(
                &output,
                "-o",
                std::iter::once(("training table", train.as_path()))
                    .chain(icc_repeat.iter().map(|p| ("repeat table", p.as_path()))),
            )?;
            let ds = Dataset::read(&train)?;
            let repeats = icc_repeat
                .iter()
                .map(|p| Dataset::read(p))
                .collect::<Result<Vec<_>, _>>()?;
            let cohort =
                cohort_col.or_else(|| ds.column("cohort").ok().map(|_| "cohort".to_string()));
            let options = FitOptions {
                outcome,
                id,
                clinical: parse_clinical(&model.clinical)?,
                clinical_candidates: parse_clinical(&model.clinical_candidates)?,
                enter_p: model.enter_p,
                firth: model.firth,
                bootstrap: model.bootstrap,
                bootstrap_pipeline: model.bootstrap_pipeline,
                exclude,
                cohort,
                train_value,
                foldid: foldid_col,
                nfolds,
                seed,
                lambda,
                drop_incomplete,
                filters: filter,
                repeats,
            };
            let model = gpurad::study::pipeline_validation::fit_validated(&ds, &options)?;
            for f in &model.filters {
                note!(
                    "filter {}: {} of {} features kept",
                    f.step,
                    f.kept,
                    f.before
                );
            }
            output::write(&output, serde_json::to_string_pretty(&model)? + "\n")?;
            note!(
                "{} training patients ({} events), {} candidate features ({} after filtering), {} kept by the LASSO at λ = {:.4e}",
                model.training.n,
                model.training.events,
                model.candidates,
                model.features.len(),
                model.radscore.coefficients.len(),
                model.lambda
            );
            note!("{}", model.radscore.formula);
            let dir = output
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let figures = gpurad::study::figures::model_figures(&model)?;
            gpurad::study::figures::write_figures(dir, &figures)?;
            note!(
                "model written to {}; figures (SVG and 300 dpi PNG) lasso_path, lasso_cv, nomogram and radscore_coefficients beside it",
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate {
            model,
            data,
            id,
            cohort_col,
            drop_incomplete,
            output,
        } => {
            let mut m = read_model(&model)?;
            m.id = id.or(m.id);
            let ds = Dataset::read(&data)?;
            let cohort =
                cohort_col.or_else(|| ds.column("cohort").ok().map(|_| "cohort".to_string()));
            for name in ["metrics.json", "predictions.csv"] {
                output::refuse_overwrite(
                    &output.join(name),
                    "-o",
                    [("table", data.as_path()), ("model", model.as_path())],
                )?;
            }
            let (metrics, preds) = validate(&m, &ds, cohort.as_deref(), drop_incomplete)?;
            gpurad::study::outputs::write_validation(
                &output,
                &model.display().to_string(),
                &m,
                &metrics,
                &preds,
                cohort.as_deref(),
                None,
            )?;
            outln!(
                "{}",
                gpurad::study::outputs::summary_table(&metrics).trim_end()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Predict {
            model,
            data,
            id,
            cohort_col,
            output,
        } => {
            if let Some(out) = &output {
                output::refuse_overwrite(
                    out,
                    "-o",
                    [("table", data.as_path()), ("model", model.as_path())],
                )?;
            }
            let mut m = read_model(&model)?;
            m.id = id.or(m.id);
            let ds = Dataset::read(&data)?;
            let cohort = match cohort_col {
                Some(c) => {
                    ds.column(&c)?;
                    Some(c)
                }
                None => ds.column("cohort").ok().map(|_| "cohort".to_string()),
            };
            let rows: Vec<usize> = (0..ds.rows.len()).collect();
            let preds = gpurad::study::validate::predict(&m, &ds, &rows, cohort.as_deref())?;
            output::with_writer(output.as_deref(), |out| write_predictions(&preds, out))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => {
            let failed = bench::run(&args)?;
            Ok(if failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn read_model(path: &std::path::Path) -> anyhow::Result<gpurad::study::fit::Model> {
    Ok(gpurad::study::fit::Model::read(path)?)
}

/// Runs a study and prints what it found and wrote.
fn run_study(options: &gpurad::study::pipeline::StudyOptions) -> anyhow::Result<ExitCode> {
    let r = gpurad::study::pipeline::run_study(options)?;
    print_study(&r)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints a study's stages, left-out patients, Radscore size and summary table.
fn print_study(r: &gpurad::study::pipeline::StudyResult) -> gpurad::Result<()> {
    let e = &r.extraction;
    note!(
        "extraction: {} patients ({} extracted, {} reused, {} failed) in {:.1} s; fit {:.1} s; validation and report {:.1} s",
        e.cases, e.extracted, e.resumed, r.failed.len(), r.timings.extract, r.timings.fit, r.timings.validate
    );
    for (id, why) in &r.failed {
        note!("  left out {id}: {why}");
    }
    let m = &r.model;
    outln!(
        "Radscore: {} of {} candidate features ({} after filtering) at λ = {:.4e}",
        m.radscore.coefficients.len(),
        m.candidates,
        m.features.len(),
        m.lambda
    )?;
    outln!("{}", r.summary.trim_end())?;
    outln!("report: {}", r.report.display())
}

/// A parameter file (or PyRadiomics' defaults) with `--setting` overrides applied.
fn load_params(file: &Option<PathBuf>, overrides: &[String]) -> anyhow::Result<Params> {
    let mut p = match file {
        Some(f) => Params::from_file(f)?,
        None => Params::default(),
    };
    for s in overrides {
        p.settings.apply_override(s)?;
    }
    Ok(p)
}

/// `--device gpu` fails at once, before any case, when no GPU adapter works. (Which device
/// builds the matrices is said once, when the first case asks for them.)
fn check_device(device: DeviceChoice) -> anyhow::Result<()> {
    if device == DeviceChoice::Gpu {
        GpuContext::shared().map_err(|e| anyhow::anyhow!("--device gpu: {e}"))?;
    }
    Ok(())
}
