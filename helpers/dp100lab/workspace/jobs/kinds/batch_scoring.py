"""Batch scoring jobs: what a batch endpoint invocation runs (ml_client.batch_endpoints.invoke).

The input's files (a uri_folder's top-level files, as Azure does not explore nested folders, or one uri_file) are
split into mini-batches of mini_batch_size and scored by instance_count x max_concurrency_per_instance worker
processes (jobs/batch/pool.py) with retry_settings and error_threshold (-1: any number of failed files is
allowed). append_row concatenates run()'s rows in mini-batch order into the `score` output's output_file_name;
summary_only writes no file. Logs are kept where Azure keeps them: logs/job_progress_overview.txt,
logs/job_result.txt, logs/job_error.txt and logs/user/entry_script_log/<instance>/process<N>.log.txt.
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

    jd = store.job_dir(plan.name)
    cfg = json.loads((jd / CONFIG).read_text())
    logs = jd / "user_logs" / "logs"
    entry_logs = logs / "user" / "entry_script_log" / "0"
    entry_logs.mkdir(parents=True, exist_ok=True)
    parts = jd / "parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir()
    files = _files(cfg["input"])
    size = max(1, int(cfg["mini_batch_size"]))
    tasks = [{"id": i, "files": files[s:s + size]} for i, s in enumerate(range(0, len(files), size))]
    workers = max(1, int(cfg["instance_count"]) * int(cfg["max_concurrency_per_instance"]))
    threshold = int(cfg["error_threshold"])
    std = open(plan.log, "a", buffering=1)
    std.write(f"Batch scoring: {len(files)} files in {len(tasks)} mini-batches of up to {size}, {workers} worker "
              f"process(es) ({cfg['instance_count']} instance(s) x {cfg['max_concurrency_per_instance']}), "
              f"error_threshold {threshold}, output_action {cfg['output_action']}.\n")
    if cfg.get("note"):
        std.write("[local] " + cfg["note"] + "\n")
    tally = {"done": 0, "failed_batches": 0, "failed_files": 0, "rows": 0, "stopped": False}
    bar = tqdm(total=len(tasks), file=std, ascii=True, mininterval=0.5, desc="mini-batches", unit="mb")
    errors = open(logs / "job_error.txt", "a")
    started = time.monotonic()

    def on_result(task: dict, answer: Optional[dict], err: str) -> bool:
        tally["done"] += 1
        if answer is None:
            tally["failed_batches"] += 1
            tally["failed_files"] += len(task["files"])
            errors.write(f"mini-batch {task['id']} ({len(task['files'])} files) failed after its retries:\n{err}\n")
            errors.flush()
        else:
            tally["rows"] += answer["rows"]
            tally["failed_files"] += answer.get("failed", 0)
        bar.update(1)
        (logs / "job_progress_overview.txt").write_text(
            f"{tally['done']} of {len(tasks)} mini-batches processed, {tally['failed_batches']} failed; "
            f"{tally['failed_files']} of {len(files)} files failed; elapsed {time.monotonic() - started:.1f} s\n")
        if threshold != -1 and tally["failed_files"] > threshold:
            tally["stopped"] = True
            return False
        return True

    stop = threading.Event()
    processes.record_pid(jd, "script", os.getpid())  # begin_cancel signals this group: the runner and its workers
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    env = processes.package_env({**plan.env, "AZUREML_MODEL_DIR": cfg.get("model_dir", "")})
    fatal = run_pool(tasks, workers=workers, argv=worker_argv(cfg["scoring_script"], parts, entry_logs,
                                                              cfg["logging_level"]),
                     env=env, cwd=cfg.get("code_dir") or str(jd), timeout_s=float(cfg["timeout"]),
                     max_retries=int(cfg["max_retries"]), on_result=on_result,
                     log=lambda m: std.write(m + "\n"), stop=stop)
    bar.close()
    errors.close()
    if cfg["output_action"] == "append_row" and not fatal:
        with open(Path(plan.outputs["score"]) / cfg["output_file_name"], "w") as out:
            for part in sorted(parts.glob("*.part")):
                out.write(part.read_text())
    summary = (f"{len(files) - tally['failed_files']} of {len(files)} files scored, {tally['failed_files']} failed; "
               f"{tally['rows']} rows written; {tally['failed_batches']} mini-batch(es) failed after retries.")
    (logs / "job_result.txt").write_text(summary + "\n")
    std.write(summary + "\n")
    std.close()
    if store.get_job(plan.name)["status"] == "CancelRequested":
        return "Canceled", None
    if fatal:
        return "Failed", {"code": "UserError", "message": f"The scoring script's init() failed in every attempt: "
                                                          f"{fatal.strip().splitlines()[-1]}. See "
                                                          f"logs/user/entry_script_log/0/."}
    if tally["stopped"]:
        return "Failed", {"code": "UserError", "message": (
            f"{tally['failed_files']} files failed, more than error_threshold ({threshold}); the job was stopped. "
            f"See logs/job_error.txt; raise error_threshold (-1 ignores all failures) or fix the inputs.")}
    return "Completed", None

