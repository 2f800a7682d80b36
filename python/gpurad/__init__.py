"""gpurad: PyRadiomics-compatible radiomics features from a Rust engine.

``from gpurad import featureextractor`` gives ``featureextractor.RadiomicsFeatureExtractor``
with PyRadiomics' API (see :mod:`gpurad.featureextractor`); ``gpurad.extract_batch`` runs
the cohort engine on a manifest or DataFrame (see :mod:`gpurad.batch`); ``gpurad.fit``,
``gpurad.validate`` and ``gpurad.predict`` are the statistics stage (see :mod:`gpurad.stats`).
"""

from . import _gpurad, featureextractor
from .batch import extract_batch
from .stats import fit, predict, validate

__version__ = _gpurad.version()

__all__ = ["featureextractor", "extract_batch", "fit", "validate", "predict", "__version__"]
