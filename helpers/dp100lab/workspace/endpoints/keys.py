"""Endpoint credentials: two keys for auth_mode key, a token for aml_token and aad_token.

Kept in the store under kind "endpoint_secrets" (never in the entity that get() returns, as on Azure) and in the
router's 0600 config file; never printed or logged. Azure: keys don't expire, Azure ML tokens do.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

KIND = "endpoint_secrets"
TOKEN_LIFETIME_S = 24 * 3600  # local choice: a token lasts a day here, then get_keys hands out a new one


def _new_key() -> str:
    return secrets.token_urlsafe(24)


def ensure(store: Any, endpoint: str) -> dict:
    row = store.get(KIND, endpoint)
    if row is not None:
        return row["spec"]
    spec = {"primary_key": _new_key(), "secondary_key": _new_key(), "token": _new_key(), "token_expiry": 0}
    store.put(KIND, endpoint, None, spec)
    return spec


def current_token(store: Any, endpoint: str) -> dict:
    spec = ensure(store, endpoint)
    if spec["token_expiry"] < time.time() + 60:  # refresh shortly before expiry, as Azure's token service does
        spec = {**spec, "token": _new_key(), "token_expiry": time.time() + TOKEN_LIFETIME_S}
        store.put(KIND, endpoint, None, spec)
    return spec


def regenerate(store: Any, endpoint: str, key_type: str) -> None:
    spec = ensure(store, endpoint)
    store.put(KIND, endpoint, None, {**spec, f"{key_type}_key": _new_key()})


def valid_secrets(store: Any, endpoint: str, auth_mode: str) -> list[str]:
    """What the router accepts as a Bearer value for this auth mode."""
    spec = ensure(store, endpoint)
    if auth_mode == "key":
        return [spec["primary_key"], spec["secondary_key"]]
    return [spec["token"]] if spec.get("token_expiry", 0) > time.time() else []


def forget(store: Any, endpoint: str) -> None:
    store.delete(KIND, endpoint)
