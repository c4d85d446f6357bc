"""ml_client.workspaces for the local workspace: the store itself is the workspace.

On Azure, creating a workspace also creates (or attaches) a storage account, a key vault and Application
Insights, and a container registry when an image is first built (Workspace entity fields storage_account,
key_vault, application_insights, container_registry). Locally these are folders of the store; begin_create
records the entity and says in one line what Azure would have made.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from azure.ai.ml.entities import Workspace

from ..core.errors import invalid, not_found, note
from ..core.poller import LocalPoller
from ..core.specs import from_row, to_spec

KIND = "workspace"


class WorkspaceOperations:
    """get, list, begin_create, begin_update, begin_delete — as azure.ai.ml's WorkspaceOperations."""

    def __init__(self, client: Any):
        self._client = client
        self._store = client.store

    def _ensure_default(self) -> None:
        name = self._client.workspace_name
        if self._store.get(KIND, name) is None:
            ws = Workspace(name=name, location="local", display_name="Local workspace",
                           description=f"dp100lab local workspace stored in {self._store.root}")
            self._store.put(KIND, name, None, to_spec(ws))

    def _entity(self, row: dict) -> Workspace:
        ws = from_row(Workspace, row, self._client)
        ws._mlflow_tracking_uri = self._store.mlflow_tracking_uri  # what Workspace.mlflow_tracking_uri returns
        ws._discovery_url = None
        return ws

    def get(self, name: Optional[str] = None, **kwargs: Any) -> Workspace:
        name = name or self._client.workspace_name
        row = self._store.get(KIND, name)
        if row is None:
            raise not_found(KIND, name, available=self._store.names(KIND),
                            hint="Create it with ml_client.workspaces.begin_create(Workspace(name=...)).")
        return self._entity(row)

    def list(self, *, scope: str = "resource_group", **kwargs: Any) -> Iterable[Workspace]:
        return [self._entity(r) for r in self._store.list(KIND)]

    def begin_create(self, workspace: Workspace, update_dependent_resources: bool = False,
                     **kwargs: Any) -> LocalPoller:
        if not isinstance(workspace, Workspace) or not workspace.name:
            raise invalid("begin_create expects a Workspace entity with a name, e.g. Workspace(name='mlw-dp100', "
                          "location='eastus').", kind=KIND)

        def work() -> Workspace:
            spec = to_spec(workspace)
            self._store.put(KIND, workspace.name, None, spec, tags=workspace.tags)
            note(f"workspace '{workspace.name}' recorded locally; on Azure this would also create a storage account, "
                 f"a key vault and Application Insights (and a container registry on the first image build).")
            return self.get(workspace.name)

        return LocalPoller(work)

    def begin_update(self, workspace: Workspace, *, update_dependent_resources: bool = False,
                     **kwargs: Any) -> LocalPoller:
        if self._store.get(KIND, workspace.name) is None:
            raise not_found(KIND, workspace.name, available=self._store.names(KIND))

        def work() -> Workspace:
            self._store.put(KIND, workspace.name, None, to_spec(workspace), tags=workspace.tags)
            return self.get(workspace.name)

        return LocalPoller(work)

    def begin_delete(self, name: str, *, delete_dependent_resources: bool = False, permanently_delete: bool = False,
                     **kwargs: Any) -> LocalPoller:
        if name == self._client.workspace_name:
            raise invalid(f"'{name}' is the workspace this client is connected to. To wipe the local workspace use "
                          f"`dp100 reset` (it refuses while a kernel or job is using it).", kind=KIND)
        if self._store.get(KIND, name) is None:
            raise not_found(KIND, name, available=self._store.names(KIND))

        def work() -> None:
            self._store.delete(KIND, name)
            # Microsoft docs, concept-soft-delete: default retention of a soft-deleted workspace is 14 days
            note(f"workspace '{name}' removed from the local record; on Azure it would be soft-deleted (recoverable "
                 f"for 14 days unless permanently_delete=True).")

        return LocalPoller(work)

    def get_keys(self, name: Optional[str] = None) -> None:
        note("workspaces.get_keys: the local workspace has no storage or registry keys; on Azure this returns the "
             "workspace's storage, container registry and Application Insights keys.")
        return None
