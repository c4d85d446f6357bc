"""local=True, as the online-endpoint how-to uses it to debug before deploying: Azure's local endpoint has one
deployment and no traffic rules, so invoke(local=True) reaches that deployment without endpoint.traffic."""
import json

import pytest
from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model
from azure.core.exceptions import HttpResponseError

EP = "tst-local-endpoint"


def test_invoke_local_reaches_the_one_deployment_without_traffic(workspace, tmp_path, capsys):
    ml_client, root = workspace
    ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=EP), local=True).result()
    assert "local=True" in capsys.readouterr().out  # the one line on what Azure would do
    ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue", endpoint_name=EP, model=Model(path=str(root / "weights")),
        code_configuration=CodeConfiguration(code="src", scoring_script="score.py"),
        environment=Environment(image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"),
        instance_type="Standard_DS3_v2", instance_count=1), local=True).result()
    request = tmp_path / "req.json"
    request.write_text(json.dumps({"data": [[1, 1], [2, 0]]}))

    answer = ml_client.online_endpoints.invoke(endpoint_name=EP, request_file=str(request), local=True)
    assert json.loads(answer) == [3.0, 2.0]
    # without local=True the endpoint's (empty) traffic rules apply, as for any managed endpoint on Azure
    with pytest.raises(HttpResponseError, match="404"):
        ml_client.online_endpoints.invoke(endpoint_name=EP, request_file=str(request))
