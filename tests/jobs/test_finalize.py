"""The runner closes a job's MLflow run without MLflow (jobs/finalize.py): MLflow must read back exactly what
set_terminated and log_artifacts would have left, and anything the fast path does not expect goes through MLflow."""

import mlflow
import pytest
from azure.ai.ml import command

from dp100lab.workspace.core import tracking
from dp100lab.workspace.jobs import finalize
from dp100lab.workspace.jobs.plan import read_plan


def _job(ml_client, src, wait_status, body, status="Completed"):
    code = src(body)
    name = ml_client.jobs.create_or_update(command(code=code, command="python train.py",
                                                   environment="AzureML-sklearn-1.5@latest")).name
    assert wait_status(name, ("Completed", "Failed", "Canceled")) == status
    return name


def test_mlflow_reads_the_closed_run_outputs_logs_and_logged_model(ml_client, src, wait_status):
    name = _job(ml_client, src, wait_status, """
        import os, mlflow
        from sklearn.linear_model import LinearRegression
        os.makedirs("outputs", exist_ok=True)
        open("outputs/report.txt", "w").write("r")
        os.makedirs("logs/deep", exist_ok=True)
        open("logs/deep/x.log", "w").write("l")
        print("hello from the script")
        with mlflow.start_run():  # the job's run (MLFLOW_RUN_ID): the logged model's source run
            mlflow.sklearn.log_model(LinearRegression().fit([[0], [1]], [0, 1]), name="model")
    """)
    mlc = tracking.client(ml_client.store)
    run = mlc.get_run(ml_client.store.get_job(name)["run_id"])
    assert run.info.status == "FINISHED"
    assert run.info.end_time >= run.info.start_time
    assert {f.path for f in mlc.list_artifacts(run.info.run_id, "outputs")} == {"outputs/report.txt"}
    assert [f.path for f in mlc.list_artifacts(run.info.run_id, "logs/deep")] == ["logs/deep/x.log"]
    log = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="user_logs/std_log.txt",
                                              tracking_uri=ml_client.store.mlflow_tracking_uri)
    assert "hello from the script" in open(log).read()
    assert "model/MLmodel" in {f.path for f in mlc.list_artifacts(run.info.run_id, "model")}  # azureml://.../model


@pytest.mark.parametrize("job_status, run_status", [("Failed", "FAILED"), ("Canceled", "KILLED")])
def test_terminal_status_maps_as_mlflow_does(ml_client, src, wait_status, job_status, run_status):
    name = _job(ml_client, src, wait_status, "print('x')")
    plan = read_plan(ml_client.store.job_dir(name))
    assert finalize.terminate(ml_client.store, plan.run_id, job_status)
    assert tracking.client(ml_client.store).get_run(plan.run_id).info.status == run_status


def test_a_deleted_run_or_another_schema_is_left_to_mlflow(ml_client, src, wait_status, tmp_path):
    name = _job(ml_client, src, wait_status, "print('x')")
    plan = read_plan(ml_client.store.job_dir(name))
    tracking.delete_run(ml_client.store, plan.run_id)
    assert finalize.terminate(ml_client.store, plan.run_id, "Completed") is False  # MLflow raises its own error

    class NoMlflowDb:
        mlflow_db = tmp_path / "empty.db"  # no MLflow tables at all
    assert finalize.terminate(NoMlflowDb(), plan.run_id, "Completed") is False
    assert finalize.upload(NoMlflowDb(), plan) is False
    plan.artifact_uri = "mlflow-artifacts:/1/abc/artifacts"  # not a local folder: MLflow's repository uploads it
    assert finalize.upload(ml_client.store, plan) is False


def test_artifact_uri_with_a_space_is_decoded_like_mlflow():
    from mlflow.utils.file_utils import local_file_uri_to_path

    uri = "file:///tmp/my%20home/mlartifacts/1/abc/artifacts"
    assert str(finalize.local_path(uri)) == local_file_uri_to_path(uri) == "/tmp/my home/mlartifacts/1/abc/artifacts"
