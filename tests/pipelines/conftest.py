"""Each test gets its own store and project folder; components and pipelines are written there, as a learner would."""
import signal
import textwrap
import time
from pathlib import Path

import pytest

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.core import processes, servers

TERMINAL = ("Completed", "Failed", "Canceled")

PREP_YML = """
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: prep_data
version: "1"
display_name: Prep data
type: command
inputs:
  raw_data:
    type: uri_file
  rows:
    type: integer
    default: 5
outputs:
  prepared:
    type: uri_folder
code: ./src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: python prep.py --raw ${{inputs.raw_data}} --rows ${{inputs.rows}} --out ${{outputs.prepared}}
"""
TRAIN_YML = """
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: train_model
version: "1"
type: command
inputs:
  training_data:
    type: uri_folder
outputs:
  model_output:
    type: uri_folder
code: ./src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: python train.py --data ${{inputs.training_data}} --model ${{outputs.model_output}}
"""
PREP_PY = """
import argparse, pathlib
p = argparse.ArgumentParser(); p.add_argument("--raw"); p.add_argument("--rows", type=int); p.add_argument("--out")
a = p.parse_args()
lines = pathlib.Path(a.raw).read_text().splitlines()[: a.rows]
pathlib.Path(a.out, "rows.txt").write_text("\\n".join(lines))
print("prepared", len(lines))
"""
TRAIN_PY = """
import argparse, pathlib, mlflow
p = argparse.ArgumentParser(); p.add_argument("--data"); p.add_argument("--model"); a = p.parse_args()
n = len(pathlib.Path(a.data, "rows.txt").read_text().splitlines())
mlflow.log_metric("rows_seen", n)
pathlib.Path(a.model, "model.txt").write_text(f"model of {n} rows")
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    root = tmp_path / "home"
    monkeypatch.setenv("DP100LAB_HOME", str(root))
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    yield root
    for jd in (root / "jobs").glob("*"):  # a failing test leaves no process behind
        for role in ("script", "runner"):
            processes.kill_role(jd, role, signal.SIGKILL)
    if (root / "registry.db").exists():
        from dp100lab.workspace.core.store import Store
        servers.stop_all(Store(root))


@pytest.fixture
def ml_client(home):
    return LocalMLClient(home, hold=False)


@pytest.fixture
def project(home):
    """prep.yml, train.yml, their scripts and a small data file in the project folder."""
    Path("src").mkdir()
    Path("src/prep.py").write_text(textwrap.dedent(PREP_PY))
    Path("src/train.py").write_text(textwrap.dedent(TRAIN_PY))
    Path("prep.yml").write_text(PREP_YML)
    Path("train.yml").write_text(TRAIN_YML)
    Path("raw.csv").write_text("\n".join(f"{i},{i * i}" for i in range(20)))
    return Path.cwd()


from pipeline_wait import wait_done  # noqa: E402,F401  (tests import it from pipeline_wait)
