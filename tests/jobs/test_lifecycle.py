"""A command job runs to Completed, logs into its own MLflow run, and its outputs and logs can be fetched."""
import re

import mlflow
from azure.ai.ml import Output, command
from azure.ai.ml.entities import Command

from dp100lab import studio
from dp100lab.workspace.core import uris


SCRIPT = """
    import argparse, os
    import mlflow
    p = argparse.ArgumentParser()
    p.add_argument("--alpha", type=float)
    p.add_argument("--model_dir")
    args = p.parse_args()
    with mlflow.start_run() as run:          # must attach to the job's run, as on Azure
        print("attached to", run.info.run_id)
        mlflow.log_param("alpha", args.alpha)
        mlflow.log_metric("accuracy", 0.875)
    print("greeting", os.environ["GREETING"], "run", os.environ["AZUREML_RUN_ID"])
    with open(os.path.join(args.model_dir, "weights.txt"), "w") as f:
        f.write("w=1")
    os.makedirs("outputs", exist_ok=True)
    with open("outputs/notes.txt", "w") as f:
        f.write("uploaded like ./outputs on Azure")
"""


def test_job_runs_to_completed_with_metrics_in_its_run(ml_client, src, tmp_path, capsys):
    job = command(code=src(SCRIPT), command="python train.py --alpha ${{inputs.alpha}} --model_dir ${{outputs.model}}",
                  inputs={"alpha": 0.5}, outputs={"model": Output(type="uri_folder")},
                  environment="AzureML-sklearn-1.5@latest", environment_variables={"GREETING": "hello"})
    returned = ml_client.jobs.create_or_update(job)

    assert isinstance(returned, Command)  # Azure returns the Command node type too
    assert re.fullmatch(r"[a-z]+_[a-z]+_[a-z0-9]{10}", returned.name)  # the SDK's generated-name shape
    assert returned.display_name == returned.name
    assert returned.experiment_name == "project"  # Azure's default: the current folder's name
    assert returned.status in ("Starting", "Running", "Finalizing", "Completed")
    assert returned.creation_context.created_at is not None
    run_id = ml_client.store.get_job(returned.name)["run_id"]
    assert returned.studio_url.startswith("http://127.0.0.1:5000/#/experiments/")
    assert returned.studio_url.endswith(f"/runs/{run_id}?{studio.VIEW}")  # MLflow's model-training view

    ml_client.jobs.stream(returned.name)
    out = capsys.readouterr().out
    assert f"RunId: {returned.name}" in out and "Execution Summary" in out
    assert f"attached to {run_id}" in out
    assert f"greeting hello run {returned.name}" in out

    fetched = ml_client.jobs.get(returned.name)
    assert fetched.status == "Completed"
    assert fetched.inputs["alpha"]._data == "0.5"  # literal inputs come back as strings, as from Azure

    mlflow.set_tracking_uri(ml_client.store.mlflow_tracking_uri)
    run = mlflow.get_run(run_id)
    assert run.data.metrics["accuracy"] == 0.875
    assert run.data.params["alpha"] == "0.5"
    assert run.info.status == "FINISHED"
    assert mlflow.get_experiment(run.info.experiment_id).name == "project"

    # azureml://jobs/<job>/outputs/... resolve to the job's folders (named output, and the run's artifacts)
    model = uris.resolve_path(ml_client, f"azureml://jobs/{returned.name}/outputs/model/paths/weights.txt")
    assert model.read_text() == "w=1"
    notes = uris.resolve_path(ml_client, f"azureml://jobs/{returned.name}/outputs/artifacts/paths/outputs/notes.txt")
    assert notes.read_text().startswith("uploaded")

    # download: default = logs and artifacts; output_name = one named output; all = both
    ml_client.jobs.download(returned.name, download_path=tmp_path / "d1")
    assert "greeting hello" in (tmp_path / "d1/artifacts/user_logs/std_log.txt").read_text()
    assert not (tmp_path / "d1/named-outputs").exists()
    ml_client.jobs.download(returned.name, download_path=tmp_path / "d2", output_name="model")
    assert (tmp_path / "d2/named-outputs/model/weights.txt").read_text() == "w=1"
    ml_client.jobs.download(returned.name, download_path=tmp_path / "d3", all=True)
    assert (tmp_path / "d3/named-outputs/model/weights.txt").exists()
    assert (tmp_path / "d3/artifacts/outputs/notes.txt").exists()

    # a fetched job sent back with new metadata is updated, not resubmitted (as azure-ai-ml does)
    fetched.display_name = "ridge baseline"
    fetched.tags = {"stage": "baseline"}
    updated = ml_client.jobs.create_or_update(fetched)
    assert updated.name == returned.name and updated.display_name == "ridge baseline"
    assert ml_client.jobs.get(returned.name).tags == {"stage": "baseline"}

    # list, archive, restore
    assert [j.name for j in ml_client.jobs.list()] == [returned.name]
    ml_client.jobs.archive(returned.name)
    assert list(ml_client.jobs.list()) == []
    from azure.ai.ml.constants import ListViewType
    assert [j.name for j in ml_client.jobs.list(list_view_type=ListViewType.ARCHIVED_ONLY)] == [returned.name]
    ml_client.jobs.restore(returned.name)
    assert [j.name for j in ml_client.jobs.list()] == [returned.name]


AUTOLOG = """
    import mlflow
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    mlflow.autolog()
    X, y = load_iris(return_X_y=True)
    LogisticRegression(max_iter=200).fit(X, y)
"""


def test_autolog_lands_in_the_job_run_and_model_resolves(ml_client, src):
    job = command(code=src(AUTOLOG), command="python train.py", environment="AzureML-sklearn-1.5@latest")
    returned = ml_client.jobs.create_or_update(job)
    ml_client.jobs.stream(returned.name)
    run_id = ml_client.store.get_job(returned.name)["run_id"]
    mlflow.set_tracking_uri(ml_client.store.mlflow_tracking_uri)
    run = mlflow.get_run(run_id)
    assert "training_accuracy_score" in run.data.metrics
    assert run.data.params["max_iter"] == "200"
    model_dir = uris.resolve_path(ml_client, f"azureml://jobs/{returned.name}/outputs/artifacts/paths/model/")
    assert (model_dir / "MLmodel").is_file()


def test_a_job_keeps_its_code_snapshot_when_the_source_is_edited_after_submission(ml_client, src, wait_status):
    """Azure uploads `code` at submission: editing the script afterwards (the next notebook cell) changes nothing
    for the job already submitted, and the next submission takes the new version."""
    from azure.ai.ml import command

    code = src("import time\ntime.sleep(2)\nprint('version one')\n")
    first = ml_client.jobs.create_or_update(command(code=code, command="python train.py",
                                                    environment="AzureML-sklearn-1.5@latest"))
    src("print('version two')\n")  # edited while the first job may still be starting
    second = ml_client.jobs.create_or_update(command(code=code, command="python train.py",
                                                     environment="AzureML-sklearn-1.5@latest"))
    for job in (first, second):
        assert wait_status(job.name, ("Completed", "Failed")) == "Completed"
    logs = {job.name: (ml_client.store.job_dir(job.name) / "user_logs" / "std_log.txt").read_text()
            for job in (first, second)}
    assert "version one" in logs[first.name] and "version two" not in logs[first.name]
    assert "version two" in logs[second.name]
