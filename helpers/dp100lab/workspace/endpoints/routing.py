"""The router's configuration file and Azure's traffic rules, shared by the operations and the router process.

The operations write <store>/endpoints/<endpoint>/router.json (atomically, mode 0600: it holds the keys); the
router re-reads it when its mtime changes, so a traffic shift or a key rotation applies to the very next request.
Azure's rules (how-to-safely-rollout-online-endpoints): live traffic sums to 100 over existing deployments (or is
empty/0), mirror traffic goes to one deployment only, at most 50 percent, and never to a deployment that also takes
live traffic.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

MIRROR_MAX = 50  # "The maximum percentage of traffic you can mirror is 50%."


def endpoint_dir(store: Any, name: str) -> Path:
    return Path(store.root) / "endpoints" / name


def config_path(store: Any, name: str) -> Path:
    return endpoint_dir(store, name) / "router.json"


def counts_path(folder: Path) -> Path:
    return folder / "counts.json"


def write_config(store: Any, name: str, config: dict) -> None:
    path = config_path(store, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(config, f)
    os.replace(tmp, path)


def read_config(path: Path) -> Optional[dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def traffic_problem(traffic: dict, mirror: dict, deployments: list[str], endpoint: str) -> Optional[str]:
    """Azure's rejection message for a traffic/mirror setting, or None when it is valid."""
    traffic = {k: int(v) for k, v in (traffic or {}).items()}
    mirror = {k: int(v) for k, v in (mirror or {}).items()}
    for kind, table in (("traffic", traffic), ("mirror_traffic", mirror)):
        missing = [d for d in table if d not in deployments]
        if missing:
            return (f"Endpoint '{endpoint}' {kind} names deployment(s) {missing} that do not exist (existing: "
                    f"{deployments or 'none'}). Create the deployment first, then set its {kind}.")
        bad = [d for d, v in table.items() if v < 0 or v > 100]
        if bad:
            return f"Endpoint '{endpoint}' {kind} values must be between 0 and 100 (got {table})."
    total = sum(traffic.values())
    if traffic and total not in (0, 100):
        return (f"Endpoint '{endpoint}' traffic values sum to {total}; the traffic of an endpoint's deployments must "
                f"sum to 100 (or be 0 everywhere). For example {{'blue': 90, 'green': 10}}.")
    live_mirror = [d for d, v in mirror.items() if v > 0]
    if len(live_mirror) > 1:
        return f"Endpoint '{endpoint}' mirrors traffic to {live_mirror}; you can mirror traffic to only one deployment."
    if sum(mirror.values()) > MIRROR_MAX:
        return (f"Endpoint '{endpoint}' mirror_traffic is {sum(mirror.values())}%; the maximum percentage of traffic "
                f"you can mirror is {MIRROR_MAX}%.")
    both = [d for d in live_mirror if traffic.get(d, 0) > 0]
    if both:
        return (f"Deployment(s) {both} of endpoint '{endpoint}' would take both live and mirrored traffic; a deployment "
                f"can receive only live traffic or mirrored traffic, not both. Set its traffic to 0 or its "
                f"mirror_traffic to 0.")
    return None
