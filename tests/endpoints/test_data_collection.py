"""Data collection from a managed online deployment, written as how-to-collect-production-data writes it: a
DataCollector on the deployment, azureml-ai-monitoring's Collector in score.py, rows landing under the workspace
blob datastore's modelDataCollector/<endpoint>/<deployment>/<collection>/yyyy/MM/dd/HH/ and the data assets
<endpoint>-<deployment>-<collection> that the SDK registers when the deployment is created."""
import json
import os
import re
import signal
import time

import psutil
import pytest
import requests
from azure.ai.ml.entities import (CodeConfiguration, DataCollector, DeploymentCollection, Environment,
                                  ManagedOnlineDeployment, ManagedOnlineEndpoint, Model)

from dp100lab.workspace.core import servers
from dp100lab.workspace.core.uris import resolve_path
from dp100lab.workspace.endpoints import inference
from dp100lab.workspace.monitoring import collection


EP = "tst-mdc"
ROOT = "azureml://datastores/workspaceblobstore/paths/modelDataCollector"

# the how-to's pattern: Collectors made in init(), inputs collected, outputs collected with the inputs' context
COLLECTING_SCORE = '''
import json, logging, os
import pandas as pd
from azureml.ai.monitoring import Collector

def init():
    global inputs_collector, outputs_collector, w
    inputs_collector = Collector(name="model_inputs", on_error=lambda e: logging.info("ex:{}".format(e)))
    outputs_collector = Collector(name="model_outputs", on_error=lambda e: logging.info("ex:{}".format(e)))
    w = json.load(open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "weights", "w.json")))["w"]

def run(data):
    input_df = pd.DataFrame(json.loads(data)["data"], columns=["x1", "x2"])
    context = inputs_collector.collect(input_df)
    output_df = pd.DataFrame({"prediction": input_df["x1"] * w[0] + input_df["x2"] * w[1]})
    outputs_collector.collect(output_df, context)
    return output_df["prediction"].tolist()
'''


def _deployment(name, model, data_collector=None):
    return ManagedOnlineDeployment(name=name, endpoint_name=EP, model=model, data_collector=data_collector,
                                   code_configuration=CodeConfiguration(code="mdc_src", scoring_script="score.py"),
                                   environment=Environment(image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"),
                                   instance_type="Standard_DS3_v2", instance_count=1)


def _both():
    return DataCollector(collections={"model_inputs": DeploymentCollection(enabled="true"),
                                      "model_outputs": DeploymentCollection(enabled="true")})


@pytest.fixture(scope="module")
def mdc(workspace):
    ml_client, root = workspace
    (root / "mdc_src").mkdir(exist_ok=True)
    (root / "mdc_src" / "score.py").write_text(COLLECTING_SCORE)
    model = ml_client.models.create_or_update(Model(name="mdc-weights", path="weights"))
    endpoint = ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=EP)).result()
    # through the top-level convenience, as Microsoft's samples deploy
    ml_client.begin_create_or_update(_deployment("blue", model, _both())).result()
    endpoint.traffic = {"blue": 100}
    ml_client.begin_create_or_update(endpoint).result()
    return ml_client, model, root


def _post(ml_client, rows, deployment=None):
    headers = {"Content-Type": "application/json",
               "Authorization": "Bearer " + ml_client.online_endpoints.get_keys(EP).primary_key}
    if deployment:
        headers["azureml-model-deployment"] = deployment
    r = requests.post(ml_client.online_endpoints.get(EP).scoring_uri, json={"data": rows}, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _events(ml_client, deployment, name):
    folder = resolve_path(ml_client.store, f"{ROOT}/{EP}/{deployment}/{name}", must_exist=False)
    files = sorted(folder.rglob("*.jsonl")) if folder.is_dir() else []
    return folder, files, [json.loads(line) for f in files for line in f.read_text().splitlines() if line.strip()]


def test_sdk_and_requests_calls_are_collected_where_azure_writes_them(mdc, tmp_path):
    ml_client, _, _ = mdc
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"data": [[1, 1], [2, 3]]}))
    for _ in range(5):
        assert json.loads(ml_client.online_endpoints.invoke(endpoint_name=EP, request_file=str(req))) == [3.0, 8.0]
    for i in range(5):
        assert _post(ml_client, [[i, 0], [0, i], [i, i]]) == [float(i), 2.0 * i, 3.0 * i]
    assert collection.wait_for_rows(ml_client, EP, "blue", 25) == 25
    assert collection.wait_for_rows(ml_client, EP, "blue", 25, "model_outputs") == 25

    from dp100lab.workspace.monitoring.data import read_collected

    inputs_dir, in_files, in_events = _events(ml_client, "blue", "model_inputs")
    outputs_dir, out_files, out_events = _events(ml_client, "blue", "model_outputs")
    frame = read_collected(inputs_dir)
    assert list(frame.columns) == ["x1", "x2"] and len(frame) == 25
    assert list(read_collected(outputs_dir).columns) == ["prediction"]
    assert len(in_events) == len(out_events) == 10  # one event per collect() call
    # each output is logged with its input's correlation context, so the two can be joined
    assert {e["correlationid"] for e in in_events} == {e["correlationid"] for e in out_events}
    assert {e["type"] for e in in_events} == {"azureml.inference.model_inputs"}
    datastore = ml_client.store.datastore_path("workspaceblobstore")  # the blob datastore's local folder
    for f in in_files + out_files:
        rel = f.relative_to(datastore).as_posix()
        assert re.fullmatch(rf"modelDataCollector/{EP}/blue/model_(inputs|outputs)/\d{{4}}/\d\d/\d\d/\d\d/[^/]+\.jsonl",
                            rel), rel


def test_data_assets_are_registered_as_the_sdk_does_and_named_on_the_deployment(mdc):
    ml_client, _, _ = mdc
    for name in ("model_inputs", "model_outputs"):
        asset = ml_client.data.get(f"{EP}-blue-{name}", version="1")
        assert asset.type == "uri_folder"
        assert asset.path.rstrip("/").endswith(f"modelDataCollector/{EP}/blue/{name}")
        data_id = ml_client.online_deployments.get("blue", EP).data_collector.collections[name].data
        assert data_id.endswith(f"/workspaces/{ml_client.workspace_name}/data/{EP}-blue-{name}/versions/1")


def test_a_deployment_without_data_collector_collects_nothing(mdc, monkeypatch):
    ml_client, model, _ = mdc
    blue_before = len(_events(ml_client, "blue", "model_inputs")[2])
    # a kernel that ran a collector in-process (notebook 11) must not lend its settings to a new deployment
    env = json.loads((inference.deployment_dir(ml_client.store, EP, "blue") / "launch.json").read_text())["env"]
    for key in ("AZUREML_MDC_CONFIG_PATH", "AZUREML_MDC_HOST", "AZUREML_MDC_PORT"):
        monkeypatch.setenv(key, env[key])
    ml_client.online_deployments.begin_create_or_update(_deployment("plain", model)).result()
    for i in range(3):
        assert _post(ml_client, [[i, 1]], deployment="plain") == [i + 2.0]
    time.sleep(1.5)  # what a Collector would send arrives within this (the test above waits far less per row)
    assert servers.get(ml_client.store, collection.server_name(EP, "plain")) is None
    assert not resolve_path(ml_client.store, f"{ROOT}/{EP}/plain", must_exist=False).exists()
    assert not [d for d in ml_client.data.list() if d.name.startswith(f"{EP}-plain-")]
    assert len(_events(ml_client, "blue", "model_inputs")[2]) == blue_before
    ml_client.online_deployments.begin_delete("plain", EP).result()


def test_sampling_and_a_disabled_collection(mdc):
    ml_client, model, _ = mdc
    dc = DataCollector(collections={"model_inputs": DeploymentCollection(enabled="true"),
                                    "model_outputs": DeploymentCollection(enabled="false")}, sampling_rate=0.5)
    ml_client.online_deployments.begin_create_or_update(_deployment("sampled", model, dc)).result()
    calls = 40
    for i in range(calls):
        _post(ml_client, [[i, 1]], deployment="sampled")
    # the SDK's Collector samples each collect() call client-side: about half of them are sent
    time.sleep(1.5)
    sent = collection.wait_for_rows(ml_client, EP, "sampled", calls, timeout=2)
    assert 5 <= sent <= 35, sent  # binomial(40, 0.5) falls outside this once in a million runs
    assert _events(ml_client, "sampled", "model_outputs")[1] == []  # disabled: nothing written ...
    assert ml_client.data.get(f"{EP}-sampled-model_outputs", version="1").type == "uri_folder"  # ... asset made


def test_dead_collector_is_restarted_on_next_use(mdc, capsys):
    ml_client, _, _ = mdc
    srv = servers.get(ml_client.store, collection.server_name(EP, "blue"))
    before = len(_events(ml_client, "blue", "model_inputs")[2])
    os.killpg(srv.pid, signal.SIGKILL)
    for _ in range(50):
        if not srv.alive:
            break
        time.sleep(0.1)
    assert ml_client.online_deployments.get("blue", EP).provisioning_state == "Succeeded"
    assert "data collector of deployment 'blue' had stopped" in capsys.readouterr().out
    again = servers.get(ml_client.store, collection.server_name(EP, "blue"))
    assert again.alive and again.port == srv.port  # the port the scoring server sends to
    _post(ml_client, [[5, 5]])
    deadline = time.monotonic() + 30
    while len(_events(ml_client, "blue", "model_inputs")[2]) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_events(ml_client, "blue", "model_inputs")[2]) == before + 1


def test_a_collector_whose_port_was_taken_comes_back_elsewhere_and_the_server_follows(mdc, capsys):
    import socket

    ml_client, _, _ = mdc
    srv = servers.get(ml_client.store, collection.server_name(EP, "blue"))
    os.killpg(srv.pid, signal.SIGKILL)
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    deadline = time.monotonic() + 30  # the killed server's socket can take a moment to be released
    while True:
        try:
            squatter.bind(("127.0.0.1", srv.port))
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    squatter.listen(1)
    try:
        before = len(_events(ml_client, "blue", "model_inputs")[2])
        assert ml_client.online_deployments.get("blue", EP).provisioning_state == "Succeeded"
        assert "restarted to send to its collector's new port" in capsys.readouterr().out
        moved = servers.get(ml_client.store, collection.server_name(EP, "blue"))
        assert moved.alive and moved.port != srv.port
        _post(ml_client, [[7, 7]])
        deadline = time.monotonic() + 30
        while len(_events(ml_client, "blue", "model_inputs")[2]) == before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_events(ml_client, "blue", "model_inputs")[2]) == before + 1
    finally:
        squatter.close()


def test_rolling_rate_day_writes_daily_folders(mdc):
    ml_client, _, _ = mdc
    dc = DataCollector(collections={"model_inputs": DeploymentCollection(enabled="true")}, rolling_rate="day")
    env = collection.start(ml_client, EP, "daily", dc)
    try:  # one event as azureml-ai-monitoring's sender posts it
        r = requests.post(f"http://127.0.0.1:{env['AZUREML_MDC_PORT']}/modeldata/log", data='[{"x": 1}]', timeout=10,
                          headers={"Content-Type": "application/json", "ce-type": "azureml.inference.model_inputs",
                                   "ce-time": str(time.time())})
        assert r.status_code == 200
        folder, files, _ = _events(ml_client, "daily", "model_inputs")
        assert len(files) == 1
        assert re.fullmatch(r"\d{4}/\d\d/\d\d/[^/]+\.jsonl", files[0].relative_to(folder).as_posix())
    finally:
        collection.stop(ml_client.store, EP, "daily", forget=True)


def test_every_listener_is_loopback_only(mdc):
    ml_client, _, _ = mdc
    collectors = [s for s in servers.list_servers(ml_client.store) if s.kind == "data-collector" and s.alive]
    assert {s.info["deployment"] for s in collectors} >= {"blue", "sampled"}
    pids = set()
    for srv in servers.list_servers(ml_client.store):
        if srv.alive:
            proc = psutil.Process(srv.pid)
            pids |= {proc.pid} | {c.pid for c in proc.children(recursive=True)}
    listening = [c for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN and c.pid in pids]
    assert {s.port for s in collectors} <= {c.laddr.port for c in listening}
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}, listening


def test_deleting_the_deployment_stops_its_collector_and_keeps_the_data(mdc):
    ml_client, _, _ = mdc
    srv = servers.get(ml_client.store, collection.server_name(EP, "sampled"))
    assert srv is not None and srv.alive
    ml_client.online_deployments.begin_delete("sampled", EP).result()
    assert not srv.alive
    assert servers.get(ml_client.store, collection.server_name(EP, "sampled")) is None
    assert not any(c.laddr.port == srv.port for c in psutil.net_connections(kind="inet")
                   if c.status == psutil.CONN_LISTEN)
    ml_client.online_deployments.get("blue", EP)  # next use: a deleted deployment's collector stays stopped
    assert servers.get(ml_client.store, collection.server_name(EP, "sampled")) is None
    assert ml_client.data.get(f"{EP}-sampled-model_inputs", version="1")  # as on Azure: assets and files stay
    assert _events(ml_client, "sampled", "model_inputs")[1]


@pytest.mark.parametrize("dc, words", [
    (DataCollector(collections={"model_inputs": DeploymentCollection(enabled="true")}, sampling_rate=1.5),
     "Sampling rate must be an number in range (0.0-1.0)"),
    (DataCollector(collections={"model_inputs": DeploymentCollection(enabled="yes")}), "enabled='true'"),
])
def test_a_bad_data_collector_is_refused_and_changes_nothing(mdc, dc, words):
    from azure.ai.ml.exceptions import ValidationException

    ml_client, model, _ = mdc
    with pytest.raises(ValidationException, match=re.escape(words)):
        ml_client.online_deployments.begin_create_or_update(_deployment("bad", model, dc)).result()
    assert servers.get(ml_client.store, collection.server_name(EP, "bad")) is None
    assert ml_client.store.get("data", f"{EP}-bad-model_inputs", version="1") is None
    assert "bad" not in [d.name for d in ml_client.online_deployments.list(EP)]


def test_settings_without_a_local_meaning_are_accepted_with_one_line_each(mdc, capsys):
    from azure.ai.ml.entities import RequestLogging

    ml_client, model, _ = mdc
    dc = DataCollector(collections={"model_inputs": DeploymentCollection(enabled="true"),
                                    "request": DeploymentCollection(enabled="true")}, rolling_rate="minute",
                       request_logging=RequestLogging(capture_headers=["x-user"]))
    ml_client.online_deployments.begin_create_or_update(_deployment("noted", model, dc)).result()
    out = capsys.readouterr().out
    for words in ("request of 'noted'", "rolling_rate 'minute' of 'noted'", "request_logging of 'noted'"):
        assert out.count(words) == 1, out
    _post(ml_client, [[1, 2]], deployment="noted")
    assert collection.wait_for_rows(ml_client, EP, "noted", 1) == 1  # model_inputs still collected, hourly
    assert ml_client.data.get(f"{EP}-noted-request", version="1")  # registered, as the SDK does for each
    ml_client.online_deployments.begin_delete("noted", EP).result()


def test_dp100_reset_stops_the_collectors(tmp_path, monkeypatch, capsys):
    from dp100lab.cli import main
    from dp100lab.workspace.client import LocalMLClient

    home = tmp_path / "home"
    monkeypatch.setenv("DP100LAB_HOME", str(home))
    client = LocalMLClient(home, hold=False, set_mlflow=False)
    collection.start(client, "ep", "blue", _both())
    srv = servers.get(client.store, collection.server_name("ep", "blue"))
    assert srv.alive
    assert main(["reset", "--yes"]) == 0
    assert collection.server_name("ep", "blue") in capsys.readouterr().out
    assert not srv.alive and not home.exists()
