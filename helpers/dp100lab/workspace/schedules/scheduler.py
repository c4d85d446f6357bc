"""The local scheduler process: fires enabled schedules when they are due (a job, or a monitor's monitoring run),
while the lab is open.

    python -m dp100lab.workspace.schedules.scheduler <store root>

Started on demand (an enabled schedule is created or enabled, or ml_client.schedules is opened while one exists),
recorded in the store as server "scheduler" (core/servers.py: `dp100 reset` stops it), one per store (a file lock),
listening on no port. It exits when no enabled schedule remains. A due time is fired when the scheduler sees it
within GRACE_S; due times older than that fell while nothing was running: they are listed in the schedule's
properties (dp100lab.missed_triggers), never fired in a burst, as Azure does not replay a schedule's past.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

from ..core import processes, servers
from ..core.store import Store
from . import triggers

NAME = "scheduler"
STATE = "schedule_state"   # registry rows written by the scheduler only: last check, next, fired, missed
GRACE_S = 60.0
MAX_SLEEP_S = 5.0


def ensure_running(store: Store) -> Optional[int]:
    """Start the scheduler unless it runs. Returns its pid."""
    srv = servers.get(store, NAME)
    if srv is not None and srv.alive:
        return srv.pid
    folder = store.root / "schedules"
    folder.mkdir(parents=True, exist_ok=True)
    pid = processes.spawn_detached([sys.executable, "-m", "dp100lab.workspace.schedules.scheduler", str(store.root)],
                                   log=folder / "scheduler.log", cwd=folder)
    servers.record(store, NAME, NAME, pid)
    return pid


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def fire(client: Any, schedule: Any, when: datetime, store: Store) -> str:
    """Start the schedule's work once for trigger time `when`: a monitor's monitoring run, or the job, named as
    Azure names triggered jobs (<schedule>-YYYYMMDDThhmmssZ). Returns the job name."""
    if getattr(schedule, "create_monitor", None) is not None:
        from . import monitor

        name = monitor.start_run(client, schedule, when)
    else:
        name = _submit_job(client, schedule, when)
    row = store.get(STATE, schedule.name)
    state = dict(row["spec"]) if row else {}
    state["jobs"] = (state.get("jobs", []) + [name])[-50:]
    store.put(STATE, schedule.name, None, state)
    return name


def _submit_job(client: Any, schedule: Any, when: datetime) -> str:
    job = schedule.create_job
    job.name = None
    job.display_name = f"{schedule.name}-{when.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"
    for key, value in (job.inputs or {}).items():  # ${{creation_context.trigger_time}} in string inputs
        data = getattr(value, "_data", value)
        if isinstance(data, str) and "${{creation_context.trigger_time}}" in data:
            job.inputs[key] = data.replace("${{creation_context.trigger_time}}", _iso(when))
    return client.jobs.create_or_update(job).name


def tick(store: Store, row: dict, now: datetime, submit: Callable[[datetime], str]) -> Optional[datetime]:
    """One check of one schedule at `now`: fire the due time seen in time, list the ones missed. Returns the
    next due time (None: the trigger has ended)."""
    from .. import _sdk

    rest = row["spec"]["rest"]
    with _sdk.quiet_experimental():
        trigger = _sdk.schedule_from_rest_dict({**rest, "properties": {**rest["properties"],
                                                                       "provisioningState": "Succeeded"}}).trigger
    created = _parse(row["spec"]["created"])
    state_row = store.get(STATE, row["name"])
    state = dict(state_row["spec"]) if state_row else {}
    last = _parse(state.get("last") or row["spec"]["created"])
    due = triggers.missed_between(trigger, last, now, created)
    if due:
        on_time = [t for t in due if (now - t).total_seconds() <= GRACE_S]
        missed = [t for t in due if (now - t).total_seconds() > GRACE_S]
        if missed:
            state["missed"] = (state.get("missed", []) + [_iso(t) for t in missed])[-50:]
        if on_time:
            try:
                submit(on_time[-1])
            except Exception as e:  # the schedule stays; the next trigger tries again
                state["errors"] = (state.get("errors", []) + [f"{_iso(on_time[-1])}: {e}"])[-10:]
            fresh = store.get(STATE, row["name"])  # fire() appended the job
            state["jobs"] = (fresh["spec"] if fresh else {}).get("jobs", state.get("jobs", []))
    nxt = triggers.next_time(trigger, now, created)
    if due:
        state["last"] = now.isoformat()
    state["next"] = _iso(nxt) if nxt else ""
    store.put(STATE, row["name"], None, state)
    return nxt


def main(root: str) -> int:
    store = Store(root)
    lock = open(store.root / "schedules" / "scheduler.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another scheduler serves this store
    servers.record(store, NAME, NAME, os.getpid())
    client = None
    while True:
        rows = [r for r in store.list("schedule") if r["spec"]["enabled"]]
        now = datetime.now(timezone.utc)
        wake = now + timedelta(seconds=MAX_SLEEP_S)
        active = 0
        for row in rows:
            try:
                if client is None:
                    from ..client import LocalMLClient
                    client = LocalMLClient(store.root, hold=False, set_mlflow=False)
                nxt = tick(store, row, now,
                           lambda t, n=row["name"]: fire(client, client.schedules.get(n), t, store))
            except Exception:
                traceback.print_exc()
                nxt = now + timedelta(seconds=MAX_SLEEP_S)
            if nxt is not None:
                active += 1
                wake = min(wake, nxt)
        if not active:
            srv = servers.get(store, NAME)
            if srv is not None and srv.pid == os.getpid():
                servers.forget(store, NAME)
            print(f"{datetime.now(timezone.utc).isoformat()} no enabled schedule remains: scheduler exits", flush=True)
            return 0
        time.sleep(max(0.2, min(MAX_SLEEP_S, (wake - datetime.now(timezone.utc)).total_seconds() + 0.05)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
