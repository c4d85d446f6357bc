"""Sweep jobs: trials are real child command jobs (<sweep>_<n>), sampled with Optuna, run up to
max_concurrent_trials at a time, stopped early by Azure's policies, compared on the primary metric they log.

prepare() checks Azure's rules at submission (distributions per algorithm, no policy with Bayesian), snapshots the
trial's code once (every trial runs the same snapshot, as Azure uploads it once) and writes <job>/sweep.json, the
resolved settings the runner reads. run() is the scheduler loop inside the sweep's runner process.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

from ... import _sdk
from ...core.errors import invalid, note
from .. import prepare as resolve
from ..submit import Prepared, copy_entity

KIND = "sweep"
CONFIG = "sweep.json"


def to_job(entity: Any) -> Any:
    if hasattr(entity, "_to_job"):  # the .sweep(...) builder node
        return copy_entity(_sdk.node_to_job(entity))
    return copy_entity(entity)


def _sampling(value: Any) -> dict:
    if isinstance(value, str):
        return {"type": value.lower()}
    d = dict(value or {"type": "random"})
    d["type"] = str(d.get("type", "random")).lower()
    return d


def _trial_inputs(job: Any) -> dict:
    out = {}
    for key, value in (job.inputs or {}).items():
        value = getattr(value, "_data", value)
        if hasattr(value, "type"):
            out[key] = {"type": value.type, "path": str(value.path) if value.path is not None else None,
                        "mode": getattr(value, "mode", None)}
        elif value is not None:
            out[key] = value
    return out


def _trial_outputs(job: Any) -> dict:
    """Every output the trial's command can name: the component's own (a sweep node in a pipeline binds only some)
    and the sweep's."""
    declared = dict(getattr(job.trial, "outputs", None) or {})
    declared.update(job.outputs or {})
    return {k: {"type": getattr(getattr(v, "_data", v), "type", None) or "uri_folder"} for k, v in declared.items()}


def prepare(client: Any, job: Any, name: str, job_dir: Path) -> Prepared:
    d = _sdk.entity_to_dict(job)
    space = {k: dict(v) for k, v in (d.get("search_space") or {}).items()}
    sampling = _sampling(d.get("sampling_algorithm"))
    policy = dict(d["early_termination"]) if d.get("early_termination") else None
    limits = dict(d.get("limits") or {})
    objective = dict(d.get("objective") or {})
    if not objective.get("primary_metric"):
        raise invalid("The sweep needs objective.primary_metric (the MLflow metric the trial script logs) and "
                      "goal: .sweep(primary_metric='accuracy', goal='Maximize', ...).", kind="job")
    total = limits.get("max_total_trials")
    from ..sweep import space as spaces

    for line in spaces.check(space, sampling, policy, limits.get("max_concurrent_trials") or total):
        note(line)
    trial = job.trial
    command = trial.command or ""
    missing = [n for n in _search_refs(command) if n not in space]
    if missing:
        raise invalid(f"The trial command uses ${{{{search_space.{missing[0]}}}}} but the search space has no "
                      f"'{missing[0]}' (it has: {', '.join(space)}).", kind="job")
    if sampling["type"] == "grid":
        total = min(total or 10**9, len(spaces.grid(space)))
    elif not total:
        total = 1000
        note("limits.max_total_trials is not set: the sweep runs up to 1000 trials (Azure's maximum) or until "
             "limits.timeout; set it with sweep_job.set_limits(max_total_trials=...).")
    if sampling["type"] == "bayesian":
        note("Bayesian sampling here is Optuna's TPE sampler; Azure's Bayesian optimization model differs in detail, "
             "its rules (choice/uniform/quniform, no early termination) are the same.")
    compute = resolve.check_compute(client, job.compute)
    env = trial.environment
    resolve.check_environment(client, env)
    resolve.resolve_inputs(client, job)  # local paths must exist now; recorded absolute for every trial
    wd = job_dir / "wd"
    code_src = resolve.snapshot_code(SimpleNamespace(code=trial.code, base_path=job.base_path), wd)
    if code_src is not None:
        trial.code = str(wd)
    cfg = {
        "search_space": space, "sampling": sampling, "policy": policy, "objective": {
            "primary_metric": objective["primary_metric"], "goal": str(objective.get("goal", "maximize")).lower()},
        "max_total_trials": int(total), "max_concurrent_trials": int(limits.get("max_concurrent_trials") or total),
        "timeout": limits.get("timeout"), "trial_timeout": limits.get("trial_timeout"),
        "trial": {"command": command, "code": str(wd) if code_src is not None else None,
                  "environment": env if isinstance(env, (str, type(None))) else _sdk.entity_to_dict(env),
                  "environment_variables": dict(getattr(trial, "environment_variables", None) or {}),
                  "inputs": _trial_inputs(job),
                  "outputs": _trial_outputs(job),
                  "compute": str(job.compute) if job.compute else None},
    }
    job_dir.mkdir(parents=True, exist_ok=True)
    (job_dir / CONFIG).write_text(json.dumps(cfg, indent=1, default=str))
    return Prepared(compute=compute, cwd=wd, timeout_s=float(limits["timeout"]) if limits.get("timeout") else None)


def _search_refs(command: str) -> list[str]:
    import re

    return re.findall(r"\$\{\{\s*search_space\.([A-Za-z0-9_]+)\s*\}\}", command)


def run(store: Any, plan: Any) -> tuple[str, Optional[dict]]:
    from ..sweep.scheduler import Scheduler

    cfg = json.loads((store.job_dir(plan.name) / CONFIG).read_text())
    return Scheduler(store, plan, cfg).run()

