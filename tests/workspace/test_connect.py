"""connect(): which backend, the one line it prints, and where MLflow logs."""
import json

import mlflow
import pytest
from azure.ai.ml import MLClient
from azure.ai.ml.exceptions import ValidationException
from azure.core.exceptions import ClientAuthenticationError

import dp100lab
from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.connect import find_workspace_config


class _NoCredential:
    """Fails at once, so nothing reaches Azure."""

    def get_token(self, *scopes, **kwargs):
        raise ClientAuthenticationError("offline test credential")

    def get_token_info(self, *scopes, **kwargs):
        raise ClientAuthenticationError("offline test credential")


_CFG = {"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "rg-dp100",
        "workspace_name": "mlw-dp100"}


def test_local_without_config(home, monkeypatch, capsys):
    monkeypatch.delenv("DP100LAB_BACKEND", raising=False)
    client = dp100lab.connect()
    out = capsys.readouterr().out.strip().splitlines()
    assert isinstance(client, LocalMLClient)
    assert len(out) == 1 and "local workspace" in out[0] and str(home) in out[0]
    assert mlflow.get_tracking_uri() == f"sqlite:///{home / 'mlflow.db'}"
    assert client.workspaces.get().mlflow_tracking_uri == mlflow.get_tracking_uri()


@pytest.mark.parametrize("where", [".azureml/config.json", "config.json", "aml_config/config.json"])
def test_azure_when_config_found_in_parent(home, tmp_path, monkeypatch, capsys, where):
    monkeypatch.delenv("DP100LAB_BACKEND", raising=False)
    cfg = tmp_path / "project" / where
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(json.dumps(_CFG))
    sub = tmp_path / "project" / "notebooks"
    sub.mkdir()
    monkeypatch.chdir(sub)
    client = dp100lab.connect(credential=_NoCredential())
    assert isinstance(client, MLClient)
    assert (client.subscription_id, client.resource_group_name, client.workspace_name) == \
        (_CFG["subscription_id"], "rg-dp100", "mlw-dp100")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "Azure ML workspace 'mlw-dp100'" in out[0] and "MLflow" in out[0]


def test_unrelated_config_json_is_ignored(home, monkeypatch):
    monkeypatch.delenv("DP100LAB_BACKEND", raising=False)
    (home.parent / "project" / "config.json").write_text(json.dumps({"theme": "dark"}))
    assert find_workspace_config() is None
    assert isinstance(dp100lab.connect(quiet=True), LocalMLClient)


def test_backend_env_forces_choice(home, monkeypatch):
    (home.parent / "project" / "config.json").write_text(json.dumps(_CFG))
    monkeypatch.setenv("DP100LAB_BACKEND", "local")
    assert isinstance(dp100lab.connect(quiet=True), LocalMLClient)
    monkeypatch.setenv("DP100LAB_BACKEND", "azure")
    assert isinstance(dp100lab.connect(quiet=True, credential=_NoCredential()), MLClient)


def test_backend_azure_without_config_says_what_to_do(home, monkeypatch):
    monkeypatch.setenv("DP100LAB_BACKEND", "azure")
    with pytest.raises(ValidationException, match="config.json"):
        dp100lab.connect(credential=_NoCredential())
    monkeypatch.setenv("DP100LAB_BACKEND", "cloud")
    with pytest.raises(ValidationException, match="not a backend"):
        dp100lab.connect()


def test_mlflow_runs_and_artifacts_land_in_the_store(mlflow_home, monkeypatch, tmp_path):
    home = mlflow_home
    monkeypatch.setenv("DP100LAB_BACKEND", "local")
    dp100lab.connect(quiet=True)
    exp_id = mlflow.create_experiment("exp-in-store")
    (tmp_path / "note.txt").write_text("hi")
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.log_metric("acc", 0.9)
        mlflow.log_artifact(str(tmp_path / "note.txt"))
    assert run.info.artifact_uri.replace("file://", "").startswith(str(home / "mlartifacts"))
    assert (home / "mlartifacts").rglob("note.txt")
    assert not (tmp_path / "project" / "mlruns").exists()  # nothing in the notebook's folder
    assert mlflow.get_run(run.info.run_id).data.metrics["acc"] == 0.9


def test_endpoint_groups_refuse_a_wrong_entity_before_any_work(ml_client):
    from azure.ai.ml.exceptions import ValidationException

    with pytest.raises(ValidationException, match="expects a ManagedOnlineEndpoint or KubernetesOnlineEndpoint, got NoneType"):
        ml_client.online_endpoints.begin_create_or_update(None)
    with pytest.raises(ValidationException, match="expects a BatchEndpoint, got dict"):
        ml_client.batch_endpoints.begin_create_or_update({"name": "x"})
    assert list(ml_client.batch_endpoints.list()) == []
    for attr in ("subscription_id", "resource_group_name", "workspace_name"):
        assert getattr(ml_client, attr) == "local"
