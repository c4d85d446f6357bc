"""ml_client.connections for the local workspace: every WorkspaceConnection kind, its secrets kept out of the entity.

As azure-ai-ml 1.35's WorkspaceConnectionsOperations: create_or_update / get / list / delete, with the keywords
populate_secrets (get, list, create_or_update) and connection_type / include_data_connections (list). The
connection is stored in its REST form, as the service keeps it, and rebuilt with the SDK's own loader, so get()
returns the subclass Azure returns (AzureOpenAIConnection, APIKeyConnection, ...). As on Azure, what get() and
list() return holds an empty credential object of the right type: the secret itself (key, password, PAT, SAS,
client secret) lives in the local key vault folder (secrets.py), and populate_secrets=True fills in an API key
only, as the SDK's second call does. A connection whose target is a local path (a SQLite file, a folder) is
what ml_client.data.import_data reads on this machine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Optional

from azure.ai.ml.entities import ApiKeyConfiguration, WorkspaceConnection

from .. import _sdk
from ..core.errors import invalid, not_found, note
from . import secrets

KIND = "connection"
_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$")  # the REST API's rule for connection names
_ARM = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}" \
       "/connections/{name}"


def _norm(category: Optional[str]) -> str:
    """'azure_sql_db', 'AzureSqlDb' and 'azureSqlDb' name one category."""
    return (category or "").replace("_", "").lower()


def local_target(target: Optional[str]) -> Optional[Path]:
    """The local file or folder a connection's target names (a path, file://..., sqlite:///...), if it exists."""
    if not target or re.match(r"^(?!file:|sqlite:)[a-z][a-z0-9+.-]*:", str(target), re.IGNORECASE):
        return None  # a URL or a connection string of a remote service
    path = Path(re.sub(r"^(sqlite:///|file://)", "", str(target))).expanduser()
    return path if path.exists() else None


class WorkspaceConnectionsOperations:
    """create_or_update, get, list, delete: as azure.ai.ml's WorkspaceConnectionsOperations."""

    def __init__(self, client: Any):
        self._client = client
        self._store = client.store

    # ---- stored form -------------------------------------------------------------------------------
    def _entity(self, row: dict, populate_secrets: bool = False) -> WorkspaceConnection:
        body = dict(row["spec"])
        body["id"] = _ARM.format(sub=self._client.subscription_id, rg=self._client.resource_group_name,
                                 ws=self._client.workspace_name, name=row["name"])
        body["systemData"] = {"createdAt": row["created_at"], "createdBy": "local user", "createdByType": "User",
                              "lastModifiedAt": row["updated_at"]}
        conn = _sdk.connection_from_rest_dict(body)
        if populate_secrets and isinstance(conn.credentials, ApiKeyConfiguration):  # as the SDK: API keys only
            conn.credentials.key = (secrets.get(self._store, KIND, row["name"]) or {}).get("key")
        return conn

    def _secrets_note(self, populate_secrets: bool) -> None:
        if populate_secrets:
            note("populate_secrets=True: API keys come from the local workspace's key vault folder (on Azure: a "
                 "list_secrets call to the workspace's key vault); print the connection with care.")

    # ---- operations --------------------------------------------------------------------------------
    def create_or_update(self, workspace_connection: WorkspaceConnection, *, populate_secrets: bool = False,
                         **kwargs: Any) -> WorkspaceConnection:
        conn = workspace_connection
        if not isinstance(conn, WorkspaceConnection):
            raise invalid(f"connections.create_or_update expects a WorkspaceConnection or one of its subclasses "
                          f"(AzureOpenAIConnection, APIKeyConnection, AzureBlobStoreConnection, ...), got "
                          f"{type(conn).__name__}.")
        if not conn.name or not _NAME_RE.match(str(conn.name)):
            raise invalid(f"Connection name '{conn.name}' is not valid: Azure takes 3-33 letters, digits, '_' or "
                          f"'-', starting with a letter or digit (for example name='my_sql_connection').")
        try:
            body = _sdk.connection_to_rest_dict(conn)
        except Exception as e:  # the SDK's own serialisation refused it: say which field
            raise invalid(f"Connection '{conn.name}' is not valid: {type(e).__name__}: {str(e)[:300]}. Fix the field "
                          f"named above and call create_or_update again.") from e
        hidden = body["properties"].pop("credentials", None) or {}
        try:  # refuse what could not be read back, before anything is kept (as check_loads for assets)
            _sdk.connection_from_rest_dict(body)
        except Exception as e:
            raise invalid(f"Connection '{conn.name}' of type '{conn.type}' would not load back: {type(e).__name__}: "
                          f"{str(e)[:300]}. Use the connection's own class (e.g. AzureBlobStoreConnection for "
                          f"azure_blob) with its required fields.") from e
        secrets.put(self._store, KIND, conn.name, {k: v for k, v in hidden.items() if v is not None})
        self._store.put(KIND, conn.name, None, body)
        local = local_target(conn.target)
        where = (f"the local {'folder' if local.is_dir() else 'file'} {local}, which data imports read here"
                 if local else f"{conn.target} (not reachable from the local workspace)")
        kept = "its secret in the local key vault folder" if hidden else "no secret"
        note(f"connection '{conn.name}' ({conn.type}) recorded with {kept}; it points at {where}; on Azure the "
             f"secret would go to the workspace's Azure Key Vault.")
        return self.get(conn.name, populate_secrets=populate_secrets)

    def get(self, name: str, *, populate_secrets: bool = False, **kwargs: Any) -> WorkspaceConnection:
        row = self._store.get(KIND, name)
        if row is None:
            raise not_found(KIND, name, available=self._store.names(KIND),
                            hint="Create it with ml_client.connections.create_or_update(WorkspaceConnection(...)).")
        self._secrets_note(populate_secrets)
        return self._entity(row, populate_secrets)

    def list(self, connection_type: Optional[str] = None, *, populate_secrets: bool = False,
             include_data_connections: bool = False, **kwargs: Any) -> Iterable[WorkspaceConnection]:
        """Connections by name, only those of `connection_type` (e.g. 'azure_open_ai', 'git') when given."""
        self._secrets_note(populate_secrets)
        if include_data_connections:
            note("include_data_connections=True: on Azure the list would also hold the workspace's datastores; "
                 "locally list them with ml_client.datastores.list().")
        rows = sorted(self._store.list(KIND), key=lambda r: r["name"])
        conns = [self._entity(r, populate_secrets) for r in rows]
        if connection_type:
            want = _norm(connection_type)
            conns = [c for c, r in zip(conns, rows) if want in (_norm(c.type), _norm(r["spec"]["properties"].get(
                "category")))]
        return conns

    def delete(self, name: str, **kwargs: Any) -> None:
        """Delete the connection and its secret; like Azure's DELETE, a name that does not exist is no error."""
        self._store.delete(KIND, name)
        secrets.delete(self._store, KIND, name)
