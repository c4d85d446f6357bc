"""AZUREML_MODEL_DIR as a scoring script reads it on Azure: Microsoft's samples load an MLflow model folder with
mlflow.<flavor>.load_model(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model")) in init()."""
import json

from azure.ai.ml.entities import (CodeConfiguration, Environment, ManagedOnlineDeployment, ManagedOnlineEndpoint,
                                  Model)

SCORE = '''
import json, os
import mlflow.sklearn

def init():
    global model
    model = mlflow.sklearn.load_model(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model"))

def run(raw):
    return model.predict(json.loads(raw)["data"]).tolist()
'''


def test_a_script_loads_an_mlflow_model_folder_from_azureml_model_dir(workspace, tmp_path):
    import mlflow.sklearn
    from sklearn.linear_model import LinearRegression

    ml_client, root = workspace
    mlflow.sklearn.save_model(LinearRegression().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0]), str(tmp_path / "model"))
    (root / "mlflow_src").mkdir()
    (root / "mlflow_src" / "score.py").write_text(SCORE)
    ml_client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="tst-modeldir")).result()
    ml_client.online_deployments.begin_create_or_update(ManagedOnlineDeployment(
        name="blue", endpoint_name="tst-modeldir", model=Model(name="line", path=str(tmp_path / "model")),
        code_configuration=CodeConfiguration(code="mlflow_src", scoring_script="score.py"),
        environment=Environment(image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"),
        instance_type="Standard_DS3_v2", instance_count=1)).result()
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"data": [[3.0]]}))
    out = ml_client.online_endpoints.invoke(endpoint_name="tst-modeldir", request_file=str(req), deployment_name="blue")
    assert [round(v, 6) for v in json.loads(out)] == [7.0]
    ml_client.online_endpoints.begin_delete("tst-modeldir").result()
