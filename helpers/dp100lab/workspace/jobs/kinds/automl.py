"""AutoML jobs (classification, regression, forecasting) run on FLAML under Azure's names.

prepare() reads the job as the SDK's dict form, resolves its MLTable inputs to local folders, checks the target
column against the data at submission (Azure fails the job; here nothing is started) and writes <job>/automl.json.
run() hands it to jobs/automl/engine.py inside the job's runner process; trials become child jobs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from ... import _sdk
from ...core.errors import invalid, note
from .. import prepare as resolve
from ..submit import Prepared, copy_entity

KIND = "automl"
CONFIG = "automl.json"


def to_job(entity: Any) -> Any:
    if hasattr(entity, "_to_job"):  # an AutoML node of a pipeline submitted on its own
        return copy_entity(_sdk.node_to_job(entity))
    return copy_entity(entity)


def _local_table(client: Any, job: Any, value: Any, what: str) -> Optional[str]:
    if value is None:
        return None
    path = str(getattr(value, "path", value))
    if getattr(value, "type", "mltable") != "mltable":
        raise invalid(f"AutoML {what} must be an MLTable (Input(type='mltable', path=...)); got type "
                      f"'{value.type}'. Wrap the files in an MLTable folder (mltable.from_delimited_files(...).save()).",
                      kind="job")
    if resolve._is_local(path):
        local = resolve._local(job, path)
        if not local.exists():
            raise invalid(f"AutoML {what} path '{path}' does not exist on this machine (looked for {local}).",
                          kind="job")
    else:
        from ...core import uris

        local = uris.resolve_path(client.store, path, kind="data")
    if local.is_dir() and not (local / "MLTable").exists():
        raise invalid(f"AutoML {what} '{path}' is a folder without an MLTable file; AutoML reads MLTable data "
                      f"assets. Save one with mltable.from_delimited_files(paths=[...]).save('{path}').", kind="job")
    return str(local)


def _columns(path: str) -> list[str]:
    import mltable

    try:
        return list(mltable.load(path).take(5).to_pandas_dataframe().columns)
    except Exception as e:  # rslex's own message is long; keep its last line
        raise invalid(f"The MLTable at {path} could not be read: {str(e).strip().splitlines()[-1]}. Check the paths in "
                      f"its MLTable file: a relative path must stay valid where the asset is stored (save it with "
                      f"colocated=True to keep the data inside the folder).", kind="job") from e


def prepare(client: Any, job: Any, name: str, job_dir: Path) -> Prepared:
    from ..automl import settings

    d = json.loads(json.dumps(_sdk.entity_to_dict(job), default=str))
    task = d.get("task")
    if task not in ("classification", "regression", "forecasting"):
        raise invalid(f"AutoML task '{task}' runs on Azure only (the local workspace runs classification, regression "
                      f"and forecasting).", kind="job")
    target = job.target_column_name
    if not target:
        raise invalid("AutoML needs target_column_name (the column to predict).", kind="job")
    train = _local_table(client, job, job.training_data, "training_data")
    if train is None:
        raise invalid("AutoML needs training_data=Input(type='mltable', path=...).", kind="job")
    cols = _columns(train)
    if target not in cols:
        raise invalid(f"target_column_name '{target}' is not a column of the training data (columns: "
                      f"{', '.join(cols)}). Set target_column_name to one of them.", kind="job")
    notes: list[str] = []
    limits, training = d.get("limits") or {}, d.get("training") or {}
    cfg = {
        "task": task, "target": target, "metric": settings.metric(task, d.get("primary_metric")),
        "training_data": train,
        "validation_data": _local_table(client, job, getattr(job, "validation_data", None), "validation_data"),
        "test_data": _local_table(client, job, getattr(job, "test_data", None), "test_data"),
        "n_cross_validations": d.get("n_cross_validations"), "validation_data_size": d.get("validation_data_size"),
        "test_data_size": d.get("test_data_size"),
        "timeout_s": settings.minutes(limits.get("timeout_minutes")), "max_trials": limits.get("max_trials"),
        "enable_early_termination": limits.get("enable_early_termination"),
        "estimators": settings.estimators(task, training.get("allowed_training_algorithms"),
                                          training.get("blocked_training_algorithms"), notes),
        "enable_stack_ensemble": training.get("enable_stack_ensemble"),
        "enable_model_explainability": training.get("enable_model_explainability", True),
        "featurization": d.get("featurization") or {}, "forecasting": d.get("forecasting") or {},
        "notes": notes,
    }
    if task == "forecasting" and not cfg["forecasting"].get("time_column_name"):
        raise invalid("A forecasting job needs set_forecast_settings(time_column_name=..., forecast_horizon=...).",
                      kind="job")
    for col in (cfg["featurization"].get("column_name_and_types") or {}):
        if col not in cols:
            raise invalid(f"set_featurization names column '{col}', which is not in the training data "
                          f"({', '.join(cols)}).", kind="job")
    if limits.get("max_concurrent_trials", 1) and int(limits.get("max_concurrent_trials") or 1) > 1:
        notes.append(f"max_concurrent_trials={limits['max_concurrent_trials']}: trials run one after another here "
                     f"(FLAML's parallel search needs Ray); Azure would run them side by side on the cluster's nodes.")
    if limits.get("max_trials") == 1:
        notes.append("max_trials=1: FLAML's one-iteration mode trains without scoring a trial, so two trials run "
                     "here and the better is kept; Azure runs one.")
    if limits.get("trial_timeout_minutes"):
        notes.append("trial_timeout_minutes is recorded; FLAML has no per-trial limit, the job's timeout_minutes "
                     "bounds the whole search.")
    if training.get("enable_vote_ensemble", True) is not False:
        notes.append("Azure adds a VotingEnsemble trial at the end; FLAML has no voting ensemble, so none is built "
                     "here (enable_stack_ensemble=True builds FLAML's stacked ensemble).")
    for line in notes:
        note(line)
    job_dir.mkdir(parents=True, exist_ok=True)
    (job_dir / CONFIG).write_text(json.dumps(cfg, indent=1, default=str))
    compute = resolve.check_compute(client, job.compute)
    return Prepared(compute=compute, cwd=job_dir / "wd", timeout_s=cfg["timeout_s"])


def run(store: Any, plan: Any) -> tuple[str, Optional[dict]]:
    import time

    from ..automl import engine

    cfg = json.loads((store.job_dir(plan.name) / CONFIG).read_text())
    Path(plan.log).parent.mkdir(parents=True, exist_ok=True)
    with open(plan.log, "a", buffering=1) as log:
        def say(text: str) -> None:
            log.write(f"[{time.strftime('%H:%M:%S')}] {text}\n")

        say(f"AutoML {cfg['task']} job {plan.name}: target '{cfg['target']}', primary metric "
            f"{cfg['metric']}, up to {cfg.get('max_trials') or 1000} trials")
        try:
            return engine.run(store, plan, cfg, say)
        except Exception as e:
            say(f"AutoML failed: {e!r}")
            return "Failed", {"code": "UserError", "message": f"AutoML failed: {e}"}
