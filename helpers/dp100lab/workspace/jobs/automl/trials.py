"""AutoML trials recorded as child jobs (<parent>_<n>), each with its MLflow run nested under the parent's.

FLAML trains every trial inside the parent's runner process (as Azure's AutoML trains its iterations itself), so
a trial's child job is created when FLAML reports it, already Completed: there is no process of its own to start
or watch. Each child still has what a child job has on Azure: a job row listed by jobs.list(parent_job_name=...),
a run with the algorithm, its hyperparameters and the metric, a log, and a run plan so its artifacts resolve
(azureml://jobs/<child>/outputs/artifacts/paths/...).
"""

from __future__ import annotations

import json
import time
from typing import Any

from ...core import tracking
from ..plan import LOG, RunPlan


def record(store: Any, plan: Any, index: int, algorithm: str, config: dict, metrics: dict, seconds: float,
           preprocessor: str = "") -> str:
    from azure.ai.ml.entities import CommandJob
    from mlflow.entities import Metric, Param, RunTag

    from ... import _sdk

    name = f"{plan.name}_{index}"
    parent = store.get_job(plan.name)
    exp_id, run_id, artifact_uri = tracking.create_job_run(
        store, plan.experiment_name, name, algorithm, {"run_algorithm": algorithm, "run_preprocessor": preprocessor},
        parent_run_id=plan.run_id)  # the tags Azure sets on AutoML child runs
    now = int(time.time() * 1000)
    mlc = tracking.client(store)
    params = [Param(k, str(v)[:500]) for k, v in sorted(config.items())]
    mlc.log_batch(run_id, metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()], params=params,
                  tags=[RunTag("mlflow.note.content", f"AutoML trial {index}: {algorithm}")])
    tracking.finish_run(store, run_id, "Completed")
    job = CommandJob(name=name, display_name=algorithm, command=f"automl trial {index}: {algorithm}",
                     environment="azureml:AzureML-AutoML@latest", experiment_name=plan.experiment_name,
                     properties={"run_algorithm": algorithm, "hyperparameters": json.dumps(config, default=str),
                                 "score": str(next(iter(metrics.values()), ""))})
    spec = json.loads(json.dumps(_sdk.job_to_rest_dict(job), default=str))
    spec["name"] = name
    spec["id"] = parent["spec"]["id"].rsplit("/", 1)[0] + "/" + name
    spec["_local"] = {"experiment_id": exp_id, "created_by": tracking.user()}
    jd = store.job_dir(name)
    (jd / "wd").mkdir(parents=True, exist_ok=True)
    (jd / LOG).parent.mkdir(parents=True, exist_ok=True)
    (jd / LOG).write_text(f"AutoML trial {index} of {plan.name}: {algorithm} {json.dumps(config, default=str)}\n"
                          f"{json.dumps(metrics)} in {seconds:.2f} s (trained by FLAML in the parent's process)\n")
    RunPlan(name=name, kind="command", run_id=run_id, experiment_id=str(exp_id),
            experiment_name=plan.experiment_name, artifact_uri=artifact_uri, cwd=str(jd / "wd"), log=str(jd / LOG),
            parent=plan.name).write(jd)
    store.put_job(name, spec, status="Completed", type="command", experiment=plan.experiment_name, run_id=run_id,
                  compute=parent.get("compute"), parent=plan.name)
    return name
