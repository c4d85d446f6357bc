"""ml_client.batch_deployments for the local workspace: model deployments (MLflow without a script, or a custom
model with a batch scoring script) and pipeline component deployments, recorded under their batch endpoint.

Nothing runs until the endpoint is invoked (as on Azure, where the cluster scales from zero); the deployment's
settings (mini_batch_size, instance_count, max_concurrency_per_instance, retry_settings, error_threshold,
logging_level, output_action, output_file_name) are read at invocation with the defaults of
reference-yaml-deployment-batch.
An endpoint is invoked through its default deployment (endpoint.defaults.deployment_name) unless deployment_name= says
which one.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from azure.ai.ml.entities import BatchDeployment, ModelBatchDeployment, PipelineComponentBatchDeployment

from .. import _sdk
from ..core.errors import invalid
from ..core.poller import LocalPoller
from ..core.specs import arm_id
from . import http_errors

ENDPOINT_KIND, DEPLOYMENT_KIND = "batch_endpoint", "batch_deployment"
DEFAULTS = {"mini_batch_size": 10, "instance_count": 1, "max_concurrency_per_instance": 1, "error_threshold": -1,
            "logging_level": "info", "output_action": "append_row", "output_file_name": "predictions.csv",
            "max_retries": 3, "timeout": 30}


def settings_of(spec: dict) -> dict:
    """The effective settings of a stored model deployment (ModelBatchDeployment keeps them under `settings`,
    the legacy BatchDeployment at the root), Azure's defaults filled in."""
    s = {**spec, **(spec.get("settings") or {})}
    retry = s.get("retry_settings") or {}
    out = {k: s.get(k, v) if s.get(k) is not None else v for k, v in DEFAULTS.items()}
    out["instance_count"] = (spec.get("resources") or {}).get("instance_count") or out["instance_count"]
    out["max_retries"] = retry.get("max_retries", out["max_retries"])
    out["timeout"] = retry.get("timeout", out["timeout"])
    out["output_action"] = str(out["output_action"]).lower().replace("appendrow", "append_row").replace(
        "summaryonly", "summary_only")
    return out


def _key(endpoint: str, name: str) -> str:
    return f"{endpoint}/{name}"


class BatchDeploymentOperations:
    """begin_create_or_update, get, list, begin_delete, list_jobs."""

    def __init__(self, client: Any):
        self._client = client
        self._store = client.store

    def _entity(self, row: dict) -> BatchDeployment:
        spec = {k: v for k, v in row["spec"].items() if not k.startswith("_")}
        kind = spec.get("type")
        cls = {"model": ModelBatchDeployment, "pipeline": PipelineComponentBatchDeployment}.get(kind, BatchDeployment)
        if cls is ModelBatchDeployment and spec.get("resources"):
            spec["settings"] = {k: v for k, v in (spec.get("settings") or {}).items() if k != "instance_count"}
        entity = _sdk.entity_load(cls, spec)  # its schema has no provisioning_state: a recorded one has Succeeded
        entity._provisioning_state = "Succeeded"
        entity._id = arm_id(self._client, "batchEndpoints", spec["endpoint_name"]) + f"/deployments/{spec['name']}"
        return entity

    def rows(self, endpoint: str) -> list[dict]:
        return [r for r in self._store.list(DEPLOYMENT_KIND) if r["spec"].get("endpoint_name") == endpoint]

    def _row(self, name: str, endpoint_name: str) -> dict:
        if self._store.get(ENDPOINT_KIND, endpoint_name) is None:
            raise http_errors.not_found("Batch endpoint", endpoint_name, self._store.names(ENDPOINT_KIND))
        row = self._store.get(DEPLOYMENT_KIND, _key(endpoint_name, name))
        if row is None:
            raise http_errors.not_found(f"Deployment of batch endpoint '{endpoint_name}'", name,
                                        [r["spec"]["name"] for r in self.rows(endpoint_name)])
        return row

    def begin_create_or_update(self, deployment: BatchDeployment, *, skip_script_validation: bool = False,
                               **kwargs: Any) -> LocalPoller:
        return LocalPoller(lambda: self._create(deployment))

    def _create(self, d: BatchDeployment) -> BatchDeployment:
        if not isinstance(d, BatchDeployment):
            raise invalid(f"batch_deployments.begin_create_or_update expects a ModelBatchDeployment or "
                          f"PipelineComponentBatchDeployment, got {type(d).__name__}.")
        if not d.name or not d.endpoint_name:
            raise invalid("The deployment needs name= and endpoint_name=.")
        ep = self._store.get(ENDPOINT_KIND, d.endpoint_name)
        if ep is None:
            raise http_errors.not_found("Batch endpoint", d.endpoint_name, self._store.names(ENDPOINT_KIND),
                                        "Create the endpoint first: ml_client.batch_endpoints.begin_create_or_update("
                                        "BatchEndpoint(name=...)).result().")
        spec = json.loads(json.dumps(_sdk.entity_to_dict(d), default=str))
        pipeline = isinstance(d, PipelineComponentBatchDeployment)
        if pipeline:
            comp = d.component
            spec["component"] = self._component_ref(comp)
        else:
            from .online_deployments import resolve_model

            model, _local = resolve_model(self._client, d.model)
            spec["model"] = f"azureml:{model.name}:{model.version}"
            if model.type != "mlflow_model" and d.code_configuration is None:
                raise http_errors.bad_request(f"Batch deployment '{d.name}': a {model.type} model needs "
                                              f"code_configuration with a scoring script (init()/run(mini_batch)) and "
                                              f"an environment; only MLflow models deploy without them.")
            if not d.compute:
                raise http_errors.bad_request(f"Batch deployment '{d.name}' needs compute= (a compute cluster name).")
            self._client.compute.get(str(d.compute).replace("azureml:", ""))
            if d.code_configuration is not None:
                from pathlib import Path
                code = Path(str(d.code_configuration.code)).expanduser()
                if not code.is_absolute() and getattr(d, "base_path", None):
                    code = Path(d.base_path) / code
                if not (code / d.code_configuration.scoring_script).is_file():
                    raise invalid(f"The scoring script '{d.code_configuration.scoring_script}' is not in {code}.")
                spec["code_configuration"] = {"code": str(code.resolve()),
                                              "scoring_script": d.code_configuration.scoring_script}
        self._store.put(DEPLOYMENT_KIND, _key(d.endpoint_name, d.name), None, spec, tags=d.tags)
        return self.get(d.name, d.endpoint_name)

    def _component_ref(self, comp: Any) -> str:
        if isinstance(comp, str):
            return comp if comp.startswith("azureml:") else f"azureml:{comp}"
        if getattr(comp, "version", None) and self._store.get("component", comp.name, str(comp.version)):
            return f"azureml:{comp.name}:{comp.version}"
        registered = self._client.components.create_or_update(comp)  # an inline component: registered as Azure does
        return f"azureml:{registered.name}:{registered.version}"

    def get(self, name: str, endpoint_name: str) -> BatchDeployment:
        return self._entity(self._row(name, endpoint_name))

    def list(self, endpoint_name: str) -> Iterable[BatchDeployment]:
        return [self._entity(r) for r in self.rows(endpoint_name)]

    def begin_delete(self, name: str, endpoint_name: str) -> LocalPoller:
        self._row(name, endpoint_name)
        ep = self._store.get(ENDPOINT_KIND, endpoint_name)
        if ((ep["spec"].get("defaults") or {}).get("deployment_name")) == name and len(self.rows(endpoint_name)) > 1:
            raise http_errors.bad_request(f"Deployment '{name}' is the default deployment of batch endpoint "
                                          f"'{endpoint_name}'. Make another deployment the default first "
                                          f"(endpoint.defaults.deployment_name = ...), then delete it.")
        return LocalPoller(lambda: self._store.delete(DEPLOYMENT_KIND, _key(endpoint_name, name)) and None)

    def list_jobs(self, endpoint_name: str, *, name: str = None) -> Iterable[Any]:
        return self._client.batch_endpoints.list_jobs(endpoint_name, deployment_name=name)
