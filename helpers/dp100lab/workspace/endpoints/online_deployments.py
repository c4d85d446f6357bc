"""ml_client.online_deployments for the local workspace: each deployment served by azureml-inference-server-http.

begin_create_or_update lays the deployment out as Azure's container has it (code snapshot, AZUREML_MODEL_DIR with
the registered model's files), starts the server and waits until it answers its liveness route (Succeeded) or
exits (Failed: init() raised; the server's log is in get_logs). An MLflow model without a scoring script gets the
generated scoring of mlflow_score.py (Azure's no-code deployment).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, Optional

from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import (KubernetesOnlineDeployment, ManagedOnlineDeployment, Model, OnlineDeployment)
from azure.ai.ml.exceptions import ValidationErrorType

from .. import _sdk
from ..core.errors import invalid, note
from ..core.poller import LocalPoller
from ..core.specs import arm_id
from ..core.uris import is_asset_id, parse_asset_id, resolve_path
from ..monitoring import collection
from . import http_errors, inference, state
from .state import DEPLOYMENT_KIND, ENDPOINT_KIND, dep_key

_AZURE_SCORE = "score.py"  # the file name given to the generated MLflow scoring script


def resolve_model(client: Any, model: Any) -> tuple[Model, Path]:
    """The registered Model and its local files, from 'azureml:name:version', a registered Model, or an inline
    Model(path=...) (registered on the fly, as the SDK uploads and registers it on Azure)."""
    if isinstance(model, str) and is_asset_id(model):  # model=registered_model.id, as the AutoML samples pass it
        _kind, name, version = parse_asset_id(model)
        entity = client.models.get(name, version=version)
    elif isinstance(model, str):
        text = model[len("azureml:"):] if model.startswith("azureml:") else model
        name, _, version = text.partition(":")
        if "@" in name:
            name, _, label = name.partition("@")
            entity = client.models.get(name, label=label)
        else:
            entity = client.models.get(name, version=version or None) if version else client.models.get(name,
                                                                                                          label="latest")
    elif isinstance(model, Model):
        if model.path and not str(model.path).startswith("azureml:"):
            if not model.name:
                model.name = "anonymous-model"
            entity = client.models.create_or_update(model)
        else:
            entity = client.models.get(model.name, version=str(model.version)) if model.version else \
                client.models.get(model.name, label="latest")
    else:
        raise invalid(f"deployment.model must be 'azureml:<name>:<version>' or a Model, got {type(model).__name__}.")
    return entity, resolve_path(client, entity.path, kind="model")


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another filesystem: copy
        shutil.copy2(src, dst)


def _link_tree(src: Path, dst: Path) -> None:
    """The model's files as real entries (hard links, no copy): a symlinked folder makes mlflow.*.load_model refuse
    AZUREML_MODEL_DIR/model ('resolved path is outside the artifact directory'), as a score.py loads it on Azure."""
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=_link)
    else:
        _link(str(src), str(dst))


class OnlineDeploymentOperations:
    """begin_create_or_update, get, list, begin_delete, get_logs."""

    def __init__(self, client: Any):
        self._client = client
        self._store = client.store

    def _entity(self, row: dict) -> OnlineDeployment:
        spec = {k: v for k, v in row["spec"].items() if not k.startswith("_")}
        local = row["spec"].get("_local", {})
        cls = KubernetesOnlineDeployment if spec.get("type") == "kubernetes" else ManagedOnlineDeployment
        entity = _sdk.entity_load(cls, {**spec, "provisioning_state": local.get("state", "Creating")})
        stored = (spec.get("data_collector") or {}).get("collections") or {}
        for name, col in (entity.data_collector.collections if entity.data_collector else {}).items():
            if isinstance((stored.get(name) or {}).get("data"), str):
                col.data = stored[name]["data"]  # the data asset's id, a string as Azure's GET returns it
        entity._id = arm_id(self._client, "onlineEndpoints", spec["endpoint_name"]) + f"/deployments/{spec['name']}"
        return entity

    def _row(self, name: str, endpoint_name: str) -> dict:
        if self._store.get(ENDPOINT_KIND, endpoint_name) is None:
            raise http_errors.not_found("Online endpoint", endpoint_name, self._store.names(ENDPOINT_KIND))
        row = self._store.get(DEPLOYMENT_KIND, dep_key(endpoint_name, name))
        if row is None:
            existing = [d["spec"]["name"] for d in state.deployment_rows(self._store, endpoint_name)]
            raise http_errors.not_found(f"Deployment of endpoint '{endpoint_name}'", name, existing)
        return row

    # ---- create / update ---------------------------------------------------------------------------
    def begin_create_or_update(self, deployment: OnlineDeployment, *, local: bool = False, vscode_debug: bool = False,
                               skip_script_validation: bool = False, local_enable_gpu: bool = False,
                               **kwargs: Any) -> LocalPoller:
        return LocalPoller(lambda: self._create(deployment))

    def _check(self, d: OnlineDeployment) -> None:
        if not isinstance(d, OnlineDeployment):
            raise invalid(f"online_deployments.begin_create_or_update expects a ManagedOnlineDeployment, got "
                          f"{type(d).__name__}.")
        for field in ("name", "endpoint_name", "model"):
            if not getattr(d, field, None):
                raise invalid(f"The deployment needs '{field}': ManagedOnlineDeployment(name='blue', "
                              f"endpoint_name='my-endpoint', model=..., instance_type='Standard_DS3_v2', "
                              f"instance_count=1).", error_type=ValidationErrorType.MISSING_FIELD)
        if isinstance(d, ManagedOnlineDeployment) and not d.instance_type:
            raise http_errors.bad_request(f"Deployment '{d.name}' has no instance_type; a managed online deployment "
                                          f"needs a VM size, e.g. instance_type='Standard_DS3_v2'.")
        timeout = getattr(d.request_settings, "request_timeout_ms", None) if d.request_settings else None
        if timeout is not None and not 0 < int(timeout) <= 180000:
            raise http_errors.bad_request(f"request_settings.request_timeout_ms of '{d.name}' is {timeout}; the "
                                          f"maximum value allowed is 180000 milliseconds.")
        problem = collection.check(d.data_collector) if d.data_collector is not None else None
        if problem:
            raise invalid(f"Deployment '{d.name}': {problem}")
        if self._store.get(ENDPOINT_KIND, d.endpoint_name) is None:
            raise http_errors.not_found("Online endpoint", d.endpoint_name, self._store.names(ENDPOINT_KIND),
                                        "Create the endpoint first, then its deployments.")

    def _create(self, d: OnlineDeployment) -> OnlineDeployment:
        self._check(d)
        model, model_local = resolve_model(self._client, d.model)
        mlflow_nocode = model.type == AssetTypes.MLFLOW_MODEL and d.code_configuration is None
        if not mlflow_nocode and (d.code_configuration is None or not d.environment):
            raise http_errors.bad_request(f"Deployment '{d.name}': a model of type {model.type} needs a scoring script "
                                          f"(code_configuration=CodeConfiguration(code=..., scoring_script='score.py'))"
                                          f" and an environment; only MLflow models deploy without them.")
        if d.environment and not isinstance(d.environment, str):
            pass  # an inline Environment: recorded as given
        elif d.environment:
            env = d.environment[len("azureml:"):] if d.environment.startswith("azureml:") else d.environment
            name, _, version = env.partition(":")
            self._client.environments.get(name, version=version) if version else None
        data_ids = {}
        if d.data_collector is not None and d.data_collector.collections:
            # the SDK registers each collection's data asset before it sends the deployment, and keeps its id
            data_ids = collection.register_assets(self._client, d.endpoint_name, d.name, d.data_collector)
        folder = inference.deployment_dir(self._store, d.endpoint_name, d.name)
        code_dir, entry = self._layout(d, folder, mlflow_nocode)
        models_dir = folder / "azureml-models" / model.name / str(model.version)
        shutil.rmtree(folder / "azureml-models", ignore_errors=True)
        models_dir.mkdir(parents=True)
        _link_tree(model_local, models_dir / model_local.name)  # AZUREML_MODEL_DIR/<registered folder or file>
        (folder / inference.STORAGE_LOG).write_text(
            f"Model azureml:{model.name}:{model.version} made available at {models_dir} (AZUREML_MODEL_DIR).\n")
        spec = json.loads(json.dumps(_sdk.entity_to_dict(d), default=str))
        spec.pop("provisioning_state", None)
        spec["model"] = f"azureml:{model.name}:{model.version}"
        for name, data_id in data_ids.items():  # the schema's dump drops a string id, so it is set here
            spec["data_collector"]["collections"][name]["data"] = data_id
            d.data_collector.collections[name].data = data_id  # the SDK sets it on the caller's entity too
        if mlflow_nocode:
            spec.pop("environment", None)
        existed = self._store.get(DEPLOYMENT_KIND, dep_key(d.endpoint_name, d.name)) is not None
        spec["_local"] = {"state": "Creating"}
        self._store.put(DEPLOYMENT_KIND, dep_key(d.endpoint_name, d.name), None, spec)
        self._notes(d, existed)
        self._collector_notes(d, mlflow_nocode)
        env = {str(k): str(v) for k, v in (d.environment_variables or {}).items()}
        env.update(AZUREML_MODEL_DIR=str(models_dir), AML_APP_ROOT=str(code_dir), AZUREML_ENTRY_SCRIPT=str(entry),
                   SERVICE_NAME=d.endpoint_name, WORKSPACE_NAME=self._client.workspace_name)
        probe = d.readiness_probe
        ready_s = None
        if probe is not None:  # the probe's own budget: initial delay + period x failure threshold
            ready_s = (probe.initial_delay or 10) + (probe.period or 10) * (probe.failure_threshold or 30)
        # Azure's collector sidecar: started with the deployment, its address given to score.py's Collector
        env.update(collection.start(self._client, d.endpoint_name, d.name, d.data_collector))
        launch = {"entry_script": str(entry), "cwd": str(code_dir), "env": env, "ready_timeout_s": ready_s}
        status, _port = inference.start(self._store, d.endpoint_name, d.name, launch)
        if status != "Succeeded":
            collection.stop(self._store, d.endpoint_name, d.name)  # nothing serves, so nothing collects
        state.set_state(self._store, d.endpoint_name, d.name, status)
        state.sync(self._store, d.endpoint_name)
        state.ensure_router(self._store, d.endpoint_name)
        if status != "Succeeded":
            error = inference.script_error(self._store, d.endpoint_name, d.name)
            shown = f"the script's error: {error.splitlines()[-1]}\n{error}" if error else \
                f"last lines:\n{inference.logs(self._store, d.endpoint_name, d.name, 12)}"
            missing = self._missing_packages(d)
            why = (f" Its environment lists packages not importable here ({', '.join(missing)}): the server runs in "
                   f"the lab's Python, where Azure would build them into the deployment's image." if missing else "")
            raise http_errors.bad_request(
                f"Deployment '{d.name}' of endpoint '{d.endpoint_name}' Failed: its inference server stopped before it "
                f"was ready (init() raised, or score.py could not be imported).{why} The endpoint keeps serving its "
                f"other deployments. Read ml_client.online_deployments.get_logs('{d.name}', '{d.endpoint_name}', "
                f"lines=50); {shown}")
        return self.get(d.name, d.endpoint_name)

    def _layout(self, d: OnlineDeployment, folder: Path, mlflow_nocode: bool) -> tuple[Path, Path]:
        """Snapshot the code folder (Azure uploads it) or write the generated MLflow scoring script."""
        code_dir = folder / "code"
        shutil.rmtree(code_dir, ignore_errors=True)
        if mlflow_nocode:
            code_dir.mkdir(parents=True)
            shutil.copy2(Path(__file__).with_name("mlflow_score.py"), code_dir / _AZURE_SCORE)
            return code_dir, code_dir / _AZURE_SCORE
        cc = d.code_configuration
        src = Path(str(cc.code)).expanduser()
        if not src.is_absolute() and getattr(d, "base_path", None):
            src = Path(d.base_path) / src
        if not src.is_dir():
            raise invalid(f"code_configuration.code '{cc.code}' is not a folder on this machine (resolved to {src}).",
                          error_type=ValidationErrorType.FILE_OR_FOLDER_NOT_FOUND)
        shutil.copytree(src, code_dir, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        entry = code_dir / cc.scoring_script
        if not entry.is_file():
            raise invalid(f"The scoring script '{cc.scoring_script}' is not in {src}. Give its path relative to "
                          f"code_configuration.code.", error_type=ValidationErrorType.FILE_OR_FOLDER_NOT_FOUND)
        return code_dir, entry

    def _missing_packages(self, d: OnlineDeployment) -> list[str]:
        """The deployment environment's packages this Python lacks: said only when its server failed to start, where
        they are the likely cause (a note on every deployment would repeat pins that do no harm)."""
        from ..assets.environments import check_importable

        env = d.environment
        try:
            if isinstance(env, str):
                name, _, version = (env[len("azureml:"):] if env.startswith("azureml:") else env).partition(":")
                env = self._client.environments.get(name, version=version) if version else None
            return [m for m in check_importable(env) if m.endswith("(not installed)")] if env is not None else []
        except Exception:  # an environment that cannot be read adds nothing to the failure's message
            return []

    def _notes(self, d: OnlineDeployment, existed: bool) -> None:
        if existed:
            return
        count = d.instance_count or 1
        note(f"Azure would provision {count} x {d.instance_type or 'Kubernetes instance type'} for deployment "
             f"'{d.name}' (plus 20% reserved for upgrades) and bill while it runs; here one local server process "
             f"serves it.")
        if getattr(d, "scale_settings", None) is not None and getattr(d.scale_settings, "type", "default") != "default":
            note(f"scale_settings of '{d.name}' are recorded; Azure would autoscale the instances, locally one "
                 f"process serves every request.")
        if d.app_insights_enabled:
            note(f"app_insights_enabled: Azure would send '{d.name}' logs and metrics to Application Insights; "
                 f"here they stay in get_logs.")

    def _collector_notes(self, d: OnlineDeployment, mlflow_nocode: bool) -> None:
        dc = getattr(d, "data_collector", None)
        if dc is None:
            return
        if mlflow_nocode and any(n.lower() not in collection.PAYLOAD and str(c.enabled).lower() == "true"
                                 for n, c in (dc.collections or {}).items()):
            note(f"data_collector of '{d.name}': Azure collects an MLflow model's data without a scoring script "
                 f"(how-to-collect-production-data, MLflow models); the local generated scoring calls no Collector, "
                 f"so give the deployment a score.py with Collector calls to collect here.")
        payload = sorted(n for n, c in (dc.collections or {}).items()
                         if n.lower() in collection.PAYLOAD and str(c.enabled).lower() == "true")
        if payload:
            note(f"data_collector {'/'.join(payload)} of '{d.name}': Azure's collector sidecar logs each HTTP "
                 f"request/response payload; locally only what score.py's Collector sends is collected.")
        if str(dc.rolling_rate or "").lower() == "minute":
            note(f"data_collector.rolling_rate 'minute' of '{d.name}': Azure rolls the collected files every "
                 f"minute; here they roll hourly (yyyy/MM/dd/HH).")
        if dc.request_logging is not None and getattr(dc.request_logging, "capture_headers", None):
            note(f"data_collector.request_logging of '{d.name}': Azure logs the listed request headers with payload "
                 f"logging; they are recorded here and not logged.")

    # ---- read ------------------------------------------------------------------------------------
    def get(self, name: str, endpoint_name: str, *, local: bool = False) -> OnlineDeployment:
        self._row(name, endpoint_name)
        state.ensure_deployments(self._store, endpoint_name)
        return self._entity(self._row(name, endpoint_name))

    def list(self, endpoint_name: str, *, local: bool = False) -> Iterable[OnlineDeployment]:
        return [self._entity(r) for r in state.deployment_rows(self._store, endpoint_name)]

    def get_logs(self, name: str, endpoint_name: str, lines: int, *, container_type: Optional[str] = None,
                 local: bool = False) -> str:
        self._row(name, endpoint_name)
        if container_type not in (None, "inference-server", "storage-initializer"):
            raise invalid(f"Invalid container type '{container_type}'. Supported container types are "
                          f"inference-server and storage-initializer")
        return inference.logs(self._store, endpoint_name, name, lines, container_type)

    # ---- delete ----------------------------------------------------------------------------------
    def begin_delete(self, name: str, endpoint_name: str, *, local: bool = False) -> LocalPoller:
        self._row(name, endpoint_name)
        ep = self._store.get(ENDPOINT_KIND, endpoint_name)
        live = int((ep["spec"].get("traffic") or {}).get(name, 0))
        mirrored = int((ep["spec"].get("mirror_traffic") or {}).get(name, 0))
        if live or mirrored:
            raise http_errors.bad_request(
                f"Deployment '{name}' still takes {live}% live and {mirrored}% mirrored traffic of endpoint "
                f"'{endpoint_name}'. Move its traffic to other deployments first (endpoint.traffic = {{...: 100}}; "
                f"ml_client.begin_create_or_update(endpoint).result()), then delete it.")

        def _delete() -> None:
            inference.stop(self._store, endpoint_name, name)
            collection.stop(self._store, endpoint_name, name, forget=True)  # collected data and assets stay
            self._store.delete(DEPLOYMENT_KIND, dep_key(endpoint_name, name))
            spec = dict(self._store.get(ENDPOINT_KIND, endpoint_name)["spec"])
            for table in ("traffic", "mirror_traffic"):
                spec[table] = {k: v for k, v in (spec.get(table) or {}).items() if k != name}
            self._store.put(ENDPOINT_KIND, endpoint_name, None, spec)
            shutil.rmtree(inference.deployment_dir(self._store, endpoint_name, name), ignore_errors=True)
            state.sync(self._store, endpoint_name)

        return LocalPoller(_delete)
