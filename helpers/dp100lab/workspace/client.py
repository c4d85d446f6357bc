"""LocalMLClient: the MLClient look-alike of the local workspace.

Same attribute and operation-group names as azure.ai.ml.MLClient; every group takes and returns real azure.ai.ml
entities. Groups are built on first use so a notebook pays only for what it touches.
"""

from __future__ import annotations

import atexit
import os
import sys
from functools import cached_property
from typing import Optional

from .core.errors import not_yet
from .core.store import Store

LOCAL_SUBSCRIPTION = "local"
LOCAL_RESOURCE_GROUP = "local"
LOCAL_WORKSPACE = "local"


class _NotYet:
    """An operation group that a later module brings locally: every call says so and what Azure would do."""

    def __init__(self, group: str, module: str, azure_would: str):
        self._group, self._module, self._azure_would = group, module, azure_would

    def __getattr__(self, method: str):
        if method.startswith("__"):
            raise AttributeError(method)

        def _call(*args, **kwargs):
            raise not_yet(self._module, f"ml_client.{self._group}.{method}", self._azure_would)

        return _call

    def __repr__(self) -> str:
        return f"<{self._group}: arrives in module {self._module} of dp100lab>"


class LocalMLClient:
    """MLClient for the local workspace stored under `root` ($DP100LAB_HOME or ~/.dp100lab)."""

    def __init__(self, root: Optional[os.PathLike | str] = None, *, workspace_name: str = LOCAL_WORKSPACE,
                 hold: bool = True, set_mlflow: bool = True):
        self._store = Store(root)
        self.subscription_id = LOCAL_SUBSCRIPTION
        self.resource_group_name = LOCAL_RESOURCE_GROUP
        self.workspace_name = workspace_name
        self.registry_name = None
        self.location = "local"
        if hold:  # mark this process as using the store, so `dp100 reset` refuses to wipe it under us
            purpose = "notebook kernel" if "ipykernel" in sys.modules else "python process"
            self._store.hold(purpose)
            atexit.register(self._store.release, purpose, os.getpid())
        if set_mlflow:  # as on a compute instance: MLflow in this process logs to the workspace
            from .core.tracking import use_in_this_process
            use_in_this_process(self._store)
        self.datastores._ensure_defaults()
        self.workspaces._ensure_default()
        from .jobs.recovery import recover_dead_jobs  # a job whose process died is marked Failed on every start
        recover_dead_jobs(self._store)

    @property
    def store(self) -> Store:
        return self._store

    @property
    def root(self):
        return self._store.root

    def __repr__(self) -> str:
        return f"LocalMLClient(workspace_name='{self.workspace_name}', store='{self._store.root}')"

    # ---- operation groups built in this package --------------------------------------------------
    @cached_property
    def workspaces(self):
        from .assets.workspaces import WorkspaceOperations
        return WorkspaceOperations(self)

    @cached_property
    def compute(self):
        from .assets.compute import ComputeOperations
        return ComputeOperations(self)

    @cached_property
    def datastores(self):
        from .assets.datastores import DatastoreOperations
        return DatastoreOperations(self)

    @cached_property
    def data(self):
        from .assets.data import DataOperations
        return DataOperations(self)

    @cached_property
    def environments(self):
        from .assets.environments import EnvironmentOperations
        return EnvironmentOperations(self)

    @cached_property
    def models(self):
        from .assets.models import ModelOperations
        return ModelOperations(self)

    @cached_property
    def jobs(self):
        from .jobs.operations import JobOperations
        return JobOperations(self)

    # ---- groups a later module brings locally (module numbers: README's module map) --
    @cached_property
    def components(self):
        from .assets.components import ComponentOperations
        return ComponentOperations(self)

    @cached_property
    def online_endpoints(self):
        return _NotYet("online_endpoints", "09", "create a managed online endpoint with a scoring URI and keys")

    @cached_property
    def online_deployments(self):
        return _NotYet("online_deployments", "09", "deploy the model to VMs behind the online endpoint")

    @cached_property
    def batch_endpoints(self):
        return _NotYet("batch_endpoints", "10", "create a batch endpoint that scores files on a compute cluster")

    @cached_property
    def batch_deployments(self):
        return _NotYet("batch_deployments", "10", "deploy the model or pipeline component to the batch endpoint")

    @cached_property
    def schedules(self):
        return _NotYet("schedules", "08", "trigger the job on a recurrence or cron schedule")
