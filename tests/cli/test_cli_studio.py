"""The studio: mlflow server on the store, on 127.0.0.1 only, recorded in the store's servers table (found again from
any process), telemetry and the AI Gateway off, links in the model-training view; stops on SIGTERM in the
foreground; reset refuses."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from dp100lab import studio
from dp100lab.cli import main


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_addresses(port):
    """Local addresses with a socket in LISTEN state on `port`, from /proc/net/tcp (Linux)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def environ_of(pid):
    raw = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_studio_serves_on_loopback_is_found_again_and_stops(tmp_path, monkeypatch, capsys):
    from dp100lab.workspace.core import servers
    from dp100lab.workspace.core.store import Store

    home = tmp_path / "home"
    monkeypatch.setenv("DP100LAB_HOME", str(home))
    port = free_port()
    url = studio.start(port=port, timeout=600)
    try:
        assert url == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(url + "/", timeout=30) as response:
            assert response.status == 200 and b"<html" in response.read(2000).lower()
        assert listening_addresses(port) == ["0100007F"]  # 127.0.0.1, nothing on 0.0.0.0 or ::
        record = servers.get(Store(home), "studio")
        assert record.alive and record.port == port and os.getppid() != record.pid
        env = environ_of(record.pid)
        assert env["MLFLOW_DISABLE_TELEMETRY"] == "true" and env["DO_NOT_TRACK"] == "true"
        with urllib.request.urlopen(url + "/ajax-api/3.0/mlflow/ui-telemetry", timeout=30) as response:
            assert b'"disable_ui_telemetry":true' in response.read().replace(b" ", b"")
        # MLflow's AI Gateway is off: the UI is told so (no Gateway pages) and its endpoints answer 501
        assert env["MLFLOW_ENABLE_AI_GATEWAY"] == "false"
        with urllib.request.urlopen(url + "/ajax-api/3.0/mlflow/server-info", timeout=30) as response:
            assert json.loads(response.read())["features_enabled"]["gateway"] is False
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + "/gateway/mlflow/v1/models", timeout=30)
        assert refused.value.code == 501
        # another process (a restarted kernel) finds the same server through the store
        found = subprocess.run([sys.executable, "-c", "from dp100lab import studio; print(studio.status())"],
                               capture_output=True, text=True, env={**os.environ, "DP100LAB_HOME": str(home)})
        assert found.stdout.strip() == url
        assert studio.start(port=port) == url  # already running: same server
        assert studio.run_url("1", "abc") == f"{url}/#/experiments/1/runs/abc?workflowType=machine_learning"
        assert studio.not_running_note() is None
        assert main(["studio", "--status"]) == 0 and url in capsys.readouterr().out
        assert main(["reset", "--yes"]) == 1  # the running studio holds the store
        assert "studio (mlflow server)" in capsys.readouterr().err
    finally:
        assert studio.stop() is True
    assert studio.status() is None and listening_addresses(port) == []
    assert "dp100 studio" in studio.not_running_note()
    assert studio.stop() is False
    assert main(["reset", "--yes"]) == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_foreground_studio_stops_on_kill_or_closed_terminal(tmp_path, sig):
    port = free_port()
    env = {**os.environ, "DP100LAB_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "dp100lab.cli", "studio", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()  # printed once the server answers
        assert f"http://127.0.0.1:{port}/#/experiments" in first and "workflowType=machine_learning" in first
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    deadline = time.monotonic() + 20
    while listening_addresses(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert listening_addresses(port) == []
    check = subprocess.run([sys.executable, "-c", "from dp100lab import studio; print(studio.status())"],
                           capture_output=True, text=True, env=env)
    assert check.stdout.strip() == "None"


def test_busy_port_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DP100LAB_HOME", str(tmp_path / "home"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        with pytest.raises(studio.StudioError, match="already in use.*--port"):
            studio.start(port=sock.getsockname()[1])


def test_command_binds_loopback_on_the_store(tmp_path):
    from dp100lab.workspace.core.store import Store

    store = Store(tmp_path)
    cmd = studio.command(store, 5001)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--backend-store-uri") + 1] == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert cmd[cmd.index("--default-artifact-root") + 1] == (tmp_path / "mlartifacts").as_uri()
