"""Scripts written against PyRadiomics' package API run on gpurad with only the import changed.

Each script below uses what PyRadiomics' own examples (helloRadiomics, helloRadiomicsWithSettings,
batchprocessing) use: ``radiomics.getTestCase``, ``radiomics.logger`` with a file handler,
``radiomics.setVerbosity``, ``radiomics.__version__``, ``getFeatureClasses()`` with
``getFeatureNames()`` and the ``get<Feature>FeatureValue`` docstrings, settings given as
keywords (``interpolator=sitk.sitkBSpline``, ``resampledPixelSpacing=None``,
``enableCExtensions``), the enable/disable methods, ``enabledFeatures``,
``enabledImagetypes`` and ``execute(image, mask, label)``. They run in a fresh interpreter
with ``import gpurad as radiomics``; their outputs are checked against PyRadiomics' values.
"""

import csv
import logging
import os
import subprocess
import sys
import textwrap

import pytest

import gpurad
from test_extractor import case, close, expected

HELLO = """
import logging
import SimpleITK as sitk
import gpurad as radiomics
from gpurad import featureextractor, getFeatureClasses

imageName, maskName = radiomics.getTestCase("breast1", DATA)
if imageName is None or maskName is None:
    raise SystemExit("no test case")
radiomics.setVerbosity(logging.INFO)
logger = radiomics.logger
logger.setLevel(logging.DEBUG)
handler = logging.FileHandler(filename="testLog.txt", mode="w")
handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s: %(message)s"))
logger.addHandler(handler)

settings = {"binWidth": 25, "resampledPixelSpacing": None,
            "interpolator": sitk.sitkBSpline, "enableCExtensions": True}
extractor = featureextractor.RadiomicsFeatureExtractor(**settings)
extractor.disableAllFeatures()
extractor.enableFeaturesByName(firstorder=["Mean", "Skewness"])
extractor.enableFeatureClassByName("glcm")

featureClasses = getFeatureClasses()
for cls, features in extractor.enabledFeatures.items():
    if features is None or len(features) == 0:
        features = [f for f, deprecated in featureClasses[cls].getFeatureNames().items()
                    if not deprecated]
    for f in features:
        print("DOC", cls, f, getattr(featureClasses[cls], "get%sFeatureValue" % f).__doc__
              .splitlines()[0])

featureVector = extractor.execute(imageName, maskName)
for featureName in featureVector.keys():
    print("Computed %s: %s" % (featureName, featureVector[featureName]))
"""

BATCH = """
import collections, csv, logging, os
import gpurad as radiomics
from gpurad import featureextractor

rLogger = radiomics.logger
handler = logging.FileHandler(filename="batch_log.txt", mode="w")
rLogger.addHandler(handler)
logger = rLogger.getChild("batch")
radiomics.setVerbosity(logging.INFO)
logger.info("gpurad version: %s", radiomics.__version__)

extractor = featureextractor.RadiomicsFeatureExtractor("params.yaml")
logger.info("Enabled input images types: %s", extractor.enabledImagetypes)
headers = None
with open("cases.csv") as inFile:
    flists = list(csv.DictReader(inFile, lineterminator="\\n"))
for entry in flists:
    label = entry.get("Label", None)
    label = int(label) if str(label).isdigit() else None
    featureVector = collections.OrderedDict(entry)
    try:
        featureVector.update(extractor.execute(entry["Image"], entry["Mask"], label))
    except Exception:
        logger.error("FEATURE EXTRACTION FAILED", exc_info=True)
        continue
    with open("features.csv", "a") as outputFile:
        writer = csv.writer(outputFile, lineterminator="\\n")
        if headers is None:
            headers = list(featureVector.keys())
            writer.writerow(headers)
        writer.writerow([featureVector.get(h, "N/A") for h in headers])
"""


def run(script, cwd, data):
    """Runs `script` (with DATA bound to `data`) in a fresh interpreter in `cwd`."""
    path = os.path.join(cwd, "script.py")
    with open(path, "w") as fh:
        fh.write(f"DATA = {data!r}\n" + textwrap.dedent(script))
    done = subprocess.run(
        [sys.executable, path], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


@pytest.fixture
def nrrd_cases(tmp_path):
    """The bundled breast1 and brain2 as PyRadiomics' test-case files (NRRD)."""
    sitk = pytest.importorskip("SimpleITK")
    data = tmp_path / "data"
    data.mkdir()
    for name in ("breast1", "brain2"):
        image, mask = case(name)
        sitk.WriteImage(sitk.ReadImage(image), str(data / f"{name}_image.nrrd"))
        sitk.WriteImage(sitk.ReadImage(mask), str(data / f"{name}_label.nrrd"))
    return data


def test_hello_radiomics_style_script(tmp_path, nrrd_cases):
    out, err = run(HELLO, tmp_path, str(nrrd_cases))
    values = {}
    docs = []
    for line in out.splitlines():
        if line.startswith("Computed "):
            key, value = line[len("Computed "):].split(": ", 1)
            values[key] = value
        elif line.startswith("DOC "):
            docs.append(line.split(" ", 3))
    want = expected("breast1")
    features = [k for k in values if not k.startswith("diagnostics_")]
    assert features[:2] == ["original_firstorder_Mean", "original_firstorder_Skewness"]
    assert len(features) == 2 + 24  # Mean, Skewness and glcm's 24 default features
    for key in features:
        assert close(float(values[key]), want[key], 1e-6), key
    # Every enabled feature has its formula as the docstring's first line.
    assert ["DOC", "firstorder", "Mean"] == docs[0][:3] and "N_p" in docs[0][3]
    assert len(docs) == 26 and all(d[3].strip() for d in docs)
    # The log file received the INFO message; stderr (INFO via setVerbosity) too.
    log = (tmp_path / "testLog.txt").read_text()
    assert "INFO:gpurad: Calculating features" in log
    assert "Calculating features" in err


def test_batch_processing_style_script(tmp_path, nrrd_cases):
    (tmp_path / "params.yaml").write_text(
        "imageType:\n  Original: {}\nfeatureClass:\n  firstorder:\n  shape:\n"
        "setting:\n  binWidth: 25\n"
    )
    with open(tmp_path / "cases.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Image", "Mask", "Label"])
        for name in ("breast1", "brain2"):
            w.writerow([nrrd_cases / f"{name}_image.nrrd", nrrd_cases / f"{name}_label.nrrd", 1])
        # A failing case is logged and skipped, as the script intends.
        w.writerow([nrrd_cases / "breast1_image.nrrd", nrrd_cases / "breast1_label.nrrd", 9])
    run(BATCH, tmp_path, str(nrrd_cases))
    with open(tmp_path / "features.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2
    for row, name in zip(rows, ("breast1", "brain2")):
        want = expected(name)
        for key in ("original_firstorder_Mean", "original_shape_Sphericity"):
            assert close(float(row[key]), want[key], 1e-5), (name, key)
    log = (tmp_path / "batch_log.txt").read_text()
    assert "gpurad version" in log and "FEATURE EXTRACTION FAILED" in log and "label" in log


def test_get_test_case_reports_what_it_cannot_find(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="brain3"):
        gpurad.getTestCase("brain3", str(tmp_path))

    def offline(url, target):
        raise OSError("network unreachable")

    monkeypatch.setattr(gpurad.toolbox.urllib.request, "urlretrieve", offline)
    assert gpurad.getTestCase("lung1", str(tmp_path)) == (None, None)
    assert not os.listdir(tmp_path)
    (tmp_path / "lung1_image.nrrd").write_bytes(b"x")
    (tmp_path / "lung1_label_2D.nrrd").write_bytes(b"x")
    assert gpurad.getTestCase("lung1_2D", str(tmp_path)) == (
        str(tmp_path / "lung1_image.nrrd"),
        str(tmp_path / "lung1_label_2D.nrrd"),
    )


def test_feature_classes_and_verbosity():
    classes = gpurad.getFeatureClasses()
    assert set(classes) == set(featureextractor_classes())
    names = classes["shape"].getFeatureNames()
    assert names["Compactness1"] is True and names["Sphericity"] is False
    assert "IBSI: QCFX" in classes["shape"].getSphericityFeatureValue.__doc__
    assert "Original" in gpurad.getImageTypes() and "Wavelet" in gpurad.getImageTypes()
    level = gpurad.logger.level
    try:
        gpurad.setVerbosity(logging.DEBUG)
        assert gpurad.handler.level == logging.DEBUG and gpurad.logger.level == logging.DEBUG
        gpurad.setVerbosity(100)
        assert gpurad.handler.level == 60
    finally:
        gpurad.setVerbosity(logging.WARNING)
        gpurad.logger.setLevel(level)


def featureextractor_classes():
    return gpurad.featureextractor.RadiomicsFeatureExtractor().enabledFeatures.keys()
