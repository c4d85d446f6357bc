"""Suite-wide guards: tests never touch a learner's real store, plots never need a display, and no test hangs.

The watchdog: every test has a time budget (notebook tests too: each nbval cell, each notebook run). When it runs out,
the test fails with the notebook cell being executed, the elapsed time and the stacks of the kernel, of any job or
server process of this test run, and of pytest itself, and those processes are stopped; the suite goes on.
Budgets: DP100LAB_TEST_WATCHDOG seconds (default 600; 300 per nbval cell); 0 turns the watchdog off.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import matplotlib
import pytest

# Agg for this process only: an MPLBACKEND variable would reach notebook kernels and hide their figures.
matplotlib.use("Agg")

# A throwaway store for anything that does not make its own; set before any dp100lab import.
os.environ.setdefault("DP100LAB_HOME", tempfile.mkdtemp(prefix="dp100lab-test-home-"))
if os.environ.get("PYTEST_XDIST_WORKER"):  # `make test` runs two workers: each its own store, as solutions expect
    os.environ["DP100LAB_HOME"] = os.path.join(os.environ["DP100LAB_HOME"], os.environ["PYTEST_XDIST_WORKER"])
    os.makedirs(os.environ["DP100LAB_HOME"], exist_ok=True)
os.environ.setdefault("DP100LAB_BACKEND", "local")

WATCHDOG_S = float(os.environ.get("DP100LAB_TEST_WATCHDOG", "600"))
NBVAL_CELL_S = min(WATCHDOG_S, 300.0)
WAKE = signal.SIGUSR2  # not SIGALRM: code under test (the exam's check runner) uses that one for its own limits


def _budget(item) -> float:
    if item.config.getoption("timeout", None):  # pytest-timeout asked for explicitly: leave it to that plugin
        return 0
    marker = item.get_closest_marker("watchdog")
    if marker and marker.args:
        return float(marker.args[0])
    return NBVAL_CELL_S if type(item).__name__ == "IPyNbCell" else WATCHDOG_S


def _homes(config) -> set:
    """This run's stores: DP100LAB_HOME (each xdist worker's is under it) and pytest's temporary folder."""
    return {os.environ["DP100LAB_HOME"], str(config._tmp_path_factory.getbasetemp())}


def _test_processes(homes: set) -> list:
    """Our descendants (kernels, servers), plus detached processes (job runners, scripts) started since this pytest
    began whose DP100LAB_HOME is one of this run's stores; never an ancestor (a pytest that runs this pytest)."""
    import psutil

    me = psutil.Process()
    found = {p.pid: p for p in me.children(recursive=True)}
    skip = {me.pid, *(p.pid for p in me.parents())}
    for p in psutil.process_iter(["create_time"]):
        if p.pid in found or p.pid in skip or (p.info["create_time"] or 0) < me.create_time():
            continue
        try:
            home = p.environ().get("DP100LAB_HOME", "")
        except (psutil.Error, OSError):
            continue
        if home and any(home == h or home.startswith(h.rstrip("/") + "/") for h in homes):
            found[p.pid] = p
    return list(found.values())


def _stack(proc) -> str:
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    head = f"--- pid {proc.pid} ({proc.status()}): {' '.join(proc.cmdline())[:300]}"
    if spy and proc.status() != "zombie":
        try:
            out = subprocess.run([spy, "dump", "--pid", str(proc.pid)], capture_output=True, text=True, timeout=30)
            return f"{head}\n{out.stdout or out.stderr}"
        except (OSError, subprocess.SubprocessError) as exc:
            head += f"\n(py-spy failed: {exc})"
    threads = []
    for task in Path(f"/proc/{proc.pid}/task").glob("*"):  # without py-spy: what each thread waits on
        try:
            threads.append(f"  thread {task.name} {(task / 'comm').read_text().strip()}: {(task / 'wchan').read_text()}")
        except OSError:
            pass
    return "\n".join([head, "(py-spy not installed: kernel-level waits only)", *threads])


def _excerpt(source: str, n: int = 8) -> str:
    rows = source.strip().splitlines()
    return "\n".join(["    " + r for r in rows[:n]] + (["    ..."] if len(rows) > n else []))


def _report(item, budget: float, started: float, homes: set) -> str:
    from dp100lab.labs import execute  # imported late: conftest stays light

    lines = [f"WATCHDOG: {item.nodeid} still running after {time.monotonic() - started:.0f} s (budget {budget:.0f} s)"]
    running = dict(execute.RUNNING)
    if running:
        lines.append(f"notebook {running.get('notebook')}: cell {running.get('cell')} running for "
                     f"{time.monotonic() - running['since']:.0f} s:\n{_excerpt(running.get('source', ''))}")
    elif type(item).__name__ == "IPyNbCell":
        lines.append(f"nbval {item.name}:\n{_excerpt(item.cell.source)}")
    main = sys._current_frames().get(threading.main_thread().ident)
    lines.append("--- pytest main thread\n" + "".join(traceback.format_stack(main)[-12:]) if main else "")
    try:
        procs = _test_processes(homes)
    except Exception as exc:  # psutil missing or /proc unreadable: still fail with what we know
        procs, lines = [], lines + [f"(could not list processes: {exc!r})"]
    for proc in procs:
        try:
            lines.append(_stack(proc))
        except Exception as exc:
            lines.append(f"--- pid {proc.pid}: {exc!r}")
    for proc in procs:  # stop them, so the client's wait ends and nothing outlives the test
        try:
            os.killpg(proc.pid, signal.SIGKILL) if os.getpgid(proc.pid) == proc.pid else proc.kill()
        except (OSError, Exception):
            pass
    return "\n".join(lines)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    budget = _budget(item)
    if not budget or threading.current_thread() is not threading.main_thread():
        yield
        return
    started, done, report = time.monotonic(), threading.Event(), {}
    homes = _homes(item.config)

    def watch():
        if done.wait(budget):
            return
        report["text"] = _report(item, budget, started, homes)
        if not done.is_set():
            signal.pthread_kill(threading.main_thread().ident, WAKE)
        if not done.wait(30):  # the main thread is stuck outside Python: say why before anything else happens
            print("\n" + report["text"], file=sys.__stderr__, flush=True)

    def wake(signum, frame):
        pytest.fail(report.get("text", "watchdog"), pytrace=False)

    old = signal.signal(WAKE, wake)
    thread = threading.Thread(target=watch, name=f"watchdog {item.nodeid}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=60)
        signal.signal(WAKE, old)


def pytest_configure(config):
    config.addinivalue_line("markers", "watchdog(seconds): this test's time budget before the watchdog fails it")


@pytest.hookimpl(trylast=True)  # after xdist has shut its workers down
def pytest_sessionfinish(session, exitstatus):
    """Servers outlive kernels by design (a deployment serves until deleted or `dp100 reset`); a test run ends
    the ones it started in its own stores (the workers' included), so nothing it made keeps running after it."""
    if hasattr(session.config, "workerinput"):
        return
    try:
        procs = _test_processes(_homes(session.config))
    except Exception:  # noqa: BLE001 (psutil missing or /proc unreadable: nothing to sweep with)
        return
    for proc in procs:
        try:
            proc.kill()
        except Exception:  # noqa: BLE001 (already gone)
            pass
