"""Run Microsoft's azureml-inference-server-http (azmlinfsrv) for one deployment, listening on 127.0.0.1 only.

`azmlinfsrv` always passes its DEFAULT_HOST ("0.0.0.0") to gunicorn as `-b host:port` and has no option to change
it, so a deployment started with the plain CLI would listen on every interface. This launcher runs the very same
entry point (amlserver.run: argument parsing, settings, logging, gunicorn with Microsoft's Flask app) with that one
constant set to loopback. Everything else is the server as Azure runs it in a managed deployment's container.

One addition: gunicorn also binds a Unix socket in the store (socket_path), mode 0600, which the endpoint's router
uses instead of TCP (no TCP handshake per forwarded request; bench/endpoint_router.py). The TCP loopback listener
stays as it is: the scoring server's own address, for learners' direct calls. gunicorn removes the socket when it
stops; so does this launcher when gunicorn returns (in the master only, never in a worker).

    python -m dp100lab.workspace.endpoints.serve --entry_script score.py --port N [--model_dir DIR]
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Optional

UNIX_PATH_MAX = 107  # sun_path is 108 bytes with its terminating NUL on Linux
SOCKET_DIR = "sockets"


def socket_path(deployment_dir: Path) -> Optional[Path]:
    """<store>/sockets/<12 hex>.sock for <store>/endpoints/<endpoint>/deployments/<deployment>: a short name, as the
    deployment's own folder can exceed AF_UNIX's limit; None when even this is too long (the router then uses TCP)."""
    d = Path(os.path.abspath(deployment_dir))
    if len(d.parents) < 4 or d.parent.name != "deployments" or d.parents[2].name != "endpoints":
        return None  # not a deployment laid out by online_deployments (serve.py run by hand): TCP only
    key = hashlib.sha1(f"{d.parents[1].name}/{d.name}".encode()).hexdigest()[:12]
    path = d.parents[3] / SOCKET_DIR / f"{key}.sock"
    return path if len(os.fsencode(str(path))) <= UNIX_PATH_MAX else None


def serving_socket(deployment_dir: Path) -> Optional[str]:
    """The socket path when a server listens there now (checked by the caller that the server is alive)."""
    path = socket_path(deployment_dir)
    try:
        return str(path) if path and stat.S_ISSOCK(os.stat(path).st_mode) else None
    except OSError:
        return None


def _with_unix_bind(base: type, path: str) -> type:
    class WSGIApplication(base):  # type: ignore[misc, valid-type]
        def load_config(self):
            super().load_config()  # Microsoft's -b 127.0.0.1:port (and every other setting) as parsed
            self.cfg.set("bind", list(self.cfg.bind) + [f"unix:{path}"])
            self.cfg.set("umask", 0o177)  # gunicorn binds the socket under this umask: created 0600, never wider
    return WSGIApplication


def _remove(path: Optional[Path]) -> None:
    try:
        if path and stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except OSError:
        pass


def main() -> None:
    import gunicorn.app.wsgiapp
    from azureml_inference_server_http import amlserver

    from ..core.servers import LOOPBACK

    amlserver.DEFAULT_HOST = LOOPBACK  # read by amlserver.run() when it starts gunicorn
    # gunicorn 26 opens a control socket under $HOME by default; several servers would fight over one path
    os.environ["GUNICORN_CMD_ARGS"] = "--no-control-socket"
    # online_deployments starts the server in <deployment>/code (AML_APP_ROOT, as in Azure's container)
    path = socket_path(Path(os.environ.get("AML_APP_ROOT") or os.getcwd()).parent)
    if path is not None:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        os.chmod(path.parent, 0o700)
        # amlserver_linux.run() looks the class up on the module when it starts gunicorn
        gunicorn.app.wsgiapp.WSGIApplication = _with_unix_bind(gunicorn.app.wsgiapp.WSGIApplication, str(path))
    launcher = os.getpid()
    try:
        amlserver.run()
    finally:
        # gunicorn's workers are forks of this process: a worker that exits (init() raised, timeout, restart) unwinds
        # through here too, and must not remove the socket its master still serves on
        if os.getpid() == launcher:
            _remove(path)


if __name__ == "__main__":
    main()
