"""ml_client.online_endpoints for the local workspace: managed (and Kubernetes, recorded) online endpoints.

Each endpoint is a router process on 127.0.0.1 (router.py); its scoring_uri is that router's /score. Traffic and
mirror traffic are checked with Azure's rules before anything changes (routing.traffic_problem).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Optional

from azure.ai.ml.entities import (EndpointAuthKeys, EndpointAuthToken, KubernetesOnlineEndpoint,
                                  ManagedOnlineEndpoint, OnlineEndpoint)
from azure.ai.ml.exceptions import ErrorCategory, ErrorTarget, ValidationErrorType, ValidationException

from .. import _sdk
from ..core import servers
from ..core.errors import invalid, note
from ..core.poller import LocalPoller
from ..core.specs import arm_id
from . import http_errors, keys, routing, state
from .state import DEPLOYMENT_KIND, ENDPOINT_KIND

_AUTH_MODES = ("key", "aml_token", "aad_token")


class OnlineEndpointOperations:
    """begin_create_or_update, get, list, begin_delete, invoke, get_keys, begin_regenerate_keys."""

    def __init__(self, client: Any):
        self._client = client
        self._store = client.store

    # ---- entity in/out -----------------------------------------------------------------------------
    def _entity(self, row: dict) -> OnlineEndpoint:
        spec = {k: v for k, v in row["spec"].items() if not k.startswith("_")}
        local = row["spec"].get("_local", {})
        srv = servers.get(self._store, state.router_name(row["name"]))
        base = f"http://{servers.LOOPBACK}:{srv.port}" if srv and srv.port else None
        cls = KubernetesOnlineEndpoint if local.get("kind") == "kubernetes" else ManagedOnlineEndpoint
        data = {**spec, "provisioning_state": local.get("state", "Succeeded"),
                "scoring_uri": f"{base}/score" if base else None,
                "openapi_uri": f"{base}/swagger.json" if base else None}
        entity = _sdk.entity_load(cls, data)
        entity._id = arm_id(self._client, "onlineEndpoints", row["name"])
        return entity

    def _row(self, name: str) -> dict:
        row = self._store.get(ENDPOINT_KIND, name)
        if row is None:
            raise http_errors.not_found("Online endpoint", name, self._store.names(ENDPOINT_KIND),
                                        "Create it with ml_client.online_endpoints.begin_create_or_update("
                                        "ManagedOnlineEndpoint(name=..., auth_mode='key')).result().")
        return row

    def _ready(self, name: str) -> dict:
        """The endpoint's row, with its router and deployment servers running (restarted when they died)."""
        row = self._row(name)
        state.ensure_router(self._store, name)
        state.ensure_deployments(self._store, name)
        return row

    # ---- create / update ---------------------------------------------------------------------------
    def begin_create_or_update(self, endpoint: OnlineEndpoint, *, local: bool = False) -> LocalPoller:
        if not isinstance(endpoint, OnlineEndpoint):  # the SDK refuses this before any request, not at .result()
            raise invalid(f"online_endpoints.begin_create_or_update expects a ManagedOnlineEndpoint or "
                          f"KubernetesOnlineEndpoint, got {type(endpoint).__name__}.")
        if local:
            note(f"local=True: Azure would run endpoint '{endpoint.name}' in Docker on this machine (one deployment, "
                 f"no traffic rules or auth); here it is served like any local endpoint, and invoke(local=True) "
                 f"reaches its one deployment.")
        return LocalPoller(lambda: self._create_or_update(endpoint))

    def _create_or_update(self, endpoint: OnlineEndpoint) -> OnlineEndpoint:
        if not endpoint.name:
            raise invalid("The endpoint has no name: ManagedOnlineEndpoint(name='my-endpoint', auth_mode='key').",
                          error_type=ValidationErrorType.MISSING_FIELD)
        auth = (endpoint.auth_mode or "key").lower()
        if auth not in _AUTH_MODES:
            raise ValidationException(message=f"auth_mode '{endpoint.auth_mode}' is not one of {_AUTH_MODES}.",
                                      no_personal_data_message="invalid auth_mode",
                                      target=ErrorTarget.ONLINE_ENDPOINT, error_category=ErrorCategory.USER_ERROR)
        kubernetes = isinstance(endpoint, KubernetesOnlineEndpoint)
        existing = self._store.get(ENDPOINT_KIND, endpoint.name)
        deployments = [d["spec"]["name"] for d in state.deployment_rows(self._store, endpoint.name)]
        traffic = dict(endpoint.traffic or {})
        mirror = dict(endpoint.mirror_traffic or {})
        if existing is not None and not traffic and not mirror:
            # Azure keeps the endpoint's traffic when an update leaves it out
            traffic = dict(existing["spec"].get("traffic") or {})
            mirror = dict(existing["spec"].get("mirror_traffic") or {})
        if kubernetes and any(v for v in mirror.values()):
            raise http_errors.bad_request("Mirroring isn't currently supported for Kubernetes online endpoints.")
        problem = routing.traffic_problem(traffic, mirror, deployments, endpoint.name)
        if problem:
            raise http_errors.bad_request(problem)
        spec = json.loads(json.dumps(_sdk.entity_to_dict(endpoint), default=str))
        for k in ("provisioning_state", "scoring_uri", "openapi_uri"):
            spec.pop(k, None)
        spec.update(auth_mode=auth, traffic=traffic, mirror_traffic=mirror)
        spec["_local"] = {"state": "Succeeded", "kind": "kubernetes" if kubernetes else "managed"}
        if kubernetes and existing is None:
            note(f"KubernetesOnlineEndpoint '{endpoint.name}' is recorded and served here like a managed one; on Azure "
                 f"it would run on the attached Kubernetes compute '{getattr(endpoint, 'compute', None)}'.")
        if auth == "aad_token" and existing is None:
            note("auth_mode aad_token: Azure checks a Microsoft Entra token for the caller's identity; locally "
                 "get_keys returns a local token that the endpoint accepts instead.")
        self._store.put(ENDPOINT_KIND, endpoint.name, None, spec, tags=endpoint.tags)
        keys.ensure(self._store, endpoint.name)
        state.sync(self._store, endpoint.name)
        state.ensure_router(self._store, endpoint.name)
        return self._entity(self._store.get(ENDPOINT_KIND, endpoint.name))

    # ---- read ------------------------------------------------------------------------------------
    def get(self, name: str, *, local: bool = False) -> OnlineEndpoint:
        return self._entity(self._ready(name))

    def list(self, *, local: bool = False) -> Iterable[OnlineEndpoint]:
        return [self._entity(r) for r in self._store.list(ENDPOINT_KIND)]

    # ---- delete ----------------------------------------------------------------------------------
    def begin_delete(self, name: Optional[str] = None, *, local: bool = False) -> LocalPoller:
        self._row(name)

        def _delete() -> None:
            state.stop_endpoint(self._store, name)  # deleting an endpoint deletes its deployments, as on Azure
            for d in state.deployment_rows(self._store, name):
                self._store.delete(DEPLOYMENT_KIND, d["name"])
            keys.forget(self._store, name)
            self._store.delete(ENDPOINT_KIND, name)
            routing.config_path(self._store, name).unlink(missing_ok=True)

        return LocalPoller(_delete)

    # ---- credentials -------------------------------------------------------------------------------
    def get_keys(self, name: str) -> Any:
        auth = self._row(name)["spec"].get("auth_mode", "key")
        if auth == "key":
            spec = keys.ensure(self._store, name)
            return EndpointAuthKeys(primary_key=spec["primary_key"], secondary_key=spec["secondary_key"])
        spec = keys.current_token(self._store, name)
        state.sync(self._store, name)  # a fresh token must be accepted at once
        return EndpointAuthToken(access_token=spec["token"], expiry_time_utc=spec["token_expiry"],
                                 refresh_after_time_utc=spec["token_expiry"] - 3600, token_type="Bearer")

    def begin_regenerate_keys(self, name: str, *, key_type: str = "primary") -> LocalPoller:
        auth = self._row(name)["spec"].get("auth_mode", "key")
        if auth != "key":
            raise ValidationException(message=f"Endpoint '{name}' does not use keys for authentication.",
                                      no_personal_data_message="Endpoint does not use keys for authentication.",
                                      target=ErrorTarget.ONLINE_ENDPOINT, error_category=ErrorCategory.USER_ERROR,
                                      error_type=ValidationErrorType.INVALID_VALUE)
        if key_type not in ("primary", "secondary"):
            raise invalid(f"key_type must be 'primary' or 'secondary', got '{key_type}'.")

        def _regen() -> None:
            keys.regenerate(self._store, name, key_type)
            state.sync(self._store, name)

        return LocalPoller(_regen)

    # ---- invoke ------------------------------------------------------------------------------------
    def invoke(self, endpoint_name: str, *, request_file: Optional[str] = None, deployment_name: Optional[str] = None,
               input_data: Any = None, params_override: Any = None, local: bool = False, **kwargs: Any) -> str:
        """POST the request file to the scoring URI with the endpoint's credentials, as the SDK does; returns the body
        text, raises HttpResponseError for a non-200 answer."""
        import requests
        from azure.core.exceptions import HttpResponseError

        self._ready(endpoint_name)
        if local and not deployment_name:  # Azure's local (Docker) endpoint has one deployment and no traffic rules
            names = [d["spec"]["name"] for d in state.deployment_rows(self._store, endpoint_name)]
            deployment_name = names[0] if len(names) == 1 else None
        if deployment_name and deployment_name not in [d["spec"]["name"] for d in
                                                       state.deployment_rows(self._store, endpoint_name)]:
            raise http_errors.not_found("Online deployment", deployment_name,
                                        [d["spec"]["name"] for d in state.deployment_rows(self._store, endpoint_name)])
        with open(request_file, "rb") as f:
            data = json.loads(f.read())
        creds = self.get_keys(endpoint_name)
        secret = creds.primary_key if isinstance(creds, EndpointAuthKeys) else creds.access_token
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}
        if deployment_name:
            headers["azureml-model-deployment"] = deployment_name
        resp = requests.post(self.get(endpoint_name).scoring_uri, json=data, headers=headers, timeout=300)
        if resp.status_code != 200:
            err = HttpResponseError(message=f"({resp.status_code}) {resp.reason}: {resp.text[:2000]}")
            err.status_code = resp.status_code
            raise err
        return resp.text
