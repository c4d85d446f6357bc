"""Monitoring runs end to end in a fresh store (run_monitor: schedules.begin_create_or_update + trigger + wait):
results, alerts, bad input."""
import json

import numpy as np
import pandas as pd
import pytest
from azure.ai.ml import Input
from azure.ai.ml.constants import MonitorDatasetContext
from azure.ai.ml.entities import (AlertNotification, CategoricalDriftMetrics, Data, DataDriftMetricThreshold,
                                  DataDriftSignal, DataQualitySignal, FADProductionData,
                                  FeatureAttributionDriftMetricThreshold,
                                  FeatureAttributionDriftSignal, MonitorDefinition, PredictionDriftMetricThreshold,
                                  PredictionDriftSignal, MonitoringTarget, MonitorSchedule,
                                  NumericalDriftMetrics, ProductionData, RecurrenceTrigger, ReferenceData,
                                  ServerlessSparkCompute)

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.monitoring import results
from dp100lab.workspace.monitoring.compute import BREACH_TAG
from dp100lab.workspace.monitoring.run import run_monitor


@pytest.fixture
def ml_client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return LocalMLClient(tmp_path / "home", hold=False)


def _asset(ml_client, tmp_path, name, frame):
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False)
    ml_client.data.create_or_update(Data(name=name, version="1", type="uri_file", path=str(path)))
    return Input(type="uri_file", path=f"azureml:{name}:1")


def _monitor(signals, name="m"):
    definition = MonitorDefinition(compute=ServerlessSparkCompute(instance_type="standard_e4s_v3",
                                                                  runtime_version="3.4"),
                                   monitoring_target=MonitoringTarget(ml_task="classification"),
                                   monitoring_signals=signals, alert_notification=AlertNotification(emails=["a@b.c"]))
    return MonitorSchedule(name=name, trigger=RecurrenceTrigger(frequency="day", interval=1),
                           create_monitor=definition)


def _data(seed, shift=0.0, n=300):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, 1, n), "g": rng.choice(["a", "b", "c"], n),
                         "y": rng.integers(0, 2, n)})


def test_drift_breach_tags_the_run_and_records_an_alert(ml_client, tmp_path):
    ref = ReferenceData(input_data=_asset(ml_client, tmp_path, "ref", _data(0)),
                        data_context=MonitorDatasetContext.TRAINING)
    prod = ProductionData(input_data=_asset(ml_client, tmp_path, "prod", _data(1, shift=1.5).drop(columns="y")),
                          data_context=MonitorDatasetContext.MODEL_INPUTS)
    th = DataDriftMetricThreshold(numerical=NumericalDriftMetrics(jensen_shannon_distance=0.2),
                                  categorical=CategoricalDriftMetrics(pearsons_chi_squared_test=0.01))
    job = run_monitor(ml_client, _monitor({"drift": DataDriftSignal(production_data=prod, reference_data=ref,
                                                                    metric_thresholds=th, alert_enabled=True)}))
    assert job.status == "Completed"  # Azure completes the run and tags it; it does not fail it
    assert "has failed due to one or more features violating metric thresholds" in job.tags[BREACH_TAG]
    table = results.signal_table(ml_client, job.name)
    row = table.set_index("feature").loc["x"]
    assert row.metric_name == "JensenShannonDistance" and row.status == "Fail" and row.value > 0.2
    g = table.set_index("feature").loc["g"]
    assert g.metric_name == "PearsonsChiSquaredTest" and g.status == "Pass"
    assert [a["job"] for a in results.alerts(ml_client, "m")] == [job.name]


def test_prediction_drift_compares_the_output_column_with_the_training_labels(ml_client, tmp_path):
    # what a deployment's model_outputs collection holds: one column, named as the target or not
    ref = ReferenceData(input_data=_asset(ml_client, tmp_path, "ref", _data(0)),
                        data_context=MonitorDatasetContext.TRAINING, data_column_names={"target_column": "y"})
    skewed = pd.DataFrame({"prediction": np.r_[np.ones(270, int), np.zeros(30, int)]})
    prod = ProductionData(input_data=_asset(ml_client, tmp_path, "outputs", skewed),
                          data_context=MonitorDatasetContext.MODEL_OUTPUTS)
    signal = PredictionDriftSignal(production_data=prod, reference_data=ref, alert_enabled=True,
                                   metric_thresholds=PredictionDriftMetricThreshold())
    job = run_monitor(ml_client, _monitor({"pred": signal}))
    assert job.status == "Completed" and BREACH_TAG in job.tags
    table = results.signal_table(ml_client, job.name)
    assert list(table.feature) == ["y"] and table.status.tolist() == ["Fail"]


def test_empty_production_and_other_columns_are_data_quality_results(ml_client, tmp_path):
    ref = ReferenceData(input_data=_asset(ml_client, tmp_path, "ref", _data(0)))
    empty = ProductionData(input_data=_asset(ml_client, tmp_path, "empty", _data(1).iloc[:0]))
    other = ProductionData(input_data=_asset(ml_client, tmp_path, "other", pd.DataFrame({"z": [1, 2, 3]})))
    job = run_monitor(ml_client, _monitor({
        "drift_empty": DataDriftSignal(production_data=empty, reference_data=ref),
        "quality_other": DataQualitySignal(production_data=other, reference_data=ref)}))
    assert job.status == "Completed"
    out = results.signal_results(ml_client, job.name)
    assert "no rows" in out["drift_empty"]["problem"]
    assert "no column in common" in out["quality_other"]["problem"]
    assert {r["metric"] for r in out["quality_other"]["rows"]} == {"null_value_rate"}
    assert BREACH_TAG not in (job.tags or {})  # alert_enabled is False by default on these signals


def test_wrong_threshold_type_fails_at_submission(ml_client, tmp_path):
    ref = ReferenceData(input_data=_asset(ml_client, tmp_path, "ref", _data(0)))
    th = DataDriftMetricThreshold(numerical=NumericalDriftMetrics(jensen_shannon_distance="high"))
    with pytest.raises(TypeError, match="jensen_shannon_distance must be a number"):
        run_monitor(ml_client, _monitor({"d": DataDriftSignal(production_data=ProductionData(
            input_data=ref.input_data), reference_data=ref, metric_thresholds=th)}))
    assert ml_client.store.list_jobs() == []  # nothing half-made is left behind


def test_run_that_fails_midway_is_failed_and_keeps_earlier_signals(ml_client, tmp_path):
    ref = ReferenceData(input_data=_asset(ml_client, tmp_path, "ref", _data(0)))
    prod = ProductionData(input_data=_asset(ml_client, tmp_path, "prod", _data(1)))
    broken = tmp_path / "broken.csv"
    broken.write_text("x,g,y\n1,a,0\n1,2,3,4,5\n")  # a row with too many fields: the reader fails mid-run
    ml_client.data.create_or_update(Data(name="broken", version="1", type="uri_file", path=str(broken)))
    fad = FeatureAttributionDriftSignal(
        production_data=[FADProductionData(input_data=prod.input_data)],  # Azure refuses FAD without it
        reference_data=ReferenceData(input_data=Input(type="uri_file", path="azureml:broken:1"),
                                     data_column_names={"target_column": "y"}),
        metric_thresholds=FeatureAttributionDriftMetricThreshold(normalized_discounted_cumulative_gain=0.9))
    job = run_monitor(ml_client, _monitor({"first": DataDriftSignal(production_data=prod, reference_data=ref),
                                           "second": fad}))
    assert job.status == "Failed"
    out = results.signal_results(ml_client, job.name)
    assert list(out) == ["first"] and out["first"]["status"] in ("Pass", "Fail")
    assert "failed" in json.dumps(ml_client.store.get_job(job.name)["error"]).lower()


def test_out_of_box_monitor_plans_azures_three_signals_with_default_thresholds(ml_client):
    from dp100lab.workspace.monitoring.definition import plan_for

    definition = MonitorDefinition(compute=ServerlessSparkCompute(instance_type="standard_e4s_v3",
                                                                  runtime_version="3.4"),
                                   monitoring_target=MonitoringTarget(ml_task="classification",
                                                                      endpoint_deployment_id="azureml:loans:blue"))
    plan = plan_for(ml_client, "oob", definition)
    assert sorted(plan["signals"]) == ["data_drift", "data_quality", "prediction_drift"]
    drift = plan["signals"]["prediction_drift"]
    assert drift["production"]["ref"] == "azureml:loans-blue-model_outputs@latest"  # the deployment's collected data
    assert drift["thresholds"] == {"numerical": ("normalized_wasserstein_distance", 0.1),
                                   "categorical": ("jensen_shannon_distance", 0.1)}
    assert all(s["alert_enabled"] for s in plan["signals"].values())
