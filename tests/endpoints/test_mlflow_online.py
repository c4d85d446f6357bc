"""No-code deployment of an MLflow model to a managed online endpoint (how-to-deploy-mlflow-models-online-endpoints):
no scoring script and no environment; the request puts the input under `input_data`, and payloads in another
format or with columns the signature does not know are refused by the model's server with 400 and a message that
says what to send, which the endpoint passes on as Azure does for any non-200 model answer: 424 with the model's
status in ms-azureml-model-error-statuscode (how-to-troubleshoot-online-endpoints)."""
import json

import pandas as pd
import pytest
import requests
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint, Model

EP = "tst-mlflow"


@pytest.fixture(scope="module")
def mlflow_endpoint(workspace):
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    ml_client, root = workspace
    X = pd.DataFrame({"age": [21.0, 35.0, 50.0, 62.0, 28.0, 45.0], "bmi": [19.0, 31.0, 27.0, 35.0, 22.0, 30.0]})
    y = [0, 1, 0, 1, 0, 1]
    clf = LogisticRegression().fit(X, y)
    mlflow.sklearn.save_model(clf, str(root / "mlflow-model"), signature=infer_signature(X, clf.predict(X)),
                              pip_requirements=[])  # no requirement inference: it would start a subprocess
    model = ml_client.models.create_or_update(Model(name="tst-mlflow-model", path=str(root / "mlflow-model"),
                                                    type=AssetTypes.MLFLOW_MODEL))
    ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=EP, auth_mode="key")).result()
    ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="mlf", endpoint_name=EP, model=model, instance_type="Standard_DS3_v2", instance_count=1)).result()
    endpoint = ml_client.online_endpoints.get(EP)
    endpoint.traffic = {"mlf": 100}
    ml_client.online_endpoints.begin_create_or_update(endpoint).result()
    return ml_client, X, clf


def _post(ml_client, body):
    key = ml_client.online_endpoints.get_keys(EP).primary_key
    return requests.post(ml_client.online_endpoints.get(EP).scoring_uri, data=json.dumps(body),
                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}, timeout=60)


def test_input_data_in_split_orientation_is_scored_by_the_model(mlflow_endpoint, tmp_path):
    ml_client, X, clf = mlflow_endpoint
    body = {"input_data": X.to_dict(orient="split")}
    r = _post(ml_client, body)
    assert r.status_code == 200, r.text
    assert r.json() == clf.predict(X).tolist()
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(body))
    answer = ml_client.online_endpoints.invoke(endpoint_name=EP, request_file=str(request_file))
    assert json.loads(answer) == clf.predict(X).tolist()


def _refused_by_the_model(r):
    return r.status_code == 424 and r.headers["ms-azureml-model-error-statuscode"] == "400"


def test_mlflow_serve_payload_is_refused_naming_input_data(mlflow_endpoint):
    ml_client, X, _ = mlflow_endpoint
    r = _post(ml_client, {"dataframe_split": X.to_dict(orient="split")})
    assert _refused_by_the_model(r), (r.status_code, r.headers)
    assert "input_data" in r.text and "dataframe_split" in r.text


def test_columns_outside_the_signature_are_refused(mlflow_endpoint):
    ml_client, X, _ = mlflow_endpoint
    wrong = X.rename(columns={"bmi": "weight"})
    r = _post(ml_client, {"input_data": wrong.to_dict(orient="split")})
    assert _refused_by_the_model(r), (r.status_code, r.headers)
    assert "signature" in r.text and "bmi" in r.text


def test_a_custom_model_without_a_scoring_script_is_refused(mlflow_endpoint, workspace):
    ml_client, _root = workspace
    custom = ml_client.models.create_or_update(Model(name="tst-custom-noscript", path="weights"))
    with pytest.raises(Exception) as err:
        ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
            name="noscript", endpoint_name=EP, model=custom, instance_type="Standard_DS3_v2",
            instance_count=1)).result()
    text = str(err.value)
    assert "code_configuration" in text or "scoring" in text.lower()
    assert len(text.strip().splitlines()) <= 2
