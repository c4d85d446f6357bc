"""Pipeline settings and node kinds beyond the defaults, as the SDK docs write them: continue_on_step_failure=False
cancels the running steps, a component with is_deterministic=False is never reused, and a sweep node built from a
command component runs its trials as children of the step (how-to-use-sweep-in-pipeline)."""
import json
from pathlib import Path

from azure.ai.ml import Input, dsl, load_component
from azure.ai.ml.sweep import Choice

from pipeline_wait import wait_done


def _children(ml_client, name):
    return {c.display_name: c for c in ml_client.jobs.list(parent_job_name=name)}


def _variant(name, script, body, extra=""):
    Path(f"src/{script}").write_text(body)
    Path(f"{name}.yml").write_text(Path("prep.yml").read_text().replace("name: prep_data", f"name: {name}")
                                   .replace("python prep.py", f"python {script}") + extra)
    return load_component(source=f"{name}.yml")


def test_continue_on_step_failure_false_cancels_the_running_steps(ml_client, project):
    boom = _variant("boom", "boom.py", "import time\ntime.sleep(2)\nraise SystemExit('step failed on purpose')\n")
    slow = _variant("slow", "slow.py", "import time\ntime.sleep(240)\n")

    @dsl.pipeline(default_compute="serverless")
    def p(raw):
        boom(raw_data=raw)
        slow(raw_data=raw)

    job = p(Input(type="uri_file", path="raw.csv"))
    job.settings.continue_on_step_failure = False
    done = wait_done(ml_client, ml_client.jobs.create_or_update(job).name, timeout=200)
    statuses = {n: k.status for n, k in _children(ml_client, done.name).items()}
    assert done.status == "Failed"
    assert statuses == {"boom": "Failed", "slow": "Canceled"}


def test_a_non_deterministic_component_is_never_reused(ml_client, project):
    stamp = _variant("stamp", "stamp.py", "import time\nprint(time.time())\n", extra="is_deterministic: false\n")
    assert stamp.is_deterministic is False

    @dsl.pipeline(default_compute="serverless")
    def p(raw):
        stamp(raw_data=raw)

    first = wait_done(ml_client, ml_client.jobs.create_or_update(p(Input(type="uri_file", path="raw.csv"))).name)
    second = wait_done(ml_client, ml_client.jobs.create_or_update(p(Input(type="uri_file", path="raw.csv"))).name)
    assert first.status == second.status == "Completed"
    kid = _children(ml_client, second.name)["stamp"]
    assert kid.properties.get("azureml.isreused") != "true" and "azureml.reusedrunid" not in kid.properties


def test_a_sweep_node_runs_its_trials_inside_the_pipeline(ml_client, project):
    Path("src/tune.py").write_text(
        "import argparse, mlflow\np = argparse.ArgumentParser(); p.add_argument('--raw'); "
        "p.add_argument('--c', type=float); p.add_argument('--out'); a = p.parse_args()\n"
        "mlflow.log_metric('score', -(a.c - 2) ** 2)\n")
    Path("tune.yml").write_text("""
name: tune_model
version: "1"
type: command
inputs:
  raw_data: {type: uri_file}
  c: {type: number, default: 1.0}
outputs:
  model_output: {type: uri_folder}
code: ./src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: python tune.py --raw ${{inputs.raw_data}} --c ${{inputs.c}} --out ${{outputs.model_output}}
""")
    tune = load_component(source="tune.yml")

    @dsl.pipeline(default_compute="serverless")
    def p(raw):
        trial = tune(raw_data=raw, c=Choice([1.0, 2.0, 4.0]))
        sweep_step = trial.sweep(primary_metric="score", goal="maximize", sampling_algorithm="grid")
        sweep_step.set_limits(max_total_trials=3, max_concurrent_trials=2)

    done = wait_done(ml_client, ml_client.jobs.create_or_update(p(Input(type="uri_file", path="raw.csv"))).name,
                     timeout=600)
    assert done.status == "Completed", ml_client.store.get_job(done.name)["error"]
    step = _children(ml_client, done.name)["sweep_step"]
    assert step.type == "sweep" and step.status == "Completed"
    trials = list(ml_client.jobs.list(parent_job_name=step.name))
    assert len(trials) == 3 and all(t.status == "Completed" for t in trials)
    best = ml_client.jobs.get(step.name).properties["best_child_run_id"]
    assert json.loads(ml_client.jobs.get(best).properties["hyperparameters"])["c"] == 2.0
