"""A sweep node in a pipeline (how-to-use-sweep-in-pipeline): its trials get the trial component's defaults for the
inputs the node leaves unbound, as Azure's runtime fills them, and the step's job gets a generated name, so the same
pipeline submitted twice runs twice (the node's name is the step's, which a second run's job would repeat)."""
from pathlib import Path

from azure.ai.ml import Input, dsl, load_component
from azure.ai.ml.sweep import Choice

from pipeline_wait import wait_done

TUNE = """
name: tune_defaults
version: "1"
type: command
inputs:
  raw_data: {type: uri_file}
  c: {type: number, default: 1.0}
  offset: {type: integer, default: 3}
outputs:
  model_output: {type: uri_folder}
code: ./src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: python tune.py --c ${{inputs.c}} --offset ${{inputs.offset}} --out ${{outputs.model_output}}
"""
TUNE_PY = """
import argparse, pathlib, mlflow
p = argparse.ArgumentParser(); p.add_argument('--c', type=float); p.add_argument('--offset', type=int)
p.add_argument('--out'); a = p.parse_args()
mlflow.log_metric('score', a.c + a.offset)
pathlib.Path(a.out, 'offset.txt').write_text(str(a.offset))
"""


def test_sweep_step_fills_defaults_and_runs_again(ml_client, project):
    Path("src/tune.py").write_text(TUNE_PY)
    Path("tune.yml").write_text(TUNE)
    tune = load_component(source="tune.yml")

    @dsl.pipeline(default_compute="serverless")
    def p(raw):
        trial = tune(raw_data=raw, c=Choice([1.0, 2.0]))  # offset left unbound: its default applies
        sweep_step = trial.sweep(primary_metric="score", goal="maximize", sampling_algorithm="grid")
        sweep_step.set_limits(max_total_trials=2, max_concurrent_trials=2)

    steps = []
    for _ in range(2):
        done = wait_done(ml_client, ml_client.jobs.create_or_update(p(Input(type="uri_file", path="raw.csv"))).name,
                         timeout=600)
        assert done.status == "Completed", ml_client.store.get_job(done.name)["error"]
        (step,) = ml_client.jobs.list(parent_job_name=done.name)
        assert step.display_name == "sweep_step" and step.status == "Completed"
        steps.append(step.name)
    assert len(set(steps)) == 2 and "sweep_step" not in steps
    written = list(ml_client.store.root.rglob("offset.txt"))
    assert written and all(f.read_text() == "3" for f in written)
