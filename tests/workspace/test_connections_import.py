"""ml_client.connections (secrets kept out of what comes back) and ml_client.data.import_data (local sources
imported for real, remote ones recorded with one line)."""
import json
import sqlite3

import pandas as pd
import pytest
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.data_transfer import Database, FileSystem
from azure.ai.ml.entities import (AccessKeyConfiguration, APIKeyConnection, AzureOpenAIConnection, DataImport,
                                  PipelineJob, UsernamePasswordConfiguration, WorkspaceConnection)
from azure.ai.ml.exceptions import ValidationException
from azure.core.exceptions import ResourceNotFoundError

from dp100lab.workspace.assets.data import local_path

SECRETS = ("hunter2-secret", "sk-aoai-secret", "k-api-secret")


def _everything_but_the_key_vault(home):
    """Every byte the store keeps outside its key vault folder (the registry database included)."""
    return b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file() and "keyvault" not in p.parts)


def test_connections_create_get_list_delete_without_their_secrets(ml_client, home, capsys):
    sql = ml_client.connections.create_or_update(WorkspaceConnection(
        name="sales_sql", type="azure_sql_db", target="Server=tcp:srv.database.windows.net,1433;Database=sales",
        credentials=UsernamePasswordConfiguration(username="reader", password=SECRETS[0])))
    aoai = ml_client.connections.create_or_update(AzureOpenAIConnection(
        name="aoai", azure_endpoint="https://contoso.openai.azure.com/", api_key=SECRETS[1]))
    api = ml_client.connections.create_or_update(APIKeyConnection(name="weather", api_base="https://api.example.com",
                                                                  api_key=SECRETS[2]))
    out = capsys.readouterr().out
    assert out.count("[local] connection '") == 3 and "Key Vault" in out
    # the subclass Azure returns, with an empty credential of the right type
    assert (type(sql).__name__, sql.type, sql.credentials.type, sql.credentials.password) == \
        ("WorkspaceConnection", "azure_sql_db", "username_password", None)
    assert type(aoai) is AzureOpenAIConnection and aoai.api_key is None and aoai.target.startswith("https://contoso")
    assert sql.id.endswith("/workspaces/local/connections/sales_sql") and sql.creation_context.created_at

    got = ml_client.connections.get("aoai")
    listed = list(ml_client.connections.list())
    assert [c.name for c in listed] == ["aoai", "sales_sql", "weather"]
    shown = repr(got) + str(got) + "".join(repr(c) + str(c._to_dict()) for c in listed) + repr(api) + out
    assert not any(s in shown for s in SECRETS)
    assert not any(s.encode() in _everything_but_the_key_vault(home) for s in SECRETS)
    with sqlite3.connect(home / "registry.db") as c:  # the store's entity table in particular
        rows = [r[0] for r in c.execute("SELECT spec FROM assets WHERE kind='connection'")]
    assert len(rows) == 3 and not any(s in r for s in SECRETS for r in rows)

    # as the SDK: populate_secrets fills an API key (a second call to the key vault), nothing else
    assert ml_client.connections.get("aoai", populate_secrets=True).api_key == SECRETS[1]
    assert ml_client.connections.get("sales_sql", populate_secrets=True).credentials.password is None
    assert [c.name for c in ml_client.connections.list(connection_type="azure_open_ai")] == ["aoai"]

    ml_client.connections.delete("aoai")
    ml_client.connections.delete("aoai")  # Azure's DELETE of a missing connection is no error either
    with pytest.raises(ResourceNotFoundError, match="Connection 'aoai' was not found.*sales_sql"):
        ml_client.connections.get("aoai")
    assert not (home / "keyvault" / "connection-aoai.json").exists()


def test_bad_connections_are_refused_before_anything_is_kept(ml_client):
    with pytest.raises(ValidationException, match="expects a WorkspaceConnection"):
        ml_client.connections.create_or_update({"name": "x", "type": "git"})
    with pytest.raises(ValidationException, match="name 'a b' is not valid"):
        ml_client.connections.create_or_update(WorkspaceConnection(
            name="a b", type="git", target="https://github.com/x/y", credentials=None))
    assert list(ml_client.connections.list()) == []


def _sales_db(path):
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE orders(id INTEGER, region TEXT, amount REAL)")
        c.executemany("INSERT INTO orders VALUES(?,?,?)",
                      [(1, "north", 10.5), (2, "south", 20.0), (3, "north", 7.25), (4, "east", 1.0)])
    return path


def test_import_from_a_local_sqlite_database_makes_the_data_asset(ml_client, tmp_path, capsys):
    db = _sales_db(tmp_path / "sales.db")
    ml_client.connections.create_or_update(WorkspaceConnection(
        name="local_sales", type="azure_sql_db", target=str(db),
        credentials=UsernamePasswordConfiguration(username="u", password="p")))
    query = "SELECT id, amount FROM orders WHERE region = 'north' ORDER BY id"
    data_import = DataImport(name="north_orders", source=Database(connection="azureml:local_sales", query=query),
                             path="azureml://datastores/workspaceblobstore/paths/imports/${{name}}")
    job = ml_client.data.import_data(data_import=data_import)

    assert isinstance(job, PipelineJob) and job.status == "Completed"
    assert job.experiment_name == "data_import_north_orders"
    assert job.properties["azureml.materializationAssetName"] == "north_orders"
    assert data_import.type == AssetTypes.MLTABLE  # as the SDK sets it on the caller's entity
    asset = ml_client.data.get("north_orders", label="latest")
    assert (asset.type, asset.version) == (AssetTypes.MLTABLE, "1")
    assert asset.path == f"azureml://datastores/workspaceblobstore/paths/imports/{job.name}/"
    import mltable

    expected = pd.read_sql_query(query, sqlite3.connect(db))
    loaded = mltable.load(str(local_path(ml_client, asset))).to_pandas_dataframe()
    pd.testing.assert_frame_equal(loaded.reset_index(drop=True), expected, check_dtype=False)
    assert list(local_path(ml_client, asset).glob("*.parquet"))  # cached as parquet, as Azure does
    assert "data import ran on this machine" in capsys.readouterr().out
    assert [j.name for j in ml_client.data.list_materialization_status("north_orders")] == [job.name]
    assert ml_client.jobs.get(job.name).status == "Completed"

    # a second import is the next version of the same asset
    again = ml_client.data.import_data(DataImport(name="north_orders", path="azureml://datastores/workspaceblobstore/"
                                                  "paths/imports", source=Database(connection="azureml:local_sales",
                                                                                   table_name="orders")))
    second = ml_client.data.get("north_orders", label="latest")
    assert second.version == "2" and len(mltable.load(str(local_path(ml_client, second))).to_pandas_dataframe()) == 4
    assert {j.name for j in ml_client.data.list_materialization_status("north_orders")} == {job.name, again.name}


def test_import_of_a_local_folder_is_a_uri_folder_asset(ml_client, tmp_path):
    src = tmp_path / "drops"
    src.mkdir()
    (src / "a.csv").write_text("x,y\n1,2\n")
    ml_client.data.import_data(DataImport(name="drops", source=FileSystem(path=str(src)),
                                          path="azureml://datastores/workspaceblobstore/paths/drops"))
    asset = ml_client.data.get("drops", version="1")
    assert asset.type == AssetTypes.URI_FOLDER
    assert (local_path(ml_client, asset) / "a.csv").read_text() == "x,y\n1,2\n"


def test_remote_import_is_recorded_with_one_line(ml_client, capsys):
    ml_client.connections.create_or_update(WorkspaceConnection(
        name="my_s3", type="s3", target="https://s3.amazonaws.com",
        credentials=AccessKeyConfiguration(access_key_id="AKIA", secret_access_key="s3-secret")))
    capsys.readouterr()
    job = ml_client.data.import_data(DataImport(name="s3_files", source=FileSystem(connection="azureml:my_s3",
                                                                                   path="bucket/data/*"),
                                                path="azureml://datastores/workspaceblobstore/paths/s3"))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[local]")]
    assert len(lines) == 1 and "recorded only: on Azure a serverless import job would copy" in lines[0]
    assert "s3 connection 'my_s3'" in lines[0] and "s3-secret" not in lines[0]
    assert isinstance(job, PipelineJob) and job.status == "Failed"
    row = ml_client.store.get_job(job.name)
    assert json.loads(row["error"])["code"] == "SourceNotOnThisMachine"
    recorded = row["spec"]["properties"]["jobs"]["data_import_s3_files"]
    assert recorded["source"] == {"type": "file_system", "connection": "azureml:my_s3", "path": "bucket/data/*"}
    with pytest.raises(ResourceNotFoundError):
        ml_client.data.get("s3_files", label="latest")
    assert [j.name for j in ml_client.data.list_materialization_status("s3_files")] == [job.name]


def test_bad_imports_say_what_to_fix_and_leave_nothing(ml_client, tmp_path):
    db = _sales_db(tmp_path / "sales.db")
    ml_client.connections.create_or_update(WorkspaceConnection(
        name="local_sales", type="azure_sql_db", target=str(db),
        credentials=UsernamePasswordConfiguration(username="u", password="p")))
    with pytest.raises(ResourceNotFoundError, match="Connection 'nope'"):
        ml_client.data.import_data(DataImport(name="x", path="azureml://datastores/workspaceblobstore/paths/x",
                                              source=Database(connection="azureml:nope", query="SELECT 1")))
    with pytest.raises(ValidationException, match="The query failed.*no such table"):
        ml_client.data.import_data(DataImport(name="x", path="azureml://datastores/workspaceblobstore/paths/x",
                                              source=Database(connection="azureml:local_sales",
                                                              query="SELECT * FROM missing")))
    with pytest.raises(ValidationException, match="expects an azure.ai.ml.entities.DataImport"):
        ml_client.data.import_data({"name": "x"})
    assert ml_client.store.list_jobs() == [] and list(ml_client.data.list()) == []
    assert not any((ml_client.store.datastore_path("workspaceblobstore") / "x").rglob("*.parquet"))
