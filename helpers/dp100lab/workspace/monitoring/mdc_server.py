"""The local stand-in for the model data collector sidecar of one online deployment (loopback only):

    python -m dp100lab.workspace.monitoring.mdc_server <config.json> <port>

azureml-ai-monitoring's Collector in score.py POSTs each logged DataFrame to http://<AZUREML_MDC_HOST>:<PORT>
/modeldata/log with CloudEvents headers (ce-type azureml.inference.<collection>, ce-time, ce-x-request-id, ...).
On Azure a sidecar writes those events to blob storage; this server writes them the same way, one JSON object per
line, to <destination>/<yyyy>/<MM>/<dd>/<HH>/<instance_id>.jsonl in the datastore's local folder
(how-to-collect-production-data, "Store collected data in Blob Storage"), or <yyyy>/<MM>/<dd>/ when the
deployment's rolling_rate is day (the config's "layout"). Written with the standard library: the
Azure sidecar is not distributed, and all it does here is append lines to files.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LOOPBACK = "127.0.0.1"
_lock = threading.Lock()
_register_lock = threading.Lock()


def event_for(headers: dict, body: bytes, source: str) -> dict:
    """The collected JSON object for one Collector payload (the documented schema)."""
    t = int(float(headers.get("ce-time") or datetime.now(timezone.utc).timestamp()))
    ctype = headers.get("content-type", "application/json")
    data = json.loads(body) if ctype.startswith("application/json") else body.decode(errors="replace")
    cid = headers.get("ce-x-request-id") or str(uuid.uuid4())
    return {"specversion": "1.0", "id": headers.get("trace-id") or str(uuid.uuid4()), "source": source,
            "type": headers.get("ce-type", "azureml.inference.unknown"), "datacontenttype": ctype,
            "time": datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "data": data,
            "correlationid": cid, "xrequestid": cid, "modelversion": headers.get("ce-model-version", "default"),
            "collectdatatype": headers.get("ce-collect-data-type"), "agent": headers.get("ce-agent"),
            "contentrange": f"bytes 0-{max(len(body) - 1, 0)}/{len(body)}"}


def write_event(folder: Path, event: dict, instance_id: str, layout: str = "%Y/%m/%d/%H") -> Path:
    t = datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")
    path = Path(folder) / t.strftime(layout) / f"{instance_id}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, open(path, "a") as f:
        f.write(json.dumps(event, separators=(",", ":")) + "\n")
    return path


def _register(root: str, target: dict) -> None:
    from ..client import LocalMLClient
    from .collection import register

    with _register_lock:
        if not target.get("registered"):
            register(LocalMLClient(root, hold=False, set_mlflow=False), target)
            target["registered"] = True


def make_handler(config: dict):
    instance_id = str(uuid.uuid4())
    collections = config["collections"]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/modeldata/log":
                self.send_error(404, "only /modeldata/log is served")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            collection = headers.get("ce-type", "").rsplit(".", 1)[-1].lower()
            target = collections.get(collection)
            if not target or not target.get("enabled"):
                self.send_error(400, f"collection {collection!r} is not enabled on this deployment")
                return
            write_event(Path(target["folder"]), event_for(headers, body, config["source"]), instance_id,
                        config.get("layout", "%Y/%m/%d/%H"))
            if not target.get("registered"):  # in the background: the Collector must not wait for it
                threading.Thread(target=_register, args=(config["store"], target)).start()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:  # quiet: the deployment's log is the scoring server's
            pass

    return Handler


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[0]).read_text())
    server = ThreadingHTTPServer((LOOPBACK, int(argv[1])), make_handler(config))
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
