"""LocalMLClient: the MLClient look-alike of the local workspace.

Same attribute and operation-group names as azure.ai.ml.MLClient; every group takes and returns real azure.ai.ml
entities. Groups are built on first use so a notebook pays only for what it touches. The top-level
create_or_update / begin_create_or_update dispatch on the entity type through one table, as MLClient does.
Any other group of the real MLClient exists here too, and so does any method a group built here lacks: its calls
are recorded and answered with one line saying what Azure would do (never an AttributeError). Both lists are
below, in RECORDED_ONLY and RECORDED_METHODS (tests/fidelity/test_surface.py prints them).
"""

from __future__ import annotations

import atexit
import os
import sys
from functools import cached_property
from typing import Any, Optional

from azure.ai.ml import entities as E

from .core.errors import invalid, note
from .core.store import Store

LOCAL_SUBSCRIPTION = "local"
LOCAL_RESOURCE_GROUP = "local"
LOCAL_WORKSPACE = "local"

# entity type -> the group whose create_or_update takes it (azure.ai.ml._ml_client's singledispatch, SDK 1.35.2).
# Data is not among them there: ml_client.create_or_update(Data(...)) is a TypeError on Azure, so here too.
CREATE_OR_UPDATE = ((E.Job, "jobs"), (E.Model, "models"), (E.Environment, "environments"),
                    (E.Component, "components"), (E.Datastore, "datastores"), (E.Index, "indexes"))
# entity type -> the group whose begin_create_or_update takes it (a third item: the method, when it is another)
BEGIN_CREATE_OR_UPDATE = ((E.Workspace, "workspaces", "begin_create"), (E.Registry, "registries"), (E.Compute, "compute"),
                          (E.OnlineEndpoint, "online_endpoints"), (E.BatchEndpoint, "batch_endpoints"),
                          (E.OnlineDeployment, "online_deployments"), (E.BatchDeployment, "batch_deployments"),
                          (E.ModelBatchDeployment, "batch_deployments"),
                          (E.PipelineComponentBatchDeployment, "batch_deployments"), (E.Schedule, "schedules"),
                          (E.ServerlessEndpoint, "serverless_endpoints"),
                          (E.MarketplaceSubscription, "marketplace_subscriptions"),
                          (E.CapabilityHost, "capability_hosts"), (E.DeploymentTemplate, "deployment_templates"))
# groups of the real MLClient with no local meaning: (its azure.ai.ml.operations class, what Azure would do)
RECORDED_ONLY = {
    "registries": ("RegistryOperations", "create or read an Azure ML registry shared across workspaces"),
    "serverless_endpoints": ("ServerlessEndpointOperations", "deploy a catalog model as a pay-as-you-go serverless "
                             "API"),
    "marketplace_subscriptions": ("MarketplaceSubscriptionOperations", "subscribe the project to a marketplace "
                                  "model offer"),
    "feature_stores": ("FeatureStoreOperations", "manage a managed feature store workspace"),
    "feature_sets": ("FeatureSetOperations", "register and materialize a feature set in the feature store"),
    "feature_store_entities": ("FeatureStoreEntityOperations", "register an entity (join keys) in the feature "
                               "store"),
    "workspace_outbound_rules": ("WorkspaceOutboundRuleOperations", "add or list outbound rules of the workspace's "
                                 "managed network"),
    "indexes": ("IndexOperations", "build and register a vector index in the workspace"),
    "evaluators": ("EvaluatorOperations", "register an evaluator in the workspace"),
    "capability_hosts": ("CapabilityHostsOperations", "configure a capability host for agents"),
    "azure_openai_deployments": ("AzureOpenAIDeploymentOperations", "list the Azure OpenAI deployments of the "
                                 "workspace's connections"),
    "deployment_templates": ("DeploymentTemplateOperations", "manage deployment templates in a registry"),
}
# methods of the real MLClient's groups that the group built here lacks: (what Azure would do), per group
RECORDED_METHODS = {
    "components": {"download": "download the component's spec and code from the workspace",
                   "prepare_for_sign": "prepare the component's files for signing",
                   "validate": "validate the component and return a ValidationResult"},
    "compute": {"begin_attach": "attach an existing Azure resource (a VM, Kubernetes or Synapse Spark) as compute",
                "enable_sso": "turn single sign-on on or off for a compute instance",
                "list_nodes": "list the nodes of a compute cluster"},
    "data": {"share": "copy the data asset from the workspace into a registry"},
    "environments": {"share": "copy the environment from the workspace into a registry"},
    "models": {"package": "package the model and its dependencies into an environment image",
               "share": "copy the model from the workspace into a registry"},
    "jobs": {"begin_delete": "delete the job", "show_services": "return the services (Studio, TensorBoard, SSH, ...) "
             "of a job's node", "update": "update the job's display_name, description, tags or properties"},
    "workspaces": {"begin_diagnose": "diagnose the workspace's setup (network, key vault, storage, registry)",
                   "begin_provision_network": "provision the workspace's managed network",
                   "begin_sync_keys": "resynchronize the keys of the workspace's storage, registry and insights"},
}


def _group_for(entity: Any, table: tuple, call: str) -> tuple[str, str]:
    """(group, method) that takes `entity` for ml_client.<call>, or TypeError naming what it takes, as Azure."""
    for cls, group, *method in table:
        if isinstance(entity, cls):
            return group, (method or [call])[0]
    other = BEGIN_CREATE_OR_UPDATE if table is CREATE_OR_UPDATE else CREATE_OR_UPDATE
    names = ", ".join(dict.fromkeys(entry[0].__name__ for entry in table))
    hint = (f" Use ml_client.data.create_or_update(data)." if isinstance(entity, E.Data) else
            f" Use ml_client.{'begin_create_or_update' if table is CREATE_OR_UPDATE else 'create_or_update'}(...)."
            if any(isinstance(entity, entry[0]) for entry in other) else "")
    raise TypeError(f"ml_client.{call} cannot take a {type(entity).__name__}: it takes a {names} (as "
                    f"azure.ai.ml.MLClient).{hint}")


def _recorded_call(client: "LocalMLClient", group: str, method: str, azure_would: str):
    """A method with no local meaning: each call is recorded in the store and answered with one line."""

    def _call(*args: Any, **kwargs: Any) -> Any:
        client.store.record_call(f"{group}.{method}", args, kwargs)
        note(f"ml_client.{group}.{method} is recorded only: on Azure this would {azure_would}.")
        if method.startswith("list"):
            return iter(())
        first = args[0] if args else next(iter(kwargs.values()), None)
        if method.startswith("begin_"):
            from .core.poller import completed
            return completed(first)
        return first if method.startswith(("create", "update")) else None

    _call.__name__ = method
    return _call


def _group(build):
    """@cached_property for a group built here, given the real group's methods it lacks (RECORDED_METHODS)."""
    def get(client: "LocalMLClient") -> Any:
        ops = build(client)
        for method, azure_would in RECORDED_METHODS.get(build.__name__, {}).items():
            if not hasattr(ops, method):
                setattr(ops, method, _recorded_call(client, build.__name__, method, azure_would))
        return ops

    get.__name__, get.__doc__ = build.__name__, build.__doc__
    return cached_property(get)


class _RecordedOnly:
    """A group with no local meaning: every method the SDK's group has is a recorded call; others do not exist."""

    def __init__(self, client: "LocalMLClient", group: str):
        self._client, self._group = client, group
        self._sdk_class, self._azure_would = RECORDED_ONLY[group]

    def __getattr__(self, method: str):
        import azure.ai.ml.operations as sdk_operations

        if method.startswith("_") or not callable(getattr(getattr(sdk_operations, self._sdk_class), method, None)):
            raise AttributeError(f"'{self._sdk_class}' object has no attribute '{method}'")  # as on Azure
        return _recorded_call(self._client, self._group, method, self._azure_would)

    def __repr__(self) -> str:
        return f"<{self._group}: recorded only in the local workspace>"


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
    @_group
    def workspaces(self):
        from .assets.workspaces import WorkspaceOperations
        return WorkspaceOperations(self)

    @_group
    def compute(self):
        from .assets.compute import ComputeOperations
        return ComputeOperations(self)

    @_group
    def datastores(self):
        from .assets.datastores import DatastoreOperations
        return DatastoreOperations(self)

    @_group
    def data(self):
        from .assets.data import DataOperations
        return DataOperations(self)

    @_group
    def environments(self):
        from .assets.environments import EnvironmentOperations
        return EnvironmentOperations(self)

    @_group
    def models(self):
        from .assets.models import ModelOperations
        return ModelOperations(self)

    @_group
    def connections(self):
        from .assets.connections import WorkspaceConnectionsOperations
        return WorkspaceConnectionsOperations(self)

    @_group
    def jobs(self):
        from .jobs.operations import JobOperations
        return JobOperations(self)

    @_group
    def components(self):
        if self.registry_name:  # a registry client (registry_name="azureml"): the local registry's RAI components
            from .registry import RegistryComponentOperations
            return RegistryComponentOperations(self.registry_name)
        from .assets.components import ComponentOperations
        return ComponentOperations(self)

    @_group
    def online_endpoints(self):
        from .endpoints.online_endpoints import OnlineEndpointOperations
        return OnlineEndpointOperations(self)

    @_group
    def online_deployments(self):
        from .endpoints.online_deployments import OnlineDeploymentOperations
        return OnlineDeploymentOperations(self)

    @_group
    def batch_endpoints(self):
        from .endpoints.batch_endpoints import BatchEndpointOperations
        return BatchEndpointOperations(self)

    @_group
    def batch_deployments(self):
        from .endpoints.batch_deployments import BatchDeploymentOperations
        return BatchDeploymentOperations(self)

    @_group
    def schedules(self):
        from .schedules.operations import ScheduleOperations
        return ScheduleOperations(self)

    # ---- top-level conveniences, as azure.ai.ml.MLClient -------------------------------------------------
    def create_or_update(self, entity: Any, **kwargs: Any) -> Any:
        """Create or update a Job, Model, Environment, Component or Datastore (dispatch on its type)."""
        group, method = _group_for(entity, CREATE_OR_UPDATE, "create_or_update")
        return getattr(getattr(self, group), method)(entity, **kwargs)

    def begin_create_or_update(self, entity: Any, **kwargs: Any) -> Any:
        """Create or update a Workspace, Compute, endpoint, deployment or Schedule; returns a poller."""
        group, method = _group_for(entity, BEGIN_CREATE_OR_UPDATE, "begin_create_or_update")
        return getattr(getattr(self, group), method)(entity, **kwargs)  # Workspace: begin_create, as Azure

    @classmethod
    def from_config(cls, credential: Any = None, *, path: Optional[os.PathLike | str] = None,
                    file_name: Optional[str] = None, **kwargs: Any) -> Any:
        """As MLClient.from_config: see dp100lab.MLClient.from_config."""
        from .connect import MLClient
        return MLClient.from_config(credential, path=path, file_name=file_name, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in RECORDED_ONLY:
            group = _RecordedOnly(self, name)
            self.__dict__[name] = group
            return group
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
