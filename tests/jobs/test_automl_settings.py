"""AutoML settings beyond the defaults, written as Microsoft's docs write them (how-to-configure-auto-train,
how-to-auto-train-forecast): validation and test data as separate MLTables, custom featurization (column purposes,
blocked transformers), and a forecasting job with a time column and horizon."""
import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from azure.ai.ml import Input, automl
from azure.ai.ml.constants import AssetTypes

from test_automl import DATASETS, _wait  # the AutoML tests' data folder and hang guard

MLTABLE = """type: mltable
paths:
  - file: ./data.csv
transformations:
  - read_delimited:
      delimiter: ','
      encoding: utf8
      header: all_files_same_headers
"""


def _table(folder: str, df: pd.DataFrame) -> Input:
    Path(folder).mkdir()
    df.to_csv(f"{folder}/data.csv", index=False)
    Path(folder, "MLTable").write_text(MLTABLE)
    return Input(type=AssetTypes.MLTABLE, path=f"./{folder}")


def test_validation_and_test_data_with_custom_featurization(ml_client, home):
    df = pd.read_csv(DATASETS / "diabetes.csv").drop(columns=["PatientID", "Diabetic"]).head(1500)
    train, valid, test = df.iloc[:900], df.iloc[900:1200], df.iloc[1200:]
    job = automl.regression(training_data=_table("train", train), validation_data=_table("valid", valid),
                            test_data=_table("test", test), target_column_name="BMI", primary_metric="r2_score")
    job.set_limits(max_trials=2, timeout_minutes=2)
    job.set_training(allowed_training_algorithms=["LightGBM"])
    job.set_featurization(mode="custom", column_name_and_types={"Pregnancies": "Categorical"},
                          blocked_transformers=["OneHotEncoder"])
    done = _wait(ml_client, ml_client.jobs.create_or_update(job).name)
    assert done.status == "Completed", ml_client.store.get_job(done.name)["error"]
    log = (ml_client.store.job_dir(done.name) / "user_logs" / "std_log.txt").read_text()
    assert "validation: validation_data" in log
    mlflow.set_tracking_uri(ml_client.store.mlflow_tracking_uri)
    best = mlflow.get_run(done.name).data.tags["automl_best_child_run_id"]
    test_metrics = json.loads(Path(mlflow.artifacts.download_artifacts(
        run_id=best, artifact_path="outputs/test_metrics.json")).read_text())
    assert set(test_metrics) == {"r2_score", "normalized_root_mean_squared_error"}
    model = mlflow.sklearn.load_model(mlflow.artifacts.download_artifacts(run_id=best,
                                                                          artifact_path="outputs/mlflow-model"))
    encoders = {name: type(step.named_steps["encode"]).__name__
                for name, step, _cols in model.named_steps["featurizer"].transformers_ if hasattr(step, "named_steps")}
    assert encoders == {"Pregnancies": "OrdinalEncoder"}  # a categorical by purpose, one-hot blocked


def test_forecasting_with_a_time_column_and_horizon(ml_client, home):
    days = pd.date_range("2026-01-01", periods=180, freq="D")
    rng = np.random.default_rng(0)
    demand = 100 + 0.5 * np.arange(180) + 10 * np.sin(2 * np.pi * np.arange(180) / 7) + rng.normal(0, 1, 180)
    series = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "demand": demand.round(2)})
    job = automl.forecasting(training_data=_table("series", series), target_column_name="demand",
                             primary_metric="normalized_root_mean_squared_error", n_cross_validations=2)
    job.set_forecast_settings(time_column_name="date", forecast_horizon=7)
    job.set_limits(max_trials=2, timeout_minutes=2)
    done = _wait(ml_client, ml_client.jobs.create_or_update(job).name)
    assert type(done).__name__ == "ForecastingJob"
    assert done.status == "Completed", ml_client.store.get_job(done.name)["error"]
    kids = list(ml_client.jobs.list(parent_job_name=done.name))
    assert 1 <= len(kids) <= 2
    mlflow.set_tracking_uri(ml_client.store.mlflow_tracking_uri)
    nrmse = [mlflow.get_run(k.name).data.metrics["normalized_root_mean_squared_error"] for k in kids]
    assert all(0 <= v < 0.5 for v in nrmse), nrmse
