"""Batch endpoints, written as Microsoft's SDK v2 samples write them (how-to-use-batch-model-deployments):
a custom scoring script's init()/run(mini_batch), Azure's retry and error-threshold semantics, the score output,
and the logs where Azure's "Troubleshooting batch endpoints" page puts them (127.0.0.1 standing in for the node)."""
import time

import pytest
from azure.ai.ml import Input
from azure.ai.ml.constants import AssetTypes, BatchDeploymentOutputAction
from azure.ai.ml.entities import (AmlCompute, BatchEndpoint, BatchRetrySettings, CodeConfiguration, Environment,
                                  Model, ModelBatchDeployment, ModelBatchDeploymentSettings)
from azure.core.exceptions import HttpResponseError

EP = "tst-batch"
NODE = "127.0.0.1"


@pytest.fixture(scope="module")
def batch(workspace):
    ml_client, root = workspace
    ml_client.compute.begin_create_or_update(AmlCompute(name="batch-cluster", size="Standard_DS3_v2",
                                                        min_instances=0, max_instances=2)).result()
    model = ml_client.models.create_or_update(Model(name="batch-weights", path="weights"))
    ml_client.batch_endpoints.begin_create_or_update(BatchEndpoint(name=EP, description="test")).result()
    return ml_client, root, model


def _deploy(ml_client, model, name, code="batch_src", **settings):
    base = dict(mini_batch_size=1, instance_count=1, max_concurrency_per_instance=2, error_threshold=-1,
                output_action=BatchDeploymentOutputAction.APPEND_ROW, output_file_name="predictions.csv",
                retry_settings=BatchRetrySettings(max_retries=2, timeout=5), logging_level="info")
    base.update(settings)
    d = ModelBatchDeployment(name=name, endpoint_name=EP, model=model, compute="batch-cluster",
                             code_configuration=CodeConfiguration(code=code, scoring_script="batch_score.py"),
                             environment=Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04"),
                             settings=ModelBatchDeploymentSettings(**base))
    return ml_client.batch_deployments.begin_create_or_update(d).result()


def _files(root, name, contents):
    folder = root / name
    folder.mkdir(exist_ok=True)
    for i, text in enumerate(contents):
        (folder / f"f{i:02d}.txt").write_text(text)
    return folder


def _wait(ml_client, name, timeout=600):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        row = ml_client.store.get_job(name)
        if row["status"] in ("Completed", "Failed", "Canceled"):
            return row
        time.sleep(0.5)
    raise AssertionError(f"batch job {name} did not finish")


def test_no_default_deployment_is_refused(batch):
    ml_client, root, _ = batch
    with pytest.raises(HttpResponseError, match="no default deployment"):
        ml_client.batch_endpoints.invoke(endpoint_name=EP, input=Input(type=AssetTypes.URI_FOLDER, path=str(root)))


def test_malformed_file_counts_against_threshold_and_the_rest_is_scored(batch, tmp_path):
    ml_client, root, model = batch
    dep = _deploy(ml_client, model, "custom")
    assert isinstance(dep, ModelBatchDeployment) and dep.settings.mini_batch_size == 1
    ep = ml_client.batch_endpoints.get(EP)
    ep.defaults.deployment_name = "custom"
    ml_client.batch_endpoints.begin_create_or_update(ep).result()
    data = _files(root, "mixed", ["1 2", "3 4", "not numbers", "5 6", "7"])
    job = ml_client.batch_endpoints.invoke(endpoint_name=EP, input=Input(type=AssetTypes.URI_FOLDER, path=str(data)))
    row = _wait(ml_client, job.name)
    assert row["status"] == "Completed"
    assert ml_client.jobs.get(job.name).name == job.name
    ml_client.jobs.download(name=job.name, output_name="score", download_path=str(tmp_path))
    lines = (tmp_path / "named-outputs" / "score" / "predictions.csv").read_text().splitlines()
    assert lines == ["f00.txt,3.0", "f01.txt,7.0", "f03.txt,11.0", "f04.txt,7.0"]
    logs = ml_client.store.job_dir(job.name) / "user_logs" / "logs"
    overview = (logs / "job_progress_overview.txt").read_text()
    assert "5 mini-batches created, 5 processed, 1 failed" in overview
    assert "Job result: Completed. 4 of 5 files scored, 1 failed" in overview
    master = (logs / "sys" / "master_role.txt").read_text()
    assert "Batch scoring: 5 files in 5 mini-batches" in master and "Job result: Completed" in master
    assert "mini-batch 2 (f02.txt) failed after its retries: ValueError" in (logs / "user" / "error.txt").read_text()
    tracebacks = "".join(p.read_text() for p in (logs / "user" / "error" / NODE).glob("process*.txt"))
    assert "Traceback" in tracebacks and "could not convert string to float" in tracebacks
    node = "".join(p.read_text() for p in (logs / "sys" / "node" / NODE).glob("process*.txt"))
    assert "picked up mini-batch 0, 1 item(s): f00.txt" in node
    assert "finished mini-batch 0" in node and "1 succeeded, 0 failed, 1 row(s)" in node
    assert not (logs / "job_result.txt").exists() and not (logs / "job_error.txt").exists()
    assert job.name in [j.name for j in ml_client.batch_endpoints.list_jobs(EP)]


def test_error_threshold_stops_the_job(batch):
    ml_client, root, model = batch
    _deploy(ml_client, model, "strict", error_threshold=0, max_concurrency_per_instance=1)
    data = _files(root, "bad", ["x", "1", "2"])
    job = ml_client.batch_endpoints.invoke(endpoint_name=EP, deployment_name="strict",
                                           input=Input(type=AssetTypes.URI_FOLDER, path=str(data)))
    row = _wait(ml_client, job.name)
    assert row["status"] == "Failed" and "error_threshold" in row["error"]


def test_killed_worker_is_retried_and_timeouts_fail_after_retries(batch, tmp_path):
    ml_client, root, model = batch
    data = _files(root, "faults", ["1 1", "KILL 2", "SLEEP", "4 4"])
    (data / "f01.txt").write_text("KILL")  # the worker is SIGKILLed on this file's first attempt only
    _deploy(ml_client, model, "faulty", retry_settings=BatchRetrySettings(max_retries=1, timeout=3))
    job = ml_client.batch_endpoints.invoke(endpoint_name=EP, deployment_name="faulty",
                                           input=Input(type=AssetTypes.URI_FOLDER, path=str(data)))
    row = _wait(ml_client, job.name)
    assert row["status"] == "Completed"
    jd = ml_client.store.job_dir(job.name)
    log = (jd / "user_logs" / "std_log.txt").read_text()
    assert "died" in log and "timed out" in log
    logs = jd / "user_logs" / "logs"
    errors = (logs / "user" / "error.txt").read_text()
    assert "mini-batch 2 (f02.txt) failed after its retries: timed out" in errors  # the sleeping file, after its retry
    master = (logs / "sys" / "master_role.txt").read_text()
    assert "died" in master and "retrying" in master
    assert (logs / "user" / "stdout" / NODE / "process000.stdout.txt").exists()
    assert (logs / "sys" / "node" / NODE / "process000.txt").exists()


def test_init_failure_points_to_the_tracebacks(batch):
    ml_client, root, model = batch
    (root / "batch_broken").mkdir(exist_ok=True)
    (root / "batch_broken" / "batch_score.py").write_text(
        "def init():\n    print('loading the model')\n    raise RuntimeError('no model here')\n"
        "def run(mini_batch):\n    return mini_batch\n")
    _deploy(ml_client, model, "broken", code="batch_broken", max_concurrency_per_instance=1,
            retry_settings=BatchRetrySettings(max_retries=0, timeout=5))
    data = _files(root, "one", ["1"])
    job = ml_client.batch_endpoints.invoke(endpoint_name=EP, deployment_name="broken",
                                           input=Input(type=AssetTypes.URI_FOLDER, path=str(data)))
    row = _wait(ml_client, job.name)
    assert row["status"] == "Failed" and "no model here" in row["error"] and f"logs/user/error/{NODE}/" in row["error"]
    logs = ml_client.store.job_dir(job.name) / "user_logs" / "logs"
    assert "RuntimeError: no model here" in (logs / "user" / "error" / NODE / "process000.txt").read_text()
    assert "loading the model" in (logs / "user" / "stdout" / NODE / "process000.stdout.txt").read_text()
    assert "init() failed in every attempt" in (logs / "user" / "error.txt").read_text()
    assert "Error: The scoring script's init() failed" in (logs / "job_progress_overview.txt").read_text()


def test_summary_only_writes_no_predictions(batch, tmp_path):
    ml_client, root, model = batch
    _deploy(ml_client, model, "summary", output_action=BatchDeploymentOutputAction.SUMMARY_ONLY)
    data = _files(root, "ok", ["1", "2"])
    job = ml_client.batch_endpoints.invoke(endpoint_name=EP, deployment_name="summary",
                                           input=Input(type=AssetTypes.URI_FOLDER, path=str(data)))
    assert _wait(ml_client, job.name)["status"] == "Completed"
    ml_client.jobs.download(name=job.name, output_name="score", download_path=str(tmp_path))
    assert not list((tmp_path / "named-outputs" / "score").glob("*.csv"))


CUSTOM_OUTPUT_SCORE = '''
import os
from pathlib import Path
def init():
    global out
    out = os.environ["AZUREML_BI_OUTPUT_PATH"]
def run(mini_batch):
    for path in mini_batch:
        Path(out, Path(path).stem + ".upper").write_text(open(path).read().upper())
    return mini_batch
'''


def test_a_script_writes_its_own_outputs_to_the_bi_output_path(batch, tmp_path):
    # how-to-deploy-model-custom-output: the script finds the job's output folder in AZUREML_BI_OUTPUT_PATH
    ml_client, root, model = batch
    (root / "custom_src").mkdir(exist_ok=True)
    (root / "custom_src" / "batch_score.py").write_text(CUSTOM_OUTPUT_SCORE)
    _deploy(ml_client, model, "custom-out", code="custom_src",
            output_action=BatchDeploymentOutputAction.SUMMARY_ONLY)
    data = _files(root, "words", ["abc", "xyz"])
    job = ml_client.batch_endpoints.invoke(endpoint_name=EP, deployment_name="custom-out",
                                           input=Input(type=AssetTypes.URI_FOLDER, path=str(data)))
    assert _wait(ml_client, job.name)["status"] == "Completed"
    ml_client.jobs.download(name=job.name, output_name="score", download_path=str(tmp_path))
    out = tmp_path / "named-outputs" / "score"
    assert sorted(p.name for p in out.iterdir()) == ["f00.upper", "f01.upper"]
    assert (out / "f01.upper").read_text() == "XYZ"
    with pytest.raises(Exception, match="needs the data to score"):  # a model deployment has nothing to score
        ml_client.batch_endpoints.invoke(endpoint_name=EP, deployment_name="custom-out")


HELLO_PIPELINE = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json
name: tst_no_inputs
version: 1
type: pipeline
jobs:
  greet:
    type: command
    component:
      code: hello_src
      environment:
        image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04
      command: python hello.py
"""


def test_a_pipeline_deployment_without_inputs_is_invoked_without_any(batch):
    # BatchEndpointOperations.invoke sends no input data when given none; a pipeline that takes none then runs
    from azure.ai.ml import load_component
    from azure.ai.ml.entities import PipelineComponentBatchDeployment

    ml_client, root, _ = batch
    (root / "hello_src").mkdir(exist_ok=True)
    (root / "hello_src" / "hello.py").write_text("print('hello from the batch pipeline')\n")
    (root / "no_inputs.yml").write_text(HELLO_PIPELINE)
    component = load_component(source=str(root / "no_inputs.yml"))
    ml_client.batch_endpoints.begin_create_or_update(BatchEndpoint(name="tst-batch-pipe")).result()
    ml_client.batch_deployments.begin_create_or_update(PipelineComponentBatchDeployment(
        name="hello", endpoint_name="tst-batch-pipe", component=component,
        settings={"default_compute": "batch-cluster", "continue_on_step_failure": False})).result()
    job = ml_client.batch_endpoints.invoke(endpoint_name="tst-batch-pipe", deployment_name="hello")
    assert _wait(ml_client, job.name)["status"] == "Completed"
