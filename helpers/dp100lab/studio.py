"""The local "studio": MLflow's own UI over the store's tracking database, on 127.0.0.1 only.

    import dp100lab.studio
    url = dp100lab.studio.start()     # background server; returns e.g. http://127.0.0.1:5000
    dp100lab.studio.stop()

Azure ML studio shows the same runs, metrics and models on ml.azure.com; locally this is `mlflow server`
with the backend sqlite:///<store>/mlflow.db and artifacts under <store>/mlartifacts.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

HOST = "127.0.0.1"  # loopback only: the UI has no authentication
PORT_ENV = "DP100LAB_STUDIO_PORT"
DEFAULT_PORT = 5000
STATE_FILE = "studio.json"
LOG_FILE = "studio.log"
HOLD_PURPOSE = "studio (mlflow server)"


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


def _read_state(store) -> Optional[dict]:
    from .workspace.core.store import pid_alive

    path = store.root / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not pid_alive(state.get("pid")):
        path.unlink(missing_ok=True)  # left over from a server that is gone
        return None
    return state


def status(root: Optional[os.PathLike | str] = None) -> Optional[str]:
    """The URL of the running studio for this store, or None."""
    state = _read_state(_store(root))
    return state["url"] if state else None


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start(port: Optional[int] = None, root: Optional[os.PathLike | str] = None, timeout: float = 120) -> str:
    """Start the studio in the background (or find it running) and return its URL."""
    store = _store(root)
    state = _read_state(store)
    if state:
        return state["url"]
    port = default_port() if port is None else int(port)
    if not port_free(port):
        raise StudioError(f"port {port} on {HOST} is already in use by another program. Choose another: "
                          f"`dp100 studio --port 5001` or set {PORT_ENV}=5001.")
    url = f"http://{HOST}:{port}"
    log_path = store.root / LOG_FILE
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(command(store, port), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # own group: stop() ends it all
    (store.root / STATE_FILE).write_text(json.dumps({"pid": proc.pid, "port": port, "url": url}), encoding="utf-8")
    store.hold(f"{HOLD_PURPOSE} at {url}", pid=proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _forget(store, proc.pid, url)
            raise StudioError(f"mlflow server exited with code {proc.returncode} before it was ready. "
                              f"Last lines of {log_path}:\n{_tail(log_path)}")
        if _healthy(url):
            return url
        time.sleep(0.5)
    _terminate(proc.pid)
    _forget(store, proc.pid, url)
    raise StudioError(f"mlflow server did not answer on {url} within {timeout:.0f} s; it was stopped. "
                      f"Last lines of {log_path}:\n{_tail(log_path)}")


def _terminate(pid: int, grace: float = 10) -> None:
    """SIGTERM the server's process group (mlflow runs uvicorn in a child), SIGKILL after `grace` s."""
    from .workspace.core.store import pid_alive

    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:  # reap it when it is our child, so it does not linger as a zombie
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            if not pid_alive(pid):
                return
            time.sleep(0.2)


def _forget(store, pid: int, url: str) -> None:
    (store.root / STATE_FILE).unlink(missing_ok=True)
    store.release(f"{HOLD_PURPOSE} at {url}", pid=pid)


def stop(root: Optional[os.PathLike | str] = None) -> bool:
    """Stop the studio this store started; False when none was running."""
    store = _store(root)
    state = _read_state(store)
    if not state:
        return False
    _terminate(int(state["pid"]))
    _forget(store, int(state["pid"]), state["url"])
    return True


def serve(port: Optional[int] = None, root: Optional[os.PathLike | str] = None) -> int:
    """Foreground: start, print the URL, wait for Ctrl-C, stop."""
    url = start(port=port, root=root)
    print(f"Studio (MLflow UI) for the local workspace: {url}\n"
          "On Azure the same runs, metrics and models are in Azure ML studio (ml.azure.com). Ctrl-C stops it.",
          flush=True)
    store = _store(root)
    try:
        while _read_state(store):
            time.sleep(1)
        print("The studio server stopped.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stop(root)
        print("Studio stopped.")
        return 0
