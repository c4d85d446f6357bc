"""ml_client.batch_endpoints for the local workspace: endpoints, their default deployment, and invoke().

invoke() starts a job visible in ml_client.jobs: a model deployment runs as a batch_scoring job
(jobs/kinds/batch_scoring.py) whose `score` output holds the predictions (jobs.download(..., output_name="score"));
a pipeline component deployment runs its pipeline as a pipeline job with the given inputs (none for a pipeline
that takes none) and settings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Optional

from azure.ai.ml import Input
from azure.ai.ml.entities import BatchEndpoint, BatchJob

from .. import _sdk
from ..core.errors import invalid, note
from ..core.poller import LocalPoller
from ..core.specs import arm_id
from ..core.uris import resolve_path
from . import http_errors
from .batch_deployments import DEPLOYMENT_KIND, ENDPOINT_KIND, BatchDeploymentOperations, settings_of


class BatchEndpointOperations:
    """begin_create_or_update, get, list, begin_delete, invoke, list_jobs."""

    def __init__(self, client: Any):
        self._client = client
        self._store = client.store

    def _entity(self, row: dict) -> BatchEndpoint:
        spec = {k: v for k, v in row["spec"].items() if not k.startswith("_")}
        entity = _sdk.entity_load(BatchEndpoint, {**spec, "provisioning_state": "Succeeded"})
        entity._id = arm_id(self._client, "batchEndpoints", row["name"])
        # as from Azure's REST answer: an object, so `endpoint.defaults.deployment_name = ...` works after get()
        default = (spec.get("defaults") or {}).get("deployment_name")
        entity.defaults = _sdk.BatchEndpointDefaults(deployment_name=default)
        return entity

    def _row(self, name: str) -> dict:
        row = self._store.get(ENDPOINT_KIND, name)
        if row is None:
            raise http_errors.not_found("Batch endpoint", name, self._store.names(ENDPOINT_KIND),
                                        "Create it with ml_client.batch_endpoints.begin_create_or_update("
                                        "BatchEndpoint(name=...)).result().")
        return row

    def begin_create_or_update(self, endpoint: BatchEndpoint) -> LocalPoller:
        if not isinstance(endpoint, BatchEndpoint):  # refused before any request, as the SDK does
            raise invalid(f"batch_endpoints.begin_create_or_update expects a BatchEndpoint, got "
                          f"{type(endpoint).__name__}.")
        return LocalPoller(lambda: self._create(endpoint))

    def _create(self, endpoint: BatchEndpoint) -> BatchEndpoint:
        if not endpoint.name:
            raise invalid("The batch endpoint has no name: BatchEndpoint(name='my-batch-endpoint').")
        spec = json.loads(json.dumps(_sdk.entity_to_dict(endpoint), default=str))
        for k in ("provisioning_state", "scoring_uri", "openapi_uri"):
            spec.pop(k, None)
        default = (spec.get("defaults") or {}).get("deployment_name")
        deps = [r["spec"]["name"] for r in BatchDeploymentOperations(self._client).rows(endpoint.name)]
        if default and default not in deps:
            raise http_errors.bad_request(f"defaults.deployment_name '{default}' is not a deployment of batch endpoint "
                                          f"'{endpoint.name}' (existing: {deps or 'none'}).")
        self._store.put(ENDPOINT_KIND, endpoint.name, None, spec, tags=endpoint.tags)
        return self.get(endpoint.name)

    def get(self, name: str) -> BatchEndpoint:
        return self._entity(self._row(name))

    def list(self) -> Iterable[BatchEndpoint]:
        return [self._entity(r) for r in self._store.list(ENDPOINT_KIND)]

    def begin_delete(self, name: str) -> LocalPoller:
        self._row(name)

        def _delete() -> None:  # deployments go with the endpoint; its jobs stay, as on Azure
            for r in BatchDeploymentOperations(self._client).rows(name):
                self._store.delete(DEPLOYMENT_KIND, r["name"])
            self._store.delete(ENDPOINT_KIND, name)

        return LocalPoller(_delete)

    # ---- invoke ------------------------------------------------------------------------------------
    def invoke(self, endpoint_name: str, *, deployment_name: Optional[str] = None,
               inputs: Optional[dict] = None, **kwargs: Any) -> BatchJob:
        ep = self._row(endpoint_name)
        name = deployment_name or (ep["spec"].get("defaults") or {}).get("deployment_name")
        if not name:
            raise http_errors.bad_request(f"Batch endpoint '{endpoint_name}' has no default deployment. Set "
                                          f"endpoint.defaults.deployment_name and update the endpoint, or pass "
                                          f"deployment_name=.")
        dep = BatchDeploymentOperations(self._client)._row(name, endpoint_name)["spec"]
        given = kwargs.get("input")
        if given is None and inputs:
            given = inputs if dep.get("type") == "pipeline" else next(iter(inputs.values()))
        if dep.get("type") == "pipeline":  # a pipeline without inputs is invoked with none, as the SDK sends none
            inputs = {} if given is None else given if isinstance(given, dict) else {"input": given}
            return self._invoke_pipeline(endpoint_name, dep, inputs, kwargs)
        if given is None:
            raise invalid("invoke needs the data to score: input=Input(type=AssetTypes.URI_FOLDER, path=...).")
        return self._invoke_model(endpoint_name, dep, given, kwargs)

    def _invoke_model(self, endpoint: str, dep: dict, given: Any, kwargs: dict) -> BatchJob:
        from ..jobs.batch.entity import BatchScoringJob
        from ..jobs.submit import submit
        from .online_deployments import resolve_model

        path = str(given.path if isinstance(given, Input) else given)
        if "://" not in path and not path.startswith("azureml:") and Path(path).exists():
            from ..assets.datastores import upload_to_datastore
            path = upload_to_datastore(self._client, path)  # as the SDK uploads a local input before invoking
        local = resolve_path(self._client, path).resolve()
        model, model_local = resolve_model(self._client, dep["model"])
        s = settings_of(dep)
        folder = Path(self._store.root) / "batch" / endpoint / dep["name"] / "azureml-models" / model.name / \
            str(model.version)
        folder.mkdir(parents=True, exist_ok=True)
        link = folder / model_local.name
        if not link.exists():
            os.symlink(model_local, link)
        cc = dep.get("code_configuration")
        compute = str(dep.get("compute") or "").replace("azureml:", "")
        batch = {**s, "input": str(local), "model_dir": str(folder), "compute": compute,
                 "scoring_script": str(Path(cc["code"]) / cc["scoring_script"]) if cc else "mlflow",
                 "code_dir": cc["code"] if cc else None,
                 "environment_variables": {**(dep.get("environment_variables") or {}),
                                           **(dep.get("settings") or {}).get("environment_variables", {})},
                 "note": (f"Azure would run this on {s['instance_count']} node(s) of compute '{compute}' "
                          f"(scaling from zero); here {s['instance_count'] * s['max_concurrency_per_instance']} "
                          f"local worker process(es).")}
        job = BatchScoringJob(batch=batch, experiment_name=kwargs.get("experiment_name") or endpoint,
                              display_name=kwargs.get("job_name"), compute=compute,
                              properties={"azureml.batchEndpoint": endpoint, "azureml.batchDeployment": dep["name"]})
        if kwargs.get("job_name"):
            job.name = kwargs["job_name"]
        note(batch["note"])
        name = submit(self._client, job, skip_validation=True)
        return self._batch_job(name)

    def _invoke_pipeline(self, endpoint: str, dep: dict, inputs: dict, kwargs: dict) -> BatchJob:
        from azure.ai.ml.entities import PipelineJob

        ref = dep["component"][len("azureml:"):] if dep["component"].startswith("azureml:") else dep["component"]
        cname, _, version = ref.partition(":")
        component = self._client.components.get(cname, version=version or None) if version else \
            self._client.components.get(cname, label="latest")
        settings = dict(dep.get("settings") or {})
        job = PipelineJob(component=component, inputs=inputs, settings=settings,
                          experiment_name=kwargs.get("experiment_name") or endpoint,
                          properties={"azureml.batchEndpoint": endpoint, "azureml.batchDeployment": dep["name"]})
        if settings.get("default_compute"):
            job.settings.default_compute = settings["default_compute"]
        created = self._client.jobs.create_or_update(job)
        return self._batch_job(created.name)

    def _batch_job(self, name: str) -> BatchJob:
        row = self._store.get_job(name)
        return BatchJob(id=row["spec"].get("id"), name=name, type="Microsoft.MachineLearningServices/workspaces/"
                        "batchEndpoints/jobs", status=row["status"])

    def list_jobs(self, endpoint_name: str, *, deployment_name: Optional[str] = None) -> Iterable[BatchJob]:
        self._row(endpoint_name)
        found = []
        for row in self._store.list_jobs():
            props = ((row["spec"].get("properties") or {}).get("properties") or {})
            if props.get("azureml.batchEndpoint") == endpoint_name and deployment_name in (
                    None, props.get("azureml.batchDeployment")):
                found.append(self._batch_job(row["name"]))
        return found
