"""Control-flow nodes (dsl.condition's if_else, do_while, parallel_for) are evaluated by Azure's pipeline service
while the pipeline runs; the local workspace does not run them and says so in one line at submission, naming the
step (the SDK's schema dump failed on them with internal errors, or the node ran as a broken step)."""
from pathlib import Path

import pytest
from azure.ai.ml import load_component
from azure.ai.ml.dsl import pipeline
from azure.ai.ml.dsl._condition import condition

CHECK = """
name: check_flag
version: "1"
type: command
outputs:
  flag:
    type: boolean
    is_control: true
code: ./src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: python -c "print(True)" ${{outputs.flag}}
"""
SAY = """
name: say_number
version: "1"
type: command
inputs:
  n: {type: number, default: 1}
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: echo ${{inputs.n}}
"""


def test_condition_node_is_refused_in_one_line(ml_client, project):
    Path("check.yml").write_text(CHECK)
    Path("say.yml").write_text(SAY)
    check, say = load_component("check.yml"), load_component("say.yml")

    @pipeline(default_compute="serverless")
    def branching():
        flag = check()
        condition(condition=flag.outputs.flag, true_block=say(n=1), false_block=say(n=2))

    with pytest.raises(NotImplementedError, match=r"control-flow node \(if_else.*DP100LAB_BACKEND=azure"):
        ml_client.jobs.create_or_update(branching())
    assert list(ml_client.jobs.list()) == []  # nothing was recorded or started
