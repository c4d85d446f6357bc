"""`from dp100lab import MLClient` as the one changed line: azure.ai.ml.MLClient's constructor and from_config, the
workspace name kept locally, and the top-level create_or_update / begin_create_or_update with the SDK's types."""
import json

import pytest
from azure.ai.ml import command, dsl
from azure.ai.ml.entities import (AmlCompute, AzureBlobDatastore, CommandComponent, CronTrigger, Data, Environment,
                                  JobSchedule, ManagedOnlineEndpoint, Model, Workspace)
from azure.core.polling import LROPoller

from dp100lab.workspace.client import LocalMLClient

_CFG = {"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "rg-dp100",
        "workspace_name": "mlw-dp100"}


class _Credential:
    """Never asked for a token: the local workspace has no Entra ID."""

    def get_token(self, *scopes, **kwargs):
        raise AssertionError("the local workspace asked for a token")


def test_constructor_as_azure_keeps_the_names(home, monkeypatch, capsys):
    monkeypatch.delenv("DP100LAB_BACKEND", raising=False)
    from dp100lab import MLClient

    ml_client = MLClient(_Credential(), subscription_id=_CFG["subscription_id"], resource_group_name="rg-dp100",
                         workspace_name="mlw-dp100")
    assert isinstance(ml_client, LocalMLClient) and ml_client.store.root == home
    assert (ml_client.subscription_id, ml_client.resource_group_name, ml_client.workspace_name) == \
        (_CFG["subscription_id"], "rg-dp100", "mlw-dp100")
    ws = ml_client.workspaces.get(ml_client.workspace_name)
    assert type(ws) is Workspace and ws.name == "mlw-dp100"
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "local workspace 'mlw-dp100'" in out[0]
    with pytest.raises(Exception, match="cannot be used together"):  # as MLClient
        MLClient(_Credential(), "s", "rg", workspace_name="w", registry_name="azureml")


def test_from_config_locally_keeps_the_config_names(home, monkeypatch, tmp_path):
    monkeypatch.setenv("DP100LAB_BACKEND", "local")  # a config.json is there, but the local workspace is chosen
    cfg = tmp_path / "project" / "config.json"
    cfg.write_text(json.dumps(_CFG))
    from dp100lab import MLClient

    ml_client = MLClient.from_config(_Credential(), path=str(cfg.parent))
    assert isinstance(ml_client, LocalMLClient)
    assert (ml_client.resource_group_name, ml_client.workspace_name) == ("rg-dp100", "mlw-dp100")
    assert ml_client.workspaces.get(ml_client.workspace_name).name == "mlw-dp100"
    # the same from LocalMLClient itself (MLClient.from_config is a classmethod there too)
    again = LocalMLClient.from_config(_Credential(), path=str(cfg))
    assert again.workspace_name == "mlw-dp100"
    monkeypatch.delenv("DP100LAB_BACKEND")
    cfg.unlink()
    assert MLClient.from_config(_Credential()).workspace_name == "local"  # nothing configured: the local default


def test_top_level_create_or_update_returns_the_groups_types(ml_client, tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"weights")
    model = ml_client.create_or_update(Model(name="m", path=str(tmp_path / "model.pkl")))
    assert type(model) is type(ml_client.models.get("m", version="1")) and model.version == "1"
    env = ml_client.create_or_update(Environment(name="e", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"))
    assert type(env) is Environment and env.version == "1"
    comp = ml_client.create_or_update(CommandComponent(name="echo_step", command="echo hi",
                                                       environment="AzureML-sklearn-1.5@latest"))
    assert type(comp) is type(ml_client.components.get("echo_step", version=comp.version))
    ds = ml_client.create_or_update(AzureBlobDatastore(name="extra", account_name="stdp100", container_name="raw"))
    assert type(ds) is AzureBlobDatastore
    job = ml_client.create_or_update(command(command="echo hi", environment="AzureML-sklearn-1.5@latest"))
    assert type(job) is type(ml_client.jobs.get(job.name)) and type(job).__name__ == "Command"
    ml_client.jobs.stream(job.name)  # wait for it: no process outlives the test
    assert ml_client.jobs.get(job.name).status == "Completed"


def test_top_level_begin_create_or_update_returns_pollers_of_the_groups_types(ml_client):
    cluster = ml_client.begin_create_or_update(AmlCompute(name="cpu-cluster", size="STANDARD_DS3_V2",
                                                          max_instances=2))
    assert isinstance(cluster, LROPoller) or hasattr(cluster, "result")
    assert type(cluster.result()) is AmlCompute and type(ml_client.compute.get("cpu-cluster")) is AmlCompute
    ws = ml_client.begin_create_or_update(Workspace(name="mlw-second", location="eastus")).result()
    assert type(ws) is Workspace and ws.name == "mlw-second"
    step = CommandComponent(name="echo_step", command="echo hi", environment="AzureML-sklearn-1.5@latest")

    @dsl.pipeline(default_compute="serverless")
    def weekly_pipeline():
        step()

    sched = ml_client.begin_create_or_update(JobSchedule(  # the SDK schedules pipelines, not bare commands
        name="weekly", trigger=CronTrigger(expression="0 6 * * 1"), create_job=weekly_pipeline())).result()
    assert type(sched) is JobSchedule and sched.is_enabled
    ml_client.schedules.begin_disable("weekly").result()  # a disabled schedule leaves no scheduler running
    ml_client.schedules.begin_delete("weekly").result()


def test_an_entity_the_call_cannot_take_gets_one_line_naming_the_types(ml_client):
    with pytest.raises(TypeError) as e:  # as azure.ai.ml.MLClient: Data has no top-level create_or_update
        ml_client.create_or_update(Data(name="d", path="./x.csv"))
    text = str(e.value)
    assert "\n" not in text and "cannot take a Data" in text and "ml_client.data.create_or_update(data)" in text
    assert all(t in text for t in ("Job", "Model", "Environment", "Component", "Datastore"))
    with pytest.raises(TypeError, match=r"create_or_update cannot take a ManagedOnlineEndpoint.*Use "
                                        r"ml_client.begin_create_or_update"):
        ml_client.create_or_update(ManagedOnlineEndpoint(name="ep"))  # the other call takes it
    with pytest.raises(TypeError, match=r"begin_create_or_update cannot take a str: it takes a Workspace"):
        ml_client.begin_create_or_update("cpu-cluster")


def test_the_sdks_other_names_import_from_dp100lab_too():
    # a sample's `from azure.ai.ml import MLClient, Input, command` keeps working when only its module is changed
    import azure.ai.ml

    import dp100lab
    from dp100lab import Input, MLClient, command  # noqa: F401

    assert Input is azure.ai.ml.Input and command is azure.ai.ml.command
    with pytest.raises(AttributeError, match="no attribute 'NotAnSdkName'"):
        dp100lab.NotAnSdkName
