"""Step reuse, as Azure ML pipelines do it: an unchanged step is not run again, its earlier outputs are used.

A step is unchanged when its component (command, environment, interface, and the content hash of its code
snapshot: the component's version is that hash for inline components), its inputs (literal values; data by
content hash for local files, by reference for assets and datastore paths, as Azure hashes uploads but cannot see
inside a datastore) and its output types are the same as those of an earlier Completed step. Not reused: with
settings.force_rerun=True, or a component with is_deterministic=False. A reused step is a Completed child job
whose properties say so the way Azure's do ("azureml.isreused": "true", "azureml.reusedrunid": <the earlier job>),
and whose outputs are the earlier job's (azure.ai.ml's JobOperations.download follows the same properties).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, Optional

from ... import _sdk
from ...core import tracking
from ...core.store import now
from ..plan import LOG, RunPlan, read_plan

KIND = "pipeline_step_reuse"   # registry rows: name = reuse key, spec = {"job": <child job name>}
REUSED_FLAG = "azureml.isreused"      # azure.ai.ml.constants._job.pipeline.PipelineConstants.REUSED_FLAG_FIELD
REUSED_JOB = "azureml.reusedrunid"    # ... PipelineConstants.REUSED_JOB_ID


def _data_identity(store: Any, path: str) -> str:
    """Local files by content (Azure uploads and hashes them); job outputs by the producing step's key."""
    text = str(path)
    if text.startswith("azureml://jobs/"):
        job = text.split("/")[3]
        row = store.get_job(job)
        key = ((row or {}).get("spec", {}).get("properties", {}).get("properties", {}) or {}).get("dp100lab.reusekey")
        return f"{key or job}/{text.split('/outputs/', 1)[-1]}"
    if "://" in text or text.startswith("azureml:") or not Path(text).exists():
        return text
    return "sha:" + _sdk.get_object_hash(Path(text))


def key(store: Any, component_id: str, component_spec: dict, inputs: dict, outputs: dict) -> str:
    """The reuse key of a step: component identity + resolved inputs + output types."""
    ins = {}
    for name, value in sorted(inputs.items()):
        value = getattr(value, "_data", value)
        path = getattr(value, "path", None)
        ins[name] = {"type": getattr(value, "type", None), "data": _data_identity(store, path)} if path \
            else repr(value)
    body = {"component": component_id, "spec": {k: v for k, v in component_spec.items() if k not in ("name", "version")},
            "inputs": ins, "outputs": {k: getattr(v, "type", None) for k, v in sorted(outputs.items())}}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:40]


def find(store: Any, reuse_key: str) -> Optional[str]:
    """The Completed job an identical step ran as, if its outputs are still there."""
    row = store.get(KIND, reuse_key)
    if row is None:
        return None
    job = store.get_job(row["spec"]["job"])
    plan = read_plan(store.job_dir(job["name"])) if job else None
    if not job or job["status"] != "Completed" or plan is None:
        return None
    if not all(Path(p).exists() for p in plan.outputs.values()):
        return None
    return job["name"]


def remember(store: Any, reuse_key: str, job_name: str) -> None:
    store.put(KIND, reuse_key, None, {"job": job_name})


def record_reused(client: Any, child: Any, parent: str, original: str, reuse_key: str) -> str:
    """A Completed child job standing for the reused step: its outputs are the original's, nothing runs."""
    store = client.store
    name = _sdk.generate_job_name()
    child.name = name
    child.experiment_name = store.get_job(parent)["experiment"]
    child.properties = {**(child.properties or {}), REUSED_FLAG: "true", REUSED_JOB: original,
                        "dp100lab.reusekey": reuse_key}
    orig_plan = read_plan(store.job_dir(original))
    exp_id, run_id, artifact_uri = tracking.create_job_run(
        store, child.experiment_name, name, child.display_name, child.tags,
        parent_run_id=store.get_job(parent)["run_id"])
    _copy_metrics(store, original, run_id)
    spec = json.loads(json.dumps(_sdk.job_to_rest_dict(child), default=str))
    spec["name"] = name
    spec["id"] = f"/subscriptions/{client.subscription_id}/resourceGroups/{client.resource_group_name}/providers/" \
                 f"Microsoft.MachineLearningServices/workspaces/{client.workspace_name}/jobs/{name}"
    spec["_local"] = {"experiment_id": exp_id, "created_by": tracking.user()}
    jd = store.job_dir(name)
    plan = RunPlan(name=name, kind="command", run_id=run_id, experiment_id=str(exp_id),
                   experiment_name=child.experiment_name, artifact_uri=artifact_uri, cwd=orig_plan.cwd,
                   log=str(jd / LOG), outputs=dict(orig_plan.outputs), command=orig_plan.command, parent=parent)
    plan.write(jd)
    (jd / LOG).parent.mkdir(parents=True, exist_ok=True)
    (jd / LOG).write_text(f"This step was reused: its outputs are those of job {original} (same component, code, "
                          f"environment and inputs). Set settings.force_rerun=True to run it again.\n")
    ts = now()
    store.put_job(name, spec, status="Completed", type="command", experiment=child.experiment_name, run_id=run_id,
                  compute=str(getattr(child, "compute", None) or "serverless"), parent=parent, started_at=ts,
                  ended_at=ts)
    tracking.finish_run(store, run_id, "Completed")
    return name


def _copy_metrics(store: Any, original: str, run_id: str) -> None:
    """Studio shows a reused step with the metrics of the run it reuses; so does the local run."""
    try:
        from mlflow.entities import Metric

        mlc = tracking.client(store)
        src = mlc.get_run(store.get_job(original)["run_id"])
        metrics = [Metric(k, v, 0, 0) for k, v in src.data.metrics.items()]
        if metrics:
            mlc.log_batch(run_id, metrics=metrics)
    except Exception:  # metrics are a convenience; the reused outputs are what counts
        pass


def fill_folder(src: str, dest: str) -> None:
    """A pipeline output bound to a reused step gets the earlier outputs (copied: the earlier job keeps its own)."""
    s, d = Path(src), Path(dest)
    if s.resolve() == d.resolve():
        return
    if s.is_dir():
        shutil.copytree(s, d, dirs_exist_ok=True)
    elif s.exists():
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(s, d)


