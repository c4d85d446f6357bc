"""Components whose ports use the legacy 'path' type (still in many published component YAMLs) run in a pipeline:
the step receives the local file or folder, as Azure's runtime mounts it."""
from pathlib import Path

from azure.ai.ml import Input, load_component
from azure.ai.ml.dsl import pipeline

from pipeline_wait import wait_done

PREP = """
name: prep_legacy
version: "1"
type: command
inputs:
  raw_data:
    type: path
outputs:
  prepared:
    type: path
code: ./src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: python prep.py --raw ${{inputs.raw_data}} --rows 5 --out ${{outputs.prepared}}
"""
TRAIN = """
name: train_legacy
version: "1"
type: command
inputs:
  training_data:
    type: path
outputs:
  model_output:
    type: uri_folder
code: ./src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: python train.py --data ${{inputs.training_data}} --model ${{outputs.model_output}}
"""


def test_path_typed_ports_pass_data_between_steps(ml_client, project):
    Path("prep_legacy.yml").write_text(PREP)
    Path("train_legacy.yml").write_text(TRAIN)
    prep, train = load_component("prep_legacy.yml"), load_component("train_legacy.yml")

    @pipeline(default_compute="serverless")
    def legacy(raw):
        p = prep(raw_data=raw)
        t = train(training_data=p.outputs.prepared)
        return {"model": t.outputs.model_output}

    job = ml_client.jobs.create_or_update(legacy(raw=Input(type="uri_file", path=str(project / "raw.csv"))))
    done = wait_done(ml_client, job.name)
    steps = {c.display_name: c for c in ml_client.jobs.list(parent_job_name=job.name)}
    assert str(done.status) == "Completed", {k: v.status for k, v in steps.items()}
    model_dir = ml_client.store.job_dir(steps["t"].name)
    written = list(model_dir.rglob("model.txt")) or list(ml_client.store.root.rglob("model.txt"))
    assert written and written[0].read_text() == "model of 5 rows"
