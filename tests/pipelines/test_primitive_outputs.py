"""A component output of a primitive type (type: string/integer/number/boolean, as an mldesigner function's `-> str`
return declares) runs in a pipeline: the step writes the value to ${{outputs.<name>}}, and a step whose primitive
input is bound to it receives the value, not a path (azure-ai-ml's CommandJob refuses a string-typed JobOutput:
'unsupported JobOutput type: string')."""
from pathlib import Path

from azure.ai.ml import load_component
from azure.ai.ml.dsl import pipeline

from pipeline_wait import wait_done

DOUBLE = """
name: double_it
version: "1"
type: command
inputs:
  n:
    type: integer
outputs:
  doubled:
    type: string
code: ./src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: python double.py ${{inputs.n}} ${{outputs.doubled}}
"""
SHOW = """
name: show_it
version: "1"
type: command
inputs:
  value:
    type: string
outputs:
  report:
    type: uri_folder
code: ./src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: python show.py ${{inputs.value}} ${{outputs.report}}
"""
DOUBLE_PY = "import sys\nopen(sys.argv[2], 'w').write(str(int(sys.argv[1]) * 2))\n"
SHOW_PY = "import pathlib, sys\npathlib.Path(sys.argv[2], 'value.txt').write_text(sys.argv[1])\n"


def test_primitive_output_is_written_and_passed_on_as_a_value(ml_client, project):
    Path("double.yml").write_text(DOUBLE)
    Path("show.yml").write_text(SHOW)
    Path("src/double.py").write_text(DOUBLE_PY)
    Path("src/show.py").write_text(SHOW_PY)
    double, show = load_component("double.yml"), load_component("show.yml")

    @pipeline(default_compute="serverless")
    def primitive_chain(n):
        d = double(n=n)
        s = show(value=d.outputs.doubled)
        return {"report": s.outputs.report}

    job = ml_client.jobs.create_or_update(primitive_chain(n=21))
    done = wait_done(ml_client, job.name)
    steps = {c.display_name: c for c in ml_client.jobs.list(parent_job_name=job.name)}
    assert str(done.status) == "Completed", {k: v.status for k, v in steps.items()}
    written = list(ml_client.store.job_dir(steps["s"].name).rglob("value.txt")) \
        or list(ml_client.store.root.rglob("value.txt"))
    assert written and written[0].read_text() == "42"
