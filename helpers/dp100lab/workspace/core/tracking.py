"""Everything MLflow, given the store (never MLflow's process-wide tracking URI).

On Azure a job *is* an MLflow run: the service creates the run before the script starts and the job's
environment points MLflow at it, so `mlflow.log_*`, `mlflow.autolog()` and `mlflow.start_run()` inside the
script land in the job's run, and the run id is the job name. The local workspace does the same with a SQLite
tracking store in the workspace folder. This module is the only one that builds MLflow clients or stores.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

DEFAULT_STUDIO_PORT = 5000
ARTIFACT_ROOT_ENV = "_MLFLOW_SERVER_ARTIFACT_ROOT"  # mlflow 3.17: default artifact root of a sqlite store
# MLflow run status for each terminal Azure job status
RUN_STATUS = {"Completed": "FINISHED", "Failed": "FAILED", "Canceled": "KILLED", "NotResponding": "FAILED"}
_ready: dict[str, tuple] = {}  # tracking URI -> (its SqlAlchemyStore, the db file identity) in this process


def quiet_mlflow_logs() -> None:
    """MLflow's schema set-up talks on stderr ("Creating initial MLflow database tables", alembic's migration
    lines): nothing a learner can act on, so those loggers say only warnings and errors."""
    for name in ("mlflow.store.db.utils", "alembic", "alembic.runtime.migration", "mlflow.store.db"):
        logging.getLogger(name).setLevel(logging.WARNING)


@contextmanager
def _init_lock(store: Any) -> Iterator[None]:
    """One process at a time creates or migrates MLflow's schema (it races otherwise: alembic errors)."""
    with open(store.root / ".mlflow-init.lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def tracking_store(store: Any) -> Any:
    """MLflow's own SQL tracking store with the workspace artifact root, its schema created once under a lock.

    Built directly (not via MlflowClient) so new experiments get <root>/mlartifacts/<id> as artifact location;
    MlflowClient on a sqlite URI would default artifacts to ./mlruns of whatever folder the notebook is in.
    """
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    quiet_mlflow_logs()
    uri = store.mlflow_tracking_uri
    cached = _ready.get(uri)  # one store per db file, as MLflow caches its own: a new one re-verifies the schema
    if cached and cached[1] == _identity(store.mlflow_db):  # (~50 ms); a file removed or replaced is set up anew
        return cached[0]
    if not store.root.is_dir():
        from .health import store_gone
        raise store_gone(store.root, store.mlflow_db)
    with _init_lock(store):
        from .health import move_aside, sqlite_problem

        problem = sqlite_problem(store.mlflow_db)
        if problem:  # MLflow would fail every call with raw DatabaseError
            move_aside(store.mlflow_db, problem, "the MLflow tracking store",
                       "Runs and registered MLflow models in it are not shown any more; assets and job records in "
                       "the registry are kept. Inspect the old file with sqlite3 '.recover'.")
            engine = SqlAlchemyStore._engine_map.pop(uri, None)  # a cached engine would still hold the old file
            if engine is not None:
                engine.dispose()
        sql = SqlAlchemyStore(uri, store.mlartifacts_dir.as_uri())
    _ready[uri] = (sql, _identity(store.mlflow_db))
    return sql


def _identity(path: Path) -> Optional[tuple]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def client(store: Any) -> Any:
    from mlflow.tracking import MlflowClient

    tracking_store(store)  # schema ready before any client call
    return MlflowClient(tracking_uri=store.mlflow_tracking_uri, registry_uri=store.mlflow_tracking_uri)


def use_in_this_process(store: Any) -> str:
    """Point MLflow in this process (and the jobs it starts) at the store, as a compute instance points it at
    the workspace. Called once by the local client; the workspace code itself never relies on it."""
    import mlflow

    tracking_store(store)
    os.environ[ARTIFACT_ROOT_ENV] = str(store.mlartifacts_dir)  # new experiments' artifacts land in the store
    os.environ["MLFLOW_TRACKING_URI"] = store.mlflow_tracking_uri
    os.environ["MLFLOW_REGISTRY_URI"] = store.mlflow_tracking_uri
    mlflow.set_tracking_uri(store.mlflow_tracking_uri)
    mlflow.set_registry_uri(store.mlflow_tracking_uri)
    return store.mlflow_tracking_uri


def studio_url(experiment_id: str, run_id: str, store: Any = None) -> str:
    """The run's page in the local studio (MLflow UI on 127.0.0.1): its real port when it runs, model-training view."""
    from ... import studio  # dp100lab.studio, imported late: it imports the store

    return studio.run_url(experiment_id, run_id, store.root if store is not None else None)


_studio_noted: set = set()


def note_studio_once(store: Any) -> None:
    """Once per process, when a job link is shown while no studio runs: say how to open it."""
    from ... import studio
    from .errors import note

    if store.root in _studio_noted:
        return
    _studio_noted.add(store.root)
    line = studio.not_running_note(store.root)
    if line:
        note(line)


def experiment_id(store: Any, experiment_name: str) -> str:
    sql = tracking_store(store)
    exp = sql.get_experiment_by_name(experiment_name)
    if exp:
        return exp.experiment_id
    from mlflow.entities import ExperimentTag

    try:  # MLflow 3's UI opens a model-training experiment on its runs (untagged ones may open the GenAI view)
        return sql.create_experiment(experiment_name,
                                     tags=[ExperimentTag("mlflow.experimentKind", "custom_model_development")])
    except Exception:  # another process created it first
        return sql.get_experiment_by_name(experiment_name).experiment_id


def create_job_run(store: Any, experiment_name: str, job_name: str, display_name: Optional[str],
                   tags: Optional[dict] = None, parent_run_id: Optional[str] = None) -> tuple[str, str, str]:
    """Create (experiment if needed and) the job's run, whose id is the job name. Returns
    (experiment_id, run_id, artifact_uri). A child job's run is nested under its parent's, as in studio."""
    from mlflow.entities import RunTag
    from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID, MLFLOW_RUN_NAME, MLFLOW_USER

    exp_id = experiment_id(store, experiment_name)
    run_tags = {str(k): str(v) for k, v in (tags or {}).items()}
    run_tags.update({"azureml.jobName": job_name, "mlflow.source.type": "JOB", MLFLOW_USER: user(),
                     MLFLOW_RUN_NAME: display_name or job_name})
    if parent_run_id:
        run_tags[MLFLOW_PARENT_RUN_ID] = parent_run_id
    run = _create_named_run(tracking_store(store), exp_id, job_name, [RunTag(k, v) for k, v in run_tags.items()],
                            display_name or job_name)
    return exp_id, run.info.run_id, run.info.artifact_uri


def _create_named_run(sql: Any, exp_id: str, run_id: str, tags: list, run_name: str) -> Any:
    """A run with a chosen id. MLflow's create_run always draws a uuid; this inserts the same row it would
    (SqlRun with its tags) in one session, so it is safe with any number of threads and processes."""
    from mlflow.entities import LifecycleStage, RunStatus, SourceType
    from mlflow.store.tracking.dbmodels.models import SqlRun, SqlTag
    from mlflow.utils.uri import append_to_uri_path

    experiment = sql.get_experiment(exp_id)
    with sql.ManagedSessionMaker(read_only=False) as session:
        row = SqlRun(name=run_name, run_uuid=run_id, experiment_id=exp_id,
                     artifact_uri=append_to_uri_path(experiment.artifact_location, run_id, "artifacts"),
                     source_type=SourceType.to_string(SourceType.UNKNOWN), source_name="", entry_point_name="",
                     user_id=user(), status=RunStatus.to_string(RunStatus.RUNNING),
                     start_time=int(time.time() * 1000), end_time=None, deleted_time=None, source_version="",
                     lifecycle_stage=LifecycleStage.ACTIVE)
        row.tags = [SqlTag(key=t.key, value=t.value) for t in tags]
        session.add(row)
    return sql.get_run(run_id)


def delete_run(store: Any, run_id: str) -> None:
    tracking_store(store).delete_run(run_id)


def job_env(store: Any, name: str, exp_id: str, experiment_name: str, run_id: str) -> dict:
    """The variables Azure sets in a job so MLflow logs into its run, plus the job name as AZUREML_RUN_ID."""
    python_dir = str(Path(sys.executable).parent)  # `python` in the command is the lab's own Python
    return {
        "PATH": python_dir + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONUNBUFFERED": "1",  # so jobs.stream shows print() output as it happens
        "MLFLOW_TRACKING_URI": store.mlflow_tracking_uri,
        "MLFLOW_REGISTRY_URI": store.mlflow_tracking_uri,
        "MLFLOW_RUN_ID": run_id,
        "MLFLOW_EXPERIMENT_ID": str(exp_id),
        "MLFLOW_EXPERIMENT_NAME": experiment_name,
        "AZUREML_RUN_ID": name,
        ARTIFACT_ROOT_ENV: str(store.mlartifacts_dir),  # experiments a script creates keep artifacts in the store
    }


def artifact_dir(artifact_uri: str) -> Path:
    # MLflow's own rule for its artifact URIs (percent-decoding included). Not uris.strip_file_scheme: uris imports
    # azure.ai.ml (via errors), seconds of CPU in every job's runner, which calls this when it finalizes.
    from mlflow.utils.file_utils import local_file_uri_to_path

    return Path(local_file_uri_to_path(str(artifact_uri)))


def copy_logged_models(mlc: Any, exp_id: str, run_id: str, artifact_uri: str) -> None:
    """MLflow 3 keeps a logged model under <experiment>/models/<id>/, not in the run's artifacts. A copy under the
    run's artifacts (<name>/) keeps azureml://jobs/<job>/outputs/artifacts/paths/<name>/ working as on Azure."""
    import shutil

    run_dir = artifact_dir(artifact_uri)
    for m in mlc.search_logged_models(experiment_ids=[str(exp_id)], filter_string=f"source_run_id = '{run_id}'"):
        src, dest = artifact_dir(m.artifact_location), run_dir / m.name
        if src.is_dir() and not dest.exists():
            shutil.copytree(src, dest)


def finish_run(store: Any, run_id: str, job_status: str) -> None:
    """Mark the run terminal with the MLflow status matching the job's."""
    client(store).set_terminated(run_id, RUN_STATUS.get(job_status, "FAILED"))


def user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no login name (containers): Azure would show the submitting identity
        return "local user"
