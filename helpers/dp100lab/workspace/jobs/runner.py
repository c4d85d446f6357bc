"""Runs one local command job: a small detached watcher process around the user's command.

    python -m dp100lab.workspace.jobs.runner <store root> <job name>

`launch()` (called by ml_client.jobs.create_or_update) has already written <job>/runner.json: the resolved
command, working folder, environment variables and the MLflow run. The watcher marks the job Running, starts the
command in its own process group with stdout+stderr in user_logs/std_log.txt, waits, uploads ./outputs and the
log to the run's artifacts (as Azure does), and records Completed / Failed / Canceled in the store and in MLflow.
The watcher imports nothing heavy before the command starts, so a job costs little more than the script itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, Optional

from ..core.store import Store, _proc_start, pid_alive

PLAN = "runner.json"
PIDS = "pids.json"
LOG = "user_logs/std_log.txt"


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def read_pids(job_dir: Path) -> dict:
    try:
        return json.loads((job_dir / PIDS).read_text())
    except (OSError, ValueError):
        return {}


def _record_pid(job_dir: Path, role: str, pid: int) -> None:
    pids = read_pids(job_dir)
    pids[role] = [pid, _proc_start(pid)]
    _write_json(job_dir / PIDS, pids)


def alive(job_dir: Path, role: str) -> bool:
    pid, start = (read_pids(job_dir).get(role) or [None, None])
    return pid_alive(pid, start)


def kill_group(job_dir: Path, role: str, sig: int) -> bool:
    """Signal the process group of the watcher or the script, if that exact process still lives."""
    pid, start = (read_pids(job_dir).get(role) or [None, None])
    if not pid_alive(pid, start):
        return False
    try:
        os.killpg(pid, sig)  # both run as leaders of their own group (start_new_session)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def launch(store: Store, name: str, plan: dict) -> int:
    """Write the plan and start the detached watcher. Returns the watcher's pid."""
    jd = store.job_dir(name)
    (jd / "system_logs").mkdir(parents=True, exist_ok=True)
    _write_json(jd / PLAN, plan)
    env = dict(os.environ)
    pkg_parent = str(Path(__file__).resolve().parents[2])  # so the watcher imports this same dp100lab
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_parent, env.get("PYTHONPATH")) if p)
    with open(jd / "system_logs" / "runner.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "dp100lab.workspace.jobs.runner", str(store.root), name],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                cwd=str(jd), start_new_session=True, close_fds=True)
    _record_pid(jd, "runner", proc.pid)
    return proc.pid


def _warm_mlflow() -> None:
    try:  # import while the script runs (2 cores): finalizing then costs no import time
        import mlflow.tracking  # noqa: F401
    except Exception:
        pass


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


def _copy_logged_models(mlc: Any, plan: dict) -> None:
    """MLflow 3 keeps a logged model under <experiment>/models/<id>/, not in the run's artifacts. A copy under the
    run's artifacts (<name>/) keeps azureml://jobs/<job>/outputs/artifacts/paths/<name>/ working as in the course."""
    import shutil

    from ..core.tracking import artifact_dir

    run_dir = artifact_dir(plan["artifact_uri"])
    models = mlc.search_logged_models(experiment_ids=[str(plan["experiment_id"])],
                                      filter_string=f"source_run_id = '{plan['run_id']}'")
    for m in models:
        src, dest = artifact_dir(m.artifact_location), run_dir / m.name
        if src.is_dir() and not dest.exists():
            shutil.copytree(src, dest)


def _upload(store: Store, plan: dict) -> None:
    """Azure uploads ./outputs and ./logs of the working folder and the user log to the job's artifacts."""
    from ..core.tracking import client

    run_id, wd, log_path = plan["run_id"], Path(plan["cwd"]), Path(plan["log"])
    mlc = client(store)
    _copy_logged_models(mlc, plan)
    for folder in ("outputs", "logs"):
        src = wd / folder
        if src.is_dir() and any(src.iterdir()):
            mlc.log_artifacts(run_id, str(src), folder)
    if log_path.exists():
        mlc.log_artifact(run_id, str(log_path), "user_logs")


def _finalize(store: Store, name: str, plan: dict, status: str, error: Optional[dict]) -> None:
    from ..core.tracking import finish_run

    store.update_job(name, status="Finalizing")
    try:
        _upload(store, plan)
    except Exception as e:  # the job's result still counts; say what was not uploaded
        print(f"could not upload outputs to the run's artifacts: {e!r}", flush=True)
    finish_run(store, plan["run_id"], status)
    store.update_job(name, status=status, error=json.dumps(error) if error else None)


def run(store: Store, name: str) -> str:
    jd = store.job_dir(name)
    plan = json.loads((jd / PLAN).read_text())
    row = store.get_job(name)
    if row is None or row["status"] in ("CancelRequested", "Canceled"):
        _finalize(store, name, plan, "Canceled", None)
        return "Canceled"
    log_path = Path(plan["log"])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(plan["env"])
    store.update_job(name, status="Running")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(plan["argv"], cwd=plan["cwd"], env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    _record_pid(jd, "script", proc.pid)

    def _forward(signum: int, _frame: Any) -> None:  # a watcher asked to stop takes its script with it
        try:
            os.killpg(proc.pid, signum)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGINT, _forward)
    warm = threading.Thread(target=_warm_mlflow, daemon=True)
    warm.start()
    rc = proc.wait()
    warm.join()
    if store.get_job(name)["status"] == "CancelRequested":
        status, error = "Canceled", None
    elif rc == 0:
        status, error = "Completed", None
    else:
        status = "Failed"
        error = {"code": "UserError", "message": failure_message(plan["command"], rc, log_path)}
    _finalize(store, name, plan, status, error)
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
            plan = json.loads((store.job_dir(name) / PLAN).read_text())
            from ..core.tracking import finish_run

            finish_run(store, plan["run_id"], "Failed")
        except Exception:
            traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
