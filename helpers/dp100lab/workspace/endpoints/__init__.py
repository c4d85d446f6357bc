"""Online and batch endpoints of the local workspace.

online_endpoints.py / online_deployments.py: ml_client.online_endpoints / online_deployments
routing.py (Azure's traffic rules, the router's config), router.py (the endpoint process) with wire.py (its HTTP framing),
inference.py and serve.py (Microsoft's inference server per deployment, loopback only), state.py (what runs,
repaired on use), keys.py, mlflow_score.py (the no-code scoring of MLflow models), batch_endpoints.py /
batch_deployments.py (ml_client.batch_endpoints / batch_deployments; the job itself is jobs/kinds/batch_scoring.py).
"""


def traffic_counts(ml_client, endpoint_name: str) -> dict:
    """Requests the local endpoint's router has sent to each deployment: {"live", "mirrored", "targeted", "status"}.
    (On Azure the same numbers are in the endpoint's metrics in studio, split by deployment.)"""
    import json

    from .routing import counts_path, endpoint_dir

    if not hasattr(ml_client, "store"):  # a real MLClient: Azure keeps these numbers in the endpoint's metrics
        from ..core.errors import note
        note("on Azure, requests per deployment are in studio: the endpoint's Metrics tab (split by deployment).")
        return {"live": {}, "mirrored": {}, "targeted": {}, "status": {}}
    try:
        return json.loads(counts_path(endpoint_dir(ml_client.store, endpoint_name)).read_text())
    except (OSError, ValueError):
        return {"live": {}, "mirrored": {}, "targeted": {}, "status": {}}
