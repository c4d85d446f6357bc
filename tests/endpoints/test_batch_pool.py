"""The batch worker pool tells a worker that died from one that hung, even when the pipe closes first."""
import sys

from dp100lab.workspace.jobs.batch.pool import run_pool

# ready at once; on a task, close stdout, then exit a moment later (as a killed process is reaped late)
WORKER = r'''
import json, os, sys, time
print(json.dumps({"ready": True}), flush=True)
sys.stdin.readline()
os.close(1)
time.sleep(1.0)
sys.exit(3)
'''


def test_a_worker_whose_pipe_closes_before_it_exits_is_reported_dead_not_timed_out(tmp_path):
    lines, results = [], []
    run_pool([{"id": 0}], workers=1, argv=lambda i: [sys.executable, "-c", WORKER], env=None, cwd=str(tmp_path),
             timeout_s=30, max_retries=1, on_result=lambda t, a, e: results.append(e) or True, log=lines.append)
    assert "worker process 0 died (exit 3)" in lines[0]
    assert "died (exit 3)" in results[0]


ECHO = r'''
import json, sys
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    print(json.dumps({"ok": True, "rows": 1}), flush=True)
'''


def test_idle_workers_are_woken_when_the_last_result_is_in(tmp_path, monkeypatch):
    """The pool ends when the last mini-batch is done, not when each idle worker next polls the queue (that poll
    was 0.2 s at the end of every batch job): with the poll made an hour long, run_pool must still return."""
    import threading

    from dp100lab.workspace.jobs.batch import pool

    monkeypatch.setattr(pool, "IDLE_POLL_S", 3600.0)
    results = []
    done = threading.Thread(target=run_pool, daemon=True, kwargs=dict(
        tasks=[{"id": i} for i in range(3)], workers=2, argv=lambda i: [sys.executable, "-c", ECHO], env=None,
        cwd=str(tmp_path), timeout_s=30, max_retries=0, on_result=lambda t, a, e: results.append(t["id"]) or True,
        log=print))
    done.start()
    done.join(timeout=120)  # a hang guard, not a timing: without the wake-up this waits an hour
    assert not done.is_alive() and sorted(results) == [0, 1, 2]
