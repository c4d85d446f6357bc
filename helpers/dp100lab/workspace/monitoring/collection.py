"""Data collection for online deployments: what Azure sets up when a deployment has a DataCollector.

For each collection (model_inputs, model_outputs, or custom names; request/response payload logging too) the data
goes to azureml://datastores/workspaceblobstore/paths/modelDataCollector/<endpoint>/<deployment>/<collection>
unless collections.<name>.data.path says otherwise, registered as the uri_folder data asset
<endpoint>-<deployment>-<collection> version 1 (or data.name / data.version): the SDK's
OnlineDeploymentOperations._register_collection_data_assets does this for every listed collection, enabled or not,
before it sends the deployment, and keeps each asset's ARM id in collections.<name>.data.

`start(...)` runs the local collector server (mdc_server.py) for one deployment and returns the environment the
deployment's scoring process needs so azureml-ai-monitoring's Collector sends there: AZUREML_MDC_CONFIG_PATH (the
collections file the SDK reads, with each collection's sampleRatePercentage, which the SDK applies client-side),
AZUREML_MDC_HOST and AZUREML_MDC_PORT. online_deployments starts it with the deployment's server; a notebook can
also run a scoring function in its kernel against it (use_in_this_process / flush_in_this_process).
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

from ..core import servers, uris
from ..core.processes import spawn_detached

DEFAULT_ROOT = "azureml://datastores/workspaceblobstore/paths/modelDataCollector"  # DEFAULT_MDC_PATH in the SDK
PAYLOAD = ("request", "response")  # payload logging collections (the sidecar logs them on Azure)


def _enabled(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes") if not isinstance(value, bool) else value


def collections_for(endpoint: str, deployment: str, data_collector: Any) -> dict:
    """collection name -> {enabled, sampleRatePercentage, path (azureml URI), asset, version}."""
    rate = getattr(data_collector, "sampling_rate", None)
    out = {}
    for name, col in (getattr(data_collector, "collections", None) or {}).items():
        data = getattr(col, "data", None)
        if isinstance(data, str):  # the asset's ARM id, as a deployment read back from the workspace has it
            parts = data.rstrip("/").split("/")
            ok = len(parts) > 4 and parts[-4] == "data" and parts[-2] == "versions"
            data = SimpleNamespace(name=parts[-3] if ok else None, version=parts[-1] if ok else None, path=None)
        asset_name = getattr(data, "name", None) or f"{endpoint}-{deployment}-{name}"
        out[name.lower()] = {
            "collection": name,
            "enabled": _enabled(getattr(col, "enabled", False)),
            "sampleRatePercentage": int(round(100 * float(rate))) if rate is not None else 100,
            "path": getattr(data, "path", None) or f"{DEFAULT_ROOT}/{endpoint}/{deployment}/{name}",
            "asset": asset_name, "version": str(getattr(data, "version", None) or 1)}
    return out


def register(client: Any, col: dict) -> None:
    """The collection's data asset, unless it exists. Deployments register theirs when created, as the SDK does;
    a collector started on its own (a scoring function run in a kernel) registers each with its first rows."""
    from azure.ai.ml.entities import Data

    if client.store.get("data", col["asset"], version=col["version"]) is not None:
        return  # already registered: collected files keep landing in its folder
    from ..core.specs import to_spec

    # as the SDK registers it: name, version and path only (type: Data's default, uri_folder). Straight into the
    # registry: data.create_or_update refuses an empty folder (Azure will not upload one), but this is a datastore
    # path the collector fills later, which Azure registers before any row arrives.
    data = Data(name=col["asset"], version=col["version"], type="uri_folder", path=col["path"])
    client.data._create(data, {**to_spec(data), "path": col["path"]}, "Registered path is {path}.", cls=Data)


def register_assets(client: Any, endpoint: str, deployment: str, data_collector: Any) -> dict:
    """Every listed collection's data asset, enabled or not, as begin_create_or_update does on Azure; returns
    collection name (as given) -> the asset's ARM id, what Azure keeps in collections[name].data."""
    ids = {}
    for col in collections_for(endpoint, deployment, data_collector).values():
        uris.resolve_path(client.store, col["path"], must_exist=False).mkdir(parents=True, exist_ok=True)
        register(client, col)
        ids[col["collection"]] = (f"/subscriptions/{client.subscription_id}/resourceGroups/"
                                  f"{client.resource_group_name}/providers/Microsoft.MachineLearningServices/"
                                  f"workspaces/{client.workspace_name}/data/{col['asset']}/versions/{col['version']}")
    return ids


def check(data_collector: Any) -> Optional[str]:
    """What is wrong with a DataCollector, in the SDK schema's words, or None."""
    rate = getattr(data_collector, "sampling_rate", None)
    if rate is not None and not (isinstance(rate, (int, float)) and 0.0 <= float(rate) <= 1.0):
        return f"data_collector.sampling_rate is {rate!r}: Sampling rate must be an number in range (0.0-1.0)."
    rolling = getattr(data_collector, "rolling_rate", None)
    if rolling is not None and str(rolling).lower() not in ("minute", "hour", "day"):
        return f"data_collector.rolling_rate is {rolling!r}; use 'minute', 'hour' or 'day'."
    for name, col in (getattr(data_collector, "collections", None) or {}).items():
        if str(getattr(col, "enabled", None)).lower() not in ("true", "false"):
            return (f"data_collector.collections['{name}'].enabled is {getattr(col, 'enabled', None)!r}; use "
                    f"DeploymentCollection(enabled='true') or 'false'.")
    return None


def server_name(endpoint: str, deployment: str) -> str:
    return f"data-collector:{endpoint}:{deployment}"


def config_dir(store: Any, endpoint: str, deployment: str) -> Path:
    return Path(store.root) / "data_collector" / endpoint / deployment


_ROLLING = {"hour": "%Y/%m/%d/%H", "day": "%Y/%m/%d"}  # the two layouts Azure documents for rolling_rate


def start(client: Any, endpoint: str, deployment: str, data_collector: Any, port: Optional[int] = None) -> dict:
    """Start collecting for one deployment; returns the env vars for its scoring process ({} if nothing enabled)."""
    cols = {n: c for n, c in collections_for(endpoint, deployment, data_collector).items() if c["enabled"]}
    store = client.store
    stop(store, endpoint, deployment, forget=not cols)
    if not cols:
        return {}
    for col in cols.values():
        folder = uris.resolve_path(store, col["path"], must_exist=False)
        folder.mkdir(parents=True, exist_ok=True)
        col["folder"] = str(folder)  # registered as a data asset when its first rows arrive (mdc_server)
    base = config_dir(store, endpoint, deployment)
    base.mkdir(parents=True, exist_ok=True)
    source = (f"/subscriptions/{client.subscription_id}/resourceGroups/{client.resource_group_name}/providers/"
              f"Microsoft.MachineLearningServices/workspaces/{client.workspace_name}/onlineEndpoints/{endpoint}/"
              f"deployments/{deployment}")
    rolling = str(getattr(data_collector, "rolling_rate", None) or "hour").lower()
    port = port or servers.free_port()
    (base / "server.json").write_text(json.dumps({"collections": cols, "source": source, "store": str(store.root),
                                                  "layout": _ROLLING.get(rolling, _ROLLING["hour"]), "port": port},
                                                 indent=1))
    # the file azureml-ai-monitoring reads (config.loadConfig): collections and their sample rates
    sdk_cfg = {"collections": {n: {"enabled": True, "sampleRatePercentage": c["sampleRatePercentage"]}
                               for n, c in cols.items()}, "runMode": "cloud"}
    (base / "mdc_config.json").write_text(json.dumps(sdk_cfg, indent=1))
    relaunch(store, endpoint, deployment, port)
    return {"AZUREML_MDC_CONFIG_PATH": str(base / "mdc_config.json"), "AZUREML_MDC_HOST": servers.LOOPBACK,
            "AZUREML_MDC_PORT": str(port)}


def configured_port(store: Any, endpoint: str, deployment: str) -> Optional[int]:
    """The port the deployment's scoring process sends to; None when the deployment collects nothing."""
    try:
        return int(json.loads((config_dir(store, endpoint, deployment) / "server.json").read_text())["port"])
    except (OSError, ValueError, KeyError):
        return None


def alive(store: Any, endpoint: str, deployment: str) -> bool:
    srv = servers.get(store, server_name(endpoint, deployment))
    return bool(srv and srv.alive)


def relaunch(store: Any, endpoint: str, deployment: str, port: int) -> None:
    """(Re)start the collector from its saved configuration on `port` (a dead one's port, when that is free)."""
    base = config_dir(store, endpoint, deployment)
    cfg = json.loads((base / "server.json").read_text())
    if cfg.get("port") != port:
        cfg["port"] = port
        (base / "server.json").write_text(json.dumps(cfg, indent=1))
    servers.stop(store, server_name(endpoint, deployment))
    pid = spawn_detached([sys.executable, "-m", "dp100lab.workspace.monitoring.mdc_server", str(base / "server.json"),
                          str(port)], log=base / "server.log", cwd=base)
    servers.record(store, server_name(endpoint, deployment), "data-collector", pid, port,
                   info={"endpoint": endpoint, "deployment": deployment, "collections": sorted(cfg["collections"])})
    if not servers.wait_listening(port, 20, alive=lambda: alive(store, endpoint, deployment)):
        raise RuntimeError(f"The data collector for {endpoint}/{deployment} did not start; see {base}/server.log.")


def stop(store: Any, endpoint: str, deployment: str, forget: bool = False) -> bool:
    """Stop the collector; forget=True also drops its configuration (deployment deleted, or collecting nothing),
    so it is not restarted. Collected files and their data assets stay, as on Azure."""
    was = servers.stop(store, server_name(endpoint, deployment))
    if forget:
        shutil.rmtree(config_dir(store, endpoint, deployment), ignore_errors=True)
    return was


def collected_folder(client: Any, endpoint: str, deployment: str, collection: str = "model_inputs",
                     data_collector: Optional[Any] = None):
    """Local folder where one collection of a deployment lands (for looking at the .jsonl files)."""
    cols = collections_for(endpoint, deployment, data_collector) if data_collector else {}
    path = cols.get(collection, {}).get("path") or f"{DEFAULT_ROOT}/{endpoint}/{deployment}/{collection}"
    return uris.resolve_path(client.store, path, must_exist=False)


def wait_for_rows(client: Any, endpoint: str, deployment: str, rows: int, collection: str = "model_inputs",
                  data_collector: Optional[Any] = None, timeout: float = 60) -> int:
    """Wait until a deployment's collection holds at least `rows` rows; returns how many it holds.

    A deployment's Collector sends from a background thread after run() has answered, so rows land a moment
    after the response, on Azure too (there, minutes later in blob storage)."""
    from .data import read_collected

    folder = collected_folder(client, endpoint, deployment, collection, data_collector)
    deadline = time.monotonic() + timeout
    while True:
        have = len(read_collected(folder)) if folder.is_dir() else 0
        if have >= rows or time.monotonic() > deadline:
            return have
        time.sleep(0.2)


class _WarningsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def use_in_this_process(env: dict) -> None:
    """Point a Collector created in this process at a started collector (a scoring function run in-process)."""
    import os

    os.environ.update(env)
    # the SDK's INFO lines say nothing a learner acts on; a filter, since its init re-applies logging levels
    mdc = logging.getLogger("mdc")
    if not any(isinstance(f, _WarningsOnly) for f in mdc.filters):
        mdc.addFilter(_WarningsOnly())
    try:  # the SDK reads its configuration once per process
        from azureml.ai.monitoring import init as mdc_init

        mdc_init.teardown()
    except Exception:  # noqa: BLE001
        pass


def flush_in_this_process(client: Any, endpoint: str, deployment: str, data_collector: Any,
                          timeout: float = 120) -> int:
    """Wait until this process's Collector has sent all it queued and each collection's data asset exists.

    The SDK sends from a background thread (a deployment keeps serving meanwhile), so a monitor run right after
    scoring could miss the last rows. Returns the number of model_inputs rows collected so far."""
    from azureml.ai.monitoring import init as mdc_init

    from .data import read_collected

    mdc_init.teardown(wait_for_flush=True)  # Collectors made before this stop; score.init() makes new ones
    cols = {n: c for n, c in collections_for(endpoint, deployment, data_collector).items() if c["enabled"]}
    deadline = time.monotonic() + timeout
    waiting = list(cols.values())
    while waiting and time.monotonic() < deadline:
        waiting = [c for c in waiting if client.store.get("data", c["asset"], version=c["version"]) is None]
        time.sleep(0.2 if waiting else 0)
    if waiting:
        raise TimeoutError(f"The data collector for {endpoint}/{deployment} registered no data asset for "
                           f"{', '.join(c['asset'] for c in waiting)} in {timeout:.0f} s; see its server.log under "
                           f"{client.store.root / 'data_collector' / endpoint / deployment}.")
    return len(read_collected(collected_folder(client, endpoint, deployment, "model_inputs", data_collector)))
