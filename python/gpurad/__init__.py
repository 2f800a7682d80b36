"""gpurad: PyRadiomics-compatible radiomics features from a Rust engine.

``from gpurad import featureextractor`` gives ``featureextractor.RadiomicsFeatureExtractor``
with PyRadiomics' API (see :mod:`gpurad.featureextractor`); ``gpurad.extract_batch`` runs
the cohort engine on a manifest or DataFrame (see :mod:`gpurad.batch`); ``gpurad.fit``,
``gpurad.validate`` and ``gpurad.predict`` are the statistics stage (see :mod:`gpurad.stats`).
PyRadiomics' package-level functions are here too (``getTestCase``, ``setVerbosity``,
``logger``, ``getFeatureClasses``, ``getImageTypes``; see :mod:`gpurad.toolbox`), so a script
written for PyRadiomics runs with ``import gpurad as radiomics``.
"""

from . import _gpurad, featureextractor
from .batch import extract_batch
from .stats import fit, predict, validate
from .toolbox import (
    getFeatureClasses,
    getImageTypes,
    getTestCase,
    handler,
    logger,
    setVerbosity,
)

__version__ = _gpurad.version()

__all__ = [
    "featureextractor",
    "extract_batch",
    "fit",
    "validate",
    "predict",
    "getFeatureClasses",
    "getImageTypes",
    "getTestCase",
    "logger",
    "setVerbosity",
    "__version__",
]
