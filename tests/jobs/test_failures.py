"""Failed, canceled and killed jobs: status, error text, kept logs, and nothing else in the store harmed."""
import json
import os
import signal

import mlflow
import pytest
from azure.ai.ml import command
from azure.ai.ml.entities import Data
from azure.ai.ml.exceptions import JobException

from dp100lab.workspace.core import processes
from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.jobs.recovery import DIED

FAILING = """
    print("loading data")
    raise ValueError("the label column is missing")
"""
SLEEPER = """
    import time
    print("started", flush=True)
    time.sleep(120)
"""


def test_failing_script_marks_failed_keeps_log_and_stream_raises(ml_client, src, capsys):
    returned = ml_client.jobs.create_or_update(command(code=src(FAILING), command="python train.py",
                                                       environment="AzureML-sklearn-1.5@latest"))
    with pytest.raises(JobException) as info:
        ml_client.jobs.stream(returned.name)
    message = str(info.value)
    assert "exited with status code 1" in message
    assert "the label column is missing" in message  # the error itself, not just "failed"
    assert "loading data" in capsys.readouterr().out  # the log was streamed before the error
    assert ml_client.jobs.get(returned.name).status == "Failed"
    log = ml_client.store.job_dir(returned.name) / "user_logs" / "std_log.txt"
    assert "ValueError: the label column is missing" in log.read_text()
    mlflow.set_tracking_uri(ml_client.store.mlflow_tracking_uri)
    assert mlflow.get_run(ml_client.store.get_job(returned.name)["run_id"]).info.status == "FAILED"


def test_cancel_stops_the_process(ml_client, src, wait_status):
    returned = ml_client.jobs.create_or_update(command(code=src(SLEEPER), command="python train.py",
                                                       environment="AzureML-sklearn-1.5@latest"),
                                               experiment_name="waiting")
    assert returned.experiment_name == "waiting"
    wait_status(returned.name, ("Running",))
    jd = ml_client.store.job_dir(returned.name)
    _wait_file(jd / "user_logs" / "std_log.txt", "started")
    with pytest.raises(JobException, match="Download is allowed only in states"):
        ml_client.jobs.download(returned.name)
    poller = ml_client.jobs.begin_cancel(returned.name)
    poller.result()
    assert ml_client.jobs.get(returned.name).status == "Canceled"
    assert not processes.role_alive(jd, "script")
    mlflow.set_tracking_uri(ml_client.store.mlflow_tracking_uri)
    assert mlflow.get_run(ml_client.store.get_job(returned.name)["run_id"]).info.status == "KILLED"


def test_killed_script_is_failed_by_its_watcher(ml_client, src, wait_status):
    returned = ml_client.jobs.create_or_update(command(code=src(SLEEPER), command="python train.py",
                                                       environment="AzureML-sklearn-1.5@latest"))
    jd = ml_client.store.job_dir(returned.name)
    _wait_file(jd / "user_logs" / "std_log.txt", "started")
    pid = processes.read_pids(jd)["script"][0]
    os.kill(pid, signal.SIGKILL)
    assert wait_status(returned.name, ("Failed", "Completed", "Canceled")) == "Failed"
    error = json.loads(ml_client.store.get_job(returned.name)["error"])
    assert "SIGKILL" in error["message"]


def test_job_whose_processes_died_is_failed_on_next_start_and_nothing_else_changes(home, ml_client, src, tmp_path,
                                                                                  wait_status):
    (tmp_path / "d.csv").write_text("a,b\n1,2\n")
    ml_client.data.create_or_update(Data(name="diabetes", version="1", type="uri_file", path=str(tmp_path / "d.csv")))
    done = ml_client.jobs.create_or_update(command(command="echo finished", environment="AzureML-sklearn-1.5@latest"))
    ml_client.jobs.stream(done.name)
    victim = ml_client.jobs.create_or_update(command(code=src(SLEEPER), command="python train.py",
                                                     environment="AzureML-sklearn-1.5@latest"))
    jd = ml_client.store.job_dir(victim.name)
    _wait_file(jd / "user_logs" / "std_log.txt", "started")
    # the machine "restarts": watcher and script die together, nobody records anything
    processes.kill_role(jd, "runner", signal.SIGKILL)
    processes.kill_role(jd, "script", signal.SIGKILL)
    _wait_dead(jd)
    assert ml_client.store.get_job(victim.name)["status"] == "Running"  # stale until someone starts again

    fresh = LocalMLClient(home, hold=False)  # client start: recovery runs, before any job is looked at
    row = fresh.store.get_job(victim.name)
    assert row["status"] == "Failed"
    assert DIED in json.loads(row["error"])["message"]
    assert fresh.jobs.get(done.name).status == "Completed"
    assert fresh.data.get("diabetes", version="1").path
    mlflow.set_tracking_uri(fresh.store.mlflow_tracking_uri)
    assert mlflow.get_run(row["run_id"]).info.status == "FAILED"
    assert mlflow.get_run(fresh.store.get_job(done.name)["run_id"]).info.status == "FINISHED"
    assert "started" in (jd / "user_logs" / "std_log.txt").read_text()  # the log is kept


def _wait_file(path, text, timeout=120):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} never contained {text!r}")


def _wait_dead(jd, timeout=30):
    import time

    deadline = time.monotonic() + timeout
    while processes.role_alive(jd, "runner") or processes.role_alive(jd, "script"):
        assert time.monotonic() < deadline, "killed processes still alive"
        time.sleep(0.05)
