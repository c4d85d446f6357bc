"""The studio: mlflow server on the store, listening on 127.0.0.1 only; reset refuses while it runs."""
import socket
import sys
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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")
def test_studio_serves_on_loopback_and_stops(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("DP100LAB_HOME", str(home))
    port = free_port()
    url = studio.start(port=port, timeout=180)
    try:
        assert url == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(url + "/", timeout=30) as response:
            assert response.status == 200 and b"<html" in response.read(2000).lower()
        assert listening_addresses(port) == ["0100007F"]  # 127.0.0.1, nothing on 0.0.0.0 or ::
        assert studio.start(port=port) == url  # already running: same server
        assert main(["studio", "--status"]) == 0 and url in capsys.readouterr().out
        assert main(["reset", "--yes"]) == 1  # the running studio holds the store
        assert "studio (mlflow server)" in capsys.readouterr().err
    finally:
        assert studio.stop() is True
    assert studio.status() is None and listening_addresses(port) == []
    assert studio.stop() is False
    assert main(["reset", "--yes"]) == 0


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
