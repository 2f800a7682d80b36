"""Cohort extraction from Python: gpurad's cohort engine (``gpurad extract --manifest``) on
a manifest file or a pandas DataFrame, returning the feature table."""

import csv
import json
import os
import tempfile

from . import _gpurad


def _params_document(params):
    """The parameter document of `params`: None (PyRadiomics' defaults), a parameter file,
    a dict, or a ``RadiomicsFeatureExtractor``."""
    if params is None:
        return {}
    if hasattr(params, "_document"):
        return params._document()
    if isinstance(params, dict):
        return params
    with open(os.fspath(params), encoding="utf-8") as fh:
        return json.loads(_gpurad.yaml_to_json(fh.read()))


def extract_batch(manifest, params=None, output=None, jobs=0, progress=True, resume=True):
    """Extracts the features of every case of a cohort.

    ``manifest`` is a manifest CSV (``ID``, ``Image_<SEQ>`` / ``Mask`` columns, or
    PyRadiomics' ``Image``, ``Mask``; relative paths from the CSV's folder) or a pandas
    DataFrame of the same columns (relative paths from the working directory). ``params``
    is a parameter file, a dict or a ``RadiomicsFeatureExtractor``. Rows are written to
    ``output`` (a CSV) as cases finish; with ``resume`` an existing ``output`` of the same
    inputs and settings keeps its finished rows, so an interrupted run goes on where it
    stopped. A failing case is a row with its ``error``, never an exception.

    Returns a pandas DataFrame when pandas is installed, else a list of dicts (one per case,
    in manifest order).
    """
    document = json.dumps(_params_document(params))
    with tempfile.TemporaryDirectory() as tmp:
        if hasattr(manifest, "to_csv"):
            frame = manifest.copy()
            for col in frame.columns:
                if col == "Image" or col == "Mask" or col.startswith(("Image_", "Mask_")):
                    frame[col] = [
                        v if not isinstance(v, str) or not v or os.path.isabs(v)
                        else os.path.abspath(v)
                        for v in frame[col]
                    ]
            path = os.path.join(tmp, "manifest.csv")
            frame.to_csv(path, index=False)
        else:
            path = os.fspath(manifest)
        out = os.fspath(output) if output is not None else os.path.join(tmp, "features.csv")
        _gpurad.extract_batch(path, document, out, int(jobs), bool(resume), bool(progress))
        try:
            import pandas
        except ImportError:
            with open(out, newline="", encoding="utf-8") as fh:
                return list(csv.DictReader(fh))
        return pandas.read_csv(out)
