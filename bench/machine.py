"""What the machine could give a benchmark while it ran: load and the parallel speed-up two processes get.

On the shared 2-core machine other engineers' tests take cores at any time, so a concurrency ratio (2 workers vs
1) means little without knowing whether a second core was free. parallel_capacity() is the ratio a perfectly
parallel job would get: two units of a pure-Python loop run by two processes at once, over the same two units run
one after the other (twice the one-process time). About 0.5 when a second core is free, 1.0 when none is. A
concurrency benchmark's 2-vs-1 ratio cannot beat it.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_LOOP = "import math\nacc = 0.0\nfor i in range({n}):\n    acc += math.sin(i * 1.1)\n"


def _timed(processes: int, n: int) -> float:
    code = _LOOP.format(n=n)
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(processes)]
    for p in procs:
        p.wait()
    return time.perf_counter() - t


def parallel_capacity(n: int = 2_000_000, rounds: int = 3) -> float:
    """Two loops in 2 processes at once over two loops one after the other (0.5: a free second core; 1.0: none);
    the median of `rounds` alternating measurements, as other processes come and go."""
    return round(statistics.median(_timed(2, n) / (2 * _timed(1, n)) for _ in range(rounds)), 3)


def describe(capacity_before: float) -> dict:
    """The machine block of a result: cpus, load averages, the parallel capacity before and after the runs."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.system(),
            "load_average_1m_5m_15m": [round(x, 2) for x in os.getloadavg()],
            "parallel_capacity_before": capacity_before, "parallel_capacity_after": parallel_capacity(),
            "parallel_capacity_meaning": "2 CPU loops run by 2 processes at once / the same 2 loops one after the "
                                         "other (0.5 = a second core free, 1.0 = none); a 2-vs-1 ratio cannot "
                                         "beat it"}


@contextlib.contextmanager
def scratch(prefix: str):
    """A throwaway folder for one benchmark run, removed afterwards with the local servers (deployments, routers) that
    a workspace store under it started, and the working directory put back: a bench leaves nothing in /tmp."""
    cwd = os.getcwd()
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        os.chdir(cwd)
        from dp100lab.workspace.core import servers
        from dp100lab.workspace.core.store import Store

        for registry in work.rglob("registry.db"):  # each workspace store the bench made
            servers.stop_all(Store(registry.parent))
        shutil.rmtree(work, ignore_errors=True)
