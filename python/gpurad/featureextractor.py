"""PyRadiomics' feature extractor API on gpurad's engine.

``RadiomicsFeatureExtractor`` takes the same parameters (a YAML/JSON parameter file, a dict,
or keyword settings) and has the same methods and attributes as
``radiomics.featureextractor.RadiomicsFeatureExtractor`` of PyRadiomics 3.1; ``execute``
returns an ``OrderedDict`` with PyRadiomics' keys, in PyRadiomics' order, and its value
types (diagnostics as str, int, tuple or dict; features as ``numpy.float64`` when numpy is
installed). Images and masks are file paths (NIfTI, NRRD, MetaImage), SimpleITK images, or
numpy arrays indexed ``[z, y, x]`` (as ``SimpleITK.GetArrayViewFromImage`` gives them) with
``spacing``, ``origin`` and ``direction`` in SimpleITK's conventions.

Parameters are checked by gpurad when they are set and when features are extracted: an
unknown setting, image type, feature class or feature is a ``ValueError`` naming it.
"""

import ast
import collections
import json
import os

from . import _gpurad
from .toolbox import logger

try:  # numpy is optional: without it feature values are Python floats.
    import numpy as _np
except ImportError:  # pragma: no cover - exercised only without numpy
    _np = None


def _feature_classes():
    return collections.OrderedDict(_gpurad.feature_classes())


def _typed_row(row):
    """A row of (key, value) pairs as PyRadiomics types it, in its order: diagnostics one by
    one, feature values converted together (``numpy.float64`` scalars)."""
    typed = [None] * len(row)
    features = []
    for i, (k, v) in enumerate(row):
        if k.startswith("diagnostics_") or not isinstance(v, float):
            typed[i] = (k, _python_value(k, v))
        else:
            features.append(i)
    if features:
        values = [row[i][1] for i in features]
        if _np is not None:
            values = _np.array(values, dtype=_np.float64)
        for i, v in zip(features, values):
            typed[i] = (row[i][0], v)
    return collections.OrderedDict(typed)


def _python_value(key, value):
    """A value as PyRadiomics types it."""
    if isinstance(value, str):
        if key.startswith("diagnostics_") and value[:1] in "([{":
            # Settings are written as JSON, tuples as Python writes them.
            try:
                return json.loads(value)
            except ValueError:
                pass
            try:
                return ast.literal_eval(value)
            except (ValueError, SyntaxError):
                return value
        return value
    if key.startswith("diagnostics_"):
        return int(value) if float(value).is_integer() else value
    return _np.float64(value) if _np is not None else float(value)


class RadiomicsFeatureExtractor:
    """Extracts radiomics features as PyRadiomics' extractor of the same name does.

    ``RadiomicsFeatureExtractor()`` enables the original image and every feature class with
    its default features; ``RadiomicsFeatureExtractor("params.yaml")`` or
    ``RadiomicsFeatureExtractor({...})`` reads PyRadiomics' parameter document; keyword
    arguments are settings (``binWidth=25``) applied over it.
    """

    def __init__(self, *args, **kwargs):
        self.settings = {}
        self.enabledImagetypes = {"Original": {}}
        self.enabledFeatures = {c: [] for c in _feature_classes()}
        if args:
            if isinstance(args[0], dict):
                self._applyParams(args[0])
            elif isinstance(args[0], (str, os.PathLike)):
                self.loadParams(os.fspath(args[0]))
            else:
                raise TypeError("the parameters must be a file path or a dict")
        self.settings.update(kwargs)
        self._check()

    # Parameters -------------------------------------------------------------------------

    def loadParams(self, paramsFile):
        """Reads a parameter file (YAML or JSON) and applies it as PyRadiomics does."""
        with open(paramsFile, encoding="utf-8") as fh:
            self._applyParams(json.loads(_gpurad.yaml_to_json(fh.read())))

    def loadJSONParams(self, JSON_configuration):
        """Applies a parameter document given as a JSON string."""
        self._applyParams(json.loads(JSON_configuration))

    def _applyParams(self, params):
        params = params or {}
        self.settings = dict(params.get("setting") or {})
        types = params.get("imageType")
        self.enabledImagetypes = (
            {"Original": {}} if types is None else {k: dict(v or {}) for k, v in types.items()}
        )
        classes = params.get("featureClass")
        if classes is None:
            self.enabledFeatures = {c: [] for c in _feature_classes()}
        else:
            self.enabledFeatures = {k: list(v or []) for k, v in classes.items()}
        self._check()

    def _document(self):
        """The parameter document gpurad reads."""
        return {
            "setting": self.settings,
            "imageType": self.enabledImagetypes,
            "featureClass": self.enabledFeatures,
        }

    def _check(self):
        _gpurad.check_params(json.dumps(self._document()))

    # Image types --------------------------------------------------------------------------

    def enableAllImageTypes(self):
        """Enables every image type with its default settings."""
        self.enabledImagetypes = {t: {} for t in _gpurad.image_types()}

    def disableAllImageTypes(self):
        """Disables every image type."""
        self.enabledImagetypes = {}

    def enableImageTypeByName(self, imageType, enabled=True, customArgs=None):
        """Enables (or disables) one image type, with its own settings."""
        if imageType not in _gpurad.image_types():
            raise ValueError(
                f"unknown image type '{imageType}' (available: {', '.join(_gpurad.image_types())})"
            )
        if enabled:
            self.enabledImagetypes[imageType] = dict(customArgs or {})
        else:
            self.enabledImagetypes.pop(imageType, None)

    def enableImageTypes(self, **enabledImagetypes):
        """Enables several image types: ``enableImageTypes(LoG={'sigma': [2.0]})``."""
        for name, custom in enabledImagetypes.items():
            self.enableImageTypeByName(name, True, custom)

    # Feature classes ----------------------------------------------------------------------

    def enableAllFeatures(self):
        """Enables every feature class with its default features."""
        self.enabledFeatures = {c: [] for c in _feature_classes()}

    def disableAllFeatures(self):
        """Disables every feature class."""
        self.enabledFeatures = {}

    def enableFeatureClassByName(self, featureClass, enabled=True):
        """Enables (with its default features) or disables one feature class."""
        if featureClass not in _feature_classes():
            raise ValueError(
                f"unknown feature class '{featureClass}' (available: {', '.join(_feature_classes())})"
            )
        if enabled:
            self.enabledFeatures[featureClass] = []
        else:
            self.enabledFeatures.pop(featureClass, None)

    def enableFeaturesByName(self, **enabledFeatures):
        """Enables the named features of classes: ``enableFeaturesByName(glcm=['Contrast'])``."""
        for featureClass, features in enabledFeatures.items():
            if featureClass not in _feature_classes():
                raise ValueError(f"unknown feature class '{featureClass}'")
            self.enabledFeatures[featureClass] = list(features or [])
        self._check()

    def getFeatureClassNames(self):
        """The feature classes gpurad computes."""
        return list(_feature_classes())

    def getFeatureNames(self, featureClassName):
        """The features of one class (all of them, default or not)."""
        return [name for name, _ in _feature_classes()[featureClassName]]

    # Extraction ---------------------------------------------------------------------------

    def execute(self, imageFilepath, maskFilepath, label=None, spacing=None, origin=None,
                direction=None, **kwargs):
        """The features of one image and mask, as an ``OrderedDict``.

        Image and mask are file paths, SimpleITK images, or numpy arrays indexed
        ``[z, y, x]`` on the same grid, described by ``spacing`` (required for arrays),
        ``origin`` (default 0) and ``direction`` (row-major 3 × 3, default identity).
        ``label`` selects the mask's ROI label (default: the ``label`` setting, else 1).
        Arrays and SimpleITK images are read in place, without a copy, with the GIL released:
        another thread must not write to them until ``execute`` returns.
        """
        if kwargs.get("voxelBased"):
            raise NotImplementedError("voxel-based extraction is not available in gpurad")
        logger.info("Calculating features with gpurad %s", _gpurad.version())
        document = self._document()
        if label is not None:
            document = dict(document, setting=dict(self.settings, label=int(label)))
        params = json.dumps(document)
        if isinstance(imageFilepath, (str, os.PathLike)) and isinstance(
            maskFilepath, (str, os.PathLike)
        ):
            row = _gpurad.extract_files(
                os.fspath(imageFilepath), os.fspath(maskFilepath), params
            )
        else:
            row = self._execute_arrays(
                imageFilepath, maskFilepath, spacing, origin, direction, params
            )
        return _typed_row(row)

    def _execute_arrays(self, image, mask, spacing, origin, direction, params):
        if _np is None:
            raise TypeError("images that are not file paths need numpy")
        if hasattr(mask, "GetSpacing") and not hasattr(image, "GetSpacing"):
            raise TypeError("a SimpleITK mask needs a SimpleITK image (or a file path)")
        if hasattr(image, "GetSpacing"):
            # Each SimpleITK image brings its own grid (gpurad checks that they agree); views
            # of their buffers are copied once, below.
            image_grid = _sitk_grid(image)
            mask_grid = _sitk_grid(mask) if hasattr(mask, "GetSpacing") else image_grid
            import SimpleITK as sitk

            image = sitk.GetArrayViewFromImage(image)
            if hasattr(mask, "GetSpacing"):
                mask = sitk.GetArrayViewFromImage(mask)
        else:
            if spacing is None:
                raise ValueError("arrays need their voxel spacing (spacing=(x, y, z))")
            origin = (0.0, 0.0, 0.0) if origin is None else origin
            direction = (
                (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0) if direction is None else direction
            )
            image_grid = mask_grid = _grid(spacing, origin, direction)
        image, mask = _np.asarray(image), _np.asarray(mask)
        for name, a in (("image", image), ("mask", mask)):
            if a.ndim != 3:
                raise ValueError(f"the {name} must be a 3D array indexed [z, y, x], not {a.shape}")
        def native(a):
            # C order in the machine's byte order: the engine reads the buffer in place.
            a = _np.ascontiguousarray(a)
            return a.astype(a.dtype.newbyteorder("="), copy=False)

        return _gpurad.extract_arrays(native(image), image_grid, native(mask), mask_grid, params)


def _grid(spacing, origin, direction):
    """(spacing, origin, direction) as lists of floats, direction row-major 3 × 3."""
    spacing = [float(v) for v in spacing]
    origin = [float(v) for v in origin]
    direction = [float(v) for v in _np.asarray(direction, dtype=float).flatten()]
    if len(spacing) != 3 or len(origin) != 3:
        raise ValueError("spacing and origin must hold 3 numbers (x, y, z)")
    if len(direction) != 9:
        raise ValueError("direction must hold 9 numbers (a 3 × 3 matrix, row-major)")
    return spacing, origin, direction


def _sitk_grid(image):
    if image.GetDimension() != 3:
        raise ValueError(f"images must be 3D, not {image.GetDimension()}D")
    return _grid(image.GetSpacing(), image.GetOrigin(), image.GetDirection())
