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


@pytest.fixture(scope="session")
def _mlflow_template(tmp_path_factory):
    """One migrated MLflow database for the session: creating one costs seconds, copying it costs nothing."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder = tmp_path_factory.mktemp("mlflow-template")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    SqlAlchemyStore(uri, str(folder / "mlartifacts"))
    RegistryStore(uri)
    return folder / "mlflow.db"


@pytest.fixture
def mlflow_home(home, _mlflow_template):
    """`home` with a ready MLflow database (Default experiment's artifacts inside this home)."""
    import shutil
    import sqlite3

    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(_mlflow_template, home / "mlflow.db")
    with sqlite3.connect(home / "mlflow.db") as c:
        c.execute("UPDATE experiments SET artifact_location=? WHERE experiment_id=0",
                  (str(home / "mlartifacts" / "0"),))
    return home
