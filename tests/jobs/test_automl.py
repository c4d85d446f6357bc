"""AutoML jobs: Microsoft-style automl.classification code on an MLTable runs unchanged; trials are child jobs;
the best model is a registrable MLflow model; guardrails; Azure's settings under FLAML's names; a missing target."""
import json
import shutil
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from azure.ai.ml import Input, automl, load_job
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data, Model
from azure.ai.ml.exceptions import ValidationException

from dp100lab.workspace.jobs.automl import featurize, settings

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def _wait(ml_client, name, timeout=900):  # a hang guard for loaded machines, not a timing assertion
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ml_client.jobs.get(name)
        if job.status in ("Completed", "Failed", "Canceled"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"AutoML job {name} did not finish")


@pytest.fixture
def table(home):
    shutil.copytree(DATASETS / "diabetes-mltable", "diabetes-mltable")
    return "./diabetes-mltable"


def test_target_column_not_in_the_data_fails_at_submission(ml_client, table):
    job = automl.classification(training_data=Input(type=AssetTypes.MLTABLE, path=table),
                                target_column_name="Outcome", primary_metric="accuracy")
    with pytest.raises(ValidationException) as info:
        ml_client.jobs.create_or_update(job)
    assert "'Outcome' is not a column" in str(info.value) and "Diabetic" in str(info.value)
    assert ml_client.store.list_jobs() == []


def test_a_folder_without_mltable_is_refused(ml_client, home):
    Path("plain").mkdir()
    shutil.copy(DATASETS / "diabetes.csv", "plain/diabetes.csv")
    job = automl.regression(training_data=Input(type=AssetTypes.MLTABLE, path="./plain"), target_column_name="Age")
    with pytest.raises(ValidationException, match="without an MLTable file"):
        ml_client.jobs.create_or_update(job)


def test_classification_on_a_registered_mltable_end_to_end(ml_client, table):
    data = ml_client.data.create_or_update(Data(name="diabetes-table", type=AssetTypes.MLTABLE, path=table))
    job = automl.classification(
        experiment_name="automl-diabetes",
        training_data=Input(type=AssetTypes.MLTABLE, path=f"azureml:{data.name}:{data.version}"),
        target_column_name="Diabetic", primary_metric="AUC_weighted", n_cross_validations=3,
        enable_model_explainability=True, tags={"module": "06"})
    job.set_limits(timeout_minutes=2, max_trials=4, enable_early_termination=True)
    job.set_training(allowed_training_algorithms=["LogisticRegression", "LightGBM"])
    returned = ml_client.jobs.create_or_update(job)
    assert type(returned).__name__ == "ClassificationJob"
    done = _wait(ml_client, returned.name)
    assert done.status == "Completed", ml_client.store.get_job(returned.name)["error"]
    kids = list(ml_client.jobs.list(parent_job_name=returned.name))
    assert 1 <= len(kids) <= 4 and all(k.status == "Completed" for k in kids)
    mlflow.set_tracking_uri(ml_client.store.mlflow_tracking_uri)
    runs = {k.name: mlflow.get_run(k.name) for k in kids}
    assert {r.data.tags["run_algorithm"] for r in runs.values()} <= {"LogisticRegression", "LightGBM"}
    assert all(r.data.tags["mlflow.parentRunId"] == returned.name for r in runs.values())
    scores = {n: r.data.metrics["AUC_weighted"] for n, r in runs.items()}
    best = mlflow.get_run(returned.name).data.tags["automl_best_child_run_id"]
    assert best == max(scores, key=scores.get) and 0.6 < scores[best] <= 1.0
    # the best model: an MLflow model in the best child's artifacts, registrable and scoring raw rows
    model = ml_client.models.create_or_update(Model(
        name="diabetes-automl", type=AssetTypes.MLFLOW_MODEL,
        path=f"azureml://jobs/{best}/outputs/artifacts/paths/outputs/mlflow-model/"))
    loaded = mlflow.pyfunc.load_model(f"models:/{model.name}/{model.version}")
    rows = pd.read_csv(DATASETS / "diabetes-2.csv").drop(columns=["Diabetic"]).head(20)
    assert set(loaded.predict(rows)) <= {0, 1}
    art = Path(mlflow.artifacts.download_artifacts(run_id=best, artifact_path="outputs/feature_importance.json"))
    importance = json.loads(art.read_text())
    assert max(importance, key=importance.get) == "PlasmaGlucose"  # the strongest signal in the datasheet
    rails = json.loads(Path(mlflow.artifacts.download_artifacts(
        run_id=returned.name, artifact_path="outputs/guardrails.json")).read_text())
    by_name = {r["guardrail"]: r for r in rails}
    assert by_name["High cardinality feature detection"]["status"] == "Done"
    assert "PatientID" in by_name["High cardinality feature detection"]["description"]
    assert by_name["Class balancing detection"]["status"] == "Passed"


def test_max_trials_one_still_runs_and_scores_its_trial(ml_client, table):
    """FLAML scores nothing when asked for one iteration; max_trials=1 must still end Completed with a scored trial
    (two run here, and the learner is told so in one line)."""
    job = automl.classification(training_data=Input(type=AssetTypes.MLTABLE, path=table),
                                target_column_name="Diabetic", primary_metric="accuracy", validation_data_size=0.2)
    job.set_limits(max_trials=1, timeout_minutes=2)
    done = _wait(ml_client, ml_client.jobs.create_or_update(job).name)
    assert done.status == "Completed", ml_client.store.get_job(done.name)["error"]
    kids = list(ml_client.jobs.list(parent_job_name=done.name))
    assert 1 <= len(kids) <= 2
    mlflow.set_tracking_uri(ml_client.store.mlflow_tracking_uri)
    assert all(0.5 < mlflow.get_run(k.name).data.metrics["accuracy"] <= 1.0 for k in kids)


# ---- Azure's settings under FLAML's names (pure) ------------------------------------------------------------------
def test_primary_metrics_and_algorithms_map_to_flaml():
    assert settings.metric("classification", "auc_weighted") == "auc_weighted"
    assert settings.metric("regression", None) == "normalized_root_mean_squared_error"
    assert settings.metric("classification", None) == "accuracy"  # the SDK's default for classification
    with pytest.raises(ValidationException, match="not a regression metric"):
        settings.metric("regression", "accuracy")
    notes = []
    assert settings.estimators("classification", ["LightGBM", "XGBoostClassifier", "DecisionTree"], None, notes) \
        == ["lgbm", "xgboost"]
    assert "DecisionTree has no FLAML counterpart" in notes[0]
    assert "rf" not in settings.estimators("regression", None, ["RandomForest"], [])
    with pytest.raises(ValidationException, match="No training algorithm"):
        settings.estimators("classification", ["LightGBM"], ["LightGBM"], [])


def test_default_validation_follows_azure_by_row_count():
    assert settings.validation(500, {}, False)["n_splits"] == 10
    assert settings.validation(5000, {}, False)["n_splits"] == 3
    assert settings.validation(50000, {}, False) == {"eval_method": "holdout", "split_ratio": 0.1,
                                                     "how": "10% of the training data held out (default)"}
    assert settings.validation(5000, {"n_cross_validations": 5}, False)["n_splits"] == 5
    assert settings.validation(5000, {"validation_data_size": 0.2}, False)["split_ratio"] == 0.2


def test_guardrails_flag_imbalance_missing_values_and_identifiers():
    df = pd.DataFrame({"id": [f"r{i}" for i in range(100)], "x": [None if i % 10 == 0 else i for i in range(100)],
                       "const": 1, "label": [1 if i < 10 else 0 for i in range(100)]})
    feats = df.drop(columns=["label"])
    kinds = featurize.purposes(feats, None)
    assert kinds == {"id": "Ignore", "x": "Numeric", "const": "Ignore"}
    rails = {r["guardrail"]: r for r in featurize.guardrails(df, "label", "classification", kinds, "cv", "auto")}
    assert rails["Class balancing detection"]["status"] == "Alerted"
    assert rails["Missing feature values imputation"]["status"] == "Done" and "x (10 missing" in \
        rails["Missing feature values imputation"]["description"]
    assert rails["High cardinality feature detection"]["status"] == "Done"
    ct, _ = featurize.build(feats, {"mode": "custom", "transformer_params": {"imputer": [
        {"fields": ["x"], "parameters": {"strategy": "median"}}]}})
    out = ct.fit_transform(feats)
    assert list(out.columns) == ["x"] and out["x"].isna().sum() == 0 and out["x"].iloc[0] == feats["x"].median()


def test_yaml_automl_job_loads_and_keeps_its_settings(ml_client, table):
    Path("job.yml").write_text("""
$schema: https://azuremlsdk2.blob.core.windows.net/preview/0.0.1/autoMLJob.schema.json
type: automl
task: regression
training_data:
  type: mltable
  path: ./diabetes-mltable
target_column_name: BMI
primary_metric: r2_score
limits:
  max_trials: 2
  timeout_minutes: 1
training:
  allowed_training_algorithms: [light_gbm]
featurization:
  mode: "off"
""")
    job = load_job("job.yml")
    returned = ml_client.jobs.create_or_update(job)
    assert type(returned).__name__ == "RegressionJob"
    done = _wait(ml_client, returned.name)
    assert done.status == "Completed", ml_client.store.get_job(returned.name)["error"]
    kids = list(ml_client.jobs.list(parent_job_name=returned.name))
    assert {k.display_name for k in kids} == {"LightGBM"} and 1 <= len(kids) <= 2
