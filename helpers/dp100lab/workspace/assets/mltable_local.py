"""mltable.load() of a local workspace's data asset URI, instead of asking Azure for a token.

mltable 1.x resolves `azureml://subscriptions/<sub>/resourcegroups/<rg>/workspaces/<ws>/data/<name>/versions/<v>`
(what f"azureml:/{data_asset.id}" gives) and `azureml:<name>:<version>` in mltable.mltable._load, by calling
Azure's data-asset service. The data group of a local client installs ONE wrapper around that function (install()
below, called from DataOperations.__init__, never at import): a URI naming a local workspace is answered from its
store (the asset's folder, loaded by mltable itself); anything else goes to mltable unchanged.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from ..core.errors import invalid, not_found

_LONG = re.compile(r"^azureml://subscriptions/(?P<sub>[^/]+)/resource[gG]roups/(?P<rg>[^/]+)/"
                   r"(?:providers/Microsoft\.MachineLearningServices/)?workspaces/(?P<ws>[^/]+)/data/(?P<name>[^/]+)/"
                   r"versions/(?P<version>[^/]+)/?$", re.IGNORECASE)
_SHORT = re.compile(r"^azureml:(?P<name>[A-Za-z0-9_.\-]+)(?::(?P<version>[A-Za-z0-9_.\-]+)|@(?P<label>latest))$")
_WORKSPACES: dict[tuple[str, str, str], Any] = {}  # (sub, rg, ws) -> store of a local client in this process
_LOCK = threading.Lock()
_ORIGINAL = None


def install(client: Any) -> None:
    """Register `client`'s store and wrap mltable's loader once per process (idempotent). mltable takes seconds to
    import, so if it is not imported yet the wrapper is applied when it is (a one-module import hook)."""
    import sys

    key = (str(client.subscription_id).lower(), str(client.resource_group_name).lower(),
           str(client.workspace_name).lower())
    with _LOCK:
        _WORKSPACES[key] = client.store
        if "mltable.mltable" in sys.modules:
            _wrap(sys.modules["mltable.mltable"])
        elif not any(isinstance(f, _Finder) for f in sys.meta_path):
            sys.meta_path.insert(0, _Finder())


class _Finder:
    """Finds nothing itself: when mltable.mltable is imported, wraps its _load right after the module runs."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "mltable.mltable":
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            _wrap(module)

        spec.loader.exec_module = exec_module
        return spec


def _wrap(mt: Any) -> None:
    global _ORIGINAL
    if _ORIGINAL is not None:
        return
    _ORIGINAL = mt._load

    def _load(uri, storage_options=None, enable_validate=False, ml_client=None):
        local = _local_folder(str(uri), ml_client)
        if local is None:
            return _ORIGINAL(uri, storage_options, enable_validate, ml_client)
        return _ORIGINAL(str(local), None, enable_validate, None)

    _load.__wrapped__ = _ORIGINAL
    mt._load = _load


def _local_folder(uri: str, ml_client: Any) -> Path | None:
    m = _LONG.match(uri)
    if m:
        store = _WORKSPACES.get((m["sub"].lower(), m["rg"].lower(), m["ws"].lower()))
        if store is None:
            return None  # another workspace: mltable asks Azure, as it would without dp100lab
        name, version, label = m["name"], m["version"], None
    else:
        s = _SHORT.match(uri)
        store = getattr(ml_client, "store", None) if s else None
        if store is None and s and len(_WORKSPACES) == 1:
            store = next(iter(_WORKSPACES.values()))
        if store is None:
            return None
        name, version, label = s["name"], s["version"], s["label"]
    row = store.get("data", name, version=version, label=label)
    if row is None:
        have = [f"{name}:{r['version']}" for r in store.list("data", name)] or store.names("data")
        raise not_found("data", name, version or label, available=have,
                        hint="mltable.load needs a registered mltable data asset; check ml_client.data.list().")
    if row["spec"].get("type") != "mltable":
        raise invalid(f"Data asset {name}:{row['version']} is {row['spec'].get('type')}, and mltable.load can only load "
                      f"an MLTable type asset (as on Azure). Read it with pandas, or register an MLTable folder.",
                      kind="data")
    from ..core.uris import resolve_path
    return resolve_path(store, row["spec"]["path"])
