"""PyRadiomics' package-level functions, so that scripts written for PyRadiomics run with
``import gpurad as radiomics``: ``getTestCase``, ``setVerbosity``, ``logger``,
``getFeatureClasses``, ``getImageTypes``.

``getFeatureClasses()`` describes gpurad's feature classes the way PyRadiomics' class
objects are read by scripts: ``getFeatureNames()`` gives each feature and whether it is
off by default (PyRadiomics calls those deprecated), and each ``get<Feature>FeatureValue``
carries the feature's formula, IBSI code and notes as its docstring. The classes describe;
``featureextractor.RadiomicsFeatureExtractor`` computes.
"""

import json
import logging
import os
import tempfile
import urllib.request

from . import _gpurad

logger = logging.getLogger("gpurad")
"""The package's logger (level INFO), as ``radiomics.logger``."""
logger.setLevel(logging.INFO)

handler = logging.StreamHandler()
"""The stderr handler ``setVerbosity`` sets the level of (WARNING at first)."""
handler.setLevel(logging.WARNING)
handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s: %(message)s"))
logger.addHandler(handler)

# PyRadiomics' test cases and where PyRadiomics publishes them.
_TEST_CASES = (
    "brain1",
    "brain2",
    "breast1",
    "lung1",
    "lung2",
    "test_wavelet_64x64x64",
    "test_wavelet_37x37x37",
)
_TEST_CASE_URL = "https://github.com/Radiomics/pyradiomics/releases/download/v1.0/{}"


def setVerbosity(level):
    """Sets how much is printed to stderr, as ``radiomics.setVerbosity``: a logging level
    from 10 (DEBUG, everything) to 60 (quiet); the logger's own level is lowered with it when
    needed, so a handler added to ``logger`` still receives what it asks for."""
    level = min(max(int(level), logging.DEBUG), 60)
    handler.setLevel(level)
    if level < logger.level:
        logger.setLevel(level)


def getTestCase(testCase, dataDirectory=None):
    """The (image, mask) paths of one of PyRadiomics' test cases (``brain1``, ``brain2``,
    ``breast1``, ``lung1``, ``lung2``, ``test_wavelet_64x64x64``, ``test_wavelet_37x37x37``;
    ``_2D`` appended for the single-slice mask), as ``radiomics.getTestCase``.

    The NRRD files are looked for in ``dataDirectory`` (default: PyRadiomics' own cache,
    ``<tempdir>/pyradiomics/data``, so cases PyRadiomics fetched are reused) and downloaded
    there from PyRadiomics' release when missing. Returns ``(None, None)``, with the error
    logged, when a file cannot be had; an unknown case is a ``ValueError``.
    """
    name = testCase.lower()
    label_2d = name.endswith("_2d")
    if label_2d:
        name = name[:-3]
    if name not in _TEST_CASES:
        raise ValueError(f'test case "{testCase}" not recognised (one of {", ".join(_TEST_CASES)})')
    if dataDirectory is None:
        dataDirectory = os.path.join(tempfile.gettempdir(), "pyradiomics", "data")
    files = (f"{name}_image.nrrd", f"{name}_label{'_2D' if label_2d else ''}.nrrd")
    paths = []
    for file in files:
        target = os.path.join(dataDirectory, file)
        if not os.path.exists(target):
            logger.info("test case file %s not in %s: downloading it", file, dataDirectory)
            try:
                os.makedirs(dataDirectory, exist_ok=True)
                partial = target + ".part"
                urllib.request.urlretrieve(_TEST_CASE_URL.format(file), partial)
                os.replace(partial, target)
            except Exception as e:  # noqa: BLE001 - any failure is reported as PyRadiomics does
                logger.error("test case file %s could not be downloaded: %s", file, e)
                return None, None
        paths.append(target)
    return tuple(paths)


def _catalogue():
    return json.loads(_gpurad.catalogue_json())


def _feature_doc(feature):
    lines = [feature["formula"]]
    if feature.get("ibsi"):
        lines.append(f"IBSI: {feature['ibsi']}")
    if feature.get("note"):
        lines.append(feature["note"])
    return "\n\n".join(lines)


def _feature_class(spec):
    """A class describing one feature class of the catalogue."""
    features = spec["features"]

    def getFeatureNames(cls=None):
        return {f["name"]: not f["default"] for f in features}

    attributes = {
        "__doc__": f"{spec['title']} (IBSI {spec['ibsi']}).\n\n{spec['notation']}",
        "name": spec["name"],
        "getFeatureNames": staticmethod(getFeatureNames),
    }
    for f in features:
        def value(self=None, _name=f["name"]):
            raise NotImplementedError(
                f"{spec['name']} {_name} is computed by featureextractor.RadiomicsFeatureExtractor"
            )

        value.__doc__ = _feature_doc(f)
        value.__name__ = f"get{f['name']}FeatureValue"
        attributes[value.__name__] = staticmethod(value)
    class_name = "Radiomics" + spec["name"][:1].upper() + spec["name"][1:]
    return type(class_name, (), attributes)


_feature_classes = None


def getFeatureClasses():
    """Every feature class gpurad computes, by its PyRadiomics name, as a class whose
    ``getFeatureNames()`` maps each feature to whether it is off by default and whose
    ``get<Feature>FeatureValue.__doc__`` gives its formula, IBSI code and notes."""
    global _feature_classes
    if _feature_classes is None:
        _feature_classes = {c["name"]: _feature_class(c) for c in _catalogue()["classes"]}
    return _feature_classes


def getImageTypes():
    """Every image type gpurad computes (``Original`` and the filters), as PyRadiomics names
    them."""
    return list(_gpurad.image_types())
