"""The detached runner of a command or batch job must not import azure.ai.ml: it costs every job (and every sweep
trial) seconds of CPU for nothing (bench/sweep_concurrency.py, bench/batch_scaling.py)."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("kind", ["command", "batch_scoring"])
def test_runner_dispatch_leaves_the_sdk_unimported(kind):
    code = ("import sys\n"
            "from dp100lab.workspace.jobs import kinds, runner\n"
            f"kinds.by_name({kind!r}).run\n"
            "print(sorted(m for m in sys.modules if m.startswith(('azure.ai.ml', 'mlflow'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_submitting_side_still_resolves_entities_to_kinds():
    from azure.ai.ml import command
    from azure.ai.ml.entities import CommandJob

    from dp100lab.workspace.jobs import kinds

    assert kinds.row_for(command(command="echo hi", environment="AzureML-sklearn-1.5@latest")).name == "command"
    assert kinds.row_for(CommandJob(command="echo hi")).name == "command"
    with pytest.raises(Exception, match="got a str"):
        kinds.row_for("not a job")


def test_a_whole_job_run_and_finalize_leave_the_sdk_and_mlflow_unimported(ml_client, src, wait_status, home):
    """Not only dispatch: running the script, uploading ./outputs and closing the MLflow run (tracking.artifact_dir
    once pulled azure.ai.ml in through core.uris) stay clear of the SDK, and of MLflow (jobs/finalize.py)."""
    from azure.ai.ml import command

    code = src("""
        import os, mlflow
        os.makedirs("outputs", exist_ok=True)
        open("outputs/a.txt", "w").write("x")
        mlflow.log_metric("m", 1.0)
    """)
    name = ml_client.jobs.create_or_update(command(code=code, command="python train.py",
                                                   environment="AzureML-sklearn-1.5@latest")).name
    assert wait_status(name, ("Completed", "Failed")) == "Completed"
    run_again = ("import sys\n"
                 "from dp100lab.workspace.jobs import runner\n"
                 f"assert runner.main([{str(home)!r}, {name!r}]) == 0\n"
                 "print(sorted(m for m in sys.modules if m.startswith(('azure.ai.ml', 'mlflow'))))\n")
    out = subprocess.run([sys.executable, "-c", run_again], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert ml_client.jobs.get(name).status == "Completed"
    run = ml_client.store.get_job(name)["run_id"]
    from dp100lab.workspace.core import tracking

    assert "outputs/a.txt" in {f.path for f in tracking.client(ml_client.store).list_artifacts(run, "outputs")}
