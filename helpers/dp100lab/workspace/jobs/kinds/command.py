"""Command jobs: one script, run as a process in its own session, in a snapshot of the job's code.

The script's stdout and stderr go to user_logs/std_log.txt; MLflow variables point its logging at the job's run.
When it ends (or is canceled, or hits limits.timeout) everything it started is stopped, as Azure tears the
container down: the whole session, background children (`sleep 300 &`) included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Optional

from ...core import processes
from ..runner import failure_message

KIND = "command"
# The SDK and the submission helpers are imported inside to_job/prepare, which run in the submitting process:
# the runner only needs run(), and importing azure.ai.ml there cost every job (and sweep trial) seconds of CPU.


def to_job(entity: Any) -> Any:
    from azure.ai.ml.entities import Command

    from ... import _sdk
    from ..submit import copy_entity

    if isinstance(entity, Command):
        return copy_entity(_sdk.node_to_job(entity))  # builders do not deep-copy; the job they make does
    return copy_entity(entity)


def prepare(client: Any, job: Any, name: str, job_dir: Path) -> Any:
    """Resolve compute, environment, inputs, outputs and code of a command job (also used for sweep trials)."""
    from .. import prepare as resolve
    from ..submit import Prepared

    compute = resolve.check_compute(client, job.compute)
    env_entity = resolve.check_environment(client, job.environment)
    inputs = resolve.resolve_inputs(client, job)
    outputs = resolve.resolve_outputs(client.store, name, job)
    command = resolve.render_command(job.command, inputs, outputs)
    wd = job_dir / "wd"
    code_src = resolve.snapshot_code(job, wd)
    resolve.warn_packages(client, env_entity)
    resolve.note_unenforced(job)
    limits = getattr(job, "limits", None)
    timeout = getattr(limits, "timeout", None) if limits is not None else None
    env = {str(k): str(v) for k, v in (getattr(job, "environment_variables", None) or {}).items()}
    return Prepared(compute=compute, cwd=wd, command=command, argv=resolve.shell_argv(command), outputs=outputs,
                    env=env, timeout_s=float(timeout) if timeout else None,
                    code=str(wd) if code_src is not None else None)


def run(store: Any, plan: Any) -> tuple[str, Optional[dict]]:
    """Run the script; the job's status and error (Azure's wording) when it ends."""
    jd = store.job_dir(plan.name)
    env = dict(os.environ)
    env.update(plan.env)
    log_path = Path(plan.log)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(plan.argv, cwd=plan.cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    processes.record_pid(jd, "script", proc.pid)

    def _forward(signum: int, _frame: Any) -> None:  # a runner asked to stop takes its script with it
        processes.signal_group(proc.pid, signum)

    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGINT, _forward)
    timed_out = threading.Event()
    if plan.timeout_s:
        def _expire() -> None:
            if proc.poll() is None:
                timed_out.set()
                processes.stop_group(proc.pid, grace_s=5)
        timer = threading.Timer(plan.timeout_s, _expire)
        timer.daemon = True
        timer.start()
    started = time.monotonic()
    rc = proc.wait()
    left = processes.kill_session(proc.pid)  # background children of the script: Azure stops the container
    if left:
        with open(log_path, "a") as log:
            log.write(f"\n[dp100lab] stopped {left} process(es) the script left running, as Azure stops the "
                      f"container when the job ends.\n")
    if store.get_job(plan.name)["status"] == "CancelRequested":
        return "Canceled", None
    if timed_out.is_set():
        return "Failed", {"code": "JobTimeout", "message": (
            f"The job exceeded its limits.timeout of {plan.timeout_s:g} seconds and was canceled after "
            f"{time.monotonic() - started:.0f} s. Increase limits.timeout or make the script faster.")}
    if rc == 0:
        return "Completed", None
    return "Failed", {"code": "UserError", "message": failure_message(plan.command, rc, log_path)}
