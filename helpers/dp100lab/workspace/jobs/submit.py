"""Submitting a job of any kind: the steps Azure takes for every job, around the kind's own `prepare`.

Name and defaults as the service gives them, the MLflow run (id = job name, as on Azure), the stored REST form,
the typed run plan and the detached runner. A submission that fails at any step leaves nothing behind.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from azure.core.exceptions import ResourceExistsError

from .. import _sdk
from ..core import tracking
from ..core.processes import pid_alive, proc_start
from ..core.store import JobExists
from . import kinds, runner
from .plan import LOG, RunPlan

_CLAIM = ".submitting"  # in a job folder while its submission is under way: the submitter's pid and start tick
_ARM = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/jobs/{n}"


@dataclass
class Prepared:
    """What a kind's prepare() resolved for this machine."""
    compute: str = "serverless"
    cwd: Optional[Path] = None              # working folder (default: <job>/wd, created empty)
    command: str = ""
    argv: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    timeout_s: Optional[float] = None
    code: Optional[str] = None              # the snapshot folder the stored job points at (as Azure's upload)


def default_experiment_name() -> str:
    """Azure's default: the current folder's name (to_rest_functions.generate_defaults), else 'Default'."""
    return Path("./").resolve().stem.replace(" ", "") or _sdk.DEFAULT_EXPERIMENT_NAME


def submit(client: Any, job: Any, *, parent: Optional[str] = None, skip_validation: bool = False,
           **overrides: Any) -> str:
    """Validate, prepare, record and start `job`; returns its name. `overrides`: description, compute, tags,
    experiment_name, display_name (create_or_update's keywords)."""
    store = client.store
    kind = kinds.for_entity(job)
    job = kind.to_job(job)
    for attr, val in overrides.items():
        if val is not None:
            setattr(job, attr, val)
    if not skip_validation:
        _sdk.validate_job(job)  # the SDK's own checks: required fields, ${{inputs.x}} defined, ...
    name = job.name or _sdk.generate_job_name()
    job.name = name
    job.display_name = job.display_name or name
    if parent:
        parent_row = store.get_job(parent)
        job.experiment_name = parent_row["experiment"]
    job.experiment_name = job.experiment_name or default_experiment_name()
    jd = _claim(store, name)
    run_id, row_made = None, False
    try:
        prepared = kind.prepare(client, job, name, jd)
        cwd = prepared.cwd or jd / "wd"
        cwd.mkdir(parents=True, exist_ok=True)
        exp_id, run_id, artifact_uri = tracking.create_job_run(
            store, job.experiment_name, name, job.display_name, job.tags,
            parent_run_id=store.get_job(parent)["run_id"] if parent else None)
        if prepared.code is not None:
            job.code = prepared.code
        spec = json.loads(json.dumps(_sdk.job_to_rest_dict(job), default=str))
        spec["name"] = name
        spec["id"] = _ARM.format(sub=client.subscription_id, rg=client.resource_group_name,
                                 ws=client.workspace_name, n=name)
        spec["_local"] = {"experiment_id": exp_id, "created_by": tracking.user()}
        env = {**prepared.env, **tracking.job_env(store, name, exp_id, job.experiment_name, run_id)}
        plan = RunPlan(name=name, kind=kind.KIND, run_id=run_id, experiment_id=str(exp_id),
                       experiment_name=job.experiment_name, artifact_uri=artifact_uri, cwd=str(cwd),
                       log=str(jd / LOG), env=env, outputs=prepared.outputs, command=prepared.command,
                       argv=prepared.argv, parent=parent, timeout_s=prepared.timeout_s)
        try:
            store.put_job(name, spec, status="Starting", type=kind.KIND, experiment=job.experiment_name,
                          run_id=run_id, compute=prepared.compute, parent=parent)
        except JobExists:
            raise _exists(name) from None
        row_made = True
        (jd / _CLAIM).unlink(missing_ok=True)
    except BaseException:
        _discard(store, name, jd, run_id, row_made)
        raise
    try:
        submitted = getattr(kind, "submitted", None)  # what the service settles at once (a pipeline's reused steps)
        if submitted is not None:
            submitted(client, plan)
        pid = runner.launch(store, plan)
    except BaseException as e:
        store.update_job(name, status="Failed", error=json.dumps(
            {"code": "SystemError", "message": f"Could not start the job's process: {e!r}"}))
        tracking.finish_run(store, run_id, "Failed")
        raise
    store.update_job(name, pid=pid)
    return name


def _exists(name: str) -> ResourceExistsError:
    return ResourceExistsError(message=f"Job '{name}' already exists; job names are unique in a workspace. "
                                       f"Leave name unset to get a generated one, or choose another.")


def _claim(store: Any, name: str) -> Path:
    """Make the job's folder for this submission alone, or ResourceExistsError if the name is taken.

    Under a lock across processes: of several processes submitting one explicit name, exactly one goes on, and
    the others neither prepare into nor clean up the winner's folder. A folder without a job row whose
    submitter is gone (killed mid-submission) is a leftover and is cleared."""
    jd = store.job_dir(name)
    with store.lock("job-names"):
        if store.get_job(name) is not None:
            raise _exists(name)
        if jd.exists():
            if _submitter_alive(jd):
                raise _exists(name)
            shutil.rmtree(jd)
        jd.mkdir()
        (jd / _CLAIM).write_text(json.dumps([os.getpid(), proc_start(os.getpid())]))
    return jd


def _submitter_alive(jd: Path) -> bool:
    try:
        pid, start = json.loads((jd / _CLAIM).read_text())
    except (OSError, ValueError, TypeError):
        return False
    return pid_alive(pid, start)


def _discard(store: Any, name: str, jd: Path, run_id: Optional[str], row_made: bool) -> None:
    """Undo a half-made submission: folder, row and MLflow run (nothing of it was ever started)."""
    shutil.rmtree(jd, ignore_errors=True)
    if row_made:
        store.delete_job(name)
    if run_id:
        try:
            tracking.delete_run(store, run_id)
        except Exception:  # the run stays visible as FAILED at worst; the job itself is gone
            pass


def copy_entity(entity: Any) -> Any:
    """Like the SDK, leave the caller's object as it was."""
    return copy.deepcopy(entity)
