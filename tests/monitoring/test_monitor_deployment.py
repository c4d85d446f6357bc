"""A monitor whose target is a live deployment, as module 11 runs it: a ManagedOnlineDeployment with a DataCollector,
traffic through ml_client.online_endpoints.invoke, and a MonitorSchedule on monitoring_target.endpoint_deployment_id
whose signals leave production data out, so it is taken from the assets the deployment's collector registered (as
the SDK's ScheduleOperations fills it in). The breach tag is what an Event Grid subscription filters on."""
import json
import time

import numpy as np
import pandas as pd
import pytest
from azure.ai.ml import Input
from azure.ai.ml.constants import MonitorDatasetContext
from azure.ai.ml.entities import (CodeConfiguration, Data, DataCollector, DataDriftMetricThreshold, DataDriftSignal,
                                  DeploymentCollection, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint,
                                  Model, MonitorDefinition, MonitoringTarget, MonitorSchedule, NumericalDriftMetrics,
                                  PredictionDriftMetricThreshold, PredictionDriftSignal, RecurrenceTrigger,
                                  ReferenceData, ServerlessSparkCompute)
from azure.ai.ml.exceptions import ScheduleException
from azure.core.exceptions import ResourceNotFoundError

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.core import servers
from dp100lab.workspace.monitoring import collection, results
from dp100lab.workspace.monitoring.compute import BREACH_TAG

EP = "tst-mon-ep"
# the how-to's scoring pattern, standard library and pandas only so the server starts fast
SCORE = '''
import json, logging, os
import pandas as pd
from azureml.ai.monitoring import Collector

def init():
    global inputs_collector, outputs_collector, cut
    # on_error as the how-to passes it: without it Collector() raises where no data collector is configured
    inputs_collector, outputs_collector = (Collector(name=n, on_error=lambda e: logging.info("ex:%s", e))
                                           for n in ("model_inputs", "model_outputs"))
    cut = json.load(open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "rule", "rule.json")))["cut"]

def run(raw_data):
    input_df = pd.DataFrame(json.loads(raw_data)["data"])
    context = inputs_collector.collect(input_df)
    output_df = pd.DataFrame({"prediction": (input_df["x1"] > cut).astype(int)})
    outputs_collector.collect(output_df, context)
    return output_df["prediction"].tolist()
'''


def _frame(n, shift, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x1": rng.normal(shift, 1, n).round(4), "x2": rng.normal(0, 1, n).round(4)})


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """blue, collecting inputs and outputs, after a day of ordinary traffic, then traffic whose x1 moved by +2."""
    root = tmp_path_factory.mktemp("monitor-deployment")
    (root / "src").mkdir()
    (root / "src" / "score.py").write_text(SCORE)
    (root / "rule").mkdir()
    (root / "rule" / "rule.json").write_text(json.dumps({"cut": 0.0}))
    reference = _frame(400, 0, seed=1).assign(prediction=lambda d: (d.x1 > 0).astype(int))
    reference.to_csv(root / "reference.csv", index=False)
    client = LocalMLClient(root / "home", hold=False, set_mlflow=False)
    client.data.create_or_update(Data(name="tst-reference", version="1", type="uri_file",
                                      path=str(root / "reference.csv")))
    model = client.models.create_or_update(Model(name="tst-rule", path=str(root / "rule")))
    endpoint = client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=EP)).result()
    serving = dict(endpoint_name=EP, model=model, instance_type="Standard_DS3_v2", instance_count=1,
                   code_configuration=CodeConfiguration(code=str(root / "src"), scoring_script="score.py"),
                   environment=Environment(image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"))
    client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue", data_collector=DataCollector(collections={"model_inputs": DeploymentCollection(enabled="true"),
                                                               "model_outputs": DeploymentCollection(enabled="true")}),
        **serving)).result()
    endpoint.traffic = {"blue": 100}
    client.online_endpoints.begin_create_or_update(endpoint).result()

    def send(frame):
        request = root / "request.json"
        for i in range(0, len(frame), 100):
            request.write_text(json.dumps({"data": frame.iloc[i:i + 100].to_dict(orient="list")}))
            client.online_endpoints.invoke(endpoint_name=EP, request_file=str(request))

    send(_frame(300, 0, seed=2))
    assert collection.wait_for_rows(client, EP, "blue", 300) == 300
    time.sleep(1.2)
    split = pd.Timestamp.now(tz="UTC")  # a monitoring run for this trigger time sees only the ordinary traffic
    time.sleep(1.2)
    send(_frame(300, 2, seed=3))
    assert collection.wait_for_rows(client, EP, "blue", 600) == 600
    assert collection.wait_for_rows(client, EP, "blue", 600, "model_outputs") == 600
    yield client, split, serving
    servers.stop_all(client.store)


def _monitor(signals, target=f"azureml:{EP}:blue", name="tst-monitor"):
    return MonitorSchedule(name=name, trigger=RecurrenceTrigger(frequency="day", interval=1),
                           create_monitor=MonitorDefinition(
                               compute=ServerlessSparkCompute(instance_type="standard_e4s_v3", runtime_version="3.4"),
                               monitoring_target=MonitoringTarget(ml_task="classification",
                                                                  endpoint_deployment_id=target),
                               monitoring_signals=signals))


def _reference():
    return ReferenceData(input_data=Input(type="uri_file", path="azureml:tst-reference:1"),
                         data_context=MonitorDatasetContext.TRAINING, data_column_names={"target_column": "prediction"})


def _finished(client, run):
    client.jobs.stream(run.job_name)
    return client.jobs.get(run.job_name)


def test_production_data_left_out_is_the_deployments_collected_data(served):
    client, split, _ = served
    # 0.3, not the default 0.1: two samples of a few hundred rows from one distribution are ~0.1 apart by chance
    wide = DataDriftMetricThreshold(numerical=NumericalDriftMetrics(normalized_wasserstein_distance=0.3))
    signals = {"drift": DataDriftSignal(reference_data=_reference(), features=["x1", "x2"], alert_enabled=True,
                                        metric_thresholds=wide),
               "outputs": PredictionDriftSignal(reference_data=_reference(), alert_enabled=True,
                                                metric_thresholds=PredictionDriftMetricThreshold())}
    stored = client.schedules.begin_create_or_update(_monitor(signals)).result()
    monitored = stored.create_monitor.monitoring_signals
    assert str(monitored["drift"].production_data.input_data.path).endswith(f"{EP}-blue-model_inputs:1")
    assert str(monitored["outputs"].production_data.input_data.path).endswith(f"{EP}-blue-model_outputs:1")

    ordinary = _finished(client, client.schedules.trigger("tst-monitor", schedule_time=split.isoformat()))
    day = _finished(client, client.schedules.trigger("tst-monitor"))
    assert BREACH_TAG not in (ordinary.tags or {})
    first = results.signal_table(client, ordinary.name).set_index(["signal", "feature"])
    assert set(first.status) == {"Pass"}, first
    table = results.signal_table(client, day.name).set_index(["signal", "feature"])
    assert table.loc[("drift", "x1"), "status"] == "Fail" and table.loc[("drift", "x2"), "status"] == "Pass"
    assert table.loc[("outputs", "prediction"), "status"] == "Fail"  # more x1 > 0, so more positive outputs
    # what the documented Event Grid advanced filter matches (string contains, on data.RunTags.<tag>)
    assert "has failed due to one or more features violating metric thresholds" in day.tags[BREACH_TAG]
    assert "'tst-monitor_drift'" in day.tags[BREACH_TAG] and '"group": "x1"' in day.tags[BREACH_TAG]


def test_a_target_deployment_that_collects_nothing_cannot_fill_production_data(served):
    client, _, serving = served
    before = [s.name for s in client.schedules.list(list_view_type="All")]
    client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(name="plain", **serving)).result()
    with pytest.raises(ScheduleException, match="collects model_inputs") as caught:
        client.schedules.begin_create_or_update(_monitor({"drift": DataDriftSignal(reference_data=_reference())},
                                                         target=f"azureml:{EP}:plain", name="tst-plain"))
    assert len(str(caught.value).strip().splitlines()) == 1, str(caught.value)
    assert [s.name for s in client.schedules.list(list_view_type="All")] == before  # nothing stored
    with pytest.raises(ResourceNotFoundError):
        client.schedules.get("tst-plain")
