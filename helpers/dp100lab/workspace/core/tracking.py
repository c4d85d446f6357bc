"""MLflow side of a local job: the experiment and run a job logs into, and the run's studio URL.

On Azure a job *is* an MLflow run: the service creates the run before the script starts and the job's
environment points MLflow at it, so `mlflow.log_*`, `mlflow.autolog()` and `mlflow.start_run()` inside the
script land in the job's run. The runner does the same with the local tracking store.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

DEFAULT_STUDIO_PORT = 5000
# MLflow run status for each terminal Azure job status
RUN_STATUS = {"Completed": "FINISHED", "Failed": "FAILED", "Canceled": "KILLED", "NotResponding": "FAILED"}


def studio_url(experiment_id: str, run_id: str) -> str:
    """The run's page in the local studio (the MLflow UI started by `dp100 studio`, bound to 127.0.0.1)."""
    port = os.environ.get("DP100LAB_STUDIO_PORT") or DEFAULT_STUDIO_PORT
    return f"http://127.0.0.1:{port}/#/experiments/{experiment_id}/runs/{run_id}"


def tracking_store(store: Any) -> Any:
    """MLflow's own SQL tracking store with the workspace artifact root.

    Built directly (not via MlflowClient) so new experiments get <root>/mlartifacts/<id> as artifact location;
    MlflowClient on a sqlite URI would default artifacts to ./mlruns of whatever folder the notebook is in.
    """
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    return SqlAlchemyStore(store.mlflow_tracking_uri, store.mlartifacts_dir.as_uri())


def client(store: Any) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=store.mlflow_tracking_uri)


def create_job_run(store: Any, experiment_name: str, job_name: str, display_name: Optional[str],
                   tags: Optional[dict] = None) -> tuple[str, str, str]:
    """Create (experiment if needed and) the job's run. Returns (experiment_id, run_id, artifact_uri)."""
    sql = tracking_store(store)
    exp = sql.get_experiment_by_name(experiment_name)
    exp_id = exp.experiment_id if exp else sql.create_experiment(experiment_name)
    run_tags = {str(k): str(v) for k, v in (tags or {}).items()}
    # the job name is what Azure shows as the run id; keep it findable from MLflow too
    run_tags.update({"azureml.jobName": job_name, "mlflow.source.type": "JOB", "mlflow.user": _user()})
    run = _named_run(job_name, lambda: client(store).create_run(exp_id, run_name=display_name or job_name,
                                                                   tags=run_tags))
    return exp_id, run.info.run_id, run.info.artifact_uri


def _named_run(job_name: str, create: Any) -> Any:
    """Run `create` so the new run's id is the job name, as on Azure (`mlflow.get_run(job.name)` works there).

    MLflow's SQL store always draws the id from uuid.uuid4().hex and has no parameter for it, so its module's
    `uuid` is swapped for this one call.
    """
    from types import SimpleNamespace

    from mlflow.store.tracking import sqlalchemy_store

    real_uuid = sqlalchemy_store.uuid
    sqlalchemy_store.uuid = SimpleNamespace(uuid4=lambda: SimpleNamespace(hex=job_name))
    try:
        return create()
    finally:
        sqlalchemy_store.uuid = real_uuid


def artifact_dir(artifact_uri: str) -> Path:
    return Path(artifact_uri[len("file://"):] if artifact_uri.startswith("file://") else artifact_uri)


def finish_run(store: Any, run_id: str, job_status: str) -> None:
    """Mark the run terminal with the MLflow status matching the job's."""
    client(store).set_terminated(run_id, RUN_STATUS.get(job_status, "FAILED"))


def _user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no login name (containers): Azure would show the submitting identity
        return "local user"
