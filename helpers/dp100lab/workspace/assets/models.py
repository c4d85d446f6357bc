"""ml_client.models for the local workspace, kept in step with the MLflow model registry.

On Azure the workspace's model registry and its MLflow registry are one: a model registered with
ml_client.models.create_or_update is visible to mlflow.search_registered_models and loadable as
models:/<name>/<version>, and a model registered with mlflow shows up in ml_client.models.list(). Here each
create_or_update also creates the MLflow model version, and list()/get() pick up versions registered through MLflow.
As azure-ai-ml 1.35: a missing version takes the next integer version; an existing version's path cannot change;
mlflow_model must be a folder (SDK validate_ml_flow_folder) and, here, must hold an MLmodel file; a datastore path
(a local upload's or one given) takes the long form azureml://subscriptions/.../datastores/<ds>/paths/..., on the
Model passed in as well (ModelOperations.create_or_update: resolve_short_datastore_url).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Iterable, Optional

from .._sdk import resolve_short_datastore_url, validate_ml_flow_folder
from azure.ai.ml.constants import AssetTypes, ListViewType
from azure.ai.ml.entities import Model
from azure.ai.ml.exceptions import ValidationErrorType

from .datastores import upload_to_datastore
from ..core import tracking
from ..core.errors import invalid, missing_path, note
from ..core.specs import to_spec
from ..core.uris import REMOTE_SCHEMES, resolve_path, run_artifact_path, strip_file_scheme
from .versioned import VersionedAssetOperations

KIND = "model"
_TYPES = (AssetTypes.CUSTOM_MODEL, AssetTypes.MLFLOW_MODEL, AssetTypes.TRITON_MODEL)


def _local_source(client: Any, source: str) -> Optional[Path]:
    """Local folder of an MLflow model-version source (models:/<id>, runs:/..., file path), None if unknown."""
    try:
        if source.startswith("models:/m-"):
            loc = tracking.client(client.store).get_logged_model(source[len("models:/"):].strip("/")).artifact_location
            return strip_file_scheme(loc)
        if source.startswith("runs:/"):
            run_id, _, rel = source[len("runs:/"):].partition("/")
            return run_artifact_path(client.store, run_id, rel)
        return strip_file_scheme(source)
    except Exception:  # a source MLflow itself can no longer resolve: leave the version out, don't fail list()
        return None


class ModelOperations(VersionedAssetOperations):
    """create_or_update, get, list, download, archive, restore — as azure.ai.ml's ModelOperations."""

    KIND, ENTITY = KIND, Model
    HINT = "Register it with ml_client.models.create_or_update(Model(...))."

    # ---- MLflow registry in step ------------------------------------------------------------------
    def _register_in_mlflow(self, model: Model, version: str, local: Optional[Path], run_id: Optional[str]) -> None:
        if local is None:
            return
        mc = tracking.client(self._store)
        from mlflow.exceptions import MlflowException

        try:
            mc.get_registered_model(model.name)
        except MlflowException:
            try:
                mc.create_registered_model(model.name, description=model.description)
            except MlflowException:  # another process created it meanwhile: that one is ours too
                mc.get_registered_model(model.name)
        existing = {str(mv.version) for mv in mc.search_model_versions(f"name = '{model.name}'")}  # int in MLflow 3
        if version in existing:
            return
        tags = {"azureml.version": version, **{str(k): str(v) for k, v in (model.tags or {}).items()}}
        mv = mc.create_model_version(model.name, source=str(local), run_id=run_id, tags=tags,
                                     description=model.description)
        if str(mv.version) != version:
            note(f"MLflow numbered this model version {mv.version} (it counts 1, 2, 3...); ml_client.models calls it "
                 f"{version}. On Azure the two registries share one numbering; use integer versions to keep them equal.")

    def _sync_from_mlflow(self, name: Optional[str] = None) -> None:
        """Record model versions that were registered through MLflow (mlflow.register_model / log_model)."""
        try:
            mc = tracking.client(self._store)
            found = mc.search_model_versions(f"name = '{name}'" if name else "")
        except Exception:  # no MLflow registry yet (fresh store): nothing to pick up
            return
        for mv in found:
            ver = str(mv.tags.get("azureml.version") or mv.version) if mv.tags else str(mv.version)
            if self._store.get(KIND, mv.name, version=ver) is not None:
                continue
            local = _local_source(self._client, mv.source or "")
            if local is None or not local.exists():
                continue
            mtype = AssetTypes.MLFLOW_MODEL if (local / "MLmodel").is_file() else AssetTypes.CUSTOM_MODEL
            spec = to_spec(Model(name=mv.name, version=ver, path=str(local), type=mtype, description=mv.description,
                                 tags={"mlflow.source": mv.source or "", "mlflow.run_id": mv.run_id or ""}))
            # atomic and insert-only: a version created meanwhile by another process or call is kept, not replaced
            self._store.create_version(KIND, mv.name, ver, lambda _v, spec=spec: spec, same=lambda _stored: True,
                                       tags=spec.get("tags"))

    # ---- create ---------------------------------------------------------------------------------
    def create_or_update(self, model: Model) -> Model:
        if not isinstance(model, Model):
            raise invalid(f"create_or_update expects an azure.ai.ml.entities.Model, got {type(model).__name__}.",
                          kind=KIND)
        if not model.name:
            raise invalid("The model has no name: Model(name='diabetes-model', path=..., type=...).", kind=KIND,
                          error_type=ValidationErrorType.MISSING_FIELD)
        mtype = model.type or AssetTypes.CUSTOM_MODEL
        if mtype not in _TYPES:
            raise invalid(f"Model type '{mtype}' is not one of {', '.join(_TYPES)}.", kind=KIND)
        if not model.path:
            raise invalid(f"Model '{model.name}' has no path: give a local file/folder, a job output "
                          f"(azureml://jobs/<job>/outputs/artifacts/paths/model/) or runs:/<run_id>/model.",
                          kind=KIND, error_type=ValidationErrorType.MISSING_FIELD)
        text = str(model.path)
        validate_ml_flow_folder(text, mtype)  # the SDK's own rule: an mlflow_model is a folder, not a file
        run_id = None
        if text.startswith(REMOTE_SCHEMES):
            note(f"'{text}' is recorded as given; on Azure it would be read from that storage, locally it cannot.")
            final_path, local = text, None
        elif text.startswith(("azureml://", "runs:/")):
            jm = re.match(r"^azureml://jobs/([^/]+)/", text)
            job = self._store.get_job(jm.group(1)) if jm else None
            if job and job["status"] in ("Failed", "Canceled"):
                raise invalid(f"Job '{job['name']}' {job['status'].lower()}, so its outputs are not a model to register "
                              f"(model path '{text}'). See ml_client.jobs.stream('{job['name']}') for why, fix it, "
                              f"run the job again and register from the new job's outputs.", kind=KIND)
            if job and job["status"] not in ("Completed",):
                raise invalid(f"Job '{job['name']}' is {job['status']}: its outputs exist once it completes. Wait with "
                              f"ml_client.jobs.stream('{job['name']}'), then register the model.", kind=KIND)
            local = resolve_path(self._client, text, must_exist=False)
            if not local.exists():
                raise invalid(f"Model path '{text}' resolves to {local}, which does not exist. Check the job/run id "
                              f"and the artifact folder name (e.g. 'model' for mlflow.sklearn.log_model(..., "
                              f"name='model')).", kind=KIND, error_type=ValidationErrorType.FILE_OR_FOLDER_NOT_FOUND)
            final_path = text
            m = re.match(r"^runs:/([^/]+)", text)
            run_id = m.group(1) if m else (job or {}).get("run_id")
        else:
            local = Path(text).expanduser()
            if not local.is_absolute() and getattr(model, "base_path", None):
                local = Path(model.base_path) / local
            if not local.exists():
                raise missing_path(KIND, text)
            final_path = None
        if mtype == AssetTypes.MLFLOW_MODEL and local is not None and not (local / "MLmodel").is_file():
            raise invalid(f"Model '{model.name}' has type mlflow_model but {local} has no MLmodel file. Point path at "
                          f"the folder MLflow saved (the one holding MLmodel), or use type=AssetTypes.CUSTOM_MODEL.",
                          kind=KIND, error_type=ValidationErrorType.FILE_OR_FOLDER_NOT_FOUND)
        if final_path is None:
            final_path = upload_to_datastore(self._client, local)
            local = resolve_path(self._client, final_path)

        final_path = resolve_short_datastore_url(final_path, self._client)  # the client has the scope's 3 names
        spec = to_spec(model)
        spec.update(path=final_path, type=mtype)
        model.path = final_path  # as the SDK leaves it on the entity passed in

        def same(stored: dict) -> bool:  # a version stored before paths took the long form still matches
            return resolve_short_datastore_url(stored.get("path") or "", self._client) == final_path

        row, _ = self._create(model, spec, "Its path is {path}; a version's path cannot change. Register the new files "
                                        "as another version (omit version=).", cls=Model, compare=same)
        version = row["version"]
        self._register_in_mlflow(model, version, local, run_id)
        return self._entity(row)

    # ---- read -----------------------------------------------------------------------------------
    def _find(self, name: str, version: Optional[str], label: Optional[str]) -> Optional[dict]:
        """The stored version, else one registered through MLflow since the last look."""
        row = super()._find(name, version, label)
        if row is None:
            self._sync_from_mlflow(name)
            row = super()._find(name, version, label)
        return row

    def list(self, name: Optional[str] = None, stage: Optional[str] = None, *,
             list_view_type: ListViewType = ListViewType.ACTIVE_ONLY) -> Iterable[Model]:
        """All versions of `name`, or the newest version of each model."""
        self._sync_from_mlflow(name)
        keep = (lambda r: r["spec"].get("stage") == stage) if stage else None
        return self._listed(self._list_rows(name, list_view_type, keep), name)

    def download(self, name: str, version: str, download_path: Any = ".") -> None:
        """Copy the model's files to <download_path>/<name>/<file or folder name>, as the SDK lays them out."""
        model = self.get(name, version=version)
        src = resolve_path(self._client, model.path, kind=KIND)
        dest = Path(download_path) / name / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest)
