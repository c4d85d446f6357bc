"""The local "studio": MLflow's own UI over the store's tracking database, on 127.0.0.1 only.

    import dp100lab.studio
    url = dp100lab.studio.start()     # background server; returns e.g. http://127.0.0.1:5000
    dp100lab.studio.stop()

Azure ML studio shows the same runs, metrics and models on ml.azure.com; locally this is `mlflow server`
with the backend sqlite:///<store>/mlflow.db and artifacts under <store>/mlartifacts. The server is recorded in
the store's servers table, so any process (a restarted kernel, `dp100 studio --stop`, `dp100 reset`) finds it.
Links open MLflow 3's model-training view (its `workflowType=machine_learning` URL setting) on the runs, not the
GenAI view; MLflow's telemetry is off (its MLFLOW_DISABLE_TELEMETRY and DO_NOT_TRACK settings), and so is its
AI Gateway (MLFLOW_ENABLE_AI_GATEWAY).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

HOST = "127.0.0.1"  # loopback only: the UI has no authentication
PORT_ENV = "DP100LAB_STUDIO_PORT"
DEFAULT_PORT = 5000
SERVER = "studio"  # its name (and kind) in the store's servers table
LOG_FILE = "studio.log"
HOLD_PURPOSE = "studio (mlflow server)"
VIEW = "workflowType=machine_learning"  # MLflow 3 UI: the model-training view (its default is the GenAI one)
SERVER_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",  # MLflow's own telemetry switches
              "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",  # no GenAI job runner (huey workers) beside the UI
              "MLFLOW_ENABLE_AI_GATEWAY": "false"}  # no AI Gateway pages or endpoints: the course trains models
# MLflow 3.17 has no setting for its Assistant panel: the UI offers it whenever the page's host is localhost or
# 127.0.0.1 and remembers in the browser's localStorage that it was opened or closed.


class StudioError(RuntimeError):
    """The studio could not start or stop; the message says why and what to do."""


def _store(root: Optional[os.PathLike | str] = None):
    from .workspace.core.store import Store

    return Store(root)


def default_port() -> int:
    value = os.environ.get(PORT_ENV)
    if not value:
        return DEFAULT_PORT
    try:
        return int(value)
    except ValueError:
        raise StudioError(f"{PORT_ENV}={value!r} is not a port number; set it to e.g. 5001 or unset it.") from None


def port_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
            return True
        except OSError:
            return False


def command(store, port: int) -> list[str]:
    """The mlflow server command line (flags checked against mlflow 3.17 `mlflow server --help`)."""
    return [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", store.mlflow_tracking_uri,
        "--default-artifact-root", store.mlartifacts_dir.resolve().as_uri(),
        "--no-serve-artifacts",  # artifacts are local files: the server reads them directly
        "--host", HOST,
        "--port", str(port),
        "--workers", "1",  # one learner, small machines
    ]


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _running(store):
    """The store's studio server record if its process still lives (a dead one is forgotten)."""
    from .workspace.core import servers

    srv = servers.get(store, SERVER)
    if srv is None:
        return None
    if not srv.alive:
        servers.forget(store, SERVER)
        store.release(f"{HOLD_PURPOSE} at {srv.url}", pid=srv.pid)
        return None
    return srv


def status(root: Optional[os.PathLike | str] = None) -> Optional[str]:
    """The URL of the running studio for this store, or None."""
    srv = _running(_store(root))
    return srv.url if srv else None


def base_url(root: Optional[os.PathLike | str] = None) -> str:
    """Where the studio is (when running) or will be (default port)."""
    try:
        return status(root) or f"http://{HOST}:{default_port()}"
    except StudioError:
        return f"http://{HOST}:{DEFAULT_PORT}"


def run_url(experiment_id: str, run_id: str, root: Optional[os.PathLike | str] = None) -> str:
    """A job's page: its run in the model-training view (what jobs' studio_url / "Web View" should print)."""
    return f"{base_url(root)}/#/experiments/{experiment_id}/runs/{run_id}?{VIEW}"


def experiment_url(experiment_id: str, root: Optional[os.PathLike | str] = None) -> str:
    """An experiment's runs table in the model-training view (pipeline and sweep jobs show as parent/children)."""
    return f"{base_url(root)}/#/experiments/{experiment_id}/runs?{VIEW}"


def start_url(store) -> str:
    """The page to open first: the runs of the experiment used last, else the experiment list."""
    srv = _running(store)
    base = srv.url if srv else base_url(store.root)
    try:
        from .workspace.core import tracking

        runs = tracking.client(store).search_runs(
            [e.experiment_id for e in tracking.client(store).search_experiments()], max_results=1,
            order_by=["attributes.start_time DESC"])
        if runs:
            return f"{base}/#/experiments/{runs[0].info.experiment_id}/runs?{VIEW}"
    except Exception:  # an empty or new store: the list of experiments is the right first page
        pass
    return f"{base}/#/experiments?{VIEW}"


def not_running_note(root: Optional[os.PathLike | str] = None) -> Optional[str]:
    """One line for a learner who is shown a job link while no studio runs (None when it runs)."""
    if status(root):
        return None
    return ("Job links open in the local studio (MLflow's UI): start it with `dp100 studio` in a terminal, or "
            "`dp100lab.studio.start()` here. On Azure the link opens Azure ML studio.")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start(port: Optional[int] = None, root: Optional[os.PathLike | str] = None, timeout: float = 300) -> str:
    """Start the studio in the background (or find it running) and return its URL."""
    from .workspace.core import processes, servers

    store = _store(root)
    srv = _running(store)
    if srv:
        return srv.url
    port = default_port() if port is None else int(port)
    if not port_free(port):
        raise StudioError(f"port {port} on {HOST} is already in use by another program. Choose another: "
                          f"`dp100 studio --port 5001` or set {PORT_ENV}=5001.")
    url = f"http://{HOST}:{port}"
    log_path = store.root / LOG_FILE
    log_path.write_bytes(b"")
    # Detached (double fork, own session): never an unreaped child of a kernel, and stop() ends its whole group.
    pid = processes.spawn_detached(command(store, port), log=log_path, cwd=store.root,
                                   env=processes.package_env(SERVER_ENV))
    servers.record(store, SERVER, SERVER, pid, port, info={"log": str(log_path)})
    store.hold(f"{HOLD_PURPOSE} at {url}", pid=pid)  # `dp100 reset` refuses while it runs
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not processes.pid_alive(pid):
            _forget(store, pid, url)
            raise StudioError(f"mlflow server exited before it was ready. Last lines of {log_path}:\n"
                              f"{_tail(log_path)}")
        if _healthy(url):
            return url
        time.sleep(0.5)
    servers.stop(store, SERVER)
    _forget(store, pid, url)
    raise StudioError(f"mlflow server did not answer on {url} within {timeout:.0f} s; it was stopped. "
                      f"Last lines of {log_path}:\n{_tail(log_path)}")


def _forget(store, pid: int, url: str) -> None:
    from .workspace.core import servers

    servers.forget(store, SERVER)
    store.release(f"{HOLD_PURPOSE} at {url}", pid=pid)


def stop(root: Optional[os.PathLike | str] = None) -> bool:
    """Stop the studio this store started (SIGTERM to its process group, SIGKILL after a grace); False if none."""
    from .workspace.core import servers

    store = _store(root)
    srv = _running(store)
    if not srv:
        return False
    servers.stop(store, SERVER)
    _forget(store, srv.pid, srv.url)
    return True


def serve(port: Optional[int] = None, root: Optional[os.PathLike | str] = None) -> int:
    """Foreground: start, print the URL, wait; Ctrl-C, `kill` (SIGTERM) or closing the terminal (SIGHUP) stop it."""

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    # before the URL is printed: a signal that follows the URL at once must still stop the server
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, on_signal)
    try:
        url = start(port=port, root=root)
        print(f"Studio (MLflow UI) for the local workspace: {start_url(_store(root))}\n"
              "On Azure the same runs, metrics and models are in Azure ML studio (ml.azure.com). Ctrl-C stops it.",
              flush=True)
        while status(root) == url:
            time.sleep(1)
        print("The studio server stopped.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stop(root)
        print("Studio stopped.")
        return 0
