"""Models: register from files, folders, job outputs and runs:/; MLflow registry in step both ways."""
import mlflow
import numpy as np
import pytest
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Model
from azure.ai.ml.exceptions import ValidationException
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from sklearn.linear_model import LogisticRegression

from dp100lab.workspace.client import LocalMLClient

PIP = ["scikit-learn"]  # skip MLflow's requirement inference (a slow subprocess)
X, Y = np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1]


@pytest.fixture
def client(mlflow_home):
    return LocalMLClient(mlflow_home, hold=False)  # also points MLflow at the store


@pytest.fixture
def run_with_model(client):
    mlflow.set_experiment("models-test")
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(LogisticRegression().fit(X, Y), name="model", pip_requirements=PIP)
    return run.info.run_id


def test_register_run_model_and_load_through_mlflow(client, run_with_model):
    m = client.models.create_or_update(Model(name="clf", path=f"runs:/{run_with_model}/model",
                                             type=AssetTypes.MLFLOW_MODEL, tags={"stage": "dev"}))
    assert isinstance(m, Model) and m.version == "1" and m.type == "mlflow_model"
    assert "clf" in [r.name for r in mlflow.search_registered_models()]
    assert list(mlflow.pyfunc.load_model("models:/clf/1").predict(np.array([[3.0]]))) == [1]
    assert client.models.get("clf", label="latest").path == f"runs:/{run_with_model}/model"


def test_register_job_output_path(client, run_with_model):
    client.store.put_job("sharp_job_1", {}, status="Completed", run_id=run_with_model)
    m = client.models.create_or_update(Model(
        name="from-job", path="azureml://jobs/sharp_job_1/outputs/artifacts/paths/model/",
        type=AssetTypes.MLFLOW_MODEL))
    assert m.path == "azureml://jobs/sharp_job_1/outputs/artifacts/paths/model/"
    assert list(mlflow.pyfunc.load_model("models:/from-job/1").predict(np.array([[0.0]]))) == [0]


def test_local_folder_versions_download_archive(client, tmp_path):
    mlflow.sklearn.save_model(LogisticRegression().fit(X, Y), str(tmp_path / "saved"), pip_requirements=PIP)
    v1 = client.models.create_or_update(Model(name="clf", path=str(tmp_path / "saved"), type="mlflow_model"))
    v2 = client.models.create_or_update(Model(name="clf", path=str(tmp_path / "saved"), type="mlflow_model"))
    assert (v1.version, v2.version) == ("1", "2")
    assert v1.path.startswith(f"azureml://subscriptions/{client.subscription_id}/resourcegroups/"
                              f"{client.resource_group_name}/workspaces/{client.workspace_name}/datastores/"
                              f"workspaceblobstore/paths/LocalUpload/")
    client.models.download("clf", "2", download_path=tmp_path / "dl")
    assert (tmp_path / "dl" / "clf" / "saved" / "MLmodel").is_file()
    client.models.archive("clf", version="2")
    assert client.models.get("clf", label="latest").version == "1"
    assert [m.version for m in client.models.list(name="clf")] == ["1"]
    with pytest.raises(ResourceExistsError):
        client.models.create_or_update(Model(name="clf", version="1", path=str(tmp_path / "dl"),
                                             type="custom_model"))


def test_uploaded_path_is_the_long_datastore_uri_on_the_entity_passed_in_too(client, tmp_path):
    # ModelOperations.create_or_update sets the upload's azureml://subscriptions/... URI on the Model it was given.
    mlflow.sklearn.save_model(LogisticRegression().fit(X, Y), str(tmp_path / "saved"), pip_requirements=PIP)
    given = Model(name="clf", version="1", path=str(tmp_path / "saved"), type="mlflow_model")
    got = client.models.create_or_update(given)
    assert given.path == got.path and got.path.startswith("azureml://subscriptions/")
    again = client.models.create_or_update(Model(name="clf", version="1", path=str(tmp_path / "saved"),
                                                 type="mlflow_model"))
    assert again.version == "1"  # same files, same version: no new version here or in MLflow's registry
    assert [mv.version for mv in mlflow.tracking.MlflowClient().search_model_versions("name = 'clf'")] == [1]
    short = got.path.split("/datastores/", 1)[1]
    copy = client.models.create_or_update(Model(name="clf-copy", path=f"azureml://datastores/{short}",
                                                type="mlflow_model"))
    assert copy.path == got.path  # a short datastore URI given is stored in the long form as well


def test_custom_model_file(client, tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"pickle")
    m = client.models.create_or_update(Model(name="raw", path=str(tmp_path / "model.pkl")))
    assert m.type == "custom_model" and m.path.endswith("/model.pkl")


def test_model_errors(client, tmp_path, run_with_model):
    (tmp_path / "model.pkl").write_bytes(b"pickle")
    with pytest.raises(ValidationException, match="cannot register a file"):
        client.models.create_or_update(Model(name="m", path=str(tmp_path / "model.pkl"), type="mlflow_model"))
    with pytest.raises(ValidationException, match="no MLmodel file"):
        client.models.create_or_update(Model(name="m", path=str(tmp_path), type="mlflow_model"))
    with pytest.raises(ValidationException, match="does not exist"):
        client.models.create_or_update(Model(name="m", path=str(tmp_path / "nope"), type="custom_model"))
    with pytest.raises(ValidationException, match="does not exist"):
        client.models.create_or_update(Model(name="m", path=f"runs:/{run_with_model}/nope", type="custom_model"))
    with pytest.raises(ResourceNotFoundError, match="MLflow run 'abc'"):
        client.models.create_or_update(Model(name="m", path="runs:/abc/model", type="mlflow_model"))
    with pytest.raises(ResourceNotFoundError, match="Model 'ghost'"):
        client.models.get("ghost", version="1")


def test_models_registered_with_mlflow_appear(client, run_with_model):
    mlflow.register_model(f"runs:/{run_with_model}/model", "via-mlflow")
    names = {m.name: m for m in client.models.list()}
    assert "via-mlflow" in names and names["via-mlflow"].type == "mlflow_model"
    assert client.models.get("via-mlflow", version="1").version == "1"
