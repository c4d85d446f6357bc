"""ml_client.compute for the local workspace: compute targets are recorded; jobs on them run on this machine.

Azure naming rules (service messages quoted in Microsoft's DP-100 lab repo and Azure issue threads):
  cluster  (AmlCompute): letters, digits and dashes; start with a letter; end with a letter or digit; 2-16 chars.
  instance (ComputeInstance): same characters; 3-24 chars; a digit may not end the name right after a dash.
A job with no compute runs on serverless compute (azure-ai-ml v2), which needs no compute target.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

from azure.ai.ml.entities import AmlCompute, Compute, ComputeInstance

from .._sdk import ComputeDefaults
from ..core.errors import invalid, not_found, note
from ..core.poller import LocalPoller
from ..core.specs import from_row, to_spec

KIND = "compute"
_CLUSTER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,14}[A-Za-z0-9]$")
_INSTANCE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
_GPU_SIZE = re.compile(r"^standard_n[cdv]", re.IGNORECASE)  # N-series are Azure's GPU VM families
SIZES_FILE = Path(__file__).parent / "data" / "vm_sizes.json"  # the sizes Azure ML supports, with their source
SERVERLESS = (None, "", "serverless", "local")  # "local" is the SDK's LOCAL_COMPUTE_TARGET


def validate_name(compute: Compute) -> None:
    name = compute.name or ""
    if isinstance(compute, ComputeInstance):
        if not _INSTANCE_RE.match(name) or re.search(r"-\d$", name):
            raise invalid(f"Compute name '{name}' is invalid. It can include letters, digits and dashes. It must start "
                          f"with a letter, end with a letter or digit, and be between 3 and 24 characters in length "
                          f"(and not end in a digit right after a dash). Pick a name such as 'ci-dp100-alex'.",
                          kind=KIND)
    elif not _CLUSTER_RE.match(name):
        raise invalid(f"Compute name '{name}' is invalid. It can include letters, digits and dashes. It must start "
                      f"with a letter, end with a letter or digit, and be between 2 and 16 characters in length. "
                      f"Pick a name such as 'cpu-cluster'.", kind=KIND)


@lru_cache(maxsize=1)
def _sizes() -> tuple[dict, list, list]:
    """From vm_sizes.json: lower-case size -> its series entry, [(pattern, entry)], and the named sizes (for hints)."""
    exact, patterns, names = {}, [], []
    for entry in json.loads(SIZES_FILE.read_text())["series"]:
        for size in entry.get("sizes", []):
            exact[size.lower()] = entry
        if entry.get("pattern"):
            patterns.append((re.compile(entry["pattern"], re.IGNORECASE), entry))
        names += entry.get("sizes", []) + entry.get("examples", [])
    return exact, patterns, names


def validate_size(size: Optional[str]) -> None:
    """Refuse a size Azure ML compute does not offer, as Azure does (vm_sizes.json says which and where from)."""
    if not size:
        return
    key = str(size).lower()
    exact, patterns, names = _sizes()
    entry = exact.get(key) or next((e for rx, e in patterns if rx.match(key)), None)
    if entry is None:
        by_lower = {n.lower(): n for n in names}
        close = [by_lower[c] for c in difflib.get_close_matches(key, list(by_lower), n=3, cutoff=0.5)]
        raise invalid(f"'{size}' is not an Azure VM size that Azure Machine Learning compute supports"
                      f"{' (close: ' + ', '.join(close) + ')' if close else ''}; use one such as STANDARD_DS11_V2 "
                      f"or Standard_E4s_v3 (ml_client.compute.list_sizes() lists a region's sizes on Azure).",
                      kind=KIND)
    retired = entry.get("retired")
    if retired and (not entry.get("retired_sizes") or key in {s.lower() for s in entry["retired_sizes"]}):
        raise invalid(f"VM size {size} belongs to the {retired} series, which Azure no longer offers. Pick a "
                      f"current size, e.g. Standard_NC4as_T4_v3 for a GPU or STANDARD_DS11_V2 for a CPU.", kind=KIND)


def _with_service_defaults(spec: dict) -> dict:
    """What Azure stores for fields left out: the SDK sends vm_size STANDARD_DS3_V2 when size is None
    (AmlCompute/ComputeInstance._to_rest_object, ComputeDefaults.VMSIZE), and a cluster with no tier is dedicated
    (reference-yaml-compute-aml: tier default 'dedicated'); get() then returns them, not None."""
    if spec.get("type") in ("amlcompute", "computeinstance") and not spec.get("size"):
        spec["size"] = ComputeDefaults.VMSIZE
    if spec.get("type") == "amlcompute" and not spec.get("tier"):
        spec["tier"] = "dedicated"
    return spec


def _state_of(row: dict) -> Optional[str]:
    return next((lab.split(":", 1)[1] for lab in row["labels"] if lab.startswith("state:")), None)


class ComputeOperations:
    """get, list, begin_create_or_update, begin_update, begin_delete, begin_start/stop/restart, list_sizes,
    list_usage — as azure.ai.ml's ComputeOperations."""

    def __init__(self, client: Any):
        self._client = client
        self._store = client.store

    def _entity(self, row: dict) -> Compute:
        c = from_row(Compute, row, self._client)
        c._provisioning_state = "Succeeded"
        if isinstance(c, ComputeInstance):
            c._state = _state_of(row) or "Running"
        return c

    def _row(self, name: str) -> dict:
        row = self._store.get(KIND, name)
        if row is None:
            raise not_found(KIND, name, available=self._store.names(KIND),
                            hint="Create it with ml_client.compute.begin_create_or_update(AmlCompute(name=..., "
                                 "size=..., max_instances=...)), or leave compute out to run the job on serverless "
                                 "compute.")
        return row

    def get(self, name: str) -> Compute:
        return self._entity(self._row(name))

    def list(self, *, compute_type: Optional[str] = None) -> Iterable[Compute]:
        items = [self._entity(r) for r in sorted(self._store.list(KIND), key=lambda r: r["name"])]
        if compute_type:
            items = [c for c in items if (c.type or "").lower() == compute_type.lower()]
        return items

    def _notes(self, compute: Compute) -> None:
        """ONE line: what Azure would provision, and what differs here."""
        size = getattr(compute, "size", None) or ""
        extra = []
        if _GPU_SIZE.match(size):
            extra.append(f"{size} is a GPU size (NVIDIA GPUs, needs GPU quota; here jobs use this CPU)")
        net = getattr(compute, "network_settings", None)
        if net is not None and (getattr(net, "vnet_name", None) or getattr(net, "subnet", None)):
            extra.append("the nodes would join the given virtual network/subnet (no isolation here)")
        if str(getattr(compute, "tier", "") or "").lower() in ("low_priority", "lowpriority"):
            extra.append("low-priority nodes are cheaper but can be preempted")
        tail = ("; " + "; ".join(extra)) if extra else ""
        if isinstance(compute, AmlCompute):
            note(f"cluster '{compute.name}' recorded; on Azure it would scale between {compute.min_instances or 0} "
                 f"and {compute.max_instances} node(s) of {size}{tail}; locally each job runs "
                 f"here as one process.")
        elif isinstance(compute, ComputeInstance):
            note(f"compute instance '{compute.name}' recorded; on Azure it would be a {size} VM for "
                 f"one user, billed while running{tail}; locally this machine plays that part.")
        elif extra:
            note(f"compute '{compute.name}' recorded{tail}.")

    def begin_create_or_update(self, compute: Compute) -> LocalPoller:
        if not isinstance(compute, Compute):
            raise invalid(f"begin_create_or_update expects a Compute entity such as AmlCompute or ComputeInstance, "
                          f"got {type(compute).__name__}.", kind=KIND)
        validate_name(compute)
        validate_size(getattr(compute, "size", None))
        if isinstance(compute, AmlCompute):
            lo, hi = compute.min_instances or 0, compute.max_instances
            if lo < 0 or (hi is not None and hi < lo):
                raise invalid(f"AmlCompute '{compute.name}': min_instances ({lo}) must be >= 0 and <= max_instances "
                              f"({hi}). Use min_instances=0 so an idle cluster costs nothing.", kind=KIND)
        spec = _with_service_defaults(to_spec(compute))
        existing = self._store.get(KIND, compute.name)
        if existing and existing["spec"].get("type") != spec.get("type"):
            raise invalid(f"A compute named '{compute.name}' already exists as {existing['spec'].get('type')}; "
                          f"compute names are unique in a workspace. Choose another name or delete it first.",
                          kind=KIND)

        def work() -> Compute:
            labels = ["state:Running"] if isinstance(compute, ComputeInstance) else []
            stored = self._entity(self._store.put(KIND, compute.name, None, spec, labels=labels, tags=compute.tags))
            self._notes(stored)  # from what was stored: the size Azure would use, not None
            return stored

        return LocalPoller(work)

    begin_update = begin_create_or_update

    def begin_delete(self, name: str, *, action: str = "Delete") -> LocalPoller:
        self._row(name)
        if action not in ("Delete", "Detach"):
            raise invalid(f"action must be 'Delete' or 'Detach', got '{action}'.", kind=KIND)
        from ..core.store import TERMINAL_STATUSES

        busy = [r["name"] for r in self._store.list_jobs() if r.get("compute") == name
                and r["status"] not in TERMINAL_STATUSES]
        if busy:  # deleting a cluster under its jobs would fail them; say so instead of doing it silently
            raise invalid(f"Compute '{name}' is in use by {len(busy)} active job(s): {', '.join(busy[:5])}. Cancel them "
                          f"(ml_client.jobs.begin_cancel(name)) or wait until they finish, then delete the compute.",
                          kind=KIND)
        return LocalPoller(lambda: self._store.delete(KIND, name) and None)

    def _set_state(self, name: str, state: str) -> LocalPoller:
        row = self._row(name)
        if row["spec"].get("type") != "computeinstance":
            raise invalid(f"'{name}' is a {row['spec'].get('type')}: only compute instances can be started, stopped "
                          f"or restarted. A cluster scales itself between min_instances and max_instances.",
                          kind=KIND)

        def work() -> None:
            labels = [lab for lab in row["labels"] if not lab.startswith("state:")] + [f"state:{state}"]
            self._store.put(KIND, name, None, row["spec"], labels=labels, tags=row["tags"])
            if state == "Stopped":
                note(f"'{name}' marked Stopped; on Azure a stopped instance stops compute billing (its disk is kept).")

        return LocalPoller(work)

    def begin_start(self, name: str) -> LocalPoller:
        return self._set_state(name, "Running")

    def begin_stop(self, name: str) -> LocalPoller:
        return self._set_state(name, "Stopped")

    def begin_restart(self, name: str) -> LocalPoller:
        return self._set_state(name, "Running")

    def list_sizes(self, *, location: Optional[str] = None, compute_type: Optional[str] = None) -> list:
        note("list_sizes: VM sizes and prices depend on the Azure region and subscription; the local workspace "
             "has none to list. On Azure this returns VmSize entities (name, vcpus, memory_gb, gpus, ...).")
        return []

    def list_usage(self, *, location: Optional[str] = None) -> list:
        note("list_usage: quota usage is per Azure subscription and region; the local workspace has no quota.")
        return []


def ensure_compute_exists(client: Any, name: Optional[str]) -> Optional[Compute]:
    """The compute a job names, or None for serverless/local. Raises ResourceNotFoundError like Azure for an
    unknown name (message wording is ours: Azure's service text for this case could not be verified)."""
    if name in SERVERLESS:
        return None
    text = str(name)
    text = text.split("/computes/")[-1] if "/computes/" in text else text
    text = text[len("azureml:"):] if text.startswith("azureml:") else text
    if text in SERVERLESS:
        return None
    compute = client.compute.get(text)
    if isinstance(compute, ComputeInstance) and compute.state == "Stopped":
        raise invalid(f"Compute instance '{text}' is Stopped. Start it with ml_client.compute.begin_start('{text}')"
                      f".result() and submit the job again.", kind=KIND)
    return compute
