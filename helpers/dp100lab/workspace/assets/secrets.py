"""The local workspace's stand-in for its key vault: datastore and connection secrets, kept out of registry.db.

Azure stores a datastore's account key / SAS token / client secret (and a connection's key) in the workspace's
key vault, and returns them only with include_secrets=True (datastores) or populate_secrets=True (connections).
Here each secret set is one JSON file under <root>/keyvault/, readable by this user only (0600), never logged.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional


def _file(store: Any, kind: str, name: str) -> Path:
    return Path(store.root) / "keyvault" / f"{kind}-{name}.json"


def put(store: Any, kind: str, name: str, secrets: dict) -> None:
    path = _file(store, kind, name)
    if not secrets:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(secrets, f)
    tmp.replace(path)  # atomic: a reader sees the old or the new secret set, never half of one


def get(store: Any, kind: str, name: str) -> Optional[dict]:
    path = _file(store, kind, name)
    return json.loads(path.read_text()) if path.exists() else None


def delete(store: Any, kind: str, name: str) -> None:
    _file(store, kind, name).unlink(missing_ok=True)
