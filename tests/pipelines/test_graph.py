"""Pipelines refused at submission: a consumed output that does not exist, an unknown step, a cycle. Nothing runs."""
from pathlib import Path

import pytest
from azure.ai.ml import Input, dsl, load_component, load_job
from azure.ai.ml.exceptions import ValidationException

YAML = """
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
settings:
  default_compute: serverless
inputs:
  raw:
    type: uri_file
    path: ./raw.csv
jobs:
  a:
    type: command
    component: ./prep.yml
    inputs:
      raw_data: {a_input}
  b:
    type: command
    component: ./train.yml
    inputs:
      training_data: {b_input}
"""


def _yaml(a_input, b_input):
    Path("p.yml").write_text(YAML.format(a_input=a_input, b_input=b_input))
    return load_job(source="p.yml")


def test_missing_output_is_refused_naming_the_outputs(ml_client, project):
    job = _yaml("${{parent.inputs.raw}}", "${{parent.jobs.a.outputs.prepared_data}}")
    with pytest.raises(ValidationException, match=r"output 'prepared_data' of step 'a'.*outputs: prepared"):
        ml_client.jobs.create_or_update(job)
    assert list(ml_client.jobs.list()) == []  # nothing was started or left behind


def test_unknown_step_is_refused(ml_client, project):
    job = _yaml("${{parent.inputs.raw}}", "${{parent.jobs.prepare.outputs.prepared}}")
    with pytest.raises(ValidationException, match="no step 'prepare'"):
        ml_client.jobs.create_or_update(job)


def test_cycle_is_refused_naming_the_steps(ml_client, project):
    Path("prep2.yml").write_text(Path("prep.yml").read_text().replace("type: uri_file", "type: uri_folder"))
    Path("p.yml").write_text(YAML.format(a_input="${{parent.jobs.b.outputs.model_output}}",
                                         b_input="${{parent.jobs.a.outputs.prepared}}").replace("./prep.yml", "./prep2.yml"))
    with pytest.raises(ValidationException, match=r"cycle: (a -> b -> a|b -> a -> b)"):
        ml_client.jobs.create_or_update(load_job(source="p.yml"))
    assert list(ml_client.jobs.list()) == []


def test_dsl_string_binding_to_missing_output_is_refused(ml_client, project):
    prep, train = load_component(source="prep.yml"), load_component(source="train.yml")

    @dsl.pipeline(default_compute="serverless")
    def p(raw):
        a = prep(raw_data=raw)  # noqa: F841 - referenced by name in the binding below
        train(training_data="${{parent.jobs.a.outputs.nope}}")

    with pytest.raises(ValidationException, match="output 'nope'"):
        ml_client.jobs.create_or_update(p(raw=Input(type="uri_file", path="raw.csv")))


def test_unknown_default_compute_is_refused(ml_client, project):
    prep = load_component(source="prep.yml")

    @dsl.pipeline(default_compute="no-such-cluster")
    def p(raw):
        prep(raw_data=raw)

    from azure.core.exceptions import ResourceNotFoundError
    with pytest.raises(ResourceNotFoundError, match="no-such-cluster"):
        ml_client.jobs.create_or_update(p(raw=Input(type="uri_file", path="raw.csv")))
