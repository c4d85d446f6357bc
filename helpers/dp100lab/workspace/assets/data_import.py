"""ml_client.data.import_data for the local workspace: a DataImport recorded as the pipeline job Azure runs for it.

As azure-ai-ml 1.35's DataOperations.import_data: the asset type follows the source (Database -> mltable,
FileSystem -> uri_folder), '/${{name}}' is appended to the path unless it is there, and the call returns the
PipelineJob (one data_transfer import_data step, experiment 'data_import_<name>', property
azureml.materializationAssetName) that list_materialization_status finds again. On Azure that job copies the data
with Azure Data Factory and stores a database result as parquet files. Here a source on this machine is imported
at once, the same way: a SQLite database reached through a connection whose target is its local path (the query,
or a table_name), or a local file or folder (FileSystem path, or relative to a connection whose target is a local
folder). Anything else (Snowflake, Azure SQL, S3, ...) is recorded as a job that did not run, with one line.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any, Optional

from azure.ai.ml import Output
from azure.ai.ml.constants import AssetTypes, ListViewType
from azure.ai.ml.data_transfer import Database, FileSystem
from azure.ai.ml.entities import Data, DataImport, PipelineJob, PipelineJobSettings
from azure.core.paging import ItemPaged

from .. import _sdk
from ..core.errors import invalid, note
from ..core.store import now
from ..core.uris import datastore_folder, datastore_uri, inside, parse_datastore_uri
from .connections import local_target

MATERIALIZATION = "azureml.materializationAssetName"  # the job property Azure lists materializations by
_MANAGED = "azureml://datastores/workspacemanageddatastore"
_LOG = "user_logs/std_log.txt"  # the job log jobs.stream follows (jobs/plan.LOG)


def _pipeline(di: DataImport) -> PipelineJob:
    """The pipeline job DataOperations.import_data builds and submits (same fields, same names)."""
    from azure.ai.ml.data_transfer import import_data

    exp = f"data_import_{di.name}"
    with _sdk.quiet_experimental():  # the SDK builds these itself; the learner wrote none of this code
        step = import_data(description=di.description or exp, display_name=exp, experiment_name=exp,
                           compute="serverless", source=di.source,
                           outputs={"sink": Output(type=di.type, path=di.path, name=di.name, version=di.version)})
        job = PipelineJob(description=di.description or exp, tags=di.tags, display_name=exp, experiment_name=exp,
                          properties=dict(di.properties or {}), settings=PipelineJobSettings(force_rerun=True),
                          jobs={exp: step})
    job.properties[MATERIALIZATION] = di.name
    job.name = _sdk.generate_job_name()
    return job


def _connection(client: Any, ref: Optional[str]) -> Any:
    if not ref:
        return None
    return client.connections.get(str(ref).removeprefix("azureml:"))


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _database(client: Any, source: Database, folder: Path) -> str:
    """Run the query (or read table_name) on a local SQLite database into folder/ as parquet + MLTable."""
    conn = _connection(client, source.connection)
    db = local_target(conn.target) if conn is not None else None
    if db is None or not db.is_file() or not _is_sqlite(db):
        raise _Remote(conn)
    if source.stored_procedure:
        raise invalid(f"stored_procedure='{source.stored_procedure}' cannot run on SQLite (it has no stored "
                      f"procedures): give query='SELECT ...' or table_name= instead.")
    if not (source.query or source.table_name):
        raise invalid("A Database source needs query='SELECT ...' or table_name='...'.")
    import pandas as pd

    sql = source.query or f'SELECT * FROM "{source.table_name}"'
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:  # read-only: an import never changes the source
        try:
            frame = pd.read_sql_query(sql, c)
        except Exception as e:  # pandas wraps sqlite3 errors: name the query and the fix
            raise invalid(f"The query failed on {db}: {e}. Fix the SQL (test it with sqlite3 '{db}').") from e
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / "part-00000.parquet", index=False)  # Azure caches imports as parquet files
    (folder / "MLTable").write_text("type: mltable\npaths:\n  - pattern: ./*.parquet\ntransformations:\n"
                                    "  - read_parquet\n")
    return f"{len(frame)} rows from {db} ({sql})"


def _file_system(client: Any, source: FileSystem, folder: Path) -> str:
    """Copy a local file or folder (source.path, relative to a local-folder connection if there is one)."""
    conn = _connection(client, source.connection)
    base = local_target(conn.target) if conn is not None else None
    if conn is not None and (base is None or not base.is_dir()):
        raise _Remote(conn)
    src = (base / str(source.path or "").lstrip("/")) if base is not None else Path(str(source.path or ""))
    src = src.expanduser()
    if not source.path or not src.exists():
        raise invalid(f"FileSystem path '{source.path}' does not exist on this machine ({src}). Give a local file "
                      f"or folder, or a path inside the folder the connection's target names.")
    folder.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, folder, dirs_exist_ok=True)
    else:
        shutil.copy2(src, folder / src.name)
    return f"{'folder' if src.is_dir() else 'file'} {src}"


class _Remote(Exception):
    """The source is outside this machine: the import is recorded only."""

    def __init__(self, conn: Any):
        self.conn = conn


def _target_folder(client: Any, di: DataImport, job_name: str) -> tuple[str, Path]:
    """(datastore URI, local folder) of the import's path with ${{name}} resolved to the job name."""
    uri = str(di.path).replace("${{name}}", job_name)
    if uri.startswith(_MANAGED):  # the workspace-managed datastore Azure offers: locally the default one
        uri = "azureml://datastores/workspaceblobstore/" + uri[len(_MANAGED):].lstrip("/")
    datastore, rel = parse_datastore_uri(uri)
    folder = inside(datastore_folder(client, datastore), rel, uri)
    return datastore_uri(datastore, rel + "/"), folder


def import_data(client: Any, data_import: DataImport, **kwargs: Any) -> PipelineJob:
    di = data_import
    if not isinstance(di, DataImport):
        raise invalid(f"import_data expects an azure.ai.ml.entities.DataImport, got {type(di).__name__}.",
                      kind="data")
    if not di.name or not di.path:
        raise invalid("A DataImport needs name= and path= (for example path='azureml://datastores/"
                      "workspaceblobstore/paths/imports/${{name}}').", kind="data")
    if not isinstance(di.source, (Database, FileSystem)):
        raise invalid(f"DataImport source must be azure.ai.ml.data_transfer.Database or FileSystem, got "
                      f"{type(di.source).__name__}.", kind="data")
    # as the SDK, on the caller's entity: the type follows the source, the path gets a per-job folder
    di.type = AssetTypes.MLTABLE if isinstance(di.source, Database) else AssetTypes.URI_FOLDER
    if "${{name}}" not in str(di.path):
        di.path = str(di.path).rstrip("/") + "/${{name}}"
    job = _pipeline(di)
    uri, folder = _target_folder(client, di, job.name)
    started = now()
    try:
        what = (_database if isinstance(di.source, Database) else _file_system)(client, di.source, folder)
    except _Remote as r:
        target = f"{r.conn.type} connection '{r.conn.name}' ({r.conn.target})"
        line = (f"data import '{di.name}' from {target} is recorded only: on Azure a serverless import job would "
                f"copy the data into {uri} and register data asset '{di.name}'; this machine cannot reach it.")
        note(line)
        return _record(client, job, "Failed", started, line, error={"code": "SourceNotOnThisMachine",
                                                                   "message": line})
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # bad input loses nothing and leaves nothing half-written
        raise
    asset = client.data.create_or_update(Data(name=di.name, version=di.version, type=di.type, path=uri,
                                              description=di.description, tags=di.tags))
    line = f"imported {what} into {uri}; registered data asset {asset.name}:{asset.version}"
    note(f"data import ran on this machine: {line} (on Azure a serverless Data Factory job does this).")
    return _record(client, job, "Completed", started, line)


def _record(client: Any, job: PipelineJob, status: str, started: str, log: str,
            error: Optional[dict] = None) -> PipelineJob:
    """Keep the import job as a finished pipeline job, so jobs.get/list/stream and studio see it."""
    from ..core import tracking

    store = client.store
    exp_id, run_id, _ = tracking.create_job_run(store, job.experiment_name, job.name, job.display_name, job.tags)
    tracking.finish_run(store, run_id, status)  # the run studio links to, as for every job
    spec = json.loads(json.dumps(_sdk.job_to_rest_dict(job), default=str))
    spec["name"] = job.name
    spec["id"] = (f"/subscriptions/{client.subscription_id}/resourceGroups/{client.resource_group_name}/providers/"
                  f"Microsoft.MachineLearningServices/workspaces/{client.workspace_name}/jobs/{job.name}")
    spec["_local"] = {"experiment_id": exp_id, "created_by": tracking.user()}
    logfile = store.job_dir(job.name) / _LOG
    logfile.parent.mkdir(parents=True, exist_ok=True)
    logfile.write_text(log + "\n")
    store.put_job(job.name, spec, status=status, type="pipeline", experiment=job.experiment_name, run_id=run_id,
                  compute="serverless", started_at=started, ended_at=now(),
                  error=json.dumps(error) if error else None)
    return client.jobs.get(job.name)


def list_materialization_status(client: Any, name: str, *, list_view_type: Any = ListViewType.ACTIVE_ONLY,
                                **kwargs: Any) -> ItemPaged:
    """The import jobs of data asset `name`, newest first (as Azure lists pipeline jobs by asset name)."""
    jobs = [j for j in client.jobs.list(list_view_type=list_view_type)
            if isinstance(j, PipelineJob) and (j.properties or {}).get(MATERIALIZATION) == name]
    return ItemPaged(lambda token: None, lambda _r: (None, iter(jobs)))
