"""The endpoint: one small HTTP router per online endpoint, in front of its deployments' inference servers.

    python -m dp100lab.workspace.endpoints.router <store_root> <endpoint_name> <port>

What Azure's endpoint front end does, with Azure's status codes (how-to-troubleshoot-online-endpoints):
401 without or with a wrong key/token; live traffic split by weight; a share mirrored to a shadow deployment
(answer discarded); the `azureml-model-deployment` header targets one deployment (and is never mirrored); 408 past
request_settings.request_timeout_ms; 424 with ms-azureml-model-error-statuscode/-reason when the model's server
answers non-200; 429 past 2 * max_concurrent_requests_per_instance * instance_count pending requests; 404 when no
deployment has positive weight. stdlib ThreadingHTTPServer: a learner's endpoint needs threads, not an event loop.
"""

from __future__ import annotations

import hmac
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LOOPBACK = "127.0.0.1"
_PASS_HEADERS = ("Content-Type", "x-ms-run-function-failed", "x-ms-server-version", "x-request-id",
                 "x-ms-request-id", "x-ms-client-request-id")


class Router:
    def __init__(self, root: str, name: str):
        self.root, self.name = root, name
        self.folder = Path(root) / "endpoints" / name
        self.path = self.folder / "router.json"
        self.mtime = -1
        self.config: dict = {}
        self.lock = threading.Lock()
        self.pending: dict[str, int] = {}
        self.counts = {"live": {}, "mirrored": {}, "targeted": {}, "status": {}}
        self.dirty = False
        self.mirror_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mirror")

    def current(self) -> dict:
        try:
            m = os.stat(self.path).st_mtime_ns
        except OSError:
            return self.config
        if m != self.mtime:
            try:
                self.config = json.loads(self.path.read_text())
                self.mtime = m
            except (OSError, ValueError):
                pass  # a config being replaced: keep the last good one
        return self.config

    def count(self, table: str, dep: str) -> None:
        with self.lock:
            self.counts[table][dep] = self.counts[table].get(dep, 0) + 1
            self.dirty = True

    def flush_counts(self) -> None:
        while True:
            time.sleep(0.25)
            if self.dirty:
                with self.lock:
                    body, self.dirty = json.dumps(self.counts), False
                tmp = self.folder / "counts.json.tmp"
                tmp.write_text(body)
                os.replace(tmp, self.folder / "counts.json")


def _authorized(cfg: dict, header: str) -> bool:
    if not header.startswith("Bearer "):
        return False
    given = header[len("Bearer "):].strip().encode()
    return any(hmac.compare_digest(given, s.encode()) for s in cfg.get("secrets", []))


def _pick(cfg: dict) -> str | None:
    live = [(d, w) for d, w in (cfg.get("traffic") or {}).items() if w > 0 and d in cfg.get("deployments", {})]
    if not live:
        return None
    x = random.uniform(0, sum(w for _, w in live))
    for d, w in live:
        x -= w
        if x <= 0:
            return d
    return live[-1][0]


def _forward(dep: dict, method: str, path: str, body: bytes, headers: dict, timeout_s: float):
    # a new connection each time: the inference server's gunicorn sync workers close after every answer anyway
    conn = http.client.HTTPConnection(LOOPBACK, dep["port"], timeout=timeout_s)
    try:
        conn.request(method, path, body=body if method == "POST" else None, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.reason, resp.read(), resp.getheaders()
    finally:
        conn.close()


def make_handler(router: Router):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "dp100lab-endpoint"
        disable_nagle_algorithm = True  # headers and body go out in two writes: Nagle would hold the body ~40 ms

        def log_message(self, fmt, *args):  # access lines would carry nothing a learner needs; errors are answered
            pass

        def _reply(self, status: int, body: bytes | dict, headers: dict | None = None) -> None:
            if isinstance(body, dict):
                body = json.dumps(body).encode()
                headers = {"Content-Type": "application/json", **(headers or {})}
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with router.lock:
                router.counts["status"][str(status)] = router.counts["status"].get(str(status), 0) + 1
                router.dirty = True

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def _body(self) -> bytes:
            """The whole request body, sent with a Content-Length or chunked (requests does so for a generator)."""
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""
            parts = []
            while size := int(self.rfile.readline(1024).split(b";")[0], 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)  # the CRLF after each chunk
            while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers: nothing a model reads
            return b"".join(parts)

        def _handle(self, method: str) -> None:
            try:
                body = self._body()
            except ValueError:
                self.close_connection = True  # the rest of the stream cannot be trusted
                return self._reply(400, {"message": "Bad request: the body's Content-Length or chunked encoding "
                                                    "is malformed."})
            path = self.path.split("?")[0]
            if path not in ("/score", "/swagger.json"):
                return self._reply(404, {"message": f"'{path}' is not a route of this endpoint: POST /score, "
                                                    f"GET /swagger.json."})
            cfg = router.current()
            if cfg.get("auth_mode") != "none" and not _authorized(cfg, self.headers.get("Authorization", "")):
                return self._reply(401, {"message": "Unauthorized: send 'Authorization: Bearer <key or token>' with a "
                                                    "current key (ml_client.online_endpoints.get_keys(name))."},
                                   {"WWW-Authenticate": "Bearer"})
            target = self.headers.get("azureml-model-deployment")
            deps = cfg.get("deployments", {})
            if target:
                if target not in deps:
                    return self._reply(404, {"message": f"Deployment '{target}' was not found in endpoint "
                                                        f"'{router.name}' (existing: {sorted(deps)})."})
                name = target
            else:
                name = _pick(cfg)
                if name is None:
                    return self._reply(404, {"message": f"Endpoint '{router.name}' doesn't have any valid deployment "
                                                        f"with positive weight. Set endpoint.traffic, or target one "
                                                        f"deployment with the azureml-model-deployment header."})
            dep = deps[name]
            if dep.get("state") != "Succeeded":
                return self._reply(503, {"message": f"Deployment '{name}' is {dep.get('state')}; see "
                                                    f"ml_client.online_deployments.get_logs('{name}', '{router.name}', "
                                                    f"lines=50)."}, {"azureml-model-deployment": name})
            limit = int(dep.get("max_pending", 2))
            with router.lock:
                busy = router.pending.get(name, 0)
                if busy >= limit:
                    too_many = True
                else:
                    too_many = False
                    router.pending[name] = busy + 1
            if too_many:
                return self._reply(429, {"message": f"Too many pending requests: deployment '{name}' accepts "
                                                    f"{limit} at a time (2 * max_concurrent_requests_per_instance * "
                                                    f"instance_count)."}, {"azureml-model-deployment": name})
            headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
            timeout_s = dep.get("timeout_ms", 5000) / 1000.0
            try:
                status, reason, out, out_headers = _forward(dep, method, path, body, headers, timeout_s)
            except socket.timeout:
                return self._reply(408, {"message": f"Request timeout: the model took longer than "
                                                    f"request_settings.request_timeout_ms ({dep.get('timeout_ms')} ms)."},
                                   {"azureml-model-deployment": name})
            except OSError as e:
                return self._reply(502, {"message": f"Deployment '{name}' did not answer ({e.__class__.__name__}); its "
                                                    f"server may have stopped. Any ml_client.online_deployments call "
                                                    f"restarts it, or see get_logs."}, {"azureml-model-deployment": name})
            finally:
                with router.lock:
                    router.pending[name] -= 1
            router.count("targeted" if target else "live", name)
            if not target and path == "/score":
                self._mirror(cfg, body, headers)
            keep = {k: v for k, v in out_headers if k in _PASS_HEADERS}
            keep["azureml-model-deployment"] = name
            if status != 200:
                keep["ms-azureml-model-error-statuscode"] = str(status)
                keep["ms-azureml-model-error-reason"] = reason
                return self._reply(424, out, keep)
            self._reply(200, out, keep)

        def _mirror(self, cfg: dict, body: bytes, headers: dict) -> None:
            for shadow, pct in (cfg.get("mirror") or {}).items():
                dep = cfg.get("deployments", {}).get(shadow)
                if pct > 0 and dep and dep.get("state") == "Succeeded" and random.uniform(0, 100) < pct:
                    router.count("mirrored", shadow)
                    router.mirror_pool.submit(_discard, dep, body, headers)

    return Handler


def _discard(dep: dict, body: bytes, headers: dict) -> None:
    try:  # a mirrored answer is thrown away, as Azure does; the shadow's own log shows the request
        _forward(dep, "POST", "/score", body, headers, dep.get("timeout_ms", 5000) / 1000.0)
    except OSError:
        pass


def main(argv: list[str]) -> None:
    root, name, port = argv[0], argv[1], int(argv[2])
    router = Router(root, name)
    router.current()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.request_queue_size = 128  # the default backlog of 5 refuses bursts a notebook sends
    server = ThreadingHTTPServer((LOOPBACK, port), make_handler(router))
    threading.Thread(target=router.flush_counts, daemon=True).start()
    print(f"endpoint '{name}' router listening on http://{LOOPBACK}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
