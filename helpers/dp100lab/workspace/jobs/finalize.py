"""Closing a job's MLflow run from the runner without importing MLflow.

Importing MLflow's client and SQL store costs a fresh process ~2.5 s of CPU (measured with cProfile), more than a
sweep trial's or a batch job's own work, and on 2 cores it is what kept concurrent trials and batch workers from
scaling (bench/sweep_concurrency.py, bench/batch_scaling.py). What the runner does at the end is small and fixed:
copy ./outputs, ./logs and the user log into the run's local artifact folder (what LocalArtifactRepository does:
a file copy), copy the run's logged models next to them, and set the run's status and end time (exactly the two
columns MlflowClient.set_terminated -> SqlAlchemyStore.update_run_info writes). That is done here with the
standard library, on the schema of the pinned MLflow; anything unexpected (another schema, a deleted run) returns
False and the runner does it through MLflow itself. tests/jobs/test_finalize.py reads the result back with MLflow.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any

# MLflow's RunStatus names for each terminal job status (as core/tracking.RUN_STATUS)
RUN_STATUS = {"Completed": "FINISHED", "Failed": "FAILED", "Canceled": "KILLED", "NotResponding": "FAILED"}
_BUSY_S = 30  # wait this long for a lock held by a script logging into the same database


def local_path(uri: str) -> Path:
    """A file:// artifact URI as a path, decoded as mlflow.utils.file_utils.local_file_uri_to_path does."""
    path = urllib.parse.urlparse(uri).path if uri.startswith("file:") else uri
    return Path(urllib.request.url2pathname(path))


def _connect(store: Any) -> sqlite3.Connection:
    conn = sqlite3.connect(str(store.mlflow_db), timeout=_BUSY_S, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def _copy_folder(src: Path, dest: Path) -> None:
    # LocalArtifactRepository.log_artifacts: copytree without the source's permission bits
    shutil.copytree(src, dest, copy_function=shutil.copyfile, dirs_exist_ok=True)


def _copy_file(src: Path, dest_dir: Path) -> None:
    # LocalArtifactRepository.log_artifact: staged in the folder, then replaced, so no reader sees half a file
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest_dir / f".tmp-{os.getpid()}-{src.name}"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest_dir / src.name)


def upload(store: Any, plan: Any) -> bool:
    """./outputs, ./logs, the user log and the run's logged models into the run's artifacts. False: use MLflow."""
    if not str(plan.artifact_uri).startswith("file:"):  # only a local artifact folder is a plain copy
        return False
    run_dir = local_path(plan.artifact_uri)
    try:
        with closing(_connect(store)) as conn:
            models = conn.execute(
                "SELECT name, artifact_location FROM logged_models WHERE source_run_id = ? AND experiment_id = ? "
                "AND lifecycle_stage = 'active'", (plan.run_id, int(plan.experiment_id))).fetchall()
    except (sqlite3.Error, ValueError):
        return False
    for m in models:  # MLflow 3 keeps a logged model outside the run's artifacts (tracking.copy_logged_models)
        src, dest = local_path(m["artifact_location"]), run_dir / m["name"]
        if src.is_dir() and not dest.exists():
            shutil.copytree(src, dest)
    wd, log_path = Path(plan.cwd), Path(plan.log)
    for folder in ("outputs", "logs"):
        src = wd / folder
        if src.is_dir() and any(src.iterdir()):
            _copy_folder(src, run_dir / folder)
    if log_path.exists():
        _copy_file(log_path, run_dir / "user_logs")
    return True


def terminate(store: Any, run_id: str, job_status: str) -> bool:
    """Set the run terminal as set_terminated does (status, end_time = now in ms). False: use MLflow."""
    status = RUN_STATUS.get(job_status, "FAILED")
    try:
        with closing(_connect(store)) as conn:
            changed = conn.execute("UPDATE runs SET status = ?, end_time = ? WHERE run_uuid = ? "
                                   "AND lifecycle_stage = 'active'",
                                   (status, int(time.time() * 1000), run_id)).rowcount
    except sqlite3.Error:
        return False
    return changed == 1  # 0: no such active run; MLflow raises its own error for that
