"""What runs for an online endpoint: its router process and the config it reads, rebuilt from the store.

`sync(store, name)` writes the router's view (auth, secrets, traffic, mirror, each deployment's port, the Unix socket
its server also listens on when there is one, state and request settings); `ensure_router` starts the router or restarts a dead one (on its old port when that is free, so
the scoring URI stays); `ensure_deployments` restarts deployment servers that died. Both run on every use, so a
kernel restart or a killed process is repaired (or reported) the next time the endpoint is touched.
"""

from __future__ import annotations

import sys
from typing import Any, Optional

from ..core import servers
from ..core.errors import note
from ..core.processes import spawn_detached
from ..monitoring import collection
from . import inference, keys, routing, serve

ENDPOINT_KIND = "online_endpoint"
DEPLOYMENT_KIND = "online_deployment"


def router_name(endpoint: str) -> str:
    return f"online-endpoint:{endpoint}"


def deployment_rows(store: Any, endpoint: str) -> list[dict]:
    return [r for r in store.list(DEPLOYMENT_KIND) if r["spec"].get("endpoint_name") == endpoint]


def dep_key(endpoint: str, deployment: str) -> str:
    return f"{endpoint}/{deployment}"  # deployments are unique per endpoint, not per workspace


def sync(store: Any, endpoint: str) -> None:
    row = store.get(ENDPOINT_KIND, endpoint)
    if row is None:
        return
    spec = row["spec"]
    auth = spec.get("auth_mode", "key")
    deps = {}
    for d in deployment_rows(store, endpoint):
        ds, local = d["spec"], d["spec"].get("_local", {})
        srv = servers.get(store, inference.server_name(endpoint, ds["name"]))
        rs = ds.get("request_settings") or {}
        count = int(ds.get("instance_count") or 1)
        deps[ds["name"]] = {"port": srv.port if srv else None, "state": local.get("state", "Creating"),
                            "timeout_ms": int(rs.get("request_timeout_ms") or 5000),
                            "max_pending": 2 * int(rs.get("max_concurrent_requests_per_instance") or 1) * count}
        # the router forwards over the socket (cheaper than a TCP connection each time) when the server bound one
        unix = serve.serving_socket(inference.deployment_dir(store, endpoint, ds["name"])) if srv and srv.alive else None
        if unix:
            deps[ds["name"]]["unix"] = unix
    routing.write_config(store, endpoint, {
        "name": endpoint, "auth_mode": auth, "secrets": keys.valid_secrets(store, endpoint, auth),
        "traffic": {k: int(v) for k, v in (spec.get("traffic") or {}).items()},
        "mirror": {k: int(v) for k, v in (spec.get("mirror_traffic") or {}).items()}, "deployments": deps})


def _bindable(port: int) -> bool:
    """Free for a server that sets SO_REUSEADDR (as the router does): a port left in TIME_WAIT by a dead router is
    taken back, so the scoring URI stays; one another program listens on is not."""
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((servers.LOOPBACK, port))
        except OSError:
            return False
    return True


def ensure_router(store: Any, endpoint: str) -> int:
    """The router's port, starting or restarting it when needed."""
    srv = servers.get(store, router_name(endpoint))
    if srv is not None and srv.alive:
        return int(srv.port)
    preferred = srv.port if srv else None
    port = preferred if preferred and _bindable(preferred) else servers.free_port()
    if preferred and port != preferred:
        note(f"port {preferred} of endpoint '{endpoint}' is in use by another program; the endpoint now listens on "
             f"{port}, so its scoring_uri changed (get the endpoint again to read it).")
    folder = routing.endpoint_dir(store, endpoint)
    folder.mkdir(parents=True, exist_ok=True)
    sync(store, endpoint)
    argv = [sys.executable, "-m", "dp100lab.workspace.endpoints.router", str(store.root), endpoint, str(port)]
    pid = spawn_detached(argv, log=folder / "router.log", cwd=folder)
    servers.record(store, router_name(endpoint), "endpoint-router", pid, port, {"endpoint": endpoint})
    if not servers.wait_listening(port, 15, alive=lambda: servers.get(store, router_name(endpoint)).alive):
        raise OSError(f"The router of endpoint '{endpoint}' did not start; see {folder / 'router.log'}.")
    return port


def _ensure_collector(store: Any, endpoint: str, deployment: str) -> bool:
    """Restart a deployment's data collector that died, on its old port when that is free; True when it had to
    move to another port (its scoring server, which sends to that port, must then restart too)."""
    port = collection.configured_port(store, endpoint, deployment)
    if port is None or collection.alive(store, endpoint, deployment):
        return False
    new = port if _bindable(port) else servers.free_port()
    collection.relaunch(store, endpoint, deployment, new)
    note(f"the data collector of deployment '{deployment}' had stopped; it was restarted.")
    if new != port:
        inference.set_env(store, endpoint, deployment, {"AZUREML_MDC_PORT": str(new)})
    return new != port


def ensure_deployments(store: Any, endpoint: str) -> None:
    """Restart (with a one-line note) each Succeeded deployment whose server, or data collector, died since it was
    last used."""
    changed = False
    for d in deployment_rows(store, endpoint):
        ds = d["spec"]
        local = ds.get("_local", {})
        if local.get("state") != "Succeeded":
            continue
        moved = _ensure_collector(store, endpoint, ds["name"])
        if not moved and inference.alive(store, endpoint, ds["name"]):
            continue
        srv = servers.get(store, inference.server_name(endpoint, ds["name"]))
        state, _port = inference.start(store, endpoint, ds["name"], preferred_port=srv.port if srv else None)
        if state != "Succeeded":
            set_state(store, endpoint, ds["name"], "Failed")
        note(f"the server of deployment '{ds['name']}' had stopped (a restart of the machine or `dp100 reset`?); "
             f"it was restarted: {state}." if not moved else
             f"the server of deployment '{ds['name']}' was restarted to send to its collector's new port: {state}.")
        changed = True
    if changed:
        sync(store, endpoint)


def set_state(store: Any, endpoint: str, deployment: str, state: str) -> Optional[dict]:
    row = store.get(DEPLOYMENT_KIND, dep_key(endpoint, deployment))
    if row is None:
        return None
    spec = dict(row["spec"])
    spec["_local"] = {**spec.get("_local", {}), "state": state}
    return store.put(DEPLOYMENT_KIND, dep_key(endpoint, deployment), None, spec)


def stop_endpoint(store: Any, endpoint: str) -> None:
    for d in deployment_rows(store, endpoint):
        inference.stop(store, endpoint, d["spec"]["name"])
        collection.stop(store, endpoint, d["spec"]["name"], forget=True)
    servers.stop(store, router_name(endpoint))
