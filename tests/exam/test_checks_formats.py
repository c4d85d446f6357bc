"""check.format: each validator accepts the right option and rejects each distractor, for its own reason."""
from __future__ import annotations

import pytest

from dp100lab.exam import coverage, outlines
from dp100lab.exam.bank import load_bank, to_question
from dp100lab.exam.checks_runner import FORMATS, actionlint, actionlint_command, run_check

needs_actionlint = pytest.mark.skipif(actionlint_command() is None, reason="actionlint not installed (see checks_runner)")

WORKFLOW = """name: train
on:
  workflow_dispatch:
permissions:
  id-token: ___
  contents: read
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: az ml job create --file job.yml
"""

JOB = """$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: python train.py
code: src
environment: azureml:AzureML-acpt-pytorch-2.2-cuda12.1@latest
compute: azureml:gpu-cluster
resources:
  instance_count: 2
distribution:
  type: ___
  process_count_per_instance: 4
"""


def question(fmt: str, template: str, options: dict, verify: str, **extra):
    raw = {"id": "f-1", "type": "code", "stem": "s", "options": options, "answer": "A",
           "explanation": {"summary": "s", "options": {k: k for k in options}}, "skills": ["ai300-1.3.3"],
           "difficulty": 1, "module": "08", "reference": "https://learn.microsoft.com/",
           "check": {"format": fmt, "template": template, "verify": verify, **extra}}
    return to_question(raw, "inline.yaml")


@needs_actionlint
def test_actionlint_reports_findings_per_document():
    ok, bad = actionlint([WORKFLOW.replace("___", "write"), WORKFLOW.replace("___", "writ")])
    assert ok == [] and len(bad) == 1 and '"writ" is invalid for permission of scope "id-token"' in bad[0]


@needs_actionlint
def test_workflow_format_lints_then_verifies():
    q = question("workflow", WORKFLOW, {"A": "write", "B": "writ", "C": "read"},
                 "assert workflow['permissions']['id-token'] == 'write'\nassert 'workflow_dispatch' in workflow['on']")
    res = run_check(q)
    assert res.ok, str(res)
    assert res.runs["B"].error.startswith("actionlint: line 5:")  # rejected by the linter itself
    assert "AssertionError" in res.runs["C"].error  # valid YAML, wrong meaning: rejected by verify


@needs_actionlint
def test_workflow_format_flags_a_distractor_that_lints_clean_and_passes():
    q = question("workflow", WORKFLOW, {"A": "write", "B": "none"}, "assert workflow['jobs']")
    res = run_check(q)
    assert not res.ok and res.problems == ["distractor B runs without error: template+verify must raise for a wrong answer"]


def test_azureml_yaml_format_uses_the_sdk_loader():
    q = question("azureml-yaml", JOB, {"A": "pytorch", "B": "torch", "C": "mpi"},
                 "assert entity.distribution.type == 'pytorch' and entity.resources.instance_count == 2",
                 loader="load_job", files={"src/train.py": "print('hi')\n"})
    res = run_check(q)
    assert res.ok, str(res)
    assert "ValidationError" in res.runs["B"].error or "torch" in res.runs["B"].error  # schema rejects it
    assert "AssertionError" in res.runs["C"].error


def test_azureml_yaml_format_refuses_an_unknown_loader():
    q = question("azureml-yaml", JOB, {"A": "pytorch", "B": "mpi"}, "pass", loader="eval")
    res = run_check(q)
    assert not res.ok and "not a public azure.ai.ml loader" in res.runs["A"].error


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="unknown check.format 'bicep'"):
        run_check(question("bicep", "x ___", {"A": "1", "B": "2"}, "pass"))


def test_python_format_is_the_default_and_listed():
    assert set(FORMATS) == {"python", "azureml-yaml", "workflow"}
    q = question("python", "x = ___", {"A": "1", "B": "2"}, "assert x == 1")
    q.check.pop("format")
    assert run_check(q).ok


def test_every_ai300_bullet_has_three_questions():
    """Issue 8: 58 of 58 AI-300 bullets with at least 3 questions (direct ai300 ids or via the crosswalk)."""
    rows = coverage.compute(bank=load_bank())["ai300"]
    thin = [f"{r.skill} ({len(r.questions)})" for r in rows if len(r.questions) < 3]
    assert len(rows) == len(outlines.ai300().skills) == 58
    assert not thin, ", ".join(thin)
