"""Production data collection: a scoring script's azureml-ai-monitoring Collector sends to the local collector,
which writes under the deployment's modelDataCollector folder and registers <endpoint>-<deployment>-<collection>."""
import pandas as pd
import psutil
import pytest
from azure.ai.ml.entities import DataCollector, DeploymentCollection

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.core import servers
from dp100lab.workspace.monitoring import collection


@pytest.fixture
def ml_client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    client = LocalMLClient(tmp_path / "home", hold=False)
    yield client
    collection.stop(client.store, "ep", "blue")


def test_collected_rows_land_in_the_registered_assets_and_the_server_is_loopback_only(ml_client, monkeypatch):
    dc = DataCollector(collections={"model_inputs": DeploymentCollection(enabled="true"),
                                    "model_outputs": DeploymentCollection(enabled="false")})
    env = collection.start(ml_client, "ep", "blue", dc)
    for key in env:
        monkeypatch.setenv(key, env[key])  # undone after the test; use_in_this_process sets them too
    collection.use_in_this_process(env)
    from azureml.ai.monitoring import Collector

    inputs = Collector(name="model_inputs")
    for start in (0, 30):
        inputs.collect(pd.DataFrame({"x": range(start, start + 30), "g": ["a", "b", "c"] * 10}))
    assert collection.flush_in_this_process(ml_client, "ep", "blue", dc) == 60
    assert ml_client.data.get("ep-blue-model_inputs", version="1").type == "uri_folder"
    assert ml_client.store.get("data", "ep-blue-model_outputs", version="1") is None  # disabled: nothing made
    port = int(env["AZUREML_MDC_PORT"])
    bound = {c.laddr.ip for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == port
             and c.status == psutil.CONN_LISTEN}
    assert bound == {servers.LOOPBACK}
