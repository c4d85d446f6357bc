"""The router's hop to each deployment over a Unix socket: serve.py binds one in the store (beside the TCP loopback
listener, which stays), state.sync records it in router.json, the router forwards over it."""
import http.client
import json
import os
import socket
import stat
from pathlib import Path

import pytest
import requests
from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model

from dp100lab.workspace.core import servers
from dp100lab.workspace.endpoints import inference, routing, serve, state

EP = "tst-unix"


def _deployment(name, model):
    return ManagedOnlineDeployment(name=name, endpoint_name=EP, model=model,
                                   code_configuration=CodeConfiguration(code="src", scoring_script="score.py"),
                                   environment=Environment(image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"),
                                   instance_type="Standard_DS3_v2", instance_count=1)


@pytest.fixture(scope="module")
def online(workspace):
    ml_client, _ = workspace
    model = ml_client.models.create_or_update(Model(name="unix-model", path="weights"))
    endpoint = ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=EP, auth_mode="key")).result()
    ml_client.online_deployments.begin_create_or_update(_deployment("blue", model)).result()
    endpoint.traffic = {"blue": 100}
    ml_client.begin_create_or_update(endpoint).result()
    return ml_client, model


def _config(ml_client):
    return json.loads(routing.config_path(ml_client.store, EP).read_text())


def _write(ml_client, cfg, _n=[0]):
    """router.json as given, with an mtime of its own (the router re-reads the file when its mtime changes; two
    writes within one clock tick could otherwise look alike)."""
    routing.write_config(ml_client.store, EP, cfg)
    _n[0] += 1
    path = routing.config_path(ml_client.store, EP)
    t = os.stat(path).st_mtime_ns + _n[0] * 1_000_000_000
    os.utime(path, ns=(t, t))


def _unix_post(path, body):
    """POST /score straight to the server's Unix socket (no router)."""
    class Conn(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(10)
            self.sock.connect(path)
    conn = Conn("localhost")
    try:
        conn.request("POST", "/score", body=json.dumps(body), headers={"Content-Type": "application/json"})
        got = conn.getresponse()
        return got.status, json.loads(got.read())
    finally:
        conn.close()


def test_router_json_carries_the_socket_and_the_server_answers_on_it(online):
    ml_client, _ = online
    dep = _config(ml_client)["deployments"]["blue"]
    path = dep["unix"]
    expected = serve.socket_path(inference.deployment_dir(ml_client.store, EP, "blue"))
    assert path == str(expected) and path.startswith(str(ml_client.store.root))
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    assert _unix_post(path, {"data": [[1, 1]]}) == (200, [3.0])
    # the TCP loopback listener is still there, with the port the router config records
    srv = servers.get(ml_client.store, inference.server_name(EP, "blue"))
    assert dep["port"] == srv.port
    assert requests.post(f"http://127.0.0.1:{srv.port}/score", json={"data": [[2, 0]]}, timeout=10).json() == [2.0]


def test_the_socket_is_0600_in_a_0700_folder(online):
    ml_client, _ = online
    path = _config(ml_client)["deployments"]["blue"]["unix"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700


def test_the_router_forwards_over_the_socket(online):
    ml_client, _ = online
    cfg_path = routing.config_path(ml_client.store, EP)
    cfg = json.loads(cfg_path.read_text())
    keys = ml_client.online_endpoints.get_keys(EP)
    uri = ml_client.online_endpoints.get(EP).scoring_uri
    headers = {"Authorization": "Bearer " + keys.primary_key}
    good_port = cfg["deployments"]["blue"]["port"]
    assert "unix" in cfg["deployments"]["blue"]
    # a TCP port nobody listens on: only the socket can answer
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    try:
        cfg["deployments"]["blue"]["port"] = dead_port
        _write(ml_client, cfg)
        got = requests.post(uri, json={"data": [[1, 2]]}, headers=headers, timeout=10)
        assert got.status_code == 200 and got.json() == [5.0]
        del cfg["deployments"]["blue"]["unix"]  # and without the socket the same config fails: it was the socket
        _write(ml_client, cfg)
        assert requests.post(uri, json={"data": [[1, 2]]}, headers=headers, timeout=10).status_code == 502
    finally:
        state.sync(ml_client.store, EP)  # router.json rebuilt from the store, socket included
    assert _config(ml_client)["deployments"]["blue"]["port"] == good_port
    assert "unix" in _config(ml_client)["deployments"]["blue"]


def test_the_socket_outlives_a_worker_that_exits(online):
    # gunicorn's workers are forks of serve.py's process: one that exits (here asked to by SIGTERM, which it handles
    # by leaving its loop) and is replaced must not take the master's socket with it
    import signal
    import time

    ml_client, _ = online
    path = _config(ml_client)["deployments"]["blue"]["unix"]
    master = servers.get(ml_client.store, inference.server_name(EP, "blue")).pid

    def workers():
        return Path(f"/proc/{master}/task/{master}/children").read_text().split()

    old = workers()
    assert len(old) == 1
    os.kill(int(old[0]), signal.SIGTERM)
    for _ in range(100):
        now = workers()
        if now and now != old and _unix_post(path, {"data": [[1, 1]]}) == (200, [3.0]):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"no new worker answered on the socket (workers {old} -> {workers()})")
    assert stat.S_ISSOCK(os.stat(path).st_mode)


def test_the_socket_is_gone_after_the_deployment_is_deleted(online):
    ml_client, model = online
    ml_client.online_deployments.begin_create_or_update(_deployment("green", model)).result()
    path = _config(ml_client)["deployments"]["green"]["unix"]
    assert os.path.exists(path)
    ml_client.online_deployments.begin_delete("green", EP).result()
    assert not os.path.exists(path)
    assert "green" not in _config(ml_client)["deployments"]


def test_a_store_path_too_long_for_af_unix_falls_back_to_tcp(tmp_path):
    deep = tmp_path / ("x" * (serve.UNIX_PATH_MAX - len(str(tmp_path))))
    assert serve.socket_path(deep / "endpoints" / "e" / "deployments" / "d") is None
    assert serve.socket_path(tmp_path / "endpoints" / "e" / "deployments" / "d") is not None
    assert serve.socket_path(tmp_path / "code") is None  # not a deployment folder: TCP only


def test_a_deployment_in_a_long_store_path_serves_over_tcp_only(tmp_path_factory, workspace):
    from dp100lab.workspace.client import LocalMLClient

    _, root = workspace
    home = tmp_path_factory.mktemp("long") / ("h" * 90)
    client = LocalMLClient(home, hold=False, set_mlflow=False)
    try:
        model = client.models.create_or_update(Model(name="unix-model", path=str(root / "weights")))
        ep = client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=EP, auth_mode="key")).result()
        d = _deployment("blue", model)
        d.code_configuration = CodeConfiguration(code=str(root / "src"), scoring_script="score.py")
        assert client.online_deployments.begin_create_or_update(d).result().provisioning_state == "Succeeded"
        ep.traffic = {"blue": 100}
        client.begin_create_or_update(ep).result()
        assert "unix" not in json.loads(routing.config_path(client.store, EP).read_text())["deployments"]["blue"]
        assert not (home / serve.SOCKET_DIR).exists()
        keys = client.online_endpoints.get_keys(EP)
        got = requests.post(client.online_endpoints.get(EP).scoring_uri, json={"data": [[1, 1]]},
                            headers={"Authorization": "Bearer " + keys.primary_key}, timeout=10)
        assert got.json() == [3.0]
    finally:
        servers.stop_all(client.store)
