"""The detached runner of a command or batch job must not import azure.ai.ml: it costs every job (and every sweep
trial) seconds of CPU for nothing (bench/sweep_concurrency.py, bench/batch_scaling.py)."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("kind", ["command", "batch_scoring"])
def test_runner_dispatch_leaves_the_sdk_unimported(kind):
    code = ("import sys\n"
            "from dp100lab.workspace.jobs import kinds, runner\n"
            f"kinds.by_name({kind!r}).run\n"
            "print(sorted(m for m in sys.modules if m.startswith(('azure.ai.ml', 'mlflow'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_submitting_side_still_resolves_entities_to_kinds():
    from azure.ai.ml import command
    from azure.ai.ml.entities import CommandJob

    from dp100lab.workspace.jobs import kinds

    assert kinds.row_for(command(command="echo hi", environment="AzureML-sklearn-1.5@latest")).name == "command"
    assert kinds.row_for(CommandJob(command="echo hi")).name == "command"
    with pytest.raises(Exception, match="got a str"):
        kinds.row_for("not a job")
