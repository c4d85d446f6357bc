"""ml_client.datastores for the local workspace: every datastore kind, each backed by a local folder.

Kinds (azure-ai-ml 1.35): AzureBlobDatastore, AzureFileDatastore, AzureDataLakeGen1Datastore,
AzureDataLakeGen2Datastore, OneLakeDatastore; credentials: account key, SAS token, service principal (secret or
certificate) or none (identity-based access). <root>/datastores/<name>/ stands in for the container, so
azureml://datastores/<name>/paths/... reads and writes work. Azure registers workspaceblobstore (the default),
workspaceartifactstore, workspacefilestore and workspaceworkingdirectory with every workspace.
Secrets go to the local key vault (secrets.py), never to registry.db or output: get()/list() return credentials
with the secret emptied, as Azure does unless include_secrets=True.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from azure.ai.ml.entities import (
    AzureBlobDatastore,
    AzureDataLakeGen2Datastore,
    AzureDataLakeGen1Datastore,
    AzureFileDatastore,
    Datastore,
    OneLakeDatastore,
)

from . import secrets
from ..core.errors import invalid, not_found, note
from ..core.specs import check_loads, from_row, to_spec

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
# secret fields of the SDK's credential dict forms -> the credential kind they identify
_SECRET_FIELDS = {"account_key": "account_key", "sas_token": "sas_token", "client_secret": "service_principal",
                  "certificate": "certificate"}
# Azure's naming rules: storage account and Data Lake Gen1 store names 3-24 lowercase letters/digits; blob
# containers, file shares and Gen2 file systems 3-63 lowercase letters/digits/single hyphens
_ACCOUNT_RE = re.compile(r"^[a-z0-9]{3,24}$")
_CONTAINER_RE = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_PROTOCOLS = {AzureBlobDatastore: ("https", "wasbs"), AzureDataLakeGen2Datastore: ("https", "abfss"),
              AzureFileDatastore: ("https",)}
GEN1_NOTE = ("Azure Data Lake Storage Gen1 retired on 2024-02-29 (Microsoft lifecycle page): Azure can no longer "
             "reach a Gen1 store; register the data as AzureDataLakeGen2Datastore instead.")


def _credential_kind(creds: dict) -> str:
    return next((kind for key, kind in _SECRET_FIELDS.items() if key in creds), "identity" if not creds else "other")


def _check(ds: Datastore) -> None:
    """Azure's rules for names and endpoints, each refused in one line that names the fix."""
    creds = ds.credentials
    if isinstance(creds, dict):  # the SDK silently drops a plain dict: the datastore would have no credentials
        both = {"account_key", "sas_token"} <= set(creds)
        raise invalid(("Give either an account key or a SAS token, not both: " if both else
                       "credentials must be a credential object, not a dict: ") +
                      "credentials=AccountKeyConfiguration(account_key=...) or "
                      "SasTokenConfiguration(sas_token=...).", kind=KIND)
    if getattr(creds, "account_key", None) and getattr(creds, "sas_token", None):
        raise invalid("Give either an account key or a SAS token, not both: use AccountKeyConfiguration or "
                      "SasTokenConfiguration.", kind=KIND)
    account = getattr(ds, "account_name", None) or getattr(ds, "store_name", None)
    field = "store_name" if isinstance(ds, AzureDataLakeGen1Datastore) else "account_name"
    if account is not None and not _ACCOUNT_RE.match(str(account)):
        shown = str(account)
        # the suggested fix must itself be valid: lowercase letters and digits only, at most 24 of them
        guess = re.sub(r"[^a-z0-9]", "", re.sub(r"^[a-z]+://", "", shown.lower()).split(".")[0])[:24]
        guess = guess if len(guess) >= 3 else ""
        raise invalid(f"{field} '{shown}' is not a storage account name: it must be 3-24 lowercase letters and "
                      f"digits, without https:// or .blob.core.windows.net (for example {field}='{guess or 'stdp100'}'"
                      f").", kind=KIND)
    endpoint = getattr(ds, "endpoint", None)
    allowed = _PROTOCOLS.get(type(ds))
    if isinstance(ds, OneLakeDatastore) and not endpoint:  # required by the SDK's OneLake schema
        raise invalid("OneLakeDatastore needs endpoint=, the OneLake DNS name, for example "
                      "endpoint='onelake.dfs.fabric.microsoft.com'.", kind=KIND)
    if endpoint and allowed and ("://" in endpoint or "/" in endpoint or "." not in endpoint):
        raise invalid(f"endpoint '{endpoint}' must be the storage DNS suffix only, for example endpoint="
                      f"'core.windows.net' (no protocol, account or path).", kind=KIND)
    if allowed and getattr(ds, "protocol", "https") not in allowed:
        raise invalid(f"protocol '{ds.protocol}' is not valid for {type(ds).__name__}: use one of "
                      f"{', '.join(allowed)}.", kind=KIND)
    container = getattr(ds, "container_name", None) or getattr(ds, "filesystem", None) or \
        getattr(ds, "file_share_name", None)
    if container is not None and not _CONTAINER_RE.match(str(container)):
        raise invalid(f"'{container}' is not a valid container/file share/file system name: 3-63 lowercase letters, "
                      f"digits and single hyphens, starting and ending with a letter or digit.", kind=KIND)


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

    def _entity(self, row: dict, include_secrets: bool = False) -> Datastore:
        kept = secrets.get(self._store, KIND, row["name"]) or {}
        spec = dict(row["spec"])
        # the SDK's loader needs the secret field to pick the credential class; without include_secrets it is
        # then emptied, as Azure returns it
        spec["credentials"] = {**(spec.get("credentials") or {}), **{k: v if include_secrets else "-"
                                                                     for k, v in kept.items()}}
        ds = from_row(Datastore, {**row, "spec": spec}, self._client)
        if not include_secrets:
            for field in kept:
                if hasattr(ds.credentials, field):
                    setattr(ds.credentials, field, None)
        return ds

    def _secrets_note(self, include_secrets: bool) -> None:
        if include_secrets:
            note("include_secrets=True: secrets come from the local workspace's key vault folder (on Azure: the "
                 "workspace's Azure Key Vault); print the entity with care.")

    def list(self, *, include_secrets: bool = False) -> Iterable[Datastore]:
        self._secrets_note(include_secrets)
        return [self._entity(r, include_secrets) for r in sorted(self._store.list(KIND), key=lambda r: r["name"])]

    def get(self, name: str, *, include_secrets: bool = False) -> Datastore:
        row = self._store.get(KIND, name)
        if row is None:
            raise not_found(KIND, name, available=self._store.names(KIND),
                            hint="Register it with ml_client.datastores.create_or_update(AzureBlobDatastore(...)).")
        self._secrets_note(include_secrets)
        return self._entity(row, include_secrets)

    def get_default(self, *, include_secrets: bool = False) -> Datastore:
        return self.get(default_name(self._store), include_secrets=include_secrets)

    def create_or_update(self, datastore: Datastore) -> Datastore:
        if not isinstance(datastore, Datastore):
            raise invalid(f"create_or_update expects a Datastore entity such as AzureBlobDatastore, got "
                          f"{type(datastore).__name__}.", kind=KIND)
        if not datastore.name:
            raise invalid("The datastore has no name: pass name='...' when you create it.", kind=KIND)
        _check(datastore)
        spec = to_spec(datastore)
        check_loads(Datastore, spec)  # refuse what the SDK could not load back, before anything is kept
        creds = dict(spec.get("credentials") or {})
        kind = _credential_kind(creds)
        hidden = {k: creds.pop(k) for k in list(creds) if k in _SECRET_FIELDS}
        spec["credentials"] = creds  # tenant/client ids stay, as Azure returns them; secrets never reach the store
        secrets.put(self._store, KIND, datastore.name, hidden)
        row = self._store.get(KIND, datastore.name)
        labels = [lab for lab in (row["labels"] if row else []) if not lab.startswith("credentials:")]
        folder = self._store.datastore_path(datastore.name)
        folder.mkdir(parents=True, exist_ok=True)
        if isinstance(datastore, AzureDataLakeGen1Datastore):
            note(GEN1_NOTE)
        where = (getattr(datastore, "container_name", None) or getattr(datastore, "filesystem", None)
                 or getattr(datastore, "file_share_name", None) or getattr(datastore, "one_lake_workspace_name", None)
                 or "")
        account = getattr(datastore, "account_name", None) or getattr(datastore, "store_name", None) or "OneLake"
        how = "identity-based access, no secret" if kind == "identity" else f"{kind}, kept in the local key vault"
        note(f"datastore '{datastore.name}' is the local folder {folder}; on Azure it would point at "
             f"{account}/{where} ({how}).")
        return self._entity(self._store.put(KIND, datastore.name, None, spec, labels=labels + [f"credentials:{kind}"]))

    def delete(self, name: str) -> None:
        """Unregister the datastore; like Azure, the data in its folder is not deleted."""
        if name in {d.name for d in _DEFAULTS}:
            raise invalid(f"'{name}' is one of the workspace's built-in datastores and cannot be unregistered.",
                          kind=KIND)
        if self._store.get(KIND, name) is not None and "default" in self._store.get(KIND, name)["labels"]:
            raise invalid(f"'{name}' is the workspace's default datastore: make another one the default first.",
                          kind=KIND)
        if not self._store.delete(KIND, name):
            raise not_found(KIND, name, available=self._store.names(KIND))
        secrets.delete(self._store, KIND, name)

    def mount(self, path: str, mount_point: str | None = None, **kwargs: Any) -> None:
        from ..core.uris import resolve_path
        local = resolve_path(self._client, path)
        note(f"datastores.mount: nothing to mount locally, the data is already at {local}; on Azure this would "
             f"FUSE-mount it (compute instances only).")


def default_name(store: Any) -> str:
    """The workspace's default datastore (where ${{default_datastore}} points outside a pipeline)."""
    rows = [r for r in store.list(KIND) if "default" in r["labels"]]
    return rows[0]["name"] if rows else DEFAULT_DATASTORE


def set_default_datastore(client: Any, name: str) -> Datastore:
    """Make `name` the default datastore (where uploads and job outputs go). A dp100lab helper: azure-ai-ml 1.35's
    DatastoreOperations has get_default but no call that changes it, so portable code never calls this."""
    store = client.store
    if store.get(KIND, name) is None:
        raise not_found(KIND, name, available=store.names(KIND))
    for row in store.list(KIND):
        labels = [lab for lab in row["labels"] if lab != "default"] + (["default"] if row["name"] == name else [])
        if labels != row["labels"]:
            store.put(KIND, row["name"], None, row["spec"], labels=labels)
    note(f"'{name}' is now the local default datastore; azure-ai-ml has no call for this (the service keeps "
         f"workspaceblobstore unless the default is changed outside the SDK v2).")
    return client.datastores.get_default()


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
