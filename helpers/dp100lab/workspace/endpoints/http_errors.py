"""Errors the service itself returns (HTTP 4xx from Azure's control plane), as azure-core's HttpResponseError."""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError


def bad_request(message: str) -> HttpResponseError:
    """What the SDK raises when Azure answers 400 (BadRequest), e.g. traffic that does not sum to 100."""
    err = HttpResponseError(message=f"(BadRequest) {message}")
    err.status_code = 400
    err.reason = "Bad Request"
    return err


def not_found(what: str, name: str, existing: list[str], hint: str = "") -> ResourceNotFoundError:
    listing = ", ".join(sorted(existing)) if existing else "none exist yet"
    return ResourceNotFoundError(message=f"{what} '{name}' was not found in the local workspace (existing: {listing})."
                                         + (f" {hint}" if hint else ""))
