"""gpurad: PyRadiomics-compatible radiomics features from a Rust engine.

``from gpurad import featureextractor`` gives ``featureextractor.RadiomicsFeatureExtractor``
with PyRadiomics' API (see :mod:`gpurad.featureextractor`).
"""

from . import _gpurad, featureextractor

__version__ = _gpurad.version()

__all__ = ["featureextractor", "__version__"]
