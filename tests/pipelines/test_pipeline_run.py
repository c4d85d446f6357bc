"""Pipelines run as on Azure: Microsoft-style code unchanged, child jobs, outputs, reuse, failures, killed steps."""
import json
import os
import signal
import time
from pathlib import Path

from azure.ai.ml import Input, Output, dsl, load_component, load_job

from pipeline_wait import wait_done


def _pipeline():
    # written from the SDK docs' pattern (how-to-create-component-pipelines-python): load, decorate, wire outputs
    prep_data = load_component(source="./prep.yml")
    train_model = load_component(source="./train.yml")

    @dsl.pipeline(compute="serverless", description="prep then train")
    def two_step_pipeline(pipeline_input_data, rows=5):
        prep_node = prep_data(raw_data=pipeline_input_data, rows=rows)
        train_node = train_model(training_data=prep_node.outputs.prepared)
        return {"pipeline_job_trained_model": train_node.outputs.model_output}

    return two_step_pipeline


def _children(ml_client, name):
    return {c.display_name: c for c in ml_client.jobs.list(parent_job_name=name)}


def test_pipeline_runs_steps_as_children_and_reuses_unchanged_ones(ml_client, project, tmp_path):
    build = _pipeline()
    first = ml_client.jobs.create_or_update(build(Input(type="uri_file", path="./raw.csv")), experiment_name="pl")
    assert type(first).__name__ == "PipelineJob"
    first = wait_done(ml_client, first.name)
    assert first.status == "Completed"
    kids = _children(ml_client, first.name)
    assert set(kids) == {"prep_node", "train_node"} and all(k.status == "Completed" for k in kids.values())
    assert all(k.properties.get("azureml.isreused") != "true" for k in kids.values())
    ml_client.jobs.download(first.name, output_name="pipeline_job_trained_model", download_path=tmp_path / "d1")
    assert (tmp_path / "d1/named-outputs/pipeline_job_trained_model/model.txt").read_text() == "model of 5 rows"
    # the step output is also an azureml://jobs/<step>/outputs/<o> URI
    from dp100lab.workspace.core import uris
    folder = uris.resolve_path(ml_client, f"azureml://jobs/{kids['prep_node'].name}/outputs/prepared")
    assert len((folder / "rows.txt").read_text().splitlines()) == 5

    second = wait_done(ml_client, ml_client.jobs.create_or_update(build(Input(type="uri_file", path="./raw.csv"))).name)
    kids2 = _children(ml_client, second.name)
    assert second.status == "Completed"
    assert {n: k.properties.get("azureml.reusedrunid") for n, k in kids2.items()} == \
        {n: k.name for n, k in kids.items()}  # each reused step points at the run it reuses
    ml_client.jobs.download(second.name, output_name="pipeline_job_trained_model", download_path=tmp_path / "d2")
    assert (tmp_path / "d2/named-outputs/pipeline_job_trained_model/model.txt").read_text() == "model of 5 rows"

    changed = wait_done(ml_client, ml_client.jobs.create_or_update(build(Input(type="uri_file", path="./raw.csv"),
                                                                           rows=7)).name)
    kids3 = _children(ml_client, changed.name)
    assert all(k.properties.get("azureml.isreused") != "true" for k in kids3.values())  # input changed: both rerun

    forced = build(Input(type="uri_file", path="./raw.csv"))
    forced.settings.force_rerun = True
    forced = wait_done(ml_client, ml_client.jobs.create_or_update(forced).name)
    assert all(k.properties.get("azureml.isreused") != "true" for k in _children(ml_client, forced.name).values())


def test_failed_step_fails_the_pipeline_and_independent_steps_continue(ml_client, project):
    Path("src/boom.py").write_text("raise SystemExit('step failed on purpose')")
    Path("boom.yml").write_text(Path("prep.yml").read_text().replace("name: prep_data", "name: boom")
                                .replace("python prep.py", "python boom.py"))
    prep_data, boom = load_component(source="prep.yml"), load_component(source="boom.yml")

    @dsl.pipeline(default_compute="serverless")
    def p(raw):
        boom(raw_data=raw)
        prep_data(raw_data=raw)

    job = wait_done(ml_client, ml_client.jobs.create_or_update(p(Input(type="uri_file", path="raw.csv"))).name)
    assert job.status == "Failed"
    kids = _children(ml_client, job.name)
    statuses = {n: k.status for n, k in kids.items()}
    assert sorted(statuses.values()) == ["Completed", "Failed"]  # continue_on_step_failure defaults to True
    err = json.loads(ml_client.store.get_job(job.name)["error"])["message"]
    assert "step" in err and "failed" in err


def test_yaml_pipeline_with_step_killed_midrun(ml_client, project):
    Path("src/slow.py").write_text("import time\ntime.sleep(120)\n")
    Path("slow.yml").write_text(Path("prep.yml").read_text().replace("name: prep_data", "name: slow")
                                .replace("python prep.py", "python slow.py"))
    Path("p.yml").write_text("""
type: pipeline
settings:
  default_compute: serverless
inputs:
  raw: {type: uri_file, path: ./raw.csv}
jobs:
  slow_step: {type: command, component: ./slow.yml, inputs: {raw_data: "${{parent.inputs.raw}}"}}
  fast_step: {type: command, component: ./prep.yml, inputs: {raw_data: "${{parent.inputs.raw}}"}}
""")
    job = ml_client.jobs.create_or_update(load_job(source="p.yml"))
    from dp100lab.workspace.core import processes
    deadline = time.monotonic() + 240
    pid = None
    while time.monotonic() < deadline and pid is None:
        kids = _children(ml_client, job.name)
        if "slow_step" in kids:
            pid = (processes.read_pids(ml_client.store.job_dir(kids["slow_step"].name)).get("script") or [None])[0]
        time.sleep(0.3)
    assert pid, "the slow step never started its script"
    os.kill(pid, signal.SIGKILL)
    job = wait_done(ml_client, job.name)
    kids = _children(ml_client, job.name)
    assert job.status == "Failed"
    assert kids["slow_step"].status == "Failed" and kids["fast_step"].status == "Completed"


def test_nested_pipeline_component_runs_as_a_child_pipeline(ml_client, project, tmp_path):
    prep_data, train_model = load_component(source="prep.yml"), load_component(source="train.yml")

    @dsl.pipeline()
    def inner(data: Input):  # a pipeline component's inputs need a type, as the SDK checks
        t = train_model(training_data=data)
        return {"model": t.outputs.model_output}

    @dsl.pipeline(default_compute="serverless")
    def outer(raw):
        prep = prep_data(raw_data=raw)
        sub = inner(data=prep.outputs.prepared)
        return {"final": sub.outputs.model}

    job = wait_done(ml_client, ml_client.jobs.create_or_update(outer(Input(type="uri_file", path="raw.csv"))).name)
    assert job.status == "Completed"
    kids = _children(ml_client, job.name)
    assert type(kids["sub"]).__name__ == "PipelineJob"
    assert [c.display_name for c in ml_client.jobs.list(parent_job_name=kids["sub"].name)] == ["t"]
    ml_client.jobs.download(job.name, output_name="final", download_path=tmp_path / "n")
    assert (tmp_path / "n/named-outputs/final/model.txt").read_text() == "model of 5 rows"
