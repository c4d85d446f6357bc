"""Data collection for online deployments: what Azure sets up when a deployment has a DataCollector.

For each enabled collection (model_inputs, model_outputs, or custom names; request/response payload logging too)
the data goes to azureml://datastores/workspaceblobstore/paths/modelDataCollector/<endpoint>/<deployment>/
<collection> unless collections.<name>.data.path says otherwise, and is registered as the uri_folder data asset
<endpoint>-<deployment>-<collection> version 1 (or data.name / data.version), the defaults in
reference-yaml-deployment-managed-online and how-to-collect-production-data.

`start(...)` runs the local collector server (mdc_server.py) for one deployment and returns the environment the
deployment's scoring process needs so azureml-ai-monitoring's Collector sends there: AZUREML_MDC_CONFIG_PATH (the
collections file the SDK reads), AZUREML_MDC_HOST and AZUREML_MDC_PORT.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, Optional

from ..core import servers, uris
from ..core.processes import spawn_detached

DEFAULT_ROOT = "azureml://datastores/workspaceblobstore/paths/modelDataCollector"  # DEFAULT_MDC_PATH in the SDK
_PAYLOAD = ("request", "response")


def _enabled(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes") if not isinstance(value, bool) else value


def collections_for(endpoint: str, deployment: str, data_collector: Any) -> dict:
    """collection name -> {enabled, sampleRatePercentage, path (azureml URI), asset, version}."""
    rate = getattr(data_collector, "sampling_rate", None)
    out = {}
    for name, col in (getattr(data_collector, "collections", None) or {}).items():
        data = getattr(col, "data", None)
        asset_name = getattr(data, "name", None) or f"{endpoint}-{deployment}-{name}"
        out[name.lower()] = {
            "enabled": _enabled(getattr(col, "enabled", False)),
            "sampleRatePercentage": int(round(100 * float(rate))) if rate is not None else 100,
            "path": getattr(data, "path", None) or f"{DEFAULT_ROOT}/{endpoint}/{deployment}/{name}",
            "asset": asset_name, "version": str(getattr(data, "version", None) or 1)}
    return out


def register(client: Any, col: dict) -> None:
    """The collection's data asset (Azure creates it for the deployment; here on the first collected rows)."""
    from azure.ai.ml.entities import Data

    if client.store.get("data", col["asset"], version=col["version"]) is not None:
        return  # already registered: collected files keep landing in its folder
    client.data.create_or_update(Data(name=col["asset"], version=col["version"], type="uri_folder", path=col["path"],
                                      description="Production inference data collected by the data collector."))


def server_name(endpoint: str, deployment: str) -> str:
    return f"data-collector:{endpoint}:{deployment}"


def start(client: Any, endpoint: str, deployment: str, data_collector: Any) -> dict:
    """Start collecting for one deployment; returns the env vars for its scoring process ({} if nothing enabled)."""
    cols = {n: c for n, c in collections_for(endpoint, deployment, data_collector).items() if c["enabled"]}
    if not cols:
        return {}
    store = client.store
    for col in cols.values():
        folder = uris.resolve_path(store, col["path"], must_exist=False)
        folder.mkdir(parents=True, exist_ok=True)
        col["folder"] = str(folder)  # registered as a data asset when its first rows arrive (mdc_server)
    stop(store, endpoint, deployment)
    base = store.root / "data_collector" / endpoint / deployment
    base.mkdir(parents=True, exist_ok=True)
    source = (f"/subscriptions/{client.subscription_id}/resourceGroups/{client.resource_group_name}/providers/"
              f"Microsoft.MachineLearningServices/workspaces/{client.workspace_name}/onlineEndpoints/{endpoint}/"
              f"deployments/{deployment}")
    (base / "server.json").write_text(json.dumps({"collections": cols, "source": source,
                                                      "store": str(store.root)}, indent=1))
    # the file azureml-ai-monitoring reads (config.loadConfig): collections and their sample rates
    sdk_cfg = {"collections": {n: {"enabled": True, "sampleRatePercentage": c["sampleRatePercentage"]}
                               for n, c in cols.items()}, "runMode": "cloud"}
    (base / "mdc_config.json").write_text(json.dumps(sdk_cfg, indent=1))
    port = servers.free_port()
    pid = spawn_detached([sys.executable, "-m", "dp100lab.workspace.monitoring.mdc_server", str(base / "server.json"),
                          str(port)], log=base / "server.log", cwd=base)
    servers.record(store, server_name(endpoint, deployment), "data-collector", pid, port,
                   info={"endpoint": endpoint, "deployment": deployment, "collections": sorted(cols)})
    if not servers.wait_listening(port, 20):
        raise RuntimeError(f"The data collector for {endpoint}/{deployment} did not start; see {base}/server.log.")
    return {"AZUREML_MDC_CONFIG_PATH": str(base / "mdc_config.json"), "AZUREML_MDC_HOST": servers.LOOPBACK,
            "AZUREML_MDC_PORT": str(port)}


def stop(store: Any, endpoint: str, deployment: str) -> bool:
    return servers.stop(store, server_name(endpoint, deployment))


def collected_folder(client: Any, endpoint: str, deployment: str, collection: str = "model_inputs",
                     data_collector: Optional[Any] = None):
    """Local folder where one collection of a deployment lands (for looking at the .jsonl files)."""
    cols = collections_for(endpoint, deployment, data_collector) if data_collector else {}
    path = cols.get(collection, {}).get("path") or f"{DEFAULT_ROOT}/{endpoint}/{deployment}/{collection}"
    return uris.resolve_path(client.store, path, must_exist=False)


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
