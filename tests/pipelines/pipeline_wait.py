"""Waiting for a pipeline job to end (a plain module: test files cannot import from conftest)."""
import time

TERMINAL = ("Completed", "Failed", "Canceled")


def wait_done(ml_client, name, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ml_client.jobs.get(name)
        if str(job.status) in TERMINAL:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {name} still {ml_client.jobs.get(name).status} after {timeout}s")
