"""A MonitorSchedule through ml_client.schedules, as Microsoft's model-monitoring how-to writes it: create, get, list,
trigger, the scheduler firing it, disable, delete, and bad monitors refused with one line."""
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from azure.ai.ml import Input, command, dsl
from azure.ai.ml.constants import MonitorDatasetContext
from azure.ai.ml.entities import (AlertNotification, CategoricalDriftMetrics, CronTrigger, Data,
                                  DataDriftMetricThreshold, DataDriftSignal, DataQualityMetricsCategorical,
                                  DataQualityMetricsNumerical, DataQualityMetricThreshold, DataQualitySignal,
                                  FADProductionData, FeatureAttributionDriftMetricThreshold,
                                  FeatureAttributionDriftSignal, JobSchedule, MonitorDefinition, MonitoringTarget,
                                  MonitorSchedule, NumericalDriftMetrics, PredictionDriftMetricThreshold,
                                  PredictionDriftSignal, ProductionData, RecurrencePattern, RecurrenceTrigger,
                                  ReferenceData, ScheduleTriggerResult, ServerlessSparkCompute)
from azure.ai.ml.exceptions import ScheduleException, ValidationException
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.core import servers
from dp100lab.workspace.core.store import TERMINAL_STATUSES
from dp100lab.workspace.monitoring import results
from dp100lab.workspace.monitoring.compute import BREACH_TAG
from dp100lab.workspace.schedules import scheduler

LOANS = Path(__file__).resolve().parents[2] / "datasets" / "loans.csv"
FEATURES = ["income", "employment_years", "credit_score", "loan_amount", "debt_to_income", "prior_defaults"]


@pytest.fixture
def ml_client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return LocalMLClient(tmp_path / "home", hold=False)


@pytest.fixture
def loans_data(ml_client, tmp_path):
    """The bundled loans data as module 11 uses it: training data, and applicants with lower incomes and scores."""
    loans = pd.read_csv(LOANS)
    train = loans.sample(frac=0.7, random_state=11)
    drifted = loans.drop(train.index).sample(300, random_state=2).assign(
        income=lambda d: (d.income * 0.7).round(-2), credit_score=lambda d: d.credit_score - 60)
    files = {"loans-training": train[FEATURES + ["approved"]], "loans-production": drifted[FEATURES],
             "loans-production-outputs": drifted[["approved"]].rename(columns={"approved": "prediction"}),
             "loans-production-scored": drifted[FEATURES + ["approved"]]}
    for name, frame in files.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        path = str(tmp_path / f"{name}.csv")
        ml_client.data.create_or_update(Data(name=name, version="1", type="uri_file", path=path))
    return files


def _documented_monitor(name="loans_monitor", trigger=None, runtime_version="3.5"):
    """Advanced monitoring setup as the how-to builds it: training data as reference, several signals, alerts."""
    spark_compute = ServerlessSparkCompute(instance_type="standard_e4s_v3", runtime_version=runtime_version)
    monitoring_target = MonitoringTarget(ml_task="classification", model_id="azureml:loans-model:1")
    reference_data_training = ReferenceData(input_data=Input(type="uri_file", path="azureml:loans-training:1"),
                                            data_context=MonitorDatasetContext.TRAINING,
                                            data_column_names={"target_column": "approved"})
    production_data = ProductionData(input_data=Input(type="uri_file", path="azureml:loans-production:1"),
                                     data_context=MonitorDatasetContext.MODEL_INPUTS)
    advanced_data_drift = DataDriftSignal(
        production_data=production_data, reference_data=reference_data_training, features=FEATURES,
        metric_thresholds=DataDriftMetricThreshold(numerical=NumericalDriftMetrics(jensen_shannon_distance=0.1),
                                                   categorical=CategoricalDriftMetrics(pearsons_chi_squared_test=0.02)),
        alert_enabled=True)
    prediction_drift = PredictionDriftSignal(
        production_data=ProductionData(input_data=Input(type="uri_file", path="azureml:loans-production-outputs:1"),
                                       data_context=MonitorDatasetContext.MODEL_OUTPUTS),
        reference_data=reference_data_training, metric_thresholds=PredictionDriftMetricThreshold(), alert_enabled=False)
    advanced_data_quality = DataQualitySignal(
        production_data=production_data, reference_data=reference_data_training, features=FEATURES[:3],
        metric_thresholds=DataQualityMetricThreshold(
            numerical=DataQualityMetricsNumerical(null_value_rate=0.01),
            categorical=DataQualityMetricsCategorical(out_of_bounds_rate=0.02)),
        alert_enabled=False)
    feature_attribution_drift = FeatureAttributionDriftSignal(
        production_data=[FADProductionData(input_data=Input(type="uri_file", path="azureml:loans-production-scored:1"),
                                           data_context=MonitorDatasetContext.MODEL_INPUTS)],
        reference_data=reference_data_training,
        metric_thresholds=FeatureAttributionDriftMetricThreshold(normalized_discounted_cumulative_gain=0.9),
        alert_enabled=False)
    monitor_definition = MonitorDefinition(
        compute=spark_compute, monitoring_target=monitoring_target,
        monitoring_signals={"data_drift_advanced": advanced_data_drift, "prediction_drift": prediction_drift,
                            "data_quality_advanced": advanced_data_quality,
                            "feature_attribution_drift": feature_attribution_drift},
        alert_notification=AlertNotification(emails=["abc@example.com", "def@example.com"]))
    recurrence_trigger = trigger or RecurrenceTrigger(frequency="day", interval=1,
                                                      schedule=RecurrencePattern(hours=3, minutes=15))
    return MonitorSchedule(name=name, trigger=recurrence_trigger, create_monitor=monitor_definition)


def _wait(ml_client, name, timeout=180):
    deadline = time.monotonic() + timeout
    while str(ml_client.jobs.get(name).status) not in TERMINAL_STATUSES and time.monotonic() < deadline:
        time.sleep(0.5)
    return ml_client.jobs.get(name)


def test_documented_monitor_is_created_read_back_listed_and_triggered(ml_client, loans_data):
    created = ml_client.schedules.begin_create_or_update(_documented_monitor()).result()
    assert (type(created).__name__, created.name, created.is_enabled) == ("MonitorSchedule", "loans_monitor", True)

    got = ml_client.schedules.get("loans_monitor")
    monitor = got.create_monitor
    assert isinstance(monitor, MonitorDefinition) and monitor.compute.instance_type == "standard_e4s_v3"
    assert sorted(monitor.monitoring_signals) == ["data_drift_advanced", "data_quality_advanced",
                                                  "feature_attribution_drift", "prediction_drift"]
    drift = monitor.monitoring_signals["data_drift_advanced"]
    assert drift.features == FEATURES and drift.alert_enabled is True
    assert drift.metric_thresholds.numerical.jensen_shannon_distance == 0.1
    assert drift.metric_thresholds.categorical.pearsons_chi_squared_test == 0.02
    assert drift.production_data.input_data.path == "azureml:loans-production:1"
    assert drift.reference_data.data_column_names == {"target_column": "approved"}
    assert monitor.monitoring_signals["data_quality_advanced"].metric_thresholds.numerical.null_value_rate == 0.01
    assert monitor.alert_notification.emails == ["abc@example.com", "def@example.com"]
    assert (got.trigger.frequency, got.trigger.schedule.hours) == ("day", [3])

    echo = command(command="echo hi", environment="azureml://registries/azureml/environments/sklearn-1.5/labels/latest")

    @dsl.pipeline(default_compute="serverless")
    def weekly():
        echo()

    ml_client.schedules.begin_create_or_update(JobSchedule(
        name="weekly-echo", trigger=CronTrigger(expression="0 6 * * 1"), create_job=weekly())).result()
    assert sorted(type(s).__name__ for s in ml_client.schedules.list()) == ["JobSchedule", "MonitorSchedule"]

    run = ml_client.schedules.trigger("loans_monitor", schedule_time="2026-12-01T03:15:00Z")
    assert isinstance(run, ScheduleTriggerResult) and run.schedule_action_type == "CreateMonitor"
    job = _wait(ml_client, run.job_name)
    assert job.status == "Completed" and job.display_name == "loans_monitor-20261201031500"
    assert job.experiment_name == "loans_monitor"
    assert "The signal 'loans_monitor_data_drift_advanced' has failed" in job.tags[BREACH_TAG]
    table = results.signal_table(ml_client, job.name).query("signal == 'data_drift_advanced'").set_index("feature")
    assert table.loc["income", "status"] == "Fail" and table.loc["credit_score", "status"] == "Fail"
    assert table.loc["income", "metric_name"] == "JensenShannonDistance" and table.loc["income", "value"] > 0.1
    assert [a["job"] for a in results.alerts(ml_client, "loans_monitor")] == [job.name]
    assert set(results.signal_results(ml_client, job.name)) == set(monitor.monitoring_signals)
    assert ml_client.schedules.get("loans_monitor").properties["dp100lab.triggered_jobs"] == job.name


@pytest.mark.parametrize("version, noted", [("3.4", True), ("3.5", False)])
def test_spark_34_is_kept_with_one_line_pointing_to_35(ml_client, loans_data, capsys, version, noted):
    """The SDK still takes 3.4 (the how-to's example shows it), but Synapse's 3.4 runtime is out of support."""
    documented = _documented_monitor(name="rt", runtime_version=version)
    monitor = MonitorSchedule(name="rt", trigger=documented.trigger, create_monitor=documented.create_monitor,
                              is_enabled=False)  # no scheduler process: only creation is under test
    capsys.readouterr()
    ml_client.schedules.begin_create_or_update(monitor).result()
    said = [line for line in capsys.readouterr().out.splitlines() if "end of support" in line]
    assert said == (["[local] MonitorSchedule 'rt': Azure Synapse's Spark 3.4 runtime reached end of support on "
                     "2026-03-31; use runtime_version='3.5'."] if noted else [])
    assert ml_client.schedules.get("rt").create_monitor.compute.runtime_version == version


def test_trigger_time_ends_the_rolling_production_window(ml_client, loans_data, tmp_path):
    # data as the collector writes it (JSON Lines, a time per event): ordinary applicants one day, drifted the next
    folder = tmp_path / "collected" / "model_inputs"
    folder.mkdir(parents=True)
    events = []
    for day, frame in (("2026-11-30T10:00:00Z", loans_data["loans-training"].sample(300, random_state=1)),
                       ("2026-12-01T10:00:00Z", loans_data["loans-production"])):
        records = json.loads(frame[FEATURES].to_json(orient="records"))
        events += [{"specversion": "1.0", "id": f"{day}-{i}", "time": day, "data": [r]} for i, r in enumerate(records)]
    (folder / "rows.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    signal = DataDriftSignal(
        production_data=ProductionData(input_data=Input(type="uri_folder", path=str(folder)),
                                       data_context=MonitorDatasetContext.MODEL_INPUTS),
        reference_data=ReferenceData(input_data=Input(type="uri_file", path="azureml:loans-training:1"),
                                     data_context=MonitorDatasetContext.TRAINING),
        features=["income", "credit_score"], alert_enabled=True)
    ml_client.schedules.begin_create_or_update(MonitorSchedule(
        name="daily", trigger=RecurrenceTrigger(frequency="day", interval=1),  # production window: one day
        create_monitor=MonitorDefinition(compute=ServerlessSparkCompute(instance_type="standard_e4s_v3",
                                                                        runtime_version="3.5"),
                                         monitoring_signals={"drift": signal}))).result()
    yesterday = _wait(ml_client, ml_client.schedules.trigger("daily", schedule_time="2026-12-01T00:00:00Z").job_name)
    today = _wait(ml_client, ml_client.schedules.trigger("daily", schedule_time="2026-12-02T00:00:00Z").job_name)
    assert results.signal_results(ml_client, yesterday.name)["drift"]["status"] == "Pass"
    assert results.signal_results(ml_client, today.name)["drift"]["status"] == "Fail"
    assert BREACH_TAG in today.tags and BREACH_TAG not in (yesterday.tags or {})


def test_a_due_trigger_starts_a_monitoring_run_for_its_time(ml_client, loans_data):
    t0 = datetime(2099, 1, 1, 3, 0, tzinfo=timezone.utc)  # in the future: the real scheduler never reaches it
    ml_client.schedules.begin_create_or_update(_documented_monitor(
        name="hourly", trigger=RecurrenceTrigger(frequency="hour", interval=1, start_time=t0))).result()
    row = ml_client.store.get("schedule", "hourly")
    fired = []

    def submit(when):
        fired.append(scheduler.fire(ml_client, ml_client.schedules.get("hourly"), when, ml_client.store))
        return fired[-1]

    scheduler.tick(ml_client.store, row, t0 + timedelta(hours=1, seconds=20), submit)  # the clock, injected
    assert len(fired) == 1
    job = _wait(ml_client, fired[0])
    assert job.display_name == "hourly-20990101040000" and job.status == "Completed"
    scheduler.tick(ml_client.store, row, t0 + timedelta(hours=1, seconds=40), submit)  # nothing new is due
    assert len(fired) == 1


@pytest.mark.watchdog(300)
def test_scheduler_fires_the_monitor_then_disable_stops_it_and_delete_removes_it(ml_client, loans_data):
    start = datetime.now(timezone.utc) - timedelta(seconds=50)  # due times every minute from 50 s ago
    ml_client.schedules.begin_create_or_update(_documented_monitor(
        name="every-minute", trigger=RecurrenceTrigger(frequency="minute", interval=1, start_time=start))).result()
    srv = servers.get(ml_client.store, "scheduler")
    assert srv is not None and srv.alive
    deadline, fired = time.monotonic() + 150, ""
    while time.monotonic() < deadline and not fired:
        fired = ml_client.schedules.get("every-minute").properties.get("dp100lab.triggered_jobs", "")
        time.sleep(1)
    assert fired, "the scheduler did not fire the monitor within its minute"
    job = _wait(ml_client, fired.split(",")[0])
    assert job.display_name.startswith("every-minute-") and BREACH_TAG in job.tags

    assert ml_client.schedules.begin_disable("every-minute").result().is_enabled is False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and srv.alive:
        time.sleep(0.5)
    assert not srv.alive  # nothing left to fire: the scheduler is gone
    with pytest.raises(HttpResponseError, match="is disabled"):
        ml_client.schedules.trigger("every-minute")
    assert ml_client.schedules.list() == []
    assert [s.name for s in ml_client.schedules.list(list_view_type="DisabledOnly")] == ["every-minute"]
    ml_client.schedules.begin_delete("every-minute").result()
    with pytest.raises(ResourceNotFoundError):
        ml_client.schedules.get("every-minute")
    assert ml_client.schedules.list(list_view_type="All") == []


def _with(signal):
    return MonitorSchedule(name="bad", trigger=RecurrenceTrigger(frequency="day", interval=1),
                           create_monitor=MonitorDefinition(
                               compute=ServerlessSparkCompute(instance_type="standard_e4s_v3", runtime_version="3.5"),
                               monitoring_signals={"s": signal}))


_REF = ReferenceData(input_data=Input(type="uri_file", path="azureml:loans-training:1"))
_PROD = ProductionData(input_data=Input(type="uri_file", path="azureml:loans-production:1"))


@pytest.mark.parametrize("make, error, match", [
    (lambda: MonitorSchedule(name="bad", trigger=RecurrenceTrigger(frequency="day", interval=1), create_monitor=None),
     ValidationException, "has no create_monitor"),
    (lambda: _with(DataDriftSignal(production_data=_PROD, reference_data=_REF,
                                   metric_thresholds=DataDriftMetricThreshold(
                                       numerical=NumericalDriftMetrics(jensen_shannon_distance="high")))),
     TypeError, "jensen_shannon_distance must be a number"),
    (lambda: _with(DataDriftSignal(production_data=_PROD)), ScheduleException,
     "give production_data and reference_data"),
    (lambda: _with(DataQualitySignal(production_data=ProductionData(input_data=Input(type="uri_file", path="nope.csv")),
                                     reference_data=_REF)), ValidationException, "does not exist on this machine"),
    (lambda: MonitorSchedule(name="bad", trigger=RecurrenceTrigger(frequency="day", interval=1),
                             create_monitor=MonitorDefinition(compute=ServerlessSparkCompute(
                                 instance_type="standard_e4s_v3", runtime_version="3.5"))),
     ScheduleException, "data collector enabled for model inputs and outputs"),
    (lambda: MonitorSchedule(name="bad", trigger=RecurrenceTrigger(frequency="day", interval=1),
                             create_monitor=MonitorDefinition(compute=ServerlessSparkCompute(
                                 instance_type="standard_e4s_v3", runtime_version="3.5"),
                                 monitoring_target=MonitoringTarget(endpoint_deployment_id="azureml:no-ep:blue"))),
     ResourceNotFoundError, "no-ep"),
])
def test_a_bad_monitor_is_refused_with_one_line_and_nothing_is_kept(ml_client, make, error, match):
    with pytest.raises(error, match=match) as caught:
        ml_client.schedules.begin_create_or_update(make())
    assert len(str(caught.value).strip().splitlines()) == 1, str(caught.value)
    assert ml_client.schedules.list(list_view_type="All") == [] and ml_client.store.list_jobs() == []
