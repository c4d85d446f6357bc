"""ml_client.datastores for the local workspace: datastores are local folders under <root>/datastores/<name>/.

Azure registers these with every workspace (names verified: SDK constants WORKSPACE_BLOB_STORE and the
"workspaceartifactstore" used for job artifacts; Microsoft docs for workspacefilestore and the file-share
"workspaceworkingdirectory" that holds notebooks). workspaceblobstore is the default.
Credentials of registered datastores are never stored, printed or logged: only their kind is recorded, and
get()/list() return them empty, as Azure does unless include_secrets=True.
"""

from __future__ import annotations

from typing import Any, Iterable

from azure.ai.ml.entities import (
    AccountKeyConfiguration,
    AzureBlobDatastore,
    AzureFileDatastore,
    Datastore,
    SasTokenConfiguration,
)

from ..core.errors import invalid, not_found, note
from ..core.specs import from_row, to_spec

KIND = "datastore"
DEFAULT_DATASTORE = "workspaceblobstore"
LOCAL_ACCOUNT = "localstorage"  # a valid storage-account name (3-24 lowercase letters/digits) that says "local"
_DEFAULTS = (
    AzureBlobDatastore(name="workspaceblobstore", account_name=LOCAL_ACCOUNT, container_name="azureml-blobstore",
                       description="Default datastore of the local workspace (a local folder)"),
    AzureBlobDatastore(name="workspaceartifactstore", account_name=LOCAL_ACCOUNT, container_name="azureml",
                       description="Job logs and artifacts (a local folder)"),
    AzureFileDatastore(name="workspacefilestore", account_name=LOCAL_ACCOUNT, file_share_name="azureml-filestore",
                       description="File share of the local workspace (a local folder)"),
    AzureFileDatastore(name="workspaceworkingdirectory", account_name=LOCAL_ACCOUNT, file_share_name="code",
                       description="Notebooks and code files (a local folder)"),
)
# credential classes by the key that identifies them in the SDK dict form; only the kind is kept
_SECRET_KEYS = {"account_key": "account_key", "sas_token": "sas_token", "client_secret": "service_principal",
                "certificate": "certificate"}


def _credential_kind(spec: dict) -> str:
    creds = spec.get("credentials") or {}
    for key, kind in _SECRET_KEYS.items():
        if key in creds:
            return kind
    return "identity" if not creds else "other"


def _empty_credentials(kind: str) -> Any:
    """What Azure returns for a datastore's credentials without include_secrets: the type, no secret."""
    if kind == "account_key":
        return AccountKeyConfiguration(account_key=None)
    if kind == "sas_token":
        return SasTokenConfiguration(sas_token=None)
    return None


class DatastoreOperations:
    """list, get, get_default, create_or_update, delete, mount — as azure.ai.ml's DatastoreOperations."""

    def __init__(self, client: Any):
        self._client = client
        self._store = client.store

    def _ensure_defaults(self) -> None:
        for ds in _DEFAULTS:
            self._store.datastore_path(ds.name).mkdir(parents=True, exist_ok=True)
            if self._store.get(KIND, ds.name) is None:
                labels = ["default"] if ds.name == DEFAULT_DATASTORE else []
                self._store.put(KIND, ds.name, None, to_spec(ds), labels=labels + ["credentials:identity"])

    def _entity(self, row: dict) -> Datastore:
        ds = from_row(Datastore, row, self._client)
        kind = next((lab.split(":", 1)[1] for lab in row["labels"] if lab.startswith("credentials:")), "identity")
        ds.credentials = _empty_credentials(kind)
        return ds

    def _secrets_note(self, include_secrets: bool) -> None:
        if include_secrets:
            note("include_secrets=True: the local workspace keeps no datastore secrets; on Azure this would "
                 "return the account key / SAS token stored in the workspace's key vault.")

    def list(self, *, include_secrets: bool = False) -> Iterable[Datastore]:
        self._secrets_note(include_secrets)
        return [self._entity(r) for r in sorted(self._store.list(KIND), key=lambda r: r["name"])]

    def get(self, name: str, *, include_secrets: bool = False) -> Datastore:
        row = self._store.get(KIND, name)
        if row is None:
            raise not_found(KIND, name, available=self._store.names(KIND),
                            hint="Register it with ml_client.datastores.create_or_update(AzureBlobDatastore(...)).")
        self._secrets_note(include_secrets)
        return self._entity(row)

    def get_default(self, *, include_secrets: bool = False) -> Datastore:
        rows = [r for r in self._store.list(KIND) if "default" in r["labels"]]
        return self.get(rows[0]["name"] if rows else DEFAULT_DATASTORE, include_secrets=include_secrets)

    def create_or_update(self, datastore: Datastore) -> Datastore:
        if not isinstance(datastore, Datastore):
            raise invalid(f"create_or_update expects a Datastore entity such as AzureBlobDatastore, got "
                          f"{type(datastore).__name__}.", kind=KIND)
        if not datastore.name:
            raise invalid("The datastore has no name: pass name='...' when you create it.", kind=KIND)
        spec = to_spec(datastore)
        kind = _credential_kind(spec)
        spec["credentials"] = {}  # secrets never reach the store
        row = self._store.get(KIND, datastore.name)
        labels = [lab for lab in (row["labels"] if row else []) if not lab.startswith("credentials:")]
        self._store.datastore_path(datastore.name).mkdir(parents=True, exist_ok=True)
        where = getattr(datastore, "container_name", None) or getattr(datastore, "filesystem", None) \
            or getattr(datastore, "file_share_name", None) or ""
        note(f"datastore '{datastore.name}' is backed by {self._store.datastore_path(datastore.name)}; on Azure it "
             f"would point at {getattr(datastore, 'account_name', '?')}/{where} (credentials: {kind}, not stored "
             f"here).")
        return self._entity(self._store.put(KIND, datastore.name, None, spec, labels=labels + [f"credentials:{kind}"]))

    def delete(self, name: str) -> None:
        """Unregister the datastore; like Azure, the data in its folder is not deleted."""
        if name in {d.name for d in _DEFAULTS}:
            raise invalid(f"'{name}' is one of the workspace's built-in datastores and cannot be unregistered.",
                          kind=KIND)
        if not self._store.delete(KIND, name):
            raise not_found(KIND, name, available=self._store.names(KIND))

    def mount(self, path: str, mount_point: str | None = None, **kwargs: Any) -> None:
        from ..core.uris import resolve_path
        local = resolve_path(self._client, path)
        note(f"datastores.mount: nothing to mount locally, the data is already at {local}; on Azure this would "
             f"FUSE-mount it (compute instances only).")


def upload_to_datastore(client: Any, local_path: Any, datastore: str | None = None) -> str:
    """Copy a local file/folder into a datastore as Azure's upload does, at LocalUpload/<content hash>/<name>
    (the SDK's own hash and layout), and return its azureml://datastores/... URI. Same content -> same place."""
    import shutil
    from pathlib import Path

    from .._sdk import generate_asset_id, get_object_hash

    from ..core.uris import datastore_uri

    src = Path(local_path).resolve()
    ds = datastore or client.datastores.get_default().name
    rel = f"{generate_asset_id(get_object_hash(src), include_directory=True)}/{src.name}"
    dest = client.store.datastore_path(ds) / rel
    if not dest.exists():
        tmp = dest.with_name(dest.name + ".partial")  # copy then rename: a killed copy never looks complete
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, tmp)
        else:
            shutil.copy2(src, tmp)
        tmp.rename(dest)
    return datastore_uri(ds, rel + ("/" if src.is_dir() else ""))
