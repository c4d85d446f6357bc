"""ml_client.data for the local workspace: Data assets (uri_file, uri_folder, mltable).

As on Azure (azure-ai-ml 1.35 DataOperations): a local path is uploaded to the default datastore at
LocalUpload/<hash>/<name> and the asset's path becomes azureml://datastores/workspaceblobstore/paths/...; a
missing version takes the next integer version ("1" for a new name); "latest" is the most recently created
version; get() needs a version or a label; archived versions are hidden from list() and from @latest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data
from azure.ai.ml.exceptions import ValidationErrorType

from .datastores import upload_to_datastore
from ..core.errors import invalid, missing_path, note
from ..core.specs import to_spec
from ..core.uris import REMOTE_SCHEMES, is_datastore_uri, parse_datastore_uri, resolve_path, strip_file_scheme
from .versioned import VersionedAssetOperations

KIND = "data"
_TYPES = (AssetTypes.URI_FILE, AssetTypes.URI_FOLDER, AssetTypes.MLTABLE)


def validate_mltable(folder: Path) -> None:
    """Load an MLTable folder with Microsoft's mltable package; raise a ValidationException if it does not load."""
    if not (folder / "MLTable").is_file():
        raise invalid(f"An mltable data asset's path must be a folder containing a file named 'MLTable'; {folder} has "
                      f"none. Write one (paths: + transformations:) or register the data as uri_file/uri_folder.",
                      kind=KIND, error_type=ValidationErrorType.FILE_OR_FOLDER_NOT_FOUND)
    import mltable

    try:
        table = mltable.load(str(folder))
        for entry in table.paths:  # a missing local file only shows when read: say so now, by name
            for key in ("file", "folder"):
                target = entry.get(key)
                if target and "://" not in target and not (folder / target).exists():
                    raise FileNotFoundError(f"{key} '{target}' listed in paths: is not in {folder}")
        table.to_pandas_dataframe()
    except Exception as e:
        raise invalid(f"The MLTable in {folder} does not load: {type(e).__name__}: {str(e)[:400]}. Fix its 'paths:' "
                      f"(relative to the MLTable file) or 'transformations:', then test with "
                      f"mltable.load('{folder}').to_pandas_dataframe().", kind=KIND) from e


def local_path(client: Any, data_or_ref: Any) -> Path:
    """Local path of a Data entity, an 'azureml:name:version' reference or an azureml:// URI, for reading it in a
    notebook, e.g. pd.read_csv(local_path(ml_client, data_asset)) or mltable.load(str(local_path(...)))."""
    if isinstance(data_or_ref, Data):
        return resolve_path(client, data_or_ref.path)
    return resolve_path(client, data_or_ref, kind=KIND)


class DataOperations(VersionedAssetOperations):
    """create_or_update, get, list, archive, restore, import_data, list_materialization_status, mount — as
    azure.ai.ml's DataOperations."""

    KIND, ENTITY = KIND, Data
    HINT = "Register it with ml_client.data.create_or_update(Data(...))."

    def __init__(self, client: Any):
        super().__init__(client)
        from .mltable_local import install  # mltable.load("azureml://.../data/<n>/versions/<v>") reads this store
        install(client)

    # ---- create ---------------------------------------------------------------------------------
    def _check_local(self, data: Data, path: Path) -> None:
        if not path.exists():
            raise missing_path(KIND, str(data.path))
        if data.type == AssetTypes.URI_FILE and not path.is_file():
            raise invalid(f"Data asset '{data.name}' has type uri_file but {path} is a folder. Use "
                          f"type=AssetTypes.URI_FOLDER, or point path at one file.", kind=KIND)
        if data.type in (AssetTypes.URI_FOLDER, AssetTypes.MLTABLE) and not path.is_dir():
            raise invalid(f"Data asset '{data.name}' has type {data.type} but {path} is a file. Use "
                          f"type=AssetTypes.URI_FILE, or point path at its folder.", kind=KIND)
        if path.is_dir() and not any(path.iterdir()):
            raise invalid(f"Data asset path {path} is an empty folder; Azure refuses to upload an empty directory. "
                          f"Put the data files in it first.", kind=KIND)

    def create_or_update(self, data: Data) -> Data:
        if not isinstance(data, Data):
            raise invalid(f"create_or_update expects an azure.ai.ml.entities.Data, got {type(data).__name__}.",
                          kind=KIND)
        if not data.name:
            raise invalid("The data asset has no name: Data(name='diabetes', path=..., type=AssetTypes.URI_FILE).",
                          kind=KIND, error_type=ValidationErrorType.MISSING_FIELD)
        if data.type not in _TYPES:
            raise invalid(f"Data type '{data.type}' is not one of {', '.join(_TYPES)}.", kind=KIND)
        if not data.path:
            raise invalid(f"Data asset '{data.name}' has no path: give a local file/folder, an azureml:// URI or a "
                          f"storage URL.", kind=KIND, error_type=ValidationErrorType.MISSING_FIELD)
        text = str(data.path)
        if text.startswith(("https://", "http://")) and data.type == AssetTypes.URI_FILE:
            final_path = text  # a public file: a job given this asset downloads it, as on Azure (core/downloads.py)
        elif text.startswith(REMOTE_SCHEMES):
            note(f"'{text}' is recorded as given; on Azure jobs would read it from that storage, locally it cannot "
                 f"be read (copy the files here and register the local path to use them offline).")
            final_path = text
        elif text.startswith("azureml://"):
            local = resolve_path(self._client, text, must_exist=False)
            if not local.exists() and is_datastore_uri(text) and data.type != AssetTypes.MLTABLE:
                # Azure registers a datastore path that does not exist yet (a job output may fill it later)
                note(f"'{text}' holds nothing yet; the asset is registered and reads whatever lands at {local}.")
            elif not local.exists():
                raise invalid(f"'{text}' resolves to {local}, which does not exist. Put the files there first (e.g. "
                              f"a job output), or register the local path instead.", kind=KIND,
                              error_type=ValidationErrorType.FILE_OR_FOLDER_NOT_FOUND)
            if local.exists():
                self._check_local(data, local)
            final_path = text
        else:
            local = strip_file_scheme(text).expanduser()
            if not local.is_absolute() and getattr(data, "base_path", None):
                local = Path(data.base_path) / local
            self._check_local(data, local)
            if data.type == AssetTypes.MLTABLE:
                validate_mltable(local)
            final_path = upload_to_datastore(self._client, local)
        if data.type == AssetTypes.MLTABLE and is_datastore_uri(final_path) and not text.startswith("azureml://jobs"):
            ds, rel = parse_datastore_uri(final_path)
            if text.startswith("azureml://"):
                validate_mltable(self._store.datastore_path(ds) / rel)

        spec = to_spec(data)
        spec.update(path=final_path)
        row, _ = self._create(data, spec, "Registered path is {path}. Register the new data as another version (omit "
                                       "version= to get the next one).", cls=Data)
        return self._entity(row)

    # ---- data import (assets/data_import.py) ----------------------------------------------------
    def import_data(self, data_import: Any, **kwargs: Any) -> Any:
        """Import a DataImport's source into a data asset; returns the import's PipelineJob, as on Azure."""
        from .data_import import import_data
        return import_data(self._client, data_import, **kwargs)

    def list_materialization_status(self, name: str, *, list_view_type: Any = None, **kwargs: Any) -> Any:
        """The import jobs that created versions of data asset `name`."""
        from azure.ai.ml.constants import ListViewType

        from .data_import import list_materialization_status
        return list_materialization_status(self._client, name, list_view_type=list_view_type or
                                           ListViewType.ACTIVE_ONLY, **kwargs)

    def mount(self, path: str, **kwargs: Any) -> None:
        note(f"data.mount: the data is already on this machine at {resolve_path(self._client, path, kind=KIND)}; "
             f"on Azure this would FUSE-mount it (compute instances only).")
