"""The endpoint: one small HTTP router per online endpoint, in front of its deployments' inference servers.

    python -m dp100lab.workspace.endpoints.router <store_root> <endpoint_name> <port>

What Azure's endpoint front end does, with Azure's status codes (how-to-troubleshoot-online-endpoints):
401 without or with a wrong key/token; live traffic split by weight; a share mirrored to a shadow deployment
(answer discarded); the `azureml-model-deployment` header targets one deployment (and is never mirrored); 408 past
request_settings.request_timeout_ms; 424 with ms-azureml-model-error-statuscode/-reason when the model's server
answers non-200; 429 past 2 * max_concurrent_requests_per_instance * instance_count pending requests; 404 when no
deployment has positive weight.

Per request it does only what the answer needs: blocking sockets in a pool of threads that each accept() on the
listening socket (no thread started per connection, no event-loop round trips), byte-level framing (wire.py, not the
stdlib's email-based header parser), config re-read only when router.json changes, no logging. Measured in
bench/endpoint_router.py: the stdlib ThreadingHTTPServer cost ~0.8 ms of CPU per request, an asyncio loop ~0.65 ms,
this 0.25-0.35 ms. The deployment's server (gunicorn sync workers, as on Azure) closes every connection after its answer,
so each forward opens one: a pooled keep-alive connection is not possible against it. A deployment entry in
router.json with "unix": <path> (the socket serve.py binds beside the TCP port; state.sync records it) is reached over
that Unix socket instead of TCP: no TCP handshake on this hop (+0.02-0.08 in throughput ratio in the same runs).
"""

from __future__ import annotations

import hmac
import json
import os
import random
import socket
import sys
import threading
import time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from . import wire

LOOPBACK = "127.0.0.1"
_PASS_HEADERS = {"content-type": "Content-Type", "x-ms-run-function-failed": "x-ms-run-function-failed",
                 "x-ms-server-version": "x-ms-server-version", "x-request-id": "x-request-id",
                 "x-ms-request-id": "x-ms-request-id", "x-ms-client-request-id": "x-ms-client-request-id"}
MIRROR_AT_ONCE = 2   # mirrored copies in flight; more wait their turn (their answers are discarded anyway)
IDLE_S = 120.0       # a kept-alive client connection idle this long is closed (its thread goes back to accept)
THREADS_MIN, THREADS_MAX = 4, 256  # threads waiting in accept(); one more starts whenever none is left waiting


class Router:
    """The endpoint's state in the router process: config (re-read only when router.json changes), counts, pending."""

    def __init__(self, root: str, name: str):
        self.root, self.name = root, name
        self.folder = Path(root) / "endpoints" / name
        self.path = self.folder / "router.json"
        self.mtime = -1
        self.config: dict = {}
        self.lock = threading.Lock()  # counts and pending requests, shared by the request threads
        self.pending: dict[str, int] = {}
        self.counts: dict[str, dict] = {"live": {}, "mirrored": {}, "targeted": {}, "status": {}}
        self.dirty = False
        self.mirror_pool = ThreadPoolExecutor(max_workers=MIRROR_AT_ONCE, thread_name_prefix="mirror")

    def current(self) -> dict:
        # one stat per request (a few microseconds): a traffic shift or key rotation applies to the next request
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

    def count(self, table: str, key: str) -> None:
        with self.lock:
            self.counts[table][key] = self.counts[table].get(key, 0) + 1
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


def _pick(cfg: dict) -> Optional[str]:
    live = [(d, w) for d, w in (cfg.get("traffic") or {}).items() if w > 0 and d in cfg.get("deployments", {})]
    if not live:
        return None
    x = random.uniform(0, sum(w for _, w in live))
    for d, w in live:
        x -= w
        if x <= 0:
            return d
    return live[-1][0]


def _forward(dep: dict, method: str, path: str, body: bytes, content_type: str, timeout_s: float) -> wire.Answer:
    """Send one request to a deployment's server and read its whole answer, all within timeout_s (socket.timeout
    past it; OSError when the server is not there or answers garbage)."""
    deadline = time.monotonic() + timeout_s
    unix = dep.get("unix")  # a Unix-socket path, when the server also binds one: no TCP handshake on this hop
    s = socket.socket(socket.AF_UNIX if unix else socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout_s)
        s.connect(unix or (LOOPBACK, dep["port"]))
        s.sendall(wire.forward_request(method, path, dep["port"], content_type, body))
        buf = bytearray()
        while True:
            if buf:  # an answer in several reads: what is left of the budget (usually one read does it)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout("request_timeout_ms")
                s.settimeout(left)
            data = s.recv(65536)
            buf += data
            try:
                got = wire.answer(buf, closed=not data)
            except ValueError as e:
                raise ConnectionError(str(e)) from None
            if got is not None:
                return got
    finally:
        s.close()


def _route(router: Router, req: wire.Request) -> tuple[int, bytes | dict, Optional[dict]]:
    """(status, body, headers) for one request, with Azure's rules and status codes."""
    path = req.path.split("?")[0]
    if req.method not in ("GET", "POST"):
        return 501, {"message": f"Unsupported method ('{req.method}'): POST /score, GET /swagger.json."}, None
    if path not in ("/score", "/swagger.json"):
        return 404, {"message": f"'{path}' is not a route of this endpoint: POST /score, GET /swagger.json."}, None
    cfg = router.current()
    if cfg.get("auth_mode") != "none" and not _authorized(cfg, req.headers.get("authorization", "")):
        return 401, {"message": "Unauthorized: send 'Authorization: Bearer <key or token>' with a current key "
                                "(ml_client.online_endpoints.get_keys(name))."}, {"WWW-Authenticate": "Bearer"}
    target = req.headers.get("azureml-model-deployment")
    deps = cfg.get("deployments", {})
    if target:
        if target not in deps:
            return 404, {"message": f"Deployment '{target}' was not found in endpoint '{router.name}' "
                                    f"(existing: {sorted(deps)})."}, None
        name = target
    else:
        name = _pick(cfg)
        if name is None:
            return 404, {"message": f"Endpoint '{router.name}' doesn't have any valid deployment with positive "
                                    f"weight. Set endpoint.traffic, or target one deployment with the "
                                    f"azureml-model-deployment header."}, None
    dep = deps[name]
    here = {"azureml-model-deployment": name}
    if dep.get("state") != "Succeeded":
        return 503, {"message": f"Deployment '{name}' is {dep.get('state')}; see ml_client.online_deployments."
                                f"get_logs('{name}', '{router.name}', lines=50)."}, here
    limit = int(dep.get("max_pending", 2))
    with router.lock:
        busy = router.pending.get(name, 0)
        if busy < limit:
            router.pending[name] = busy + 1
    if busy >= limit:
        return 429, {"message": f"Too many pending requests: deployment '{name}' accepts {limit} at a time "
                                f"(2 * max_concurrent_requests_per_instance * instance_count)."}, here
    content_type = req.headers.get("content-type", "application/json")
    timeout_s = dep.get("timeout_ms", 5000) / 1000.0
    try:
        # the query string goes along, as Azure forwards it: /swagger.json?version=3, a score.py reading args
        got = _forward(dep, req.method, req.path, req.body, content_type, timeout_s)
    except socket.timeout:
        return 408, {"message": f"Request timeout: the model took longer than request_settings.request_timeout_ms "
                                f"({dep.get('timeout_ms')} ms)."}, here
    except OSError as e:
        return 502, {"message": f"Deployment '{name}' did not answer ({e.__class__.__name__}); its server may have "
                                f"stopped. Any ml_client.online_deployments call restarts it, or see get_logs."}, here
    finally:
        with router.lock:
            router.pending[name] -= 1
    router.count("targeted" if target else "live", name)
    if not target and path == "/score":
        _mirror(router, cfg, req.body, content_type)
    keep = {_PASS_HEADERS[k.lower()]: v for k, v in got.headers if k.lower() in _PASS_HEADERS}
    keep["azureml-model-deployment"] = name
    if got.status != 200:
        keep["ms-azureml-model-error-statuscode"] = str(got.status)
        keep["ms-azureml-model-error-reason"] = got.reason
        return 424, got.body, keep
    return 200, got.body, keep


def _mirror(router: Router, cfg: dict, body: bytes, content_type: str) -> None:
    for shadow, pct in (cfg.get("mirror") or {}).items():
        dep = cfg.get("deployments", {}).get(shadow)
        if pct > 0 and dep and dep.get("state") == "Succeeded" and random.uniform(0, 100) < pct:
            router.count("mirrored", shadow)
            router.mirror_pool.submit(_discard, dep, body, content_type)


def _discard(dep: dict, body: bytes, content_type: str) -> None:
    try:  # a mirrored answer is thrown away, as Azure does; the shadow's own log shows the request
        _forward(dep, "POST", "/score", body, content_type, dep.get("timeout_ms", 5000) / 1000.0)
    except OSError:
        pass


def _send(router: Router, conn: socket.socket, status: int, body: bytes | dict, headers: Optional[dict],
          keep_alive: bool) -> None:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    conn.sendall(wire.response(status, body, headers or {}, keep_alive))
    router.count("status", str(status))


def _read_request(conn: socket.socket, buf: bytearray) -> Optional[wire.Request]:
    """The next whole request on the connection (its bytes taken from buf), or None when the client closed it."""
    head = None
    while True:
        if head is None:
            head = wire.request_head(buf)
            if head is not None and head[0].expect_continue:
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for it before sending a large body
        if head is not None:
            req, body_at, length = head
            if length is None:
                got = wire.chunked_body(buf, body_at)
                if got is not None:
                    req.body, end = got
                    del buf[:end]
                    return req
            elif len(buf) >= body_at + length:
                req.body = bytes(buf[body_at:body_at + length])
                del buf[:body_at + length]
                return req
        data = conn.recv(65536)
        if not data:
            return None
        buf += data


def serve_connection(router: Router, conn: socket.socket) -> None:
    """One client connection, HTTP/1.1 keep-alive: requests answered one at a time, in order."""
    buf = bytearray()
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # kept-alive answers must not wait for an ACK
        conn.settimeout(IDLE_S)  # set once: each settimeout is a syscall, and a request's own limit is the backend's
        while True:
            try:
                req = _read_request(conn, buf)
            except wire.Malformed:  # the rest of the stream cannot be trusted: answer and close
                _send(router, conn, 400, {"message": "Bad request: the request line, a header, the body's "
                                                     "Content-Length or its chunked encoding is malformed."},
                      None, keep_alive=False)
                return
            if req is None:
                return
            try:
                status, body, headers = _route(router, req)
            except Exception as e:  # a router bug must answer, not leave the client waiting
                status, body, headers = 500, {"message": f"The endpoint router failed: {type(e).__name__}: {e}"}, None
            _send(router, conn, status, body, headers, req.keep_alive)
            if not req.keep_alive:
                return
    except OSError:
        pass  # the client went away (or stayed idle past IDLE_S)
    finally:
        conn.close()


class Acceptors:
    """Threads that each wait in accept() on the listening socket and then serve that connection; one more thread
    starts whenever none is left waiting, so a client holding a kept-alive connection never blocks another."""

    def __init__(self, router: Router, listener: socket.socket):
        self.router, self.listener = router, listener
        self.lock = threading.Lock()
        self.waiting = self.total = 0

    def start(self) -> None:
        with self.lock:
            if self.total >= THREADS_MAX:
                return
            self.total += 1
            self.waiting += 1
        threading.Thread(target=self._run, daemon=True, name="endpoint-conn").start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # out of file descriptors, say: wait rather than spin
                time.sleep(0.05)
                continue
            with self.lock:
                self.waiting -= 1
                short = self.waiting == 0
            if short:
                self.start()
            serve_connection(self.router, conn)
            with self.lock:
                self.waiting += 1


def listen(port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port left in TIME_WAIT by a dead router is reused
    s.bind((LOOPBACK, port))
    s.listen(128)  # a notebook's burst of requests is queued, not refused
    return s


def main(argv: list[str]) -> None:
    root, name, port = argv[0], argv[1], int(argv[2])
    router = Router(root, name)
    router.current()
    listener = listen(port)
    threading.Thread(target=router.flush_counts, daemon=True).start()
    acceptors = Acceptors(router, listener)
    for _ in range(THREADS_MIN):
        acceptors.start()
    print(f"endpoint '{name}' router listening on http://{LOOPBACK}:{port}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
