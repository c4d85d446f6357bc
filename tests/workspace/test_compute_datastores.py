"""Workspace, compute and datastore operations: real entities in and out, Azure's rules and errors."""
import pytest
from azure.ai.ml.entities import (
    AccountKeyConfiguration,
    AmlCompute,
    AzureBlobDatastore,
    AzureDataLakeGen2Datastore,
    ComputeInstance,
    SasTokenConfiguration,
    Workspace,
)
from azure.ai.ml.exceptions import ValidationException
from azure.core.exceptions import ResourceNotFoundError
from azure.core.polling import LROPoller

from dp100lab.workspace.assets.compute import ensure_compute_exists
from dp100lab.workspace.core.uris import parse_asset_ref, resolve_path


def test_workspace_get_list_create(ml_client, capsys):
    ws = ml_client.workspaces.get()
    assert isinstance(ws, Workspace) and ws.name == "local"
    assert ws.mlflow_tracking_uri == ml_client.store.mlflow_tracking_uri
    poller = ml_client.workspaces.begin_create(Workspace(name="mlw-dp100", location="eastus"))
    assert isinstance(poller, LROPoller) and poller.done() and poller.status() == "Succeeded"
    assert poller.result().name == "mlw-dp100"
    assert "storage account, a key vault and Application Insights" in capsys.readouterr().out
    assert {w.name for w in ml_client.workspaces.list()} == {"local", "mlw-dp100"}
    with pytest.raises(ResourceNotFoundError, match="mlw-nope"):
        ml_client.workspaces.get("mlw-nope")


def test_cluster_round_trip_and_notes(ml_client, capsys):
    cluster = AmlCompute(name="cpu-cluster", size="STANDARD_DS11_V2", min_instances=0, max_instances=2,
                         idle_time_before_scale_down=120, tier="low_priority")
    got = ml_client.compute.begin_create_or_update(cluster).result()
    assert isinstance(got, AmlCompute) and got.provisioning_state == "Succeeded"
    same = {k: v for k, v in got._to_dict().items() if k not in ("id", "provisioning_state")}
    assert same == cluster._to_dict()  # plus the id and provisioning_state Azure also returns
    assert ml_client.compute.get("cpu-cluster").id.endswith("/workspaces/local/computes/cpu-cluster")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "preempted" in out[0] and "between 0 and 2 node(s)" in out[0]
    ml_client.compute.begin_create_or_update(AmlCompute(name="gpu-cluster", size="Standard_NC4as_T4_v3",
                                                        max_instances=1)).result()
    assert "GPU size" in capsys.readouterr().out
    assert [c.name for c in ml_client.compute.list(compute_type="amlcompute")] == ["cpu-cluster", "gpu-cluster"]


def test_left_out_size_and_tier_come_back_as_azure_fills_them(ml_client, capsys):
    # The SDK sends vm_size STANDARD_DS3_V2 for a compute with no size; a cluster with no tier is dedicated.
    cluster = AmlCompute(name="cluster-min", max_instances=2)
    got = ml_client.compute.begin_create_or_update(cluster).result()
    assert (got.size, got.tier) == ("STANDARD_DS3_V2", "dedicated")
    assert cluster.size is None and cluster.tier is None  # the entity passed in is left as it was
    assert "node(s) of STANDARD_DS3_V2" in capsys.readouterr().out
    ci = ml_client.compute.begin_create_or_update(ComputeInstance(name="ci-minimal-1a")).result()
    assert ml_client.compute.get("ci-minimal-1a").size == ci.size == "STANDARD_DS3_V2"
    kept = ml_client.compute.begin_create_or_update(AmlCompute(name="cluster-lp", size="STANDARD_DS11_V2",
                                                               tier="low_priority")).result()
    assert (kept.size, kept.tier) == ("STANDARD_DS11_V2", "low_priority")


@pytest.mark.parametrize("name", ["x", "1cluster", "cluster-", "a-name-of-17-char", "bad_name"])
def test_cluster_name_rules(ml_client, name):
    with pytest.raises(ValidationException, match="between 2 and 16 characters"):
        ml_client.compute.begin_create_or_update(AmlCompute(name=name, max_instances=1))


def test_instance_name_rules_and_start_stop(ml_client):
    with pytest.raises(ValidationException, match="between 3 and 24 characters"):
        ml_client.compute.begin_create_or_update(ComputeInstance(name="ci-1", size="STANDARD_DS3_v2"))
    ci = ml_client.compute.begin_create_or_update(ComputeInstance(name="ci-dp100-student",
                                                                   size="STANDARD_DS3_v2")).result()
    assert ci.state == "Running"
    ml_client.compute.begin_stop("ci-dp100-student").wait()
    assert ml_client.compute.get("ci-dp100-student").state == "Stopped"
    with pytest.raises(ValidationException, match="Stopped"):
        ensure_compute_exists(ml_client, "ci-dp100-student")
    ml_client.compute.begin_start("ci-dp100-student").result()
    assert ensure_compute_exists(ml_client, "azureml:ci-dp100-student").name == "ci-dp100-student"


def test_min_max_and_cluster_start(ml_client):
    with pytest.raises(ValidationException, match="min_instances"):
        ml_client.compute.begin_create_or_update(AmlCompute(name="c2", min_instances=3, max_instances=1))
    ml_client.compute.begin_create_or_update(AmlCompute(name="c2", max_instances=1)).result()
    with pytest.raises(ValidationException, match="only compute instances"):
        ml_client.compute.begin_stop("c2")


def test_unknown_compute_and_serverless(ml_client):
    assert ensure_compute_exists(ml_client, None) is None
    assert ensure_compute_exists(ml_client, "serverless") is None
    ml_client.compute.begin_create_or_update(AmlCompute(name="cpu-cluster", max_instances=1)).result()
    with pytest.raises(ResourceNotFoundError, match=r"'gpu-cluster'.*existing: cpu-cluster"):
        ensure_compute_exists(ml_client, "gpu-cluster")
    ml_client.compute.begin_delete("cpu-cluster").result()
    with pytest.raises(ResourceNotFoundError):
        ml_client.compute.get("cpu-cluster")


def test_default_datastores(ml_client):
    names = [d.name for d in ml_client.datastores.list()]
    assert names == ["workspaceartifactstore", "workspaceblobstore", "workspacefilestore",
                     "workspaceworkingdirectory"]
    assert ml_client.datastores.get_default().name == "workspaceblobstore"
    with pytest.raises(ValidationException, match="built-in"):
        ml_client.datastores.delete("workspaceblobstore")


def test_datastore_secrets_never_stored_or_printed(ml_client, capsys):
    blob = AzureBlobDatastore(name="raw_data", account_name="stdp100", container_name="raw",
                              credentials=AccountKeyConfiguration(account_key="S3CR3T-KEY=="))
    got = ml_client.datastores.create_or_update(blob)
    sas = AzureDataLakeGen2Datastore(name="lake", account_name="stdp100", filesystem="lake")
    ml_client.datastores.create_or_update(sas)
    assert isinstance(got, AzureBlobDatastore) and got.container_name == "raw"
    assert isinstance(got.credentials, AccountKeyConfiguration) and got.credentials.account_key is None
    ml_client.datastores.get("raw_data", include_secrets=True)
    out = capsys.readouterr().out
    assert "S3CR3T" not in out and "include_secrets=True" in out
    db = b"".join(p.read_bytes() for p in ml_client.store.root.glob("registry.db*"))
    assert b"S3CR3T" not in db
    ml_client.datastores.create_or_update(AzureBlobDatastore(
        name="sasstore", account_name="stdp100", container_name="raw", credentials=SasTokenConfiguration(sas_token="sv=XYZ")))
    assert b"sv=XYZ" not in b"".join(p.read_bytes() for p in ml_client.store.root.glob("registry.db*"))
    ml_client.datastores.delete("raw_data")
    with pytest.raises(ResourceNotFoundError, match=r"'raw_data'.*existing: .*workspaceblobstore"):
        ml_client.datastores.get("raw_data")


def test_uri_forms_resolve_to_local_folders(ml_client):
    folder = ml_client.store.datastore_path("workspaceblobstore") / "data"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("x\n1\n")
    short = "azureml://datastores/workspaceblobstore/paths/data/a.csv"
    long = ("azureml://subscriptions/sub/resourcegroups/rg/workspaces/ws/datastores/workspaceblobstore/paths/"
            "data/a.csv")
    assert resolve_path(ml_client, short) == folder / "a.csv" == resolve_path(ml_client, long)
    with pytest.raises(ResourceNotFoundError, match=r"'nostore'.*workspaceblobstore"):
        resolve_path(ml_client, "azureml://datastores/nostore/paths/a.csv")
    with pytest.raises(ValidationException, match="does not exist"):
        resolve_path(ml_client, "azureml://datastores/workspaceblobstore/paths/data/missing.csv")
    with pytest.raises(ValidationException, match="cannot reach"):
        resolve_path(ml_client, "wasbs://c@acct.blob.core.windows.net/a.csv")
    job_out = ml_client.store.job_dir("job1") / "outputs" / "model_output"
    job_out.mkdir(parents=True)
    ml_client.store.put_job("job1", {}, status="Completed")
    assert resolve_path(ml_client, "azureml://jobs/job1/outputs/model_output/paths/") == job_out
    with pytest.raises(ResourceNotFoundError, match="model_output"):
        resolve_path(ml_client, "azureml://jobs/job1/outputs/other/paths/")
    assert parse_asset_ref("azureml:diabetes:2") == ("diabetes", "2", None)
    assert parse_asset_ref("azureml:diabetes@latest") == ("diabetes", None, "latest")
    with pytest.raises(ValidationException):
        parse_asset_ref("azureml:bad name")


_TENANT = "00000000-0000-0000-0000-000000000000"


def _every_kind():
    from azure.ai.ml.entities import (AzureDataLakeGen1Datastore, AzureFileDatastore, CertificateConfiguration,
                                      ServicePrincipalConfiguration)
    return [
        (AzureBlobDatastore(name="blob_key", account_name="stdp100", container_name="raw",
                            credentials=AccountKeyConfiguration(account_key="KEY-1==")), "account_key", "KEY-1=="),
        (AzureBlobDatastore(name="blob_sas", account_name="stdp100", container_name="raw", protocol="wasbs",
                            credentials=SasTokenConfiguration(sas_token="sv=SAS-2")), "sas_token", "sv=SAS-2"),
        (AzureFileDatastore(name="share_key", account_name="stdp100", file_share_name="notes",
                            credentials=AccountKeyConfiguration(account_key="KEY-3==")), "account_key", "KEY-3=="),
        (AzureDataLakeGen1Datastore(name="gen1_sp", store_name="adlsgen1", credentials=ServicePrincipalConfiguration(
            tenant_id=_TENANT, client_id=_TENANT, client_secret="SP-SECRET-4")), "client_secret", "SP-SECRET-4"),
        (AzureDataLakeGen2Datastore(name="gen2_cert", account_name="stdp100", filesystem="lake",
                                    credentials=CertificateConfiguration(tenant_id=_TENANT, client_id=_TENANT,
                                                                         certificate="CERT-5", thumbprint="ab12")),
         "certificate", "CERT-5"),
        (AzureDataLakeGen2Datastore(name="gen2_identity", account_name="stdp100", filesystem="lake"), None, None),
    ]


def test_every_datastore_kind_and_credential(ml_client, capsys):
    for entity, field, secret in _every_kind():
        got = ml_client.datastores.create_or_update(entity)
        assert type(got) is type(entity) and got.name == entity.name
        plain = ml_client.datastores.get(entity.name)
        full = ml_client.datastores.get(entity.name, include_secrets=True)
        assert type(plain.credentials) is type(full.credentials)
        if field:  # emptied unless include_secrets=True, as Azure returns it; ids (tenant, thumbprint) kept
            assert getattr(plain.credentials, field) is None and getattr(full.credentials, field) == secret
    assert ml_client.datastores.get("gen2_cert").credentials.thumbprint == "ab12"
    out = capsys.readouterr().out
    assert "retired on 2024-02-29" in out and out.count("[local] Azure Data Lake Storage Gen1") == 1
    stored = b"".join(p.read_bytes() for p in ml_client.store.root.glob("registry.db*"))
    for _, _, secret in _every_kind():
        if secret:
            assert secret.encode() not in stored and secret not in out
    assert {d.name for d in ml_client.datastores.list()} >= {e.name for e, _, _ in _every_kind()}
    ml_client.datastores.delete("blob_key")
    assert not list((ml_client.store.root / "keyvault").glob("datastore-blob_key*"))  # its secret went with it


def test_onelake_datastore(ml_client):
    from azure.ai.ml.entities import OneLakeConnectionArtifact, OneLakeDatastore
    lake = OneLakeConnectionArtifact(name="lh", type="lake_house")
    with pytest.raises(ValidationException, match="needs endpoint="):
        ml_client.create_or_update(OneLakeDatastore(name="fabric_lake", one_lake_workspace_name="ws", artifact=lake))
    ds = OneLakeDatastore(name="fabric_lake", one_lake_workspace_name="sales-ws", artifact=lake,
                          endpoint="onelake.dfs.fabric.microsoft.com")
    assert isinstance(ml_client.create_or_update(ds), OneLakeDatastore)
    assert ml_client.datastores.get("fabric_lake").one_lake_workspace_name == "sales-ws"


@pytest.mark.parametrize("kwargs, message", [
    (dict(account_name="https://stdp100.blob.core.windows.net", container_name="raw"), r"account_name='stdp100'"),
    (dict(account_name="St_DP", container_name="raw"), "3-24 lowercase"),
    (dict(account_name="stdp100", container_name="raw", credentials={"account_key": "k", "sas_token": "s"}),
     "either an account key or a SAS token, not both"),
    (dict(account_name="stdp100", container_name="Raw_Data"), "container"),
    (dict(account_name="stdp100", container_name="raw", endpoint="https://core.windows.net"), "DNS suffix"),
    (dict(account_name="stdp100", container_name="raw", protocol="abfss"), "https, wasbs"),
])
def test_bad_datastores_refused_in_one_line(ml_client, kwargs, message):
    with pytest.raises(ValidationException, match=message) as e:
        ml_client.datastores.create_or_update(AzureBlobDatastore(name="bad", **kwargs))
    assert "\n" not in str(e.value)
    with pytest.raises(ResourceNotFoundError):
        ml_client.datastores.get("bad")


def test_registered_datastore_paths_read_and_write(ml_client):
    from dp100lab.workspace.assets.datastores import set_default_datastore
    ml_client.datastores.create_or_update(AzureDataLakeGen2Datastore(name="lake", account_name="stdp100",
                                                                     filesystem="curated"))
    target = resolve_path(ml_client, "azureml://datastores/lake/paths/sales/2026.csv", must_exist=False)
    target.parent.mkdir(parents=True)
    target.write_text("a\n1\n")
    assert resolve_path(ml_client, "azureml://datastores/lake/paths/sales/2026.csv").read_text() == "a\n1\n"
    assert set_default_datastore(ml_client, "lake").name == "lake"
    assert ml_client.datastores.get_default().name == "lake"
    with pytest.raises(ValidationException, match="default datastore"):
        ml_client.datastores.delete("lake")
    set_default_datastore(ml_client, "workspaceblobstore")
    ml_client.datastores.delete("lake")
    assert target.exists()  # as on Azure, unregistering a datastore leaves its data alone
