"""The bundled datasets are reproducible and match what DATASHEET.md says about them."""

import hashlib
import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def _generate_module():
    spec = importlib.util.spec_from_file_location("dp100lab_datasets_generate", DATASETS / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generate_reproduces_committed_files_byte_for_byte(tmp_path):
    written = _generate_module().generate(tmp_path)
    assert len(written) == 6
    for path in written:
        rel = path.relative_to(tmp_path)
        assert _sha256(path) == _sha256(DATASETS / rel), f"{rel} differs: rerun python datasets/generate.py and commit"


def test_diabetes_has_documented_shape_and_learnable_signal():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    df = pd.read_csv(DATASETS / "diabetes.csv")
    assert df.shape == (2000, 10)
    assert df["PatientID"].is_unique
    assert set(df["Diabetic"].unique()) == {0, 1}
    X, y = df.drop(columns=["PatientID", "Diabetic"]), df["Diabetic"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    model = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    assert 0.75 <= auc <= 0.9


def test_second_batch_has_same_columns_new_ids_and_a_shift():
    first = pd.read_csv(DATASETS / "diabetes.csv")
    second = pd.read_csv(DATASETS / "diabetes-2.csv")
    assert list(second.columns) == list(first.columns)
    assert len(second) == 500
    assert not set(second["PatientID"]) & set(first["PatientID"])
    assert second["Age"].mean() > first["Age"].mean() + 2


def test_mltable_folder_holds_the_same_rows_as_diabetes_csv():
    parts = [pd.read_csv(p) for p in sorted((DATASETS / "diabetes-mltable").glob("*.csv"))]
    assert len(parts) == 2
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), pd.read_csv(DATASETS / "diabetes.csv"))
    assert (DATASETS / "diabetes-mltable" / "MLTable").read_text().startswith("$schema:")


def test_loans_disparity_is_present_as_documented():
    loans = pd.read_csv(DATASETS / "loans.csv")
    assert len(loans) == 1500
    rates = loans.groupby("group")["approved"].mean()
    assert rates["A"] - rates["B"] > 0.15
    by_sex = loans.groupby("sex")["approved"].mean()
    assert by_sex["Male"] - by_sex["Female"] > 0.05


def test_product_faq_is_valid_jsonl_with_unique_ids():
    lines = (DATASETS / "product_faq.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 40
    assert len({r["id"] for r in rows}) == 40
    for r in rows:
        assert set(r) == {"id", "category", "question", "answer"}
        assert r["question"].strip() and r["answer"].strip()


@pytest.mark.parametrize("name", ["diabetes.csv", "diabetes-2.csv", "loans.csv", "product_faq.jsonl"])
def test_every_bundled_file_is_small(name):
    assert (DATASETS / name).stat().st_size < 200_000
