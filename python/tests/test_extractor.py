"""gpurad's Python extractor against PyRadiomics 3.1's values and API.

The reference values are PyRadiomics' own outputs for the bundled cases
(tests/fixtures/pyradiomics/expected_*.csv, made by the scripts beside them): at default
settings every feature they hold agrees to 1e-6 relative (shape 1e-5, as the Rust tests),
whether the image comes as a file path, a SimpleITK image or a numpy array.
"""

import csv
import math
import os
from collections import OrderedDict

import pytest

from gpurad import featureextractor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CASES = os.path.join(ROOT, "tests", "fixtures", "cases")
EXPECTED = os.path.join(ROOT, "tests", "fixtures", "pyradiomics")


def case(name):
    return (
        os.path.join(CASES, f"{name}_image.nii.gz"),
        os.path.join(CASES, f"{name}_label.nii.gz"),
    )


def expected(name):
    """PyRadiomics' default-settings values of case `name`: key -> float."""
    values = {}
    for f in ["expected_firstorder_shape.csv", "expected_texture.csv"]:
        with open(os.path.join(EXPECTED, f), newline="") as fh:
            for row in csv.DictReader(fh):
                if row["case"] == name and row["config"] == "default":
                    try:
                        values[row["feature"]] = float(row["value"])
                    except ValueError:
                        pass
    return values


def close(got, want, rel):
    return got == want or abs(got - want) <= rel * max(abs(want), 1e-300) or (
        math.isnan(got) and math.isnan(want)
    )


def compare(result, name):
    want = expected(name)
    compared = 0
    for key, value in want.items():
        if key.startswith("diagnostics_") or key not in result:
            continue
        rel = 1e-5 if "_shape_" in key else 1e-6
        assert close(float(result[key]), value, rel), f"{name} {key}: {result[key]} vs {value}"
        compared += 1
    return compared


@pytest.mark.parametrize("name", ["breast1", "brain2", "prostate"])
def test_default_extraction_from_paths_equals_pyradiomics(name):
    extractor = featureextractor.RadiomicsFeatureExtractor()
    result = extractor.execute(*case(name))
    assert isinstance(result, OrderedDict)
    assert compare(result, name) >= 90
    # PyRadiomics' feature keys and order, diagnostics first, and PyRadiomics' value types.
    keys = list(result)
    assert keys[0] == "diagnostics_Versions_gpurad"
    first_feature = next(i for i, k in enumerate(keys) if not k.startswith("diagnostics_"))
    assert all(k.startswith("diagnostics_") for k in keys[:first_feature])
    assert keys[first_feature].startswith("original_shape_")
    assert isinstance(result["diagnostics_Mask-original_VoxelNum"], int)
    assert isinstance(result["diagnostics_Image-original_Spacing"], tuple)
    assert isinstance(result["diagnostics_Configuration_Settings"], dict)
    numpy = pytest.importorskip("numpy")
    assert isinstance(result["original_firstorder_Mean"], numpy.float64)
    n_features = sum(1 for k in keys if not k.startswith("diagnostics_"))
    assert n_features == 107


def test_simpleitk_images_and_numpy_arrays_equal_file_paths():
    sitk = pytest.importorskip("SimpleITK")
    numpy = pytest.importorskip("numpy")
    image_path, mask_path = case("breast1")
    extractor = featureextractor.RadiomicsFeatureExtractor()
    from_paths = extractor.execute(image_path, mask_path)
    image, mask = sitk.ReadImage(image_path), sitk.ReadImage(mask_path)
    from_sitk = extractor.execute(image, mask)
    from_numpy = extractor.execute(
        sitk.GetArrayFromImage(image),
        sitk.GetArrayFromImage(mask),
        spacing=image.GetSpacing(),
        origin=image.GetOrigin(),
        direction=image.GetDirection(),
    )
    assert compare(from_sitk, "breast1") >= 90
    for key, value in from_paths.items():
        if key.startswith("diagnostics_"):
            continue
        for other in (from_sitk, from_numpy):
            assert close(float(other[key]), float(value), 1e-9), key
    # A bool mask and a label other than 1.
    relabelled = (sitk.GetArrayFromImage(mask) * 3).astype(numpy.uint8)
    with_label = extractor.execute(
        sitk.GetArrayFromImage(image), relabelled, label=3, spacing=image.GetSpacing(),
        origin=image.GetOrigin(), direction=image.GetDirection(),
    )
    assert close(float(with_label["original_firstorder_Mean"]),
                 float(from_paths["original_firstorder_Mean"]), 1e-12)
    # Arrays in other layouts and byte orders give the same features: a bool mask, a
    # Fortran-ordered big-endian image, a float32 image; the caller's arrays are unchanged.
    voxels = sitk.GetArrayFromImage(image)
    big_endian = numpy.asfortranarray(voxels.astype(voxels.dtype.newbyteorder(">")))
    bool_mask = sitk.GetArrayFromImage(mask) == 1
    kept = (big_endian.copy(), bool_mask.copy())
    grid = dict(spacing=image.GetSpacing(), origin=image.GetOrigin(),
                direction=image.GetDirection())
    for im in (big_endian, voxels.astype(numpy.float32)):
        other = extractor.execute(im, bool_mask, **grid)
        for key, value in from_paths.items():
            if not key.startswith("diagnostics_"):
                assert close(float(other[key]), float(value), 1e-9), (im.dtype, key)
    assert numpy.array_equal(big_endian, kept[0]) and big_endian.dtype == kept[0].dtype
    assert numpy.array_equal(bool_mask, kept[1])


def test_parameters_as_pyradiomics_reads_them(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(
        "setting:\n  binWidth: 10\nimageType:\n  Original: {}\n  LoG:\n    sigma: [2.0]\n"
        "featureClass:\n  firstorder: [Mean, Entropy]\n  glcm:\n"
    )
    extractor = featureextractor.RadiomicsFeatureExtractor(str(params), label=1)
    assert extractor.settings == {"binWidth": 10, "label": 1}
    result = extractor.execute(*case("brain2"))
    features = [k for k in result if not k.startswith("diagnostics_")]
    assert "original_firstorder_Mean" in features
    assert "log-sigma-2-0-mm-3D_glcm_Contrast" in features
    assert "original_firstorder_Median" not in features
    assert not any("_shape_" in k for k in features)

    extractor.disableAllFeatures()
    extractor.enableFeaturesByName(ngtdm=["Busyness"])
    extractor.disableAllImageTypes()
    extractor.enableImageTypeByName("Square")
    result = extractor.execute(*case("brain2"))
    features = [k for k in result if not k.startswith("diagnostics_")]
    assert features == ["square_ngtdm_Busyness"]

    with pytest.raises(ValueError, match="NoSuchFeature"):
        extractor.enableFeaturesByName(glcm=["NoSuchFeature"])
    with pytest.raises(ValueError, match="nosuchclass"):
        extractor.enableFeatureClassByName("nosuchclass")
    with pytest.raises(ValueError, match="Sobel"):
        extractor.enableImageTypeByName("Sobel")
    with pytest.raises(ValueError, match="binWidht"):
        featureextractor.RadiomicsFeatureExtractor(binWidht=5)
    assert "glcm" in extractor.getFeatureClassNames()
    assert "Imc1" in extractor.getFeatureNames("glcm")


def test_errors_are_python_exceptions_with_gpurad_messages(tmp_path):
    extractor = featureextractor.RadiomicsFeatureExtractor()
    image, mask = case("breast1")
    with pytest.raises(ValueError, match="missing.nii.gz"):
        extractor.execute(str(tmp_path / "missing.nii.gz"), mask)
    with pytest.raises(ValueError, match="label"):
        extractor.execute(image, mask, label=7)
    numpy = pytest.importorskip("numpy")
    with pytest.raises(ValueError, match="spacing"):
        extractor.execute(numpy.zeros((3, 4, 5)), numpy.ones((3, 4, 5)))
    with pytest.raises(ValueError, match="size"):
        extractor.execute(numpy.zeros((3, 4, 5)), numpy.ones((3, 4, 6)), spacing=(1, 1, 1))
    with pytest.raises(ValueError, match="3D"):
        extractor.execute(numpy.zeros((4, 5)), numpy.ones((4, 5)), spacing=(1, 1, 1))
    with pytest.raises(ValueError, match="orthonormal"):
        extractor.execute(numpy.zeros((3, 4, 5)), numpy.ones((3, 4, 5)), spacing=(1, 1, 1),
                          direction=(1, 1, 0, 0, 1, 0, 0, 0, 1))
    # A SimpleITK mask brings its own grid: one moved off the image's is refused, as files are.
    sitk = pytest.importorskip("SimpleITK")
    img, msk = sitk.ReadImage(image), sitk.ReadImage(mask)
    moved = sitk.Image(msk)
    moved.SetOrigin([o + 2.0 for o in msk.GetOrigin()])
    with pytest.raises(ValueError, match="origin"):
        extractor.execute(img, moved)


def test_extract_batch_runs_the_cohort_engine(tmp_path):
    import gpurad

    manifest = tmp_path / "manifest.csv"
    lines = ["ID,Image,Mask,age"]
    for i, name in enumerate(["breast1", "brain2", "prostate"]):
        image, mask = case(name)
        lines.append(f"{name},{image},{mask},{60 + i}")
    lines.append(f"broken,{tmp_path / 'missing.nii.gz'},{case('breast1')[1]},70")
    manifest.write_text("\n".join(lines) + "\n")
    extractor = featureextractor.RadiomicsFeatureExtractor()
    extractor.disableAllFeatures()
    extractor.enableFeatureClassByName("firstorder")
    out = tmp_path / "features.csv"
    table = gpurad.extract_batch(str(manifest), extractor, output=str(out), jobs=2,
                                 progress=False)
    rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    assert [str(r["ID"]) for r in rows] == ["breast1", "brain2", "prostate", "broken"]
    for r, name in zip(rows[:3], ["breast1", "brain2", "prostate"]):
        single = extractor.execute(*case(name))
        assert close(float(r["original_firstorder_Mean"]),
                     float(single["original_firstorder_Mean"]), 1e-12)
        assert str(r["age"]) in {"60", "61", "62"}
    assert "missing.nii.gz" in str(rows[3]["error"])
    # Resumed: the finished rows are kept as they are.
    again = gpurad.extract_batch(str(manifest), extractor, output=str(out), progress=False)
    again_rows = again.to_dict("records") if hasattr(again, "to_dict") else again
    assert [str(r["original_firstorder_Mean"]) for r in again_rows[:3]] == [
        str(r["original_firstorder_Mean"]) for r in rows[:3]
    ]


def test_extract_batch_from_a_dataframe(tmp_path, monkeypatch):
    pandas = pytest.importorskip("pandas")
    import gpurad

    monkeypatch.chdir(os.path.join(ROOT, "tests", "fixtures"))
    frame = pandas.DataFrame({
        "ID": ["breast1", "prostate"],
        "Image": ["cases/breast1_image.nii.gz", "cases/prostate_image.nii.gz"],
        "Mask": ["cases/breast1_label.nii.gz", "cases/prostate_label.nii.gz"],
    })
    table = gpurad.extract_batch(frame, {"featureClass": {"shape": None}}, progress=False)
    assert list(table["ID"]) == ["breast1", "prostate"]
    assert (table["original_shape_VoxelVolume"] > 0).all()
