"""A job is never left "Running" after its process died (kernel killed, machine restarted, runner crashed).

Checked when the jobs group is first used in a process (client start) and each time a job's status is read:
a non-terminal job whose watcher process is gone is marked Failed, its orphaned script (if any) is stopped,
and its MLflow run is closed as FAILED. Nothing else in the store is touched.
"""

from __future__ import annotations

import json
import signal
from datetime import datetime, timezone
from typing import Optional

from ..core.processes import kill_role as kill_group, role_alive as alive
from ..core.store import TERMINAL_STATUSES, Store

DIED = "the process running this job died (killed or the machine restarted); rerun it"
_LAUNCH_GRACE_S = 60  # a row without a watcher pid younger than this may be mid-submission in another process


def _age_seconds(ts: Optional[str]) -> float:
    try:
        return (datetime.now(timezone.utc) - datetime.fromisoformat(ts)).total_seconds()
    except (TypeError, ValueError):
        return float("inf")


def is_dead(store: Store, row: dict) -> bool:
    if row["status"] in TERMINAL_STATUSES:
        return False
    jd = store.job_dir(row["name"])
    if row.get("pid") is None:
        return _age_seconds(row.get("created_at")) > _LAUNCH_GRACE_S
    return not alive(jd, "runner")


def mark_dead(store: Store, row: dict) -> dict:
    jd = store.job_dir(row["name"])
    kill_group(jd, "script", signal.SIGKILL)  # an orphaned script would keep writing into a closed run
    error = {"code": "JobProcessDied", "message": f"Job '{row['name']}': {DIED}."}
    new = store.update_job(row["name"], status="Failed", error=json.dumps(error))
    if row.get("run_id"):
        try:
            from ..core.tracking import finish_run

            finish_run(store, row["run_id"], "Failed")
        except Exception:  # the registry is the source of truth; MLflow shows RUNNING until reopened
            pass
    return new


def check(store: Store, row: Optional[dict]) -> Optional[dict]:
    """The row, marked Failed first if its process died."""
    if row is not None and is_dead(store, row):
        return mark_dead(store, row)
    return row


def recover_dead_jobs(store: Store) -> list[str]:
    """Mark every dead non-terminal job Failed. Returns their names."""
    dead = [r for r in store.list_jobs() if is_dead(store, r)]
    for row in dead:
        mark_dead(store, row)
    return [r["name"] for r in dead]
