"""A scoring script that declares its schema with inference-schema (how-to-deploy-advanced-entry-script) gets a
swagger document at the endpoint's openapi_uri describing that input and output, behind the endpoint's key."""
import json

import requests
from azure.ai.ml.entities import CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint, Model

EP = "tst-swagger"
SCORE = '''
import numpy as np
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema

def init():
    pass

@input_schema("data", NumpyParameterType(np.array([[1.5, 2.5]])))
@output_schema(StandardPythonParameterType([4.0]))
def run(data):
    return [float(row.sum()) for row in data]
'''


def test_declared_schema_is_in_the_swagger_and_the_input_is_decoded(workspace):
    ml_client, root = workspace
    (root / "schema_src").mkdir()
    (root / "schema_src" / "score.py").write_text(SCORE)
    model = ml_client.models.create_or_update(Model(name="tst-swagger-model", path=str(root / "weights")))
    ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=EP, auth_mode="key")).result()
    ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="schema", endpoint_name=EP, model=model,
        code_configuration=CodeConfiguration(code=str(root / "schema_src"), scoring_script="score.py"),
        environment=Environment(image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"),
        instance_type="Standard_DS3_v2", instance_count=1)).result()
    endpoint = ml_client.online_endpoints.get(EP)
    endpoint.traffic = {"schema": 100}
    ml_client.online_endpoints.begin_create_or_update(endpoint).result()
    endpoint = ml_client.online_endpoints.get(EP)
    headers = {"Authorization": f"Bearer {ml_client.online_endpoints.get_keys(EP).primary_key}"}

    assert requests.get(endpoint.openapi_uri, timeout=30).status_code == 401
    swagger = requests.get(endpoint.openapi_uri, headers=headers, timeout=30)
    assert swagger.status_code == 200
    text = json.dumps(swagger.json())
    assert "ServiceInput" in text and "ServiceOutput" in text and "1.5" in text  # the declared example
    assert swagger.json()["swagger"] == "2.0"
    # the version query reaches the inference server, which answers with its OpenAPI 3 document
    v3 = requests.get(endpoint.openapi_uri, params={"version": 3}, headers=headers, timeout=30)
    assert v3.status_code == 200 and v3.json()["openapi"].startswith("3.")
    answer = requests.post(endpoint.scoring_uri, json={"data": [[1.0, 2.0], [3.0, 4.0]]}, headers=headers, timeout=30)
    assert answer.status_code == 200 and answer.json() == [3.0, 7.0]
