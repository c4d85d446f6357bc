"""Run Microsoft's azureml-inference-server-http (azmlinfsrv) for one deployment, listening on 127.0.0.1 only.

`azmlinfsrv` always passes its DEFAULT_HOST ("0.0.0.0") to gunicorn as `-b host:port` and has no option to change
it, so a deployment started with the plain CLI would listen on every interface. This launcher runs the very same
entry point (amlserver.run: argument parsing, settings, logging, gunicorn with Microsoft's Flask app) with that one
constant set to loopback. Everything else is the server as Azure runs it in a managed deployment's container.

    python -m dp100lab.workspace.endpoints.serve --entry_script score.py --port N [--model_dir DIR]
"""

from __future__ import annotations

import os


def main() -> None:
    from azureml_inference_server_http import amlserver

    from ..core.servers import LOOPBACK

    amlserver.DEFAULT_HOST = LOOPBACK  # read by amlserver.run() when it starts gunicorn
    # gunicorn 26 opens a control socket under $HOME by default; several servers would fight over one path
    os.environ["GUNICORN_CMD_ARGS"] = "--no-control-socket"
    amlserver.run()


if __name__ == "__main__":
    main()
