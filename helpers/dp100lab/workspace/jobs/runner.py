"""The detached runner of one local job, whatever its kind:

    python -m dp100lab.workspace.jobs.runner <store root> <job name>

`submit` has written the job's typed RunPlan. The runner marks the job Running, hands the plan to its kind's
run() (a command runs its script; a sweep, AutoML or pipeline job runs its children), uploads ./outputs and the
log to the run's artifacts as Azure does, and records Completed / Failed / Canceled in the store and in MLflow.
It imports neither azure.ai.ml nor MLflow for a command or batch job (finalize.py closes the run with the standard
library), so a job costs little more than the script itself: that is what lets sweep trials and batch workers scale.
"""

from __future__ import annotations

import json
import signal
import sys
import traceback
from pathlib import Path
from typing import Optional

from ..core import processes
from ..core.store import Store
from . import finalize
from .plan import LOG, RunPlan

__all__ = ["LOG", "launch", "failure_message", "main"]


def launch(store: Store, plan: RunPlan) -> int:
    """Write the plan and start the detached runner. Returns the runner's pid."""
    jd = store.job_dir(plan.name)
    (jd / "system_logs").mkdir(parents=True, exist_ok=True)
    plan.write(jd)
    pid = processes.spawn_detached([sys.executable, "-m", "dp100lab.workspace.jobs.runner", str(store.root),
                                    plan.name], log=jd / "system_logs" / "runner.log", cwd=jd)
    processes.record_pid(jd, "runner", pid)
    return pid


def _tail(log_path: Path, lines: int = 20) -> str:
    try:
        text = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    tail = text[-lines:]
    for i, line in enumerate(tail):  # start at the traceback when there is one
        if line.startswith("Traceback (most recent call last)"):
            tail = tail[i:]
            break
    return "\n".join(tail)


def failure_message(command: str, rc: int, log_path: Path) -> str:
    """A failed user process, worded like Azure's UserError for it (the exact service text is not in the SDK or
    docs, so this is a close paraphrase), with the end of the log so the cause shows without opening the file."""
    exe = (command.split() or ["command"])[0]
    if rc < 0:
        try:
            signame = signal.Signals(-rc).name
        except ValueError:
            signame = f"signal {-rc}"
        head = f"Execution failed. User process '{exe}' was killed by {signame}."
    else:
        head = f"Execution failed. User process '{exe}' exited with status code {rc}."
    return (f"{head} Please check log file '{LOG}' for error details. Error: {_tail(log_path)}").rstrip()


def _upload(store: Store, plan: RunPlan) -> None:
    """Azure uploads ./outputs and ./logs of the working folder and the user log to the job's artifacts."""
    if finalize.upload(store, plan):  # without importing MLflow (see finalize.py); else through MLflow
        return
    from ..core import tracking

    mlc = tracking.client(store)
    tracking.copy_logged_models(mlc, plan.experiment_id, plan.run_id, plan.artifact_uri)
    wd, log_path = Path(plan.cwd), Path(plan.log)
    for folder in ("outputs", "logs"):
        src = wd / folder
        if src.is_dir() and any(src.iterdir()):
            mlc.log_artifacts(plan.run_id, str(src), folder)
    if log_path.exists():
        mlc.log_artifact(plan.run_id, str(log_path), "user_logs")


def _finalize(store: Store, plan: RunPlan, status: str, error: Optional[dict]) -> None:
    store.update_job(plan.name, status="Finalizing")
    try:
        _upload(store, plan)
    except Exception as e:  # the job's result still counts; say what was not uploaded
        print(f"could not upload outputs to the run's artifacts: {e!r}", flush=True)
    if not finalize.terminate(store, plan.run_id, status):
        from ..core import tracking

        tracking.finish_run(store, plan.run_id, status)
    store.update_job(plan.name, status=status, error=json.dumps(error) if error else None)


def run(store: Store, name: str) -> str:
    from . import kinds

    plan = RunPlan.read(store.job_dir(name))
    row = store.get_job(name)
    if row is None or row["status"] in ("CancelRequested", "Canceled"):
        _finalize(store, plan, "Canceled", None)
        return "Canceled"
    store.update_job(name, status="Running")
    status, error = kinds.by_name(plan.kind).run(store, plan)
    _finalize(store, plan, status, error)
    return status


def main(argv: list[str]) -> int:
    root, name = argv
    store = Store(root)
    try:
        run(store, name)
        return 0
    except BaseException as e:  # never leave the job "Running": record why the runner itself failed
        traceback.print_exc()
        msg = (f"The local job runner failed: {e!r}. The job's files are in {store.job_dir(name)}; "
               f"see system_logs/runner.log there, then submit the job again.")
        try:
            store.update_job(name, status="Failed", error=json.dumps({"code": "SystemError", "message": msg}))
            from ..core import tracking

            tracking.finish_run(store, RunPlan.read(store.job_dir(name)).run_id, "Failed")
        except Exception:
            traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
