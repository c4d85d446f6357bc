"""run_monitor: Microsoft's two calls and a wait, for scripts that want the finished monitoring job in one line.

On Azure and locally alike, `ml_client.schedules.begin_create_or_update(monitor_schedule)` creates (or updates) the
monitor and `ml_client.schedules.trigger(name)` starts one monitoring run; this helper makes exactly those calls
(the local workspace runs them in schedules/), then waits for the run. Notebooks teach the two calls themselves.
"""

from __future__ import annotations

import time
from typing import Any

from ..core.store import TERMINAL_STATUSES


def run_monitor(ml_client: Any, schedule: Any, *, wait: bool = True, timeout_s: float = 300) -> Any:
    """Create or update `schedule` (a MonitorSchedule), trigger it once and (by default) wait for the run; returns
    the monitoring job (an azure.ai.ml Job)."""
    ml_client.schedules.begin_create_or_update(schedule).result()
    name = ml_client.schedules.trigger(schedule.name).job_name
    started = time.monotonic()
    while wait and str(ml_client.jobs.get(name).status) not in TERMINAL_STATUSES:
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"Monitoring job {name} did not finish in {timeout_s:.0f} s; follow it with "
                               f"ml_client.jobs.stream('{name}').")
        time.sleep(0.5)
    return ml_client.jobs.get(name)
