"""Starting monitor runs: the hook a MonitorSchedule's trigger calls, and an on-demand run for notebooks.

On Azure, `ml_client.schedules.begin_create_or_update(monitor_schedule)` creates the monitor and each trigger
(or `ml_client.schedules.trigger(name)`) starts one monitoring run. Locally `trigger(client, schedule)` is that
start; `run_monitor` is the notebook-friendly form (trigger once, wait, return the finished job).
"""

from __future__ import annotations

import time
from typing import Any

from ..core.store import TERMINAL_STATUSES


def trigger(client: Any, schedule: Any) -> str:
    """Start one monitoring run of a MonitorSchedule (or MonitorDefinition); returns the job name at once."""
    from ..jobs.submit import submit

    return submit(client, schedule)


def _is_local(client: Any) -> bool:
    return hasattr(client, "store")


def run_monitor(ml_client: Any, schedule: Any, *, wait: bool = True, timeout_s: float = 300) -> Any:
    """Run a monitor now and (by default) wait for it; returns the monitoring job (an azure.ai.ml Job).

    Local workspace: the run is submitted directly. Azure: the schedule is created or updated, then triggered
    once with ml_client.schedules.trigger (the service starts the monitoring pipeline)."""
    if not _is_local(ml_client):
        ml_client.schedules.begin_create_or_update(schedule).result()
        name = ml_client.schedules.trigger(schedule.name).job_name
    else:
        name = trigger(ml_client, schedule)
    if wait:
        from tqdm.auto import tqdm

        started = time.monotonic()
        with tqdm(total=None, desc=f"monitor {getattr(schedule, 'name', 'run')}", unit="s", leave=False) as bar:
            while ml_client.jobs.get(name).status not in TERMINAL_STATUSES:
                if time.monotonic() - started > timeout_s:
                    raise TimeoutError(f"Monitoring job {name} did not finish in {timeout_s:.0f} s; follow it with "
                                       f"ml_client.jobs.stream('{name}').")
                time.sleep(0.5)
                bar.update(0.5)
    return ml_client.jobs.get(name)
