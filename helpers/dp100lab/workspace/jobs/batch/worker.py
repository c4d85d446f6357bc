"""One batch scoring worker process (Azure: one of max_concurrency_per_instance processes on each instance).

    python -m dp100lab.workspace.jobs.batch.worker <scoring_script or "mlflow"> <parts_dir> <log_file> <level>

Imports the scoring script, calls init() once, then for each task line on stdin ({"id", "files"}) calls
run(mini_batch) and writes the returned rows to <parts_dir>/<id>.part; answers one JSON line per task on the
protocol pipe. The script's own prints and logging go to this process's log, as Azure keeps one log per process.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import traceback


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


def main(argv: list[str]) -> None:
    script, parts, log_file, level = argv
    proto = os.fdopen(os.dup(1), "w", buffering=1)   # answers to the pool; fd 1/2 become the process log
    log_fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        module = _load(script)
        module.init()
    except BaseException:
        traceback.print_exc()
        proto.write(json.dumps({"init_error": traceback.format_exc(limit=8)}) + "\n")
        sys.exit(1)
    proto.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        task = json.loads(line)
        try:
            result = module.run(list(task["files"]))
            rows, ok = _rows(result)
            failed = len(getattr(result, "attrs", {}).get("failed_files", [])) if hasattr(result, "attrs") and \
                "failed_files" in result.attrs else max(0, len(task["files"]) - ok)
            tmp = os.path.join(parts, f"{task['id']:06d}.part.tmp")
            with open(tmp, "w") as f:
                f.write("".join(r + "\n" for r in rows))
            os.replace(tmp, tmp[:-4])
            answer = {"id": task["id"], "ok": True, "rows": len(rows), "failed": failed}
        except Exception:
            traceback.print_exc()
            answer = {"id": task["id"], "ok": False, "error": traceback.format_exc(limit=6)}
        proto.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
