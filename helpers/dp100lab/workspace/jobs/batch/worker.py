"""One batch scoring worker process (Azure: one of max_concurrency_per_instance processes on each instance).

    python -m dp100lab.workspace.jobs.batch.worker <scoring_script or "mlflow"> <parts_dir> <logs_dir> <process> <level>

Imports the scoring script, calls init() once, then for each task line on stdin ({"id", "files"}) calls
run(mini_batch) and writes the returned rows to <parts_dir>/<id>.part; answers one JSON line per task on the
protocol pipe. Its logs go where Azure's troubleshooting page puts each process's (NODE stands in for the node's IP):
the script's prints and logging to logs/user/stdout/<node>/<process>.stdout.txt, tracebacks from init()/run() to
logs/user/error/<node>/<process>.txt, and a line per mini-batch picked up or finished to
logs/sys/node/<node>/<process>.txt.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import time
import traceback
from pathlib import Path

NODE = "127.0.0.1"  # the one local "node"; on Azure each node's folder is named by its IP address


def log_path(logs: Path, kind: str, process: str) -> Path:
    """Where a process's log of one kind lives: kind is "stdout", "error" or "node"."""
    folder, suffix = {"stdout": ("user/stdout", ".stdout.txt"), "error": ("user/error", ".txt"),
                      "node": ("sys/node", ".txt")}[kind]
    return Path(logs) / folder / NODE / f"{process}{suffix}"


def _load(script: str):
    if script == "mlflow":
        from . import mlflow_driver
        return mlflow_driver
    spec = importlib.util.spec_from_file_location("batch_score", script)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    spec.loader.exec_module(module)
    return module


def _rows(result) -> tuple[list[str], int]:
    """Text rows for append_row and the count of successful items, per Azure's contract: each returned element
    (a DataFrame row or a list item) is one successful run of an input item."""
    if hasattr(result, "to_csv"):
        text = result.to_csv(header=False, index=False)
        return text.splitlines(), len(result)
    items = list(result or [])
    return [str(x) for x in items], len(items)


def _opener(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "a", buffering=1)


def main(argv: list[str]) -> None:
    script, parts, logs, process, level = argv
    proto = os.fdopen(os.dup(1), "w", buffering=1)   # answers to the pool; fd 1/2 become the stdout log
    out = log_path(logs, "stdout", process)
    out.parent.mkdir(parents=True, exist_ok=True)
    log_fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    node = _opener(log_path(logs, "node", process))
    who = f"{NODE} pid {os.getpid()}"

    def error(where: str) -> str:  # the traceback, kept in this process's error log and sent to the pool
        text = traceback.format_exc(limit=8)
        with _opener(log_path(logs, "error", process)) as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {where} raised:\n{text}\n")
        return text

    try:
        module = _load(script)
        module.init()
    except BaseException:
        proto.write(json.dumps({"init_error": error("init()")}) + "\n")
        sys.exit(1)
    proto.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        task = json.loads(line)
        files = list(task["files"])
        node.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {who}: picked up mini-batch {task['id']}, {len(files)} "
                   f"item(s): {', '.join(os.path.basename(f) for f in files)}\n")
        started = time.monotonic()
        try:
            result = module.run(files)
            rows, ok = _rows(result)
            failed = len(getattr(result, "attrs", {}).get("failed_files", [])) if hasattr(result, "attrs") and \
                "failed_files" in result.attrs else max(0, len(files) - ok)
            tmp = os.path.join(parts, f"{task['id']:06d}.part.tmp")
            with open(tmp, "w") as f:
                f.write("".join(r + "\n" for r in rows))
            os.replace(tmp, tmp[:-4])
            answer = {"id": task["id"], "ok": True, "rows": len(rows), "failed": failed}
            outcome = f"{len(files) - failed} succeeded, {failed} failed, {len(rows)} row(s)"
        except Exception:
            # the exception's first line: a traceback's last line can be the tail of a multi-line message
            summary = traceback.format_exception_only(*sys.exc_info()[:2])[-1].strip().splitlines()[0]
            answer = {"id": task["id"], "ok": False, "error": error(f"run() on mini-batch {task['id']}"),
                      "summary": summary}
            outcome = f"run() raised {summary}"
        node.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {who}: finished mini-batch {task['id']} in "
                   f"{time.monotonic() - started:.2f} s: {outcome}\n")
        proto.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
