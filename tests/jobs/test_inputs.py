"""Inputs of every kind become local paths or values in the command; bad references fail before anything runs."""
import pytest
import yaml
from azure.ai.ml import Input, Output, command, load_job
from azure.ai.ml.entities import Data, Environment
from azure.ai.ml.exceptions import ValidationException
from azure.core.exceptions import ResourceNotFoundError

SHOW = """
    import argparse, os, sys
    names = ["n", "x", "s", "file", "folder", "asset", "ds", "table", "prev"]
    p = argparse.ArgumentParser()
    for n in names:
        p.add_argument("--" + n)
    a = p.parse_args()
    for n in ["file", "folder", "asset", "ds", "table", "prev"]:
        v = getattr(a, n)
        print(n, "exists" if os.path.exists(v) else "MISSING", v)
    print("literals", a.n, a.x, a.s)
"""
WRITER = """
    import os, sys
    with open(os.path.join(sys.argv[1], "result.txt"), "w") as f:
        f.write("from the first job")
"""


def test_every_input_kind_resolves_to_a_local_path(ml_client, src, tmp_path, capsys):
    data = tmp_path / "data"
    (data / "table").mkdir(parents=True)
    (data / "one.csv").write_text("a\n1\n")
    (data / "table" / "MLTable").write_text(yaml.safe_dump({"paths": [{"file": "./t.csv"}],
                                                           "transformations": [{"read_delimited": {"delimiter": ","}}]}))
    (data / "table" / "t.csv").write_text("a\n1\n")
    ml_client.data.create_or_update(Data(name="diabetes", version="1", type="uri_file", path=str(data / "one.csv")))
    blob = ml_client.store.datastore_path("workspaceblobstore") / "raw"
    blob.mkdir(parents=True, exist_ok=True)
    (blob / "x.csv").write_text("x\n")

    first = ml_client.jobs.create_or_update(command(
        code=src(WRITER, "writer.py"), command="python writer.py ${{outputs.result}}",
        outputs={"result": Output(type="uri_folder")}, environment="AzureML-sklearn-1.5@latest"))
    ml_client.jobs.stream(first.name)

    job = command(
        code=src(SHOW), environment="AzureML-sklearn-1.5@latest",
        command=("python train.py --n ${{inputs.n}} --x ${{inputs.x}} --s ${{inputs.s}} --file ${{inputs.file}} "
                 "--folder ${{inputs.folder}} --asset ${{inputs.asset}} --ds ${{inputs.ds}} "
                 "--table ${{inputs.table}} --prev ${{inputs.prev}} $[[--missing ${{inputs.optional}}]]"),
        inputs={"n": 3, "x": 0.25, "s": "hello",
                "file": Input(type="uri_file", path=str(data / "one.csv")),
                "folder": Input(type="uri_folder", path=str(data)),
                "asset": Input(type="uri_file", path="azureml:diabetes:1"),
                "ds": Input(type="uri_folder", path="azureml://datastores/workspaceblobstore/paths/raw/"),
                "table": Input(type="mltable", path=str(data / "table")),
                "prev": Input(type="uri_folder", path=f"azureml://jobs/{first.name}/outputs/result")})
    returned = ml_client.jobs.create_or_update(job)
    capsys.readouterr()
    ml_client.jobs.stream(returned.name)
    out = capsys.readouterr().out
    assert "MISSING" not in out
    for n in ["file", "folder", "asset", "ds", "table", "prev"]:
        assert f"{n} exists" in out
    assert "literals 3 0.25 hello" in out
    assert ml_client.jobs.get(returned.name).status == "Completed"


def test_missing_local_input_names_the_input_and_path(ml_client):
    job = command(command="python train.py --data ${{inputs.training_data}}", environment="AzureML-sklearn-1.5@latest",
                  inputs={"training_data": Input(type="uri_file", path="./nowhere/data.csv")})
    with pytest.raises(ValidationException, match=r"training_data.*nowhere/data\.csv"):
        ml_client.jobs.create_or_update(job)
    assert ml_client.store.list_jobs() == []  # nothing half-submitted


def test_unknown_data_version_lists_the_versions(ml_client, tmp_path):
    (tmp_path / "d.csv").write_text("a\n")
    ml_client.data.create_or_update(Data(name="diabetes", version="1", type="uri_file", path=str(tmp_path / "d.csv")))
    job = command(command="python train.py --data ${{inputs.d}}", environment="AzureML-sklearn-1.5@latest",
                  inputs={"d": Input(type="uri_file", path="azureml:diabetes:7")})
    with pytest.raises(ResourceNotFoundError, match=r"diabetes.*7.*diabetes:1"):
        ml_client.jobs.create_or_update(job)


def test_unknown_environment_version_lists_the_versions(ml_client):
    ml_client.environments.create_or_update(Environment(name="sklearn-env", version="1",
                                                        image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"))
    job = command(command="echo hi", environment="azureml:sklearn-env:3")
    with pytest.raises(ResourceNotFoundError, match=r"sklearn-env.*'3'.*sklearn-env:1"):
        ml_client.jobs.create_or_update(job)


def test_environment_packages_missing_here_warn_in_one_line(ml_client, capsys):
    env = Environment(image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04",
                      conda_file={"dependencies": ["python=3.11", {"pip": ["scikit-learn", "no-such-package-xyz"]}]})
    returned = ml_client.jobs.create_or_update(command(command="echo hi", environment=env, timeout=60))
    out = capsys.readouterr().out.splitlines()
    warnings = [ln for ln in out if "not importable" in ln]
    assert len(warnings) == 1 and "no-such-package-xyz" in warnings[0] and "scikit-learn" not in warnings[0]
    assert any("limits.timeout=60s is recorded" in ln for ln in out)  # what Azure would do, in one line
    ml_client.jobs.stream(returned.name)
    assert ml_client.jobs.get(returned.name).status == "Completed"


def test_curated_environment_is_one_line_pinned_or_latest(ml_client, monkeypatch, capsys):
    from dp100lab.workspace.assets import environments
    from dp100lab.workspace.jobs import prepare

    monkeypatch.setattr(environments, "_stood_in", set())  # both notes are once per process: start clean
    monkeypatch.setattr(prepare, "_noted", set())
    for env in ("AzureML-sklearn-0.24-ubuntu18.04-py37-cpu:9", "AzureML-sklearn-1.5@latest"):
        ml_client.jobs.create_or_update(command(command="echo hi", environment=env))
        lines = [ln for ln in capsys.readouterr().out.splitlines() if "curated environment" in ln]
        assert len(lines) == 1 and "lab's Python" in lines[0], (env, lines)


def test_unknown_compute_fails_like_azure(ml_client):
    job = command(command="echo hi", environment="AzureML-sklearn-1.5@latest", compute="no-such-cluster")
    with pytest.raises(ResourceNotFoundError, match="Not found compute with name no-such-cluster"):
        ml_client.jobs.create_or_update(job)


def test_environment_is_required_as_on_azure(ml_client):
    with pytest.raises(ValidationException, match="environment is required"):
        ml_client.jobs.create_or_update(command(command="echo hi"))


def test_yaml_job_round_trip(ml_client, src, tmp_path, capsys):
    src("import sys; print('yaml job says', sys.argv[1])\n")
    (tmp_path / "project" / "job.yml").write_text(yaml.safe_dump({
        "$schema": "https://azuremlschemas.azureedge.net/latest/commandJob.schema.json",
        "type": "command", "code": "src", "command": "python train.py ${{inputs.word}}",
        "inputs": {"word": "hello"}, "environment": "azureml:AzureML-sklearn-1.5@latest",
        "experiment_name": "yaml-exp", "display_name": "from yaml"}))
    job = load_job(source="job.yml")
    returned = ml_client.jobs.create_or_update(job)
    assert returned.experiment_name == "yaml-exp" and returned.display_name == "from yaml"
    assert job.name is None  # the submitted object is left as it was, so it can be submitted again
    ml_client.jobs.stream(returned.name)
    assert "yaml job says hello" in capsys.readouterr().out
    fetched = ml_client.jobs.get(returned.name)
    assert fetched.status == "Completed" and fetched.command == "python train.py ${{inputs.word}}"


def test_job_types_that_need_azure_say_so_in_one_line(ml_client):
    from azure.ai.ml import spark
    from azure.ai.ml.exceptions import ValidationException

    job = spark(code=".", entry={"file": "main.py"}, driver_cores=1, driver_memory="2g", executor_cores=1,
                executor_memory="2g", executor_instances=1,
                resources={"instance_type": "standard_e4s_v3", "runtime_version": "3.4"})
    with pytest.raises(ValidationException, match="A spark job runs on Azure only: it needs serverless Spark"):
        ml_client.jobs.create_or_update(job)
    with pytest.raises(ValidationException, match="got a dict; the local workspace runs command job, sweep job"):
        ml_client.jobs.create_or_update({"type": "command"})
    assert list(ml_client.jobs.list()) == []  # nothing half-submitted
