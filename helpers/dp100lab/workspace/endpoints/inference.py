"""Per-deployment inference servers: start azmlinfsrv (via serve.py, loopback only), wait until it serves or fails,
restart one that died, stop it. Each is recorded with core/servers so it outlives the kernel that started it.

A deployment's folder <store>/endpoints/<endpoint>/deployments/<deployment>/ holds what Azure's container holds:
code/ (the snapshot of code_configuration.code), azureml-models/<model>/<version>/ (AZUREML_MODEL_DIR), the launch
spec (launch.json, so any process can restart the server as it was) and the logs get_logs returns.
"""

from __future__ import annotations

import http.client
import json
import sys
import time
from pathlib import Path
from typing import Any, Optional

from ..core import servers
from ..core.processes import package_env, pid_alive, spawn_detached

READY_TIMEOUT_S = 310.0     # Azure's readiness probe defaults: initial_delay 10 s + period 10 s x failure_threshold 30
INFERENCE_LOG = "inference_server.log"
STORAGE_LOG = "storage_initializer.log"


def deployment_dir(store: Any, endpoint: str, deployment: str) -> Path:
    return Path(store.root) / "endpoints" / endpoint / "deployments" / deployment


def server_name(endpoint: str, deployment: str) -> str:
    return f"online-deployment:{endpoint}/{deployment}"


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection(servers.LOOPBACK, port, timeout=2)
    try:
        conn.request("GET", "/")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def start(store: Any, endpoint: str, deployment: str, launch: Optional[dict] = None,
          preferred_port: Optional[int] = None, ready_timeout_s: Optional[float] = None) -> tuple[str, Optional[int]]:
    """Start (or restart) the deployment's server; ("Succeeded", port) once it answers its liveness route,
    ("Failed", None) when it exits first (init() raised, import failed, ...): the reason is in its log."""
    folder = deployment_dir(store, endpoint, deployment)
    if launch is None:
        launch = json.loads((folder / "launch.json").read_text())
    else:
        (folder / "launch.json").write_text(json.dumps(launch, indent=1))
    servers.stop(store, server_name(endpoint, deployment))
    log = folder / INFERENCE_LOG
    for _attempt in range(3):  # a port taken between free_port() and gunicorn's bind: try another one
        port = servers.free_port(preferred_port)
        preferred_port = None
        argv = [sys.executable, "-m", "dp100lab.workspace.endpoints.serve", "--entry_script", launch["entry_script"],
                "--port", str(port)]
        env = package_env()
        env.pop("GUNICORN_CMD_ARGS", None)
        for key in [k for k in env if k.startswith("AZUREML_MDC_")]:
            del env[key]  # a kernel's in-process collector settings: only the deployment's own data_collector counts
        env.update(launch["env"])
        start_at = log.stat().st_size if log.exists() else 0
        pid = spawn_detached(argv, log=log, cwd=Path(launch["cwd"]), env=env)
        servers.record(store, server_name(endpoint, deployment), "inference-server", pid, port,
                       {"endpoint": endpoint, "deployment": deployment})
        deadline = time.monotonic() + (ready_timeout_s or launch.get("ready_timeout_s") or READY_TIMEOUT_S)
        while time.monotonic() < deadline:
            if _healthy(port):
                return "Succeeded", port
            if not pid_alive(pid):
                break
            time.sleep(0.1)
        tail = log.read_text(errors="replace")[start_at:]
        servers.stop(store, server_name(endpoint, deployment))
        if "Address already in use" not in tail:
            return "Failed", None
    return "Failed", None


def set_env(store: Any, endpoint: str, deployment: str, changes: dict) -> None:
    """Change the saved launch environment (the next start uses it)."""
    path = deployment_dir(store, endpoint, deployment) / "launch.json"
    launch = json.loads(path.read_text())
    launch["env"].update(changes)
    path.write_text(json.dumps(launch, indent=1))


def alive(store: Any, endpoint: str, deployment: str) -> bool:
    srv = servers.get(store, server_name(endpoint, deployment))
    return bool(srv and srv.alive)


def stop(store: Any, endpoint: str, deployment: str) -> bool:
    return servers.stop(store, server_name(endpoint, deployment))


BANNER = "Azure ML Inferencing HTTP server"  # the first line azmlinfsrv logs at each start


def script_error(store: Any, endpoint: str, deployment: str, lines: int = 12) -> str:
    """The first traceback of the server's last start, up to its exception line: the scoring script's own error
    (init() raised, score.py could not be imported), which gunicorn's shutdown messages follow and would hide."""
    try:
        text = (deployment_dir(store, endpoint, deployment) / INFERENCE_LOG).read_text(errors="replace")
    except OSError:
        return ""
    run = text[text.rfind(BANNER):] if BANNER in text else text
    found = run.splitlines()
    start = next((i for i, line in enumerate(found) if "Traceback (most recent call last)" in line), None)
    if start is None:
        return ""
    end = next((i for i in range(start + 1, len(found)) if found[i] and not found[i][0].isspace()), len(found) - 1)
    return "\n".join(found[max(start, end - lines + 1):end + 1])


def logs(store: Any, endpoint: str, deployment: str, lines: int, container_type: Optional[str] = None) -> str:
    """The last `lines` lines of the inference server's log (or of the storage initializer's), as get_logs."""
    folder = deployment_dir(store, endpoint, deployment)
    name = STORAGE_LOG if container_type == "storage-initializer" else INFERENCE_LOG  # the SDK's two values
    try:
        text = (folder / name).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-int(lines):]) if lines else text
