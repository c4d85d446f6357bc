"""Resolve Azure ML URIs and asset references to local paths of the local workspace.

Forms handled (as documented for azure-ai-ml v2 inputs and assets):
    azureml://datastores/<datastore>/paths/<path>
    azureml://subscriptions/<sub>/resourcegroups/<rg>/workspaces/<ws>/datastores/<datastore>/paths/<path>
    azureml://jobs/<job>/outputs/<output>/paths/<path>        (output "artifacts" = the job's MLflow run artifacts)
    azureml://jobs/<job>/outputs/artifacts/<path>             (the same, as the AutoML samples write it)
    azureml:<name>:<version>   azureml:<name>@latest   <name>:<version>   (data / model assets)
    [azureml:/]/subscriptions/<sub>/resourceGroups/<rg>/.../workspaces/<ws>/data|models/<name>/versions/<v>
                                                              (an asset's id, as Input(path=data_asset.id) passes it)
    runs:/<run_id>/<path>                                     (MLflow run artifacts)
    https://<host>/<file>                                     (a public file, downloaded once: core/downloads.py)
    a local file or folder path
Job folders follow the layout agreed with the jobs runner: <root>/jobs/<job>/outputs/<output>/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

from . import downloads
from .errors import invalid, not_found

_DATASTORE_RE = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resource[gG]roups/[^/]+/(?:providers/Microsoft\.MachineLearningServices/)?"
    r"workspaces/[^/]+/)?datastores/(?P<ds>[^/]+)(?:/paths(?:/(?P<path>.*))?|/)?$", re.IGNORECASE)
_JOB_RE = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/(?P<out>[^/]+)(?:/paths(?:/(?P<path>.*))?|/)?$",
                     re.IGNORECASE)
# the form Microsoft's AutoML sample registers the best model with (no paths/ segment), as the service takes it
_JOB_ARTIFACTS_SHORT_RE = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/artifacts/(?!paths(?:/|$))(?P<path>.+)$",
                                     re.IGNORECASE)
_ARM_ASSET_RE = re.compile(
    r"^(?:azureml:)?/{0,2}subscriptions/[^/]+/resource[gG]roups/[^/]+/(?:providers/Microsoft\.MachineLearningServices/)?"
    r"workspaces/[^/]+/(?P<kind>data|models)/(?P<name>[^/]+)/versions/(?P<version>[^/]+)/?$", re.IGNORECASE)
_ASSET_RE = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)(?:(?::(?P<version>[A-Za-z0-9_.\-]+))|(?:@(?P<label>\w+)))$")
# storage URLs recorded as given but not readable here: the one list for data, models and path resolution
REMOTE_SCHEMES = ("https://", "http://", "wasbs://", "wasb://", "abfss://", "abfs://", "adl://")

def is_asset_id(uri: str) -> bool:
    """An asset's ARM id (data_asset.id, model.id): absolute-looking, yet a reference the SDK passes through."""
    return bool(_ARM_ASSET_RE.match(str(uri)))


def parse_asset_id(uri: str) -> tuple[str, str, str]:
    """('data' | 'model', name, version) of an asset's ARM id."""
    m = _ARM_ASSET_RE.match(str(uri))
    if not m:
        raise invalid(f"'{uri}' is not an asset id. Expected /subscriptions/<sub>/resourceGroups/<rg>/providers/"
                      f"Microsoft.MachineLearningServices/workspaces/<ws>/models/<name>/versions/<version>.")
    return ("model" if m.group("kind").lower() == "models" else "data"), m.group("name"), m.group("version")


def is_datastore_uri(uri: str) -> bool:
    return bool(_DATASTORE_RE.match(str(uri)))


def parse_datastore_uri(uri: str) -> tuple[str, str]:
    """(datastore name, path inside it) of a short or long-form azureml://.../datastores/... URI."""
    m = _DATASTORE_RE.match(str(uri))
    if not m:
        raise invalid(f"'{uri}' is not a datastore URI. Expected azureml://datastores/<datastore>/paths/<path>, "
                      f"for example azureml://datastores/workspaceblobstore/paths/data/diabetes.csv.")
    return m.group("ds"), (m.group("path") or "").strip("/")


def inside(base: Path, rel: str, uri: str) -> Path:
    """base/rel, refused when it leaves `base` (.., an absolute path, or a symlink pointing out): on Azure a
    datastore path stays inside its container."""
    target = (base / rel.lstrip("/")).resolve()
    root = base.resolve()
    if target != root and root not in target.parents:
        raise invalid(f"'{uri}' leaves its datastore: the path resolves to {target}, outside the container "
                      f"{root}. Use a path inside the datastore, without '..' or links that point elsewhere.")
    return target


def datastore_uri(datastore: str, path: str) -> str:
    return f"azureml://datastores/{datastore}/paths/{path.strip('/')}" + ("/" if path.endswith("/") else "")


def parse_asset_ref(ref: str) -> tuple[str, Optional[str], Optional[str]]:
    """(name, version, label) of 'azureml:name:version', 'azureml:name@latest' or 'name:version'."""
    text = str(ref).strip()
    m = _ASSET_RE.match(text[len("azureml:"):] if text.startswith("azureml:") else text)
    if not m:
        raise invalid(f"'{ref}' is not an asset reference. Use azureml:<name>:<version> or azureml:<name>@latest, "
                      f"for example azureml:diabetes-data:1.")
    return m.group("name"), m.group("version"), m.group("label")


def _store(client_or_store: Any):
    return getattr(client_or_store, "store", client_or_store)


def datastore_folder(client_or_store: Any, name: str) -> Path:
    store = _store(client_or_store)
    if store.get("datastore", name) is None:
        raise not_found("datastore", name, available=store.names("datastore"),
                        hint="Use one of the existing datastores, or register yours with "
                             "ml_client.datastores.create_or_update(...).")
    return store.datastore_path(name)


def strip_file_scheme(uri: str) -> Path:
    """file:///a/b -> /a/b (MLflow's artifact URIs); any other text as a path."""
    return Path(re.sub(r"^file://", "", str(uri)))


def run_artifact_dir(store: Any, run_id: str) -> Path:
    """Local folder of an MLflow run's artifacts in the workspace's tracking store."""
    from mlflow.exceptions import MlflowException

    from .tracking import client

    try:
        uri = client(_store(store)).get_run(run_id).info.artifact_uri
    except MlflowException as e:
        raise not_found("run", run_id, hint=f"No MLflow run with id '{run_id}' in this workspace: check the run id "
                                           "(mlflow.search_runs()).") from e
    return strip_file_scheme(uri)


def run_artifact_path(store: Any, run_id: str, rel: str = "") -> Path:
    """Local path of `rel` in a run's artifacts. With MLflow 3, a model logged as log_model(..., name="model") is
    a LoggedModel stored outside the run's artifact folder; runs:/<run>/model resolves to it, as MLflow does."""
    from .tracking import client as mlflow_client

    base = run_artifact_dir(store, run_id)
    rel = rel.strip("/")
    target = _in_run(base, rel, run_id)
    if not rel or target.exists():
        return target
    first, _, rest = rel.partition("/")
    mlc = mlflow_client(_store(store))
    exp_id = mlc.get_run(run_id).info.experiment_id
    for m in mlc.search_logged_models(experiment_ids=[exp_id], filter_string=f"name = '{first}'"):
        if m.source_run_id == run_id:
            return _in_run(strip_file_scheme(m.artifact_location), rest, run_id, rel)
    return target  # absent: the caller reports it with the path it looked at


def _in_run(base: Path, rel: str, run_id: str, shown: Optional[str] = None) -> Path:
    """base/rel, refused when '..' or a symlink takes it out of the run's artifacts (or its logged model's)."""
    target = (base / rel).resolve()
    root = base.resolve()
    if target != root and root not in target.parents:
        raise invalid(f"'runs:/{run_id}/{shown if shown is not None else rel}' leaves the run's artifacts: it resolves "
                      f"to {target}, outside {root}. Use a path inside the run's artifacts, without '..' or links "
                      f"that point elsewhere.")
    return target


def job_output_folder(client_or_store: Any, job: str, output: str) -> Path:
    store = _store(client_or_store)
    from ..jobs.plan import read_plan  # an output written to a datastore path lives there, as its plan says

    plan = read_plan(store.job_dir(job))
    if plan is not None and output in plan.outputs:
        return Path(plan.outputs[output])
    row = store.get_job(job)
    if row is None:
        names = [r["name"] for r in store.list_jobs()[:15]]
        raise not_found("job", job, available=names, hint="Check the job name (returned_job.name).")
    if output in ("artifacts", "default") and row.get("run_id"):
        return run_artifact_dir(store, row["run_id"])
    folder = store.job_dir(job) / "outputs" / output
    if not folder.exists():
        have = sorted(p.name for p in (store.job_dir(job) / "outputs").glob("*"))
        raise not_found("job", f"{job}/outputs/{output}",
                        available=have + (["artifacts"] if row.get("run_id") else []),
                        hint="Use one of the job's outputs (they exist once the job has written them).")
    return folder


def resolve_path(client_or_store: Any, uri: Any, *, must_exist: bool = True, kind: str = "data") -> Path:
    """Local path for any supported URI, asset reference or local path."""
    text = str(uri)
    store = _store(client_or_store)
    arm = _ARM_ASSET_RE.match(text)
    if arm:  # the docs invoke batch endpoints with Input(path=data_asset.id)
        asset_kind = "model" if arm.group("kind").lower() == "models" else "data"
        return resolve_asset_path(store, f"{arm.group('name')}:{arm.group('version')}", kind=asset_kind)
    short = _JOB_ARTIFACTS_SHORT_RE.match(text)
    if short:
        text = f"azureml://jobs/{short.group('job')}/outputs/artifacts/paths/{short.group('path')}"
    m = _DATASTORE_RE.match(text)
    if m:
        path = inside(datastore_folder(store, m.group("ds")), m.group("path") or "", text)
    elif _JOB_RE.match(text):
        j = _JOB_RE.match(text)
        row = store.get_job(j.group("job")) if j.group("out") in ("artifacts", "default") else None
        if row and row.get("run_id"):  # the run's artifacts, MLflow 3 logged models included
            path = run_artifact_path(store, row["run_id"], j.group("path") or "")
        else:
            path = inside(job_output_folder(store, j.group("job"), j.group("out")), j.group("path") or "", text)
    elif text.startswith("runs:/"):
        run_id, _, rel = text[len("runs:/"):].partition("/")
        path = run_artifact_path(store, run_id, rel)
    elif text.startswith("azureml:") and not text.startswith("azureml://"):
        return resolve_asset_path(store, text, kind=kind)
    elif (":" in text or "@" in text) and "://" not in text and not Path(text).is_absolute():
        return resolve_asset_path(store, text, kind=kind)  # name:version / name@label, as the SDK reads them
    elif text.startswith("file://"):
        path = strip_file_scheme(text)
    elif text.startswith(downloads.HTTP_SCHEMES):
        return downloads.fetch(store, text)
    elif text.startswith(REMOTE_SCHEMES + ("azureml://",)):  # an azureml:// form no rule above resolves
        raise invalid(f"'{text}' points at storage the local workspace cannot reach. Copy the data to this machine "
                      f"and register it from the local path, or run against Azure (DP100LAB_BACKEND=azure).")
    else:
        path = Path(text).expanduser()
    if must_exist and not path.exists():
        raise invalid(f"'{text}' resolves to {path}, which does not exist. Check the path; list what is there "
                      f"with `ls {path.parent}`.")
    return path


def resolve_asset_path(client_or_store: Any, ref: str, *, kind: str = "data") -> Path:
    """Local path of a registered data asset or model given 'azureml:name:version' / 'azureml:name@latest'."""
    store = _store(client_or_store)
    name, version, label = parse_asset_ref(ref)
    row = store.get(kind, name, version=version, label=label)
    if row is None:
        versions = [r["version"] for r in store.list(kind, name)]
        raise not_found(kind, name, version or label,
                        available=[f"{name}:{v}" for v in versions] or store.names(kind))
    return resolve_path(store, row["spec"]["path"], kind=kind)
