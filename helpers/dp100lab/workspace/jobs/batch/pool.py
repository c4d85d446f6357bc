"""The worker pool of a batch scoring job: instance_count x max_concurrency_per_instance worker processes.

Each mini-batch is sent to a free worker; a mini-batch that raises, outlives retry_settings.timeout, or whose
worker dies (killed, out of memory) is retried up to retry_settings.max_retries times on a fresh worker, then
counted as failed (all its files). The caller decides after each result whether to go on (error_threshold).
stdlib threads + pipes: the standard pools cannot kill and replace one stuck worker without losing the rest.
"""

from __future__ import annotations

import json
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Optional

INIT_TIMEOUT_S = 600.0  # init() loads the model once per process; it is not bound by the mini-batch timeout
_DONE = None  # put on the queue once per worker when nothing is left (or the pool stops)
IDLE_POLL_S = 0.2  # an idle worker's wait for a task (a retry can still arrive), before it checks again


class Worker:
    def __init__(self, index: int, argv: list[str], env: dict, cwd: str):
        self.index, self.argv, self.env, self.cwd = index, argv, env, cwd
        self.proc: Optional[subprocess.Popen] = None
        self._eof = False  # the last read found the pipe closed: the process is exiting

    def start(self) -> Optional[str]:
        """Start and wait for init(); None when ready, else the init error text."""
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env,
                                     cwd=self.cwd, text=True, bufsize=1)
        reply = self.read(INIT_TIMEOUT_S)
        if reply and reply.get("ready"):
            return None
        self.kill()
        return (reply or {}).get("init_error") or "The worker process exited or hung during init()."

    def read(self, timeout_s: float) -> Optional[dict]:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        self._eof = False
        if not ready:
            return None
        line = self.proc.stdout.readline()
        self._eof = not line
        return json.loads(line) if line else None

    def exited(self) -> bool:
        """Whether the process has ended. Its closed pipe can be seen before the kernel reaps it, so a
        closed pipe waits a moment for the exit code instead of being taken for a hang."""
        try:
            self.proc.wait(timeout=5 if self._eof else 0)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
        self.proc = None


def run_pool(tasks: list[dict], *, workers: int, argv: Callable[[int], list[str]], env: dict, cwd: str,
             timeout_s: float, max_retries: int, on_result: Callable[[dict, Optional[dict], str], bool],
             log: Callable[[str], None], stop: Optional[threading.Event] = None) -> Optional[str]:
    """Score every task; on_result(task, answer|None, error_text) returns False to stop (threshold reached).
    Returns a fatal error (init() failed in every retry) or None."""
    todo: "queue.Queue[tuple[dict, int]]" = queue.Queue()
    for t in tasks:
        todo.put((t, 0))
    stop = stop or threading.Event()   # set by the caller on cancel, or here when on_result says stop
    fatal: list[str] = []
    remaining = [len(tasks)]
    lock = threading.Lock()

    def _finish(task: dict, answer: Optional[dict], err: str) -> None:
        with lock:  # one result at a time: the caller's tallies and log writes need no lock of their own
            remaining[0] -= 1
            if not on_result(task, answer, err):
                stop.set()
            if remaining[0] <= 0 or stop.is_set():  # wake every idle worker now, not at its next poll
                for _ in range(workers):
                    todo.put(_DONE)

    def _loop(index: int) -> None:
        w = Worker(index, argv(index), env, cwd)
        init_failures = 0
        while not stop.is_set():
            if w.proc is None:
                err = w.start()
                if err is not None:
                    init_failures += 1
                    log(f"worker {index}: init() failed ({init_failures}/{max_retries + 1}):\n{err}")
                    if init_failures > max_retries:
                        fatal.append(err)
                        stop.set()
                        return
                    continue
            try:
                item = todo.get(timeout=IDLE_POLL_S)
            except queue.Empty:
                with lock:
                    if remaining[0] <= 0:
                        break
                continue
            if item is _DONE:
                break
            task, attempt = item
            started = time.monotonic()
            w.proc.stdin.write(json.dumps(task) + "\n")
            w.proc.stdin.flush()
            answer = w.read(timeout_s)
            if answer is not None and answer.get("ok"):
                _finish(task, answer, "")
                continue
            if answer is None:  # no answer in time, or the process died: replace it, as Azure restarts it
                dead = w.exited()
                why = (f"worker process {index} died (exit {w.proc.returncode})" if dead else
                       f"timed out after {time.monotonic() - started:.0f} s (retry_settings.timeout={timeout_s:g})")
                w.kill()
            else:
                why = answer.get("summary") or answer.get("error", "run() raised")  # the traceback is in its log
            if attempt < max_retries:
                log(f"mini-batch {task['id']}: attempt {attempt + 1} failed ({why.strip().splitlines()[-1]}); "
                    f"retrying ({attempt + 1}/{max_retries}).")
                todo.put((task, attempt + 1))
            else:
                _finish(task, None, why)
        w.kill()

    threads = [threading.Thread(target=_loop, args=(i,), daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return fatal[0] if fatal else None


def process_name(index: int) -> str:
    """Worker `index`'s name in its log files, as Azure numbers a node's processes (process000, process001...)."""
    return f"process{index:03d}"


def worker_argv(script: str, parts: Path, logs: Path, level: str) -> Callable[[int], list[str]]:
    """The command of worker `index`; it writes its own logs under `logs` (see worker.py)."""
    def _argv(index: int) -> list[str]:
        return [sys.executable, "-m", "dp100lab.workspace.jobs.batch.worker", script, str(parts), str(logs),
                process_name(index), level]
    return _argv
