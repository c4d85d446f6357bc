"""Online and batch endpoints of the local workspace.

online_endpoints.py / online_deployments.py: ml_client.online_endpoints / online_deployments
routing.py (Azure's traffic rules, the router's config), router.py (the endpoint process), inference.py and serve.py
(Microsoft's inference server per deployment, loopback only), state.py (what runs, repaired on use), keys.py,
mlflow_score.py (the no-code scoring of MLflow models), batch_endpoints.py / batch_deployments.py
(ml_client.batch_endpoints / batch_deployments; the job itself is jobs/kinds/batch_scoring.py).
"""
