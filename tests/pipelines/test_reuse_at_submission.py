"""Reuse is settled when an unchanged pipeline is submitted (kinds/pipeline.py submitted()): the reused steps are
Completed children as soon as create_or_update returns, and the pipeline's runner then needs neither the SDK nor
MLflow. A step that changed, and every step after it, is still the runner's."""
import subprocess
import sys

from azure.ai.ml import Input, load_component
from azure.ai.ml.dsl import pipeline

from pipeline_wait import wait_done


def _build():
    prep, train = load_component(source="./prep.yml"), load_component(source="./train.yml")

    @pipeline(compute="serverless")
    def two_steps(raw, rows=5):
        prepared = prep(raw_data=raw, rows=rows)
        trained = train(training_data=prepared.outputs.prepared)
        return {"model": trained.outputs.model_output}

    return two_steps


def _kids(ml_client, name):
    return {c.display_name: c for c in ml_client.jobs.list(parent_job_name=name)}


def test_an_unchanged_pipeline_is_reused_at_submission_and_its_runner_stays_light(ml_client, project, home, tmp_path):
    build = _build()
    first = wait_done(ml_client, ml_client.jobs.create_or_update(build(Input(type="uri_file", path="./raw.csv"))).name)
    assert first.status == "Completed"
    before = _kids(ml_client, first.name)

    again = ml_client.jobs.create_or_update(build(Input(type="uri_file", path="./raw.csv")))
    kids = _kids(ml_client, again.name)  # read before the runner could have done anything
    assert {n: (k.status, k.properties.get("azureml.isreused"), k.properties.get("azureml.reusedrunid"))
            for n, k in kids.items()} == {n: ("Completed", "true", k.name) for n, k in before.items()}
    done = wait_done(ml_client, again.name)
    assert done.status == "Completed"
    ml_client.jobs.download(again.name, output_name="model", download_path=tmp_path / "d")
    assert (tmp_path / "d/named-outputs/model/model.txt").read_text() == "model of 5 rows"
    log = (home / "jobs" / again.name / "user_logs/std_log.txt").read_text()
    assert "all 2 steps reused" in log and f"reused job {before['prepared'].name}" in log

    rerun = ("import sys\n"
             "from dp100lab.workspace.jobs import runner\n"
             f"assert runner.main([{str(home)!r}, {again.name!r}]) == 0\n"
             "print(sorted(m for m in sys.modules if m.startswith(('azure.ai.ml', 'mlflow'))))\n")
    out = subprocess.run([sys.executable, "-c", rerun], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert ml_client.jobs.get(again.name).status == "Completed"


def test_a_changed_step_and_what_follows_it_are_left_to_the_runner(ml_client, project):
    build = _build()
    first = wait_done(ml_client, ml_client.jobs.create_or_update(build(Input(type="uri_file", path="./raw.csv"))).name)
    assert first.status == "Completed"
    changed = ml_client.jobs.create_or_update(build(Input(type="uri_file", path="./raw.csv"), rows=7))
    assert _kids(ml_client, changed.name) == {}  # nothing settled: the first step's input changed
    done = wait_done(ml_client, changed.name)
    kids = _kids(ml_client, done.name)
    assert done.status == "Completed" and set(kids) == {"prepared", "trained"}
    assert all(k.properties.get("azureml.isreused") != "true" for k in kids.values())
