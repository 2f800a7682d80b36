"""gpurad: PyRadiomics-compatible radiomics features from a Rust engine.

``from gpurad import featureextractor`` gives ``featureextractor.RadiomicsFeatureExtractor``
with PyRadiomics' API (see :mod:`gpurad.featureextractor`); ``gpurad.extract_batch`` runs
the cohort engine on a manifest or DataFrame (see :mod:`gpurad.batch`).
"""

from . import _gpurad, featureextractor
from .batch import extract_batch

__version__ = _gpurad.version()

__all__ = ["featureextractor", "extract_batch", "__version__"]
