"""Batch scoring jobs: what a batch endpoint invocation runs (ml_client.batch_endpoints.invoke).

The input's files (a uri_folder's top-level files, as Azure does not explore nested folders, or one uri_file) are
split into mini-batches of mini_batch_size and scored by instance_count x max_concurrency_per_instance worker
processes (jobs/batch/pool.py) with retry_settings and error_threshold (-1: any number of failed files is allowed).
append_row concatenates run()'s rows in mini-batch order into the `score` output's output_file_name; summary_only
writes no file of its own. Either way a script may write its own files (custom outputs) to the folder named by
AZUREML_BI_OUTPUT_PATH, the `score` output, as on Azure. Logs follow the layout of Azure's "Troubleshooting batch
endpoints" page, under the job's user_logs/logs/: job_progress_overview.txt (progress, then the result or the error
and where to look), sys/master_role.txt (the orchestrator: mini-batches created, retries, results), user/error.txt
(a summary of the script's errors), and per worker process (jobs/batch/worker.py) user/error/<ip>/,
user/stdout/<ip>/ and sys/node/<ip>/, with 127.0.0.1 standing in for the node's IP address.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any, Optional

from ...core import processes

KIND = "batch_scoring"
CONFIG = "batch.json"
# No SDK import at module level: the runner process only calls run(), and azure.ai.ml costs seconds to import.


def to_job(entity: Any) -> Any:
    # built fresh by batch_endpoints.invoke, never the caller's object; PipelineJob's input dict cannot be deep-copied
    return entity


def prepare(client: Any, job: Any, name: str, job_dir: Path) -> Any:
    """batch_endpoints.invoke resolved everything into job.batch (a BatchScoringJob); keep it with the job and
    name the output."""
    from ..submit import Prepared

    out = job_dir / "outputs" / "score"
    out.mkdir(parents=True, exist_ok=True)
    (job_dir / CONFIG).write_text(json.dumps(job.batch, indent=1))
    return Prepared(compute=job.batch.get("compute") or "batch-cluster", cwd=job_dir / "wd",
                    outputs={"score": str(out)}, env=dict(job.batch.get("environment_variables") or {}),
                    command=f"batch scoring of {job.batch.get('input')}")


def _files(path: str) -> list[str]:
    p = Path(path)
    if p.is_file():
        return [str(p)]
    return sorted(str(f) for f in p.iterdir() if f.is_file() and not f.name.startswith("."))


def run(store: Any, plan: Any) -> tuple[str, Optional[dict]]:
    from tqdm import tqdm

    from ..batch.pool import run_pool, worker_argv
    from ..batch.worker import NODE

    jd = store.job_dir(plan.name)
    cfg = json.loads((jd / CONFIG).read_text())
    logs = jd / "user_logs" / "logs"
    (logs / "sys").mkdir(parents=True, exist_ok=True)
    (logs / "user").mkdir(parents=True, exist_ok=True)
    parts = jd / "parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir()
    files = _files(cfg["input"])
    size = max(1, int(cfg["mini_batch_size"]))
    tasks = [{"id": i, "files": files[s:s + size]} for i, s in enumerate(range(0, len(files), size))]
    workers = max(1, int(cfg["instance_count"]) * int(cfg["max_concurrency_per_instance"]))
    threshold = int(cfg["error_threshold"])
    std = open(plan.log, "a", buffering=1)
    master = open(logs / "sys" / "master_role.txt", "a", buffering=1)
    errors = open(logs / "user" / "error.txt", "a", buffering=1)

    def say(msg: str, to_std: bool = True) -> None:  # the orchestrator's view; the job's std_log gets the gist
        master.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {msg}\n")
        if to_std:
            std.write(msg + "\n")

    say(f"Batch scoring: {len(files)} files in {len(tasks)} mini-batches of up to {size}, {workers} worker "
        f"process(es) ({cfg['instance_count']} instance(s) x {cfg['max_concurrency_per_instance']}), "
        f"error_threshold {threshold}, output_action {cfg['output_action']}.")
    if cfg.get("note"):
        std.write("[local] " + cfg["note"] + "\n")
    std.write(f"[local] Logs in Azure's layout are under this job's user_logs/logs/ (job_progress_overview.txt, "
              f"sys/master_role.txt, user/error.txt, user/error/, user/stdout/, sys/node/); {NODE} stands in for "
              f"the node's IP address.\n")
    tally = {"done": 0, "failed_batches": 0, "failed_files": 0, "scored": 0, "rows": 0, "stopped": False}
    bar = tqdm(total=len(tasks), file=std, ascii=True, mininterval=0.5, desc="mini-batches", unit="mb")
    started = time.monotonic()

    def progress(result: str = "") -> None:
        (logs / "job_progress_overview.txt").write_text(
            f"{len(tasks)} mini-batches created, {tally['done']} processed, {tally['failed_batches']} failed; "
            f"{tally['failed_files']} of {len(files)} files failed; elapsed {time.monotonic() - started:.1f} s\n"
            + result)

    def on_result(task: dict, answer: Optional[dict], err: str) -> bool:
        tally["done"] += 1
        names = ", ".join(os.path.basename(f) for f in task["files"])
        if answer is None:
            tally["failed_batches"] += 1
            tally["failed_files"] += len(task["files"])
            why = err.strip().splitlines()[-1]
            errors.write(f"mini-batch {task['id']} ({names}) failed after its retries: {why}\n")
            say(f"mini-batch {task['id']}: failed after its retries ({why})", to_std=False)
        else:
            tally["rows"] += answer["rows"]
            tally["failed_files"] += answer.get("failed", 0)
            tally["scored"] += len(task["files"]) - answer.get("failed", 0)
            if answer.get("failed"):
                errors.write(f"mini-batch {task['id']} ({names}): run() returned {answer['failed']} of "
                             f"{len(task['files'])} item(s) as failed; the script's messages are in "
                             f"logs/user/stdout/{NODE}/\n")
            say(f"mini-batch {task['id']}: done, {answer['rows']} row(s), {answer.get('failed', 0)} failed file(s)",
                to_std=False)
        bar.update(1)
        progress()
        if threshold != -1 and tally["failed_files"] > threshold:
            tally["stopped"] = True
            return False
        return True

    stop = threading.Event()
    processes.record_pid(jd, "script", os.getpid())  # begin_cancel signals this group: the runner and its workers
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # AZUREML_BI_OUTPUT_PATH: the `score` output folder, where a script writes its own files (custom outputs)
    env = processes.package_env({**plan.env, "AZUREML_MODEL_DIR": cfg.get("model_dir", ""),
                                 "AZUREML_BI_OUTPUT_PATH": str(Path(plan.outputs["score"]).resolve())})
    fatal = run_pool(tasks, workers=workers, argv=worker_argv(cfg["scoring_script"], parts, logs,
                                                              cfg["logging_level"]),
                     env=env, cwd=cfg.get("code_dir") or str(jd), timeout_s=float(cfg["timeout"]),
                     max_retries=int(cfg["max_retries"]), on_result=on_result, log=say, stop=stop)
    bar.close()
    if cfg["output_action"] == "append_row" and not fatal:
        with open(Path(plan.outputs["score"]) / cfg["output_file_name"], "w") as out:
            for part in sorted(parts.glob("*.part")):
                out.write(part.read_text())
    summary = (f"{tally['scored']} of {len(files)} files scored, {tally['failed_files']} failed; "
               f"{tally['rows']} rows written; {tally['failed_batches']} mini-batch(es) failed after retries.")
    status, error = "Completed", None
    if store.get_job(plan.name)["status"] == "CancelRequested":
        status = "Canceled"
    elif fatal:
        why = fatal.strip().splitlines()[-1]
        errors.write(f"init() failed in every attempt: {why}\n")
        status, error = "Failed", {"code": "UserError", "message": (
            f"The scoring script's init() failed in every attempt: {why}. See the traceback in "
            f"logs/user/error/{NODE}/.")}
    elif tally["stopped"]:
        status, error = "Failed", {"code": "UserError", "message": (
            f"{tally['failed_files']} files failed, more than error_threshold ({threshold}); the job was stopped. "
            f"See logs/user/error.txt; raise error_threshold (-1 ignores all failures) or fix the inputs.")}
    result = f"Job result: {status}. {summary}" + (f"\nError: {error['message']}" if error else "")
    progress(result + "\n")
    std.write(summary + "\n")
    say(result, to_std=False)
    for f in (errors, master, std):
        f.close()
    return status, error
