"""The statistics stage from Python: ``fit``, ``validate`` and ``predict`` on tables
(pandas DataFrames or CSV files), with the same content as ``gpurad fit`` (model.json),
``gpurad validate`` (metrics.json, predictions.csv) and ``gpurad predict``."""

import csv
import io
import json
import os
import tempfile

from . import _gpurad


def _table(table, tmp):
    """A CSV path for `table`: a path as it is, a DataFrame written to `tmp`."""
    if hasattr(table, "to_csv"):
        path = os.path.join(tmp, "table.csv")
        table.to_csv(path, index=False)
        return path
    return os.fspath(table)


def _model_json(model):
    """A model (the dict ``fit`` returns, a model.json path, or its JSON text) as JSON."""
    if isinstance(model, dict):
        return json.dumps(model)
    if isinstance(model, str) and model.lstrip().startswith("{"):
        return model
    with open(os.fspath(model), encoding="utf-8") as fh:
        return fh.read()


def _rows(csv_text):
    """CSV text as a DataFrame when pandas is installed, else a list of dicts."""
    try:
        import pandas
    except ImportError:
        return list(csv.DictReader(io.StringIO(csv_text)))
    return pandas.read_csv(io.StringIO(csv_text))


def fit(table, outcome, **options):
    """Fits the Radscore (cross-validated LASSO) and the logistic models on the training
    patients of `table`, as ``gpurad fit``; returns model.json's content as a dict.

    Options take the command's names and defaults: ``clinical``, ``clinical_candidates``
    (lists of expressions such as ``"age>60"`` or ``"factor(stage)"``), ``enter_p``,
    ``firth``, ``bootstrap`` (1000), ``bootstrap_pipeline`` (0), ``exclude``, ``cohort_col``
    (``cohort`` when present), ``train_value`` (``"train"``), ``foldid_col``, ``nfolds``
    (10), ``seed`` (1), ``lambda`` (``"min"``, ``"1se"`` or a value), ``drop_incomplete``,
    ``filter`` (e.g. ``["nzv", "spearman:0.9"]``), ``id``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        document = dict(options, outcome=outcome)
        return json.loads(_gpurad.fit(_table(table, tmp), json.dumps(document)))


def validate(model, table, cohort_col=None, drop_incomplete=False):
    """Validates `model` on every cohort of `table`, as ``gpurad validate``: returns
    ``{"cohorts": [...], "predictions": table}`` with metrics.json's per-cohort metrics (AUC
    with DeLong CI, DeLong tests, sensitivity, specificity, … with Clopper–Pearson CIs,
    Hosmer–Lemeshow, calibration, decision curves)."""
    with tempfile.TemporaryDirectory() as tmp:
        metrics, predictions = _gpurad.validate(
            _model_json(model), _table(table, tmp), cohort_col, bool(drop_incomplete)
        )
    return {"cohorts": json.loads(metrics), "predictions": _rows(predictions)}


def predict(model, table):
    """Radscore, each model's probability and the nomogram points of every patient of
    `table`, as ``gpurad predict``."""
    with tempfile.TemporaryDirectory() as tmp:
        return _rows(_gpurad.predict(_model_json(model), _table(table, tmp)))
