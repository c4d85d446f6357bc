"""Shared foundations of the local workspace: the store, errors, pollers, entity specs, URIs, MLflow tracking."""
