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
