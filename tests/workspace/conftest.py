"""Each test gets its own local workspace store (DP100LAB_HOME) and its own working folder."""
import os

import pytest

from dp100lab.workspace.client import LocalMLClient

_MLFLOW_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "_MLFLOW_SERVER_ARTIFACT_ROOT")


@pytest.fixture
def home(tmp_path, monkeypatch):
    root = tmp_path / "home"
    monkeypatch.setenv("DP100LAB_HOME", str(root))
    for var in _MLFLOW_VARS:  # connect() sets these; monkeypatch puts the old values back afterwards
        monkeypatch.setenv(var, os.environ.get(var, ""))
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    yield root
    import mlflow

    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


@pytest.fixture
def ml_client(home):
    return LocalMLClient(home, hold=False)
