//! The `gpurad._gpurad` extension module: gpurad's extraction for Python. The Python
//! package (`python/gpurad`) builds PyRadiomics' `RadiomicsFeatureExtractor` on these
//! functions; parameters travel as PyRadiomics' parameter document in JSON (a subset of
//! YAML), so they are read and checked by the same code as on the command line.
//!
//! Extraction releases the GIL. Images given as arrays are held in memory with their exact
//! geometry and pixel type, checked as a file's header is and read by the same code as
//! every file format, so that every way in gives the same result as a file.

use std::path::{Path, PathBuf};

use numpy::{PyArray3, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use gpurad::extract::{extract_case, extract_input_on, Value};
use gpurad::features::registry::FeatureClass;
use gpurad::image::Geometry;
use gpurad::io::image_file::ImageInput;
use gpurad::io::memory_image::MemoryImage;
use gpurad::matrices::gpu::DeviceChoice;
use gpurad::settings::ImageTypeKind;
use gpurad::Params;

fn error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A feature row as (key, value) pairs: numbers as float, text as str.
fn row_to_python(py: Python<'_>, row: Vec<(String, Value)>) -> PyResult<Vec<(String, PyObject)>> {
    row.into_iter()
        .map(|(k, v)| {
            let value = match v {
                Value::Number(x) => x.into_pyobject(py)?.into_any().unbind(),
                Value::Text(t) => t.into_pyobject(py)?.into_any().unbind(),
            };
            Ok((k, value))
        })
        .collect()
}

/// Extracts the features of `image` and `mask` (files in any format gpurad reads) under the
/// parameter document `params_json`.
#[pyfunction]
fn extract_files(
    py: Python<'_>,
    image: PathBuf,
    mask: PathBuf,
    params_json: &str,
) -> PyResult<Vec<(String, PyObject)>> {
    let params = Params::from_yaml(params_json).map_err(error)?;
    let row = py
        .allow_threads(|| extract_case(&image, &mask, &params))
        .map_err(error)?;
    row_to_python(py, row)
}

/// The grid of an array image as Python hands it over: spacing, origin (LPS) and direction
/// (row-major, as SimpleITK).
type ArrayGrid = ([f64; 3], [f64; 3], [f64; 9]);

/// Calls `f` with the voxels of the C-contiguous numpy array `a` (indexed [z, y, x], native
/// byte order) as bytes, read in place without a copy under a shared borrow of the array,
/// with its dtype name and size (x, y, z). (As with any in-place read, the array must not be
/// written to by another thread while the call runs: `execute` documents it.)
fn with_voxels<R>(
    a: &Bound<'_, PyAny>,
    f: impl FnOnce(&[u8], &str, [usize; 3]) -> PyResult<R>,
) -> PyResult<R> {
    macro_rules! as_type {
        ($t:ty, $name:expr) => {
            if let Ok(array) = a.downcast::<PyArray3<$t>>() {
                let view = array.try_readonly().map_err(error)?;
                let shape = view.shape();
                let size = [shape[2], shape[1], shape[0]];
                let values = view.as_slice().map_err(error)?;
                return f(bytemuck::cast_slice(values), $name, size);
            }
        };
    }
    as_type!(bool, "bool");
    as_type!(i8, "int8");
    as_type!(u8, "uint8");
    as_type!(i16, "int16");
    as_type!(u16, "uint16");
    as_type!(i32, "int32");
    as_type!(u32, "uint32");
    as_type!(i64, "int64");
    as_type!(u64, "uint64");
    as_type!(f32, "float32");
    as_type!(f64, "float64");
    Err(error(format!(
        "arrays must be 3D numpy arrays of bool, integers, float32 or float64 in native byte order, not {}",
        a.getattr("dtype")
            .and_then(|d| d.str().map(|s| s.to_string()))
            .unwrap_or_else(|_| a.get_type().to_string())
    )))
}

/// The image named `name` in messages from its voxels and grid, checked; the voxels stay
/// where they are (borrowed, not copied).
fn memory_image<'a>(
    name: &str,
    bytes: &'a [u8],
    dtype: &str,
    size: [usize; 3],
    (spacing, origin, direction): ArrayGrid,
) -> PyResult<MemoryImage<'a>> {
    let mut geometry = Geometry::with_spacing(size, spacing);
    geometry.origin = origin;
    for (r, row) in geometry.direction.iter_mut().enumerate() {
        row.copy_from_slice(&direction[r * 3..r * 3 + 3]);
    }
    MemoryImage::new(name, bytes, dtype, geometry).map_err(error)
}

/// Extracts the features of an image and a mask given as C-contiguous 3D numpy arrays in
/// native byte order (indexed [z, y, x], as SimpleITK's `GetArrayViewFromImage` gives them),
/// each on its own grid ([`ArrayGrid`]): the grids are checked against each other as files'
/// are, and the voxels read in place by the same code as files.
#[pyfunction]
fn extract_arrays(
    py: Python<'_>,
    image: Bound<'_, PyAny>,
    image_grid: ArrayGrid,
    mask: Bound<'_, PyAny>,
    mask_grid: ArrayGrid,
    params_json: &str,
) -> PyResult<Vec<(String, PyObject)>> {
    let params = Params::from_yaml(params_json).map_err(error)?;
    let row = with_voxels(&image, |image_bytes, image_dtype, image_size| {
        with_voxels(&mask, |mask_bytes, mask_dtype, mask_size| {
            let image = memory_image(
                "image array",
                image_bytes,
                image_dtype,
                image_size,
                image_grid,
            )?;
            let mask = memory_image("mask array", mask_bytes, mask_dtype, mask_size, mask_grid)?;
            py.allow_threads(|| {
                extract_input_on(
                    ImageInput::Memory(&image),
                    ImageInput::Memory(&mask),
                    &params,
                    DeviceChoice::Cpu,
                )
            })
            .map_err(error)
        })
    })?;
    row_to_python(py, row)
}

/// Extracts every case of the manifest CSV `manifest` into the CSV file `output` with the
/// cohort engine (`gpurad extract --manifest`): `jobs` workers (0: one per core), resumable
/// (`resume`: completed rows of an existing output are kept), failures recorded as rows.
/// Returns (cases, extracted, resumed, failures).
#[pyfunction]
fn extract_batch(
    py: Python<'_>,
    manifest: PathBuf,
    params_json: &str,
    output: PathBuf,
    jobs: usize,
    resume: bool,
    progress: bool,
) -> PyResult<(usize, usize, usize, usize)> {
    let params = Params::from_yaml(params_json).map_err(error)?;
    let cases = gpurad::io::manifest::read(&manifest).map_err(error)?;
    let options = gpurad::cohort::Options {
        jobs,
        device: gpurad::matrices::gpu::DeviceChoice::Auto,
        resume,
        shard: None,
        progress: if progress {
            gpurad::cohort::Progress::Auto
        } else {
            gpurad::cohort::Progress::Quiet
        },
    };
    let s = py
        .allow_threads(|| gpurad::cohort::run(&cases, &params, &output, &options))
        .map_err(error)?;
    Ok((s.cases, s.extracted, s.resumed, s.failures))
}

/// The model-fitting options of `gpurad fit`, from a JSON object with the command's option
/// names (`outcome`, `clinical`, `clinical_candidates`, `filter`, `lambda`, …) and its
/// defaults.
fn fit_options(json: &str) -> PyResult<gpurad::study::fit::FitOptions> {
    use gpurad::study::clinical::Clinical;
    let v: serde_json::Value = serde_json::from_str(json).map_err(error)?;
    let o = v
        .as_object()
        .ok_or_else(|| error("the fit options must be a dict"))?;
    let known = [
        "outcome",
        "id",
        "clinical",
        "clinical_candidates",
        "enter_p",
        "firth",
        "bootstrap",
        "bootstrap_pipeline",
        "exclude",
        "cohort_col",
        "train_value",
        "foldid_col",
        "nfolds",
        "seed",
        "lambda",
        "drop_incomplete",
        "filter",
    ];
    if let Some(k) = o.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(error(format!(
            "unknown fit option '{k}' (known: {})",
            known.join(", ")
        )));
    }
    let text = |k: &str| o.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let list = |k: &str| -> PyResult<Vec<String>> {
        match o.get(k) {
            None | Some(serde_json::Value::Null) => Ok(Vec::new()),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| error(format!("'{k}' must be a list of strings")))
                })
                .collect(),
            Some(serde_json::Value::String(s)) => {
                Ok(s.split(',').map(|t| t.trim().to_string()).collect())
            }
            Some(_) => Err(error(format!("'{k}' must be a list of strings"))),
        }
    };
    let number = |k: &str, default: f64| -> PyResult<f64> {
        match o.get(k) {
            None | Some(serde_json::Value::Null) => Ok(default),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| error(format!("'{k}' must be a number"))),
        }
    };
    let whole = |k: &str, default: u64| -> PyResult<u64> {
        match o.get(k) {
            None | Some(serde_json::Value::Null) => Ok(default),
            Some(v) => v
                .as_u64()
                .ok_or_else(|| error(format!("'{k}' must be a whole number ≥ 0"))),
        }
    };
    let flag = |k: &str| o.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
    let clinical = |k: &str| -> PyResult<Vec<Clinical>> {
        list(k)?
            .iter()
            .map(|c| Clinical::parse(c).map_err(error))
            .collect()
    };
    Ok(gpurad::study::fit::FitOptions {
        outcome: text("outcome").ok_or_else(|| error("the fit options need 'outcome'"))?,
        id: text("id"),
        clinical: clinical("clinical")?,
        clinical_candidates: clinical("clinical_candidates")?,
        enter_p: number("enter_p", 0.05)?,
        exclude: list("exclude")?,
        cohort: text("cohort_col"),
        train_value: text("train_value").unwrap_or_else(|| "train".into()),
        foldid: text("foldid_col"),
        nfolds: whole("nfolds", 10)? as usize,
        seed: whole("seed", 1)?,
        lambda: text("lambda")
            .unwrap_or_else(|| "min".into())
            .parse()
            .map_err(error)?,
        drop_incomplete: flag("drop_incomplete"),
        filters: list("filter")?
            .iter()
            .map(|f| f.parse().map_err(error))
            .collect::<PyResult<_>>()?,
        repeats: Vec::new(),
        firth: flag("firth"),
        bootstrap: whole("bootstrap", 1000)? as usize,
        bootstrap_pipeline: whole("bootstrap_pipeline", 0)? as usize,
    })
}

/// Fits the Radscore and the logistic models on the training patients of the CSV table
/// `table` (as `gpurad fit`); returns model.json's content as JSON.
#[pyfunction]
fn fit(py: Python<'_>, table: PathBuf, options_json: &str) -> PyResult<String> {
    let mut options = fit_options(options_json)?;
    let ds = gpurad::study::dataset::Dataset::read(&table).map_err(error)?;
    if options.cohort.is_none() && ds.column("cohort").is_ok() {
        options.cohort = Some("cohort".into());
    }
    let model = py
        .allow_threads(|| gpurad::study::pipeline_validation::fit_validated(&ds, &options))
        .map_err(error)?;
    serde_json::to_string(&model).map_err(error)
}

/// Reads and checks a model given as JSON, as `gpurad validate` checks model.json.
fn model_of(dir: &Path, model_json: &str) -> PyResult<gpurad::study::fit::Model> {
    let path = dir.join("model.json");
    std::fs::write(&path, model_json).map_err(error)?;
    gpurad::study::fit::Model::read(&path).map_err(error)
}

/// Validates a model (JSON) on every cohort of the CSV table `table` (as `gpurad
/// validate`); returns (metrics.json's cohorts as JSON, predictions as CSV text).
#[pyfunction]
#[pyo3(signature = (model_json, table, cohort_col=None, drop_incomplete=false))]
fn validate(
    py: Python<'_>,
    model_json: &str,
    table: PathBuf,
    cohort_col: Option<String>,
    drop_incomplete: bool,
) -> PyResult<(String, String)> {
    let dir = tempfile::tempdir().map_err(error)?;
    let model = model_of(dir.path(), model_json)?;
    let ds = gpurad::study::dataset::Dataset::read(&table).map_err(error)?;
    let cohort = cohort_col.or_else(|| ds.column("cohort").ok().map(|_| "cohort".to_string()));
    let (metrics, preds) = py
        .allow_threads(|| {
            gpurad::study::validate::validate(&model, &ds, cohort.as_deref(), drop_incomplete)
        })
        .map_err(error)?;
    let mut csv = Vec::new();
    gpurad::study::validate::write_predictions(&preds, &mut csv).map_err(error)?;
    Ok((
        serde_json::to_string(&metrics).map_err(error)?,
        String::from_utf8(csv).map_err(error)?,
    ))
}

/// Radscore, probabilities and nomogram points of a model (JSON) for every patient of the
/// CSV table `table` (as `gpurad predict`); returns the predictions as CSV text.
#[pyfunction]
fn predict(py: Python<'_>, model_json: &str, table: PathBuf) -> PyResult<String> {
    let dir = tempfile::tempdir().map_err(error)?;
    let model = model_of(dir.path(), model_json)?;
    let ds = gpurad::study::dataset::Dataset::read(&table).map_err(error)?;
    let cohort = ds.column("cohort").ok().map(|_| "cohort".to_string());
    let rows: Vec<usize> = (0..ds.rows.len()).collect();
    let preds = py
        .allow_threads(|| gpurad::study::validate::predict(&model, &ds, &rows, cohort.as_deref()))
        .map_err(error)?;
    let mut csv = Vec::new();
    gpurad::study::validate::write_predictions(&preds, &mut csv).map_err(error)?;
    String::from_utf8(csv).map_err(error)
}

/// A YAML document (a PyRadiomics parameter file) as JSON.
#[pyfunction]
fn yaml_to_json(text: &str) -> PyResult<String> {
    let value: serde_json::Value = serde_yaml_ng::from_str(text).map_err(error)?;
    Ok(value.to_string())
}

/// Checks a parameter document as extraction would, without extracting.
#[pyfunction]
fn check_params(params_json: &str) -> PyResult<()> {
    Params::from_yaml(params_json).map(|_| ()).map_err(error)
}

/// Every feature class with its features and whether each is on by default.
#[pyfunction]
fn feature_classes() -> Vec<(String, Vec<(String, bool)>)> {
    FeatureClass::ALL
        .iter()
        .map(|c| {
            (
                c.name().to_string(),
                c.spec()
                    .features
                    .iter()
                    .map(|f| (f.name.to_string(), f.default))
                    .collect(),
            )
        })
        .collect()
}

/// Every image type's name, as in a parameter file.
#[pyfunction]
fn image_types() -> Vec<String> {
    ImageTypeKind::ALL
        .iter()
        .map(|k| k.name().to_string())
        .collect()
}

/// The feature catalogue (every class and feature with its IBSI code, formula and note, and
/// every image type) as JSON: `gpurad features --format json`.
#[pyfunction]
fn catalogue_json() -> String {
    gpurad::catalogue::json(None)
}

/// gpurad's version.
#[pyfunction]
fn version() -> &'static str {
    gpurad::extract::VERSION
}

/// The extension module.
#[pymodule]
fn _gpurad(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(extract_files, m)?)?;
    m.add_function(wrap_pyfunction!(extract_arrays, m)?)?;
    m.add_function(wrap_pyfunction!(extract_batch, m)?)?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add_function(wrap_pyfunction!(yaml_to_json, m)?)?;
    m.add_function(wrap_pyfunction!(check_params, m)?)?;
    m.add_function(wrap_pyfunction!(feature_classes, m)?)?;
    m.add_function(wrap_pyfunction!(image_types, m)?)?;
    m.add_function(wrap_pyfunction!(catalogue_json, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}
