"""Managed online endpoints, written as Microsoft's SDK v2 samples write them (how-to-deploy-online-endpoints,
how-to-safely-rollout-online-endpoints): the same calls, locally, with Azure's rules and status codes."""
import json
import os
import signal
import socket
from pathlib import Path

import pytest
import requests
from azure.ai.ml.entities import (CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint,
                                  Model, OnlineRequestSettings)
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from dp100lab.workspace.core import servers
from dp100lab.workspace.endpoints import inference, state

EP = "tst-endpoint"


def _deployment(name, model, **kw):
    return ManagedOnlineDeployment(name=name, endpoint_name=EP, model=model,
                                   code_configuration=CodeConfiguration(code="src", scoring_script="score.py"),
                                   environment=Environment(image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"),
                                   instance_type="Standard_DS3_v2", instance_count=1, **kw)


@pytest.fixture(scope="module")
def online(workspace):
    ml_client, root = workspace
    model = ml_client.models.create_or_update(Model(name="weights-model", path="weights"))
    endpoint = ml_client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name=EP, auth_mode="key", description="test endpoint")).result()
    ml_client.online_deployments.begin_create_or_update(_deployment("blue", model)).result()
    ml_client.online_deployments.begin_create_or_update(_deployment(
        "green", model, environment_variables={"OFFSET": "100"},
        request_settings=OnlineRequestSettings(request_timeout_ms=1000))).result()
    endpoint.traffic = {"blue": 100}
    ml_client.begin_create_or_update(endpoint).result()  # the top-level convenience Microsoft's labs use
    return ml_client, model


def _post(ml_client, body, key="primary", deployment=None):
    uri = ml_client.online_endpoints.get(EP).scoring_uri
    headers = {"Content-Type": "application/json"}
    if key:
        keys = ml_client.online_endpoints.get_keys(EP)
        headers["Authorization"] = "Bearer " + (keys.primary_key if key == "primary" else
                                                keys.secondary_key if key == "secondary" else key)
    if deployment:
        headers["azureml-model-deployment"] = deployment
    return requests.post(uri, data=body if isinstance(body, str) else json.dumps(body), headers=headers, timeout=30)


def test_entities_are_azure_entities(online):
    ml_client, _ = online
    ep = ml_client.online_endpoints.get(EP)
    assert isinstance(ep, ManagedOnlineEndpoint)
    assert ep.provisioning_state == "Succeeded" and ep.traffic == {"blue": 100}
    assert ep.scoring_uri.startswith("http://127.0.0.1:") and ep.scoring_uri.endswith("/score")
    dep = ml_client.online_deployments.get("blue", EP)
    assert isinstance(dep, ManagedOnlineDeployment) and dep.provisioning_state == "Succeeded"
    assert dep.model.endswith("weights-model:1") and dep.instance_type == "Standard_DS3_v2"
    assert sorted(d.name for d in ml_client.online_deployments.list(EP)) == ["blue", "green"]
    assert EP in [e.name for e in ml_client.online_endpoints.list()]


def test_invoke_sdk_and_requests(online, tmp_path):
    ml_client, _ = online
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"data": [[1, 1], [2, 3]]}))
    assert json.loads(ml_client.online_endpoints.invoke(endpoint_name=EP, request_file=str(req))) == [3.0, 8.0]
    out = ml_client.online_endpoints.invoke(endpoint_name=EP, request_file=str(req), deployment_name="green")
    assert json.loads(out) == [103.0, 108.0]
    r = _post(ml_client, {"data": [[1, 0]]})
    assert r.status_code == 200 and r.json() == [1.0] and r.headers["azureml-model-deployment"] == "blue"


def test_key_auth_and_rotation(online):
    ml_client, _ = online
    assert _post(ml_client, {"data": [[1, 0]]}, key=None).status_code == 401
    assert _post(ml_client, {"data": [[1, 0]]}, key="not-the-key").status_code == 401
    assert _post(ml_client, {"data": [[1, 0]]}, key="secondary").status_code == 200
    old = ml_client.online_endpoints.get_keys(EP).primary_key
    ml_client.online_endpoints.begin_regenerate_keys(EP, key_type="primary").result()
    new = ml_client.online_endpoints.get_keys(EP).primary_key
    assert new != old
    assert _post(ml_client, {"data": [[1, 0]]}, key=old).status_code == 401
    assert _post(ml_client, {"data": [[1, 0]]}, key=new).status_code == 200


def test_traffic_split_is_weighted_and_counted(online):
    ml_client, _ = online
    ep = ml_client.online_endpoints.get(EP)
    ep.traffic = {"blue": 70, "green": 30}
    ml_client.online_endpoints.begin_create_or_update(ep).result()
    counts_file = state.routing.counts_path(state.routing.endpoint_dir(ml_client.store, EP))
    before = json.loads(counts_file.read_text())["live"] if counts_file.exists() else {}
    seen = {"blue": 0, "green": 0}
    for _ in range(200):
        seen[_post(ml_client, {"data": [[1, 0]]}).headers["azureml-model-deployment"]] += 1
    assert 30 <= seen["green"] <= 95, seen  # binomial(200, 0.3): mean 60, sd 6.5
    import time
    time.sleep(0.6)  # the router writes its counts every 0.25 s
    after = json.loads(counts_file.read_text())["live"]
    assert after["green"] - before.get("green", 0) == seen["green"]
    ep.traffic = {"blue": 100, "green": 0}
    ml_client.online_endpoints.begin_create_or_update(ep).result()


def test_mirror_copies_without_answering(online):
    ml_client, _ = online
    ep = ml_client.online_endpoints.get(EP)
    ep.traffic, ep.mirror_traffic = {"blue": 100, "green": 0}, {"green": 50}
    ml_client.online_endpoints.begin_create_or_update(ep).result()
    counts_file = state.routing.counts_path(state.routing.endpoint_dir(ml_client.store, EP))
    mirrored_before = json.loads(counts_file.read_text())["mirrored"].get("green", 0)
    answers = [_post(ml_client, {"data": [[1, 0]]}) for _ in range(60)]
    assert {a.headers["azureml-model-deployment"] for a in answers} == {"blue"}
    assert {tuple(a.json()) for a in answers} == {(1.0,)}  # green adds 100: its answers are never returned
    targeted = _post(ml_client, {"data": [[1, 0]]}, deployment="green")
    assert targeted.json() == [101.0]
    import time
    time.sleep(0.6)
    mirrored = json.loads(counts_file.read_text())["mirrored"].get("green", 0) - mirrored_before
    assert 10 <= mirrored <= 50, mirrored  # ~30 of 60; the targeted request is not mirrored
    ep.mirror_traffic = {"green": 0}
    ml_client.online_endpoints.begin_create_or_update(ep).result()


def test_header_to_unknown_deployment_is_404(online):
    ml_client, _ = online
    assert _post(ml_client, {"data": [[1, 0]]}, deployment="nope").status_code == 404


def test_timeout_is_408_and_run_errors_are_424(online):
    ml_client, _ = online
    r = _post(ml_client, {"data": [[1, 0]], "sleep": 3}, deployment="green")  # green's request_timeout_ms=1000
    assert r.status_code == 408
    r = _post(ml_client, {"data": [[1, 0]], "raise": True})
    assert r.status_code == 424 and r.headers["ms-azureml-model-error-statuscode"] == "500"
    r = _post(ml_client, "this is not json")
    assert r.status_code == 424
    assert _post(ml_client, {"data": [[2, 0]]}).json() == [2.0]  # the deployment still serves


def test_one_connection_serves_many_requests_and_a_malformed_body_is_400(online):
    ml_client, _ = online
    uri = ml_client.online_endpoints.get(EP).scoring_uri
    key = ml_client.online_endpoints.get_keys(EP).primary_key
    with requests.Session() as s:  # HTTP/1.1 keep-alive, a chunked body included
        s.headers["Authorization"] = "Bearer " + key
        answers = [s.post(uri, json={"data": [[i, 0]]}, timeout=30).json() for i in range(3)]
        chunked = s.post(uri, data=iter([b'{"data": ', b"[[5, 0]]}"]), timeout=30,
                         headers={"Content-Type": "application/json"})
    assert answers == [[0.0], [1.0], [2.0]] and chunked.json() == [5.0]
    port = int(uri.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(b"POST /score HTTP/1.1\r\nContent-Length: ten\r\n\r\n")
        assert raw.recv(200).startswith(b"HTTP/1.1 400 ")
    assert _post(ml_client, {"data": [[2, 0]]}).json() == [2.0]  # the router still serves


def _raw(port, data, timeout=10):
    """Send bytes to the router and read until it closes the connection (or the timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def test_pipelined_requests_expect_100_and_connection_close(online):
    ml_client, _ = online
    uri = ml_client.online_endpoints.get(EP).scoring_uri
    port = int(uri.split(":")[2].split("/")[0])
    auth = f"Authorization: Bearer {ml_client.online_endpoints.get_keys(EP).primary_key}\r\n"

    def req(body, extra=""):
        return (f"POST /score HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n{extra}"
                f"Content-Length: {len(body)}\r\n\r\n{body}").encode()

    # two requests in one write, answered in order; the second asks to close, so the router closes
    out = _raw(port, req('{"data": [[7, 0]]}') + req('{"data": [[8, 0]]}', "Connection: close\r\n"))
    assert out.count(b"HTTP/1.1 200 OK") == 2 and out.index(b"[7.0]") < out.index(b"[8.0]")
    assert out.rstrip().endswith(b"[8.0]")
    # curl sends Expect: 100-continue before a large body and waits for the interim answer
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        body = '{"data": [[9, 0]]}'
        s.sendall(req(body, "Expect: 100-continue\r\nConnection: close\r\n")[:-len(body)])
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(body.encode())
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"[9.0]")


def test_idle_kept_alive_connections_do_not_block_new_clients(online):
    from dp100lab.workspace.endpoints import router

    ml_client, _ = online
    uri = ml_client.online_endpoints.get(EP).scoring_uri
    port = int(uri.split(":")[2].split("/")[0])
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(router.THREADS_MIN + 3)]
    try:  # each holds a router thread waiting for a request that does not come
        assert _post(ml_client, {"data": [[4, 0]]}).json() == [4.0]
    finally:
        for s in idle:
            s.close()


@pytest.mark.parametrize("traffic,mirror,words", [
    ({"blue": 90}, {}, "sum to 100"),
    ({"blue": 100, "missing": 0}, {}, "do not exist"),
    ({"blue": 50, "green": 50}, {"green": 10}, "not both"),
    ({"blue": 100}, {"green": 60}, "50%"),
])
def test_bad_traffic_is_refused_and_changes_nothing(online, traffic, mirror, words):
    ml_client, _ = online
    ep = ml_client.online_endpoints.get(EP)
    ep.traffic, ep.mirror_traffic = traffic, mirror
    with pytest.raises(HttpResponseError) as e:
        ml_client.online_endpoints.begin_create_or_update(ep).result()
    assert e.value.status_code == 400 and words in str(e.value)
    assert ml_client.online_endpoints.get(EP).traffic == {"blue": 100, "green": 0}


def test_delete_deployment_with_traffic_is_refused(online):
    ml_client, _ = online
    with pytest.raises(HttpResponseError, match="still takes 100% live"):
        ml_client.online_deployments.begin_delete("blue", EP).result()
    assert ml_client.online_deployments.get("blue", EP).provisioning_state == "Succeeded"


def test_failed_init_leaves_the_others_serving(online):
    ml_client, model = online
    with pytest.raises(HttpResponseError, match="Failed") as failed:
        ml_client.online_deployments.begin_create_or_update(
            _deployment("broken", model, environment_variables={"FAIL_INIT": "1"})).result()
    # the message shows the script's own error, not gunicorn's shutdown lines that follow it in the log
    assert "the script's error:" in str(failed.value)
    assert "RuntimeError: boom: init() failed on purpose" in str(failed.value)
    assert "HaltServer" not in str(failed.value)
    assert ml_client.online_deployments.get("broken", EP).provisioning_state == "Failed"
    log = ml_client.online_deployments.get_logs("broken", EP, lines=200)
    assert "boom: init() failed on purpose" in log
    assert "FileNotFoundError" not in log  # the failed worker no longer removes the master's socket
    assert _post(ml_client, {"data": [[1, 0]]}).status_code == 200
    assert _post(ml_client, {"data": [[1, 0]]}, deployment="broken").status_code == 503
    ml_client.online_deployments.begin_delete("broken", EP).result()
    with pytest.raises(ResourceNotFoundError):
        ml_client.online_deployments.get("broken", EP)


def test_a_failed_start_names_environment_packages_missing_here(online):
    # the deployment's conda file lists a package this Python lacks and score.py imports it: the failure says so,
    # since on Azure the package would be built into the deployment's image
    ml_client, model = online
    root = Path.cwd()
    (root / "needs_pkg").mkdir(exist_ok=True)
    (root / "needs_pkg" / "score.py").write_text("import dp100lab_no_such_pkg\ndef init():\n    pass\n"
                                                 "def run(raw):\n    return []\n")
    conda = {"name": "env", "dependencies": ["python=3.11", "pip", {"pip": ["dp100lab-no-such-pkg==1.0"]}]}
    with pytest.raises(HttpResponseError) as failed:
        ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
            name="needs-pkg", endpoint_name=EP, model=model,
            code_configuration=CodeConfiguration(code="needs_pkg", scoring_script="score.py"),
            environment=Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04", conda_file=conda),
            instance_type="Standard_DS3_v2", instance_count=1)).result()
    message = str(failed.value)
    assert "packages not importable here (dp100lab-no-such-pkg (not installed))" in message
    assert "ModuleNotFoundError: No module named 'dp100lab_no_such_pkg'" in message
    ml_client.online_deployments.begin_delete("needs-pkg", EP).result()


def test_dead_server_is_restarted_on_next_use(online, capsys):
    ml_client, _ = online
    srv = servers.get(ml_client.store, inference.server_name(EP, "blue"))
    os.killpg(srv.pid, signal.SIGKILL)
    import time
    for _ in range(50):
        if not srv.alive:
            break
        time.sleep(0.1)
    assert ml_client.online_deployments.get("blue", EP).provisioning_state == "Succeeded"
    assert "restarted" in capsys.readouterr().out
    assert _post(ml_client, {"data": [[1, 1]]}).json() == [3.0]


def test_port_in_use_moves_the_router_and_says_so(online, capsys):
    ml_client, _ = online
    srv = servers.get(ml_client.store, state.router_name(EP))
    os.killpg(srv.pid, signal.SIGKILL)
    import time
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the dead router's port may be in TIME_WAIT
    deadline = time.monotonic() + 30  # a loaded machine can take a while to reap the killed group's sockets
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
        ep = ml_client.online_endpoints.get(EP)
        assert f":{srv.port}/" not in ep.scoring_uri
        assert "is in use by another program" in capsys.readouterr().out
        assert _post(ml_client, {"data": [[1, 1]]}).status_code == 200
    finally:
        squatter.close()


def test_every_listener_is_loopback_only(online):
    import psutil

    ml_client, _ = online
    pids = set()
    for srv in servers.list_servers(ml_client.store):
        if srv.alive:
            proc = psutil.Process(srv.pid)
            pids |= {proc.pid} | {c.pid for c in proc.children(recursive=True)}
    assert len(pids) >= 3  # the router and two gunicorn masters, with their workers
    listening = [c for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN and c.pid in pids]
    assert listening, "no listener found for the endpoint's processes"
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}, listening


def test_yaml_definitions_load_and_deploy(online, workspace):
    from azure.ai.ml import load_online_deployment, load_online_endpoint

    ml_client, root = workspace
    (root / "endpoint.yml").write_text("$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json\n"
                                       "name: tst-yaml\nauth_mode: aml_token\n")
    (root / "blue.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n"
        "name: blue\nendpoint_name: tst-yaml\nmodel: azureml:weights-model:1\n"
        "code_configuration:\n  code: src\n  scoring_script: score.py\n"
        "environment:\n  image: mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest\n"
        "instance_type: Standard_DS3_v2\ninstance_count: 1\n")
    ml_client.begin_create_or_update(load_online_endpoint(str(root / "endpoint.yml"))).result()
    ml_client.begin_create_or_update(load_online_deployment(str(root / "blue.yml"))).result()
    token = ml_client.online_endpoints.get_keys("tst-yaml")
    assert token.access_token and token.expiry_time_utc > 0
    uri = ml_client.online_endpoints.get("tst-yaml").scoring_uri
    r = requests.post(uri, json={"data": [[1, 1]]}, headers={"Authorization": f"Bearer {token.access_token}",
                                                             "azureml-model-deployment": "blue"})
    assert r.status_code == 200 and r.json() == [3.0]
    from azure.ai.ml.exceptions import ValidationException
    with pytest.raises(ValidationException, match="does not use keys"):
        ml_client.online_endpoints.begin_regenerate_keys("tst-yaml", key_type="primary")
    ml_client.online_endpoints.begin_delete("tst-yaml").result()
    assert not servers.get(ml_client.store, state.router_name("tst-yaml"))


def test_kubernetes_endpoint_is_recorded_with_one_line(online, capsys):
    from azure.ai.ml.entities import KubernetesOnlineEndpoint

    ml_client, _ = online
    ep = ml_client.online_endpoints.begin_create_or_update(
        KubernetesOnlineEndpoint(name="tst-k8s", compute="k8s-compute", auth_mode="key")).result()
    assert isinstance(ep, KubernetesOnlineEndpoint) and ep.provisioning_state == "Succeeded"
    assert "Kubernetes compute 'k8s-compute'" in capsys.readouterr().out
    ep.mirror_traffic = {"any": 10}
    with pytest.raises(HttpResponseError, match="Kubernetes"):
        ml_client.online_endpoints.begin_create_or_update(ep).result()
    ml_client.online_endpoints.begin_delete("tst-k8s").result()


def test_swagger_uri_is_served_with_auth(online):
    ml_client, _ = online
    ep = ml_client.online_endpoints.get(EP)
    assert requests.get(ep.openapi_uri, timeout=30).status_code == 401
    key = ml_client.online_endpoints.get_keys(EP).primary_key
    r = requests.get(ep.openapi_uri, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert r.status_code == 200 and "paths" in r.json()
