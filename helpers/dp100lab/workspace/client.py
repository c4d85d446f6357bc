"""LocalMLClient: the MLClient look-alike of the local workspace.

Same attribute and operation-group names as azure.ai.ml.MLClient; every group takes and returns real azure.ai.ml
entities. Groups are built on first use so a notebook pays only for what it touches. The top-level
create_or_update / begin_create_or_update dispatch on the entity type through one table, as MLClient does.
Any other group of the real MLClient exists here too: its calls are recorded and answered with one line saying
what Azure would do (never an AttributeError).
"""

from __future__ import annotations

import atexit
import os
import sys
from functools import cached_property
from typing import Any, Optional

from azure.ai.ml import entities as E

from .core.errors import invalid, not_yet, note
from .core.store import Store

LOCAL_SUBSCRIPTION = "local"
LOCAL_RESOURCE_GROUP = "local"
LOCAL_WORKSPACE = "local"

# entity type -> the group whose create_or_update takes it (azure.ai.ml._ml_client's singledispatch, SDK 1.35)
CREATE_OR_UPDATE = ((E.Job, "jobs"), (E.Model, "models"), (E.Environment, "environments"),
                    (E.Component, "components"), (E.Datastore, "datastores"), (E.Data, "data"))
# entity type -> the group whose begin_create_or_update takes it
BEGIN_CREATE_OR_UPDATE = ((E.Workspace, "workspaces"), (E.Registry, "registries"), (E.Compute, "compute"),
                          (E.OnlineEndpoint, "online_endpoints"), (E.BatchEndpoint, "batch_endpoints"),
                          (E.OnlineDeployment, "online_deployments"), (E.BatchDeployment, "batch_deployments"),
                          (E.ModelBatchDeployment, "batch_deployments"),
                          (E.PipelineComponentBatchDeployment, "batch_deployments"), (E.Schedule, "schedules"),
                          (E.ServerlessEndpoint, "serverless_endpoints"),
                          (E.MarketplaceSubscription, "marketplace_subscriptions"))
# groups of the real MLClient with no local meaning: (what Azure would do)
RECORDED_ONLY = {
    "registries": "create or read an Azure ML registry shared across workspaces",
    "serverless_endpoints": "deploy a catalog model as a pay-as-you-go serverless API",
    "marketplace_subscriptions": "subscribe the project to a marketplace model offer",
    "feature_stores": "manage a managed feature store workspace",
    "feature_sets": "register and materialize a feature set in the feature store",
    "feature_store_entities": "register an entity (join keys) in the feature store",
    "workspace_outbound_rules": "add or list outbound rules of the workspace's managed network",
    "indexes": "build and register a vector index in the workspace",
    "evaluators": "register an evaluator in the workspace",
    "capability_hosts": "configure a capability host for agents",
    "azure_openai_deployments": "list the Azure OpenAI deployments of the workspace's connections",
    "deployment_templates": "manage deployment templates in a registry",
}


def _group_for(entity: Any, table: tuple) -> str:
    for cls, group in table:
        if isinstance(entity, cls):
            return group
    raise invalid(f"{type(entity).__name__} cannot be created with this call. create_or_update takes a Job, Model, "
                  f"Environment, Component, Datastore or Data; begin_create_or_update takes a Workspace, Registry, "
                  f"Compute, online or batch endpoint or deployment, or Schedule (as azure.ai.ml.MLClient).")


class _RecordedOnly:
    """A group with no local meaning: each call is recorded in the store and answered with one line."""

    def __init__(self, client: "LocalMLClient", group: str, azure_would: str):
        self._client, self._group, self._azure_would = client, group, azure_would

    def __getattr__(self, method: str):
        if method.startswith("__"):
            raise AttributeError(method)

        def _call(*args: Any, **kwargs: Any) -> Any:
            self._client.store.record_call(f"{self._group}.{method}", args, kwargs)
            note(f"ml_client.{self._group}.{method} is recorded only: on Azure this would {self._azure_would}.")
            if method.startswith("list"):
                return iter(())
            first = args[0] if args else next(iter(kwargs.values()), None)
            if method.startswith("begin_"):
                from .core.poller import completed
                return completed(first)
            return first if method.startswith(("create", "update")) else None

        return _call

    def __repr__(self) -> str:
        return f"<{self._group}: recorded only in the local workspace>"


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

    def __init__(self, root: Optional[os.PathLike | str] = None, *, workspace_name: Optional[str] = None,
                 subscription_id: Optional[str] = None, resource_group_name: Optional[str] = None,
                 registry_name: Optional[str] = None, hold: bool = True, set_mlflow: bool = True):
        self._store = Store(root)
        if workspace_name and registry_name:  # as MLClient
            raise invalid("Both workspace_name and registry_name cannot be used together, for the ml_client.")
        self.subscription_id = subscription_id or LOCAL_SUBSCRIPTION
        self.resource_group_name = resource_group_name or LOCAL_RESOURCE_GROUP
        self.workspace_name = None if registry_name else (workspace_name or LOCAL_WORKSPACE)
        self.registry_name = registry_name
        self.location = "local"
        if hold:  # mark this process as using the store, so `dp100 reset` refuses to wipe it under us
            purpose = "notebook kernel" if "ipykernel" in sys.modules else "python process"
            self._store.hold(purpose)
            atexit.register(self._store.release, purpose, os.getpid())
        if set_mlflow:  # as on a compute instance: MLflow in this process logs to the workspace
            from .core.tracking import use_in_this_process
            use_in_this_process(self._store)
        if registry_name:
            return  # a registry client: only its components/environments/models groups are used
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
    def connections(self):
        from .assets.connections import WorkspaceConnectionsOperations
        return WorkspaceConnectionsOperations(self)

    @cached_property
    def jobs(self):
        from .jobs.operations import JobOperations
        return JobOperations(self)

    # ---- groups a later module brings locally (module numbers: README's module map) --
    @cached_property
    def components(self):
        if self.registry_name:  # a registry client (registry_name="azureml"): the local registry's RAI components
            from .registry import RegistryComponentOperations
            return RegistryComponentOperations(self.registry_name)
        from .assets.components import ComponentOperations
        return ComponentOperations(self)

    @cached_property
    def online_endpoints(self):
        from .endpoints.online_endpoints import OnlineEndpointOperations
        return OnlineEndpointOperations(self)

    @cached_property
    def online_deployments(self):
        from .endpoints.online_deployments import OnlineDeploymentOperations
        return OnlineDeploymentOperations(self)

    @cached_property
    def batch_endpoints(self):
        from .endpoints.batch_endpoints import BatchEndpointOperations
        return BatchEndpointOperations(self)

    @cached_property
    def batch_deployments(self):
        from .endpoints.batch_deployments import BatchDeploymentOperations
        return BatchDeploymentOperations(self)

    @cached_property
    def schedules(self):
        from .schedules.operations import ScheduleOperations
        return ScheduleOperations(self)

    # ---- top-level conveniences, as azure.ai.ml.MLClient -------------------------------------------------
    def create_or_update(self, entity: Any, **kwargs: Any) -> Any:
        """Create or update a Job, Model, Environment, Component, Datastore or Data (dispatch on its type)."""
        return getattr(self, _group_for(entity, CREATE_OR_UPDATE)).create_or_update(entity, **kwargs)

    def begin_create_or_update(self, entity: Any, **kwargs: Any) -> Any:
        """Create or update a Workspace, Compute, endpoint, deployment or Schedule; returns a poller."""
        return getattr(self, _group_for(entity, BEGIN_CREATE_OR_UPDATE)).begin_create_or_update(entity, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in RECORDED_ONLY:
            group = _RecordedOnly(self, name, RECORDED_ONLY[name])
            self.__dict__[name] = group
            return group
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
