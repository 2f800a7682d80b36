"""The statistics stage from Python against R (tests/fixtures/study: glmnet, glm and pROC
on a seeded two-centre cohort, made by make_fixtures.R beside it): the Radscore's λ and
coefficients, the combined model and the validation AUCs with their DeLong intervals equal
R's (λ 1e-10, coefficients and AUCs 1e-6 relative, as tests/study_vs_r.rs)."""

import csv
import os

import pytest

import gpurad

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STUDY = os.path.join(ROOT, "tests", "fixtures", "study")


def expected():
    with open(os.path.join(STUDY, "expected.csv"), newline="") as fh:
        return {r["key"]: float(r["value"]) for r in csv.DictReader(fh)}


def rel(a, b):
    return abs(a - b) / abs(b)


def test_fit_validate_predict_equal_r():
    e = expected()
    table = os.path.join(STUDY, "cohort.csv")
    model = gpurad.fit(table, "outcome", clinical=["age>60", "alp>120"], foldid_col="fold",
                       bootstrap=0)
    assert rel(model["lambda_min"], e["lambda_min"]) <= 1e-10
    assert rel(model["lambda_1se"], e["lambda_1se"]) <= 1e-10
    assert rel(model["radscore"]["intercept"], e["radscore_intercept"]) <= 1e-6
    betas = model["radscore"]["coefficients"]
    assert len(betas) == e["radscore_nonzero"]
    for name, b in betas.items():
        assert rel(b, e[f"radscore_beta_{name}"]) <= 1e-6, name
    result = gpurad.validate(model, table)
    val = next(c for c in result["cohorts"] if c["cohort"] == "validation")
    for name in ["combined", "clinical", "radscore"]:
        m = val["models"][name]
        assert rel(m["auc"], e[f"{name}_val_auc"]) <= 1e-6, name
        assert rel(m["auc_ci"][0], e[f"{name}_val_auc_lo"]) <= 1e-6, name
        assert rel(m["auc_ci"][1], e[f"{name}_val_auc_hi"]) <= 1e-6, name
    predictions = gpurad.predict(model, table)
    rows = predictions.to_dict("records") if hasattr(predictions, "to_dict") else predictions
    with open(table, newline="") as fh:
        assert len(rows) == sum(1 for _ in csv.DictReader(fh))
    assert {"radscore", "p_combined", "p_clinical", "p_radscore"} <= set(rows[0])
    first = rows[0]
    from_validate = result["predictions"]
    from_validate = (from_validate.to_dict("records") if hasattr(from_validate, "to_dict")
                     else from_validate)
    assert float(first["p_combined"]) == float(from_validate[0]["p_combined"])


def test_fit_options_are_checked_by_name():
    table = os.path.join(STUDY, "cohort.csv")
    with pytest.raises(ValueError, match="lambda_rule"):
        gpurad.fit(table, "outcome", lambda_rule="min")
    with pytest.raises(ValueError, match="no_such_column"):
        gpurad.fit(table, "no_such_column", bootstrap=0)
