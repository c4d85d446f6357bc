"""Data assets and environments: Azure's versioning, upload layout, labels, archive, and clear errors."""
from pathlib import Path

import pandas as pd
import pytest
from azure.ai.ml.constants import AssetTypes, ListViewType
from azure.ai.ml.entities import BuildContext, Data, Environment
from azure.ai.ml.exceptions import MlException, ValidationException
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from dp100lab.workspace.assets.data import local_path
from dp100lab.workspace.assets.environments import check_importable


@pytest.fixture
def csv(tmp_path):
    p = tmp_path / "project" / "diabetes.csv"
    p.write_text("age,bmi\n50,33.6\n31,26.6\n")
    return p


def test_register_local_file_uploads_like_azure(ml_client, csv):
    d = ml_client.data.create_or_update(Data(name="diabetes", path="diabetes.csv", type=AssetTypes.URI_FILE,
                                             description="Pima", tags={"src": "uci"}))
    assert isinstance(d, Data) and d.version == "1"
    assert d.path.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert d.path.endswith("/diabetes.csv") and d.tags == {"src": "uci"}
    assert d.id.endswith("/workspaces/local/data/diabetes/versions/1")
    assert pd.read_csv(local_path(ml_client, d)).shape == (2, 2)
    assert local_path(ml_client, "azureml:diabetes:1") == local_path(ml_client, d)
    again = ml_client.data.get("diabetes", version="1")
    assert again._to_dict() == d._to_dict()


def test_versions_increment_and_latest(ml_client, csv):
    for _ in range(3):
        ml_client.data.create_or_update(Data(name="diabetes", path=str(csv), type=AssetTypes.URI_FILE))
    assert [d.version for d in ml_client.data.list(name="diabetes")] == ["3", "2", "1"]
    assert ml_client.data.get("diabetes", label="latest").version == "3"
    ml_client.data.archive("diabetes", version="3")
    assert ml_client.data.get("diabetes", label="latest").version == "2"
    assert [d.version for d in ml_client.data.list(name="diabetes", list_view_type=ListViewType.ARCHIVED_ONLY)] == ["3"]
    assert ml_client.data.get("diabetes", version="3").version == "3"  # still usable by explicit version
    ml_client.data.restore("diabetes", version="3")
    assert ml_client.data.get("diabetes", label="latest").version == "3"


def test_data_errors_name_the_problem(ml_client, csv, tmp_path):
    with pytest.raises(ValidationException, match="Must provide either version or label"):
        ml_client.data.get("diabetes")
    with pytest.raises(ValidationException, match="Cannot specify both"):
        ml_client.data.get("diabetes", version="1", label="latest")
    with pytest.raises(ValidationException, match=r"missing\.csv' does not exist"):
        ml_client.data.create_or_update(Data(name="x", path="missing.csv", type=AssetTypes.URI_FILE))
    with pytest.raises(ValidationException, match="is a file"):
        ml_client.data.create_or_update(Data(name="x", path=str(csv), type=AssetTypes.URI_FOLDER))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationException, match="empty folder"):
        ml_client.data.create_or_update(Data(name="x", path=str(tmp_path / "empty"), type=AssetTypes.URI_FOLDER))
    ml_client.data.create_or_update(Data(name="diabetes", version="1", path=str(csv), type=AssetTypes.URI_FILE))
    with pytest.raises(ResourceNotFoundError, match=r"version '7'.*diabetes:1"):
        ml_client.data.get("diabetes", version="7")
    other = tmp_path / "other.csv"
    other.write_text("a\n1\n")
    with pytest.raises(ResourceExistsError, match="immutable"):
        ml_client.data.create_or_update(Data(name="diabetes", version="1", path=str(other), type=AssetTypes.URI_FILE))


def test_uri_folder_and_datastore_uri(ml_client, csv):
    folder = ml_client.data.create_or_update(Data(name="folder", path=str(csv.parent), type=AssetTypes.URI_FOLDER))
    assert folder.path.endswith("/project/")
    assert (local_path(ml_client, folder) / "diabetes.csv").is_file()
    by_uri = ml_client.data.create_or_update(Data(name="by-uri", path=folder.path, type=AssetTypes.URI_FOLDER))
    assert by_uri.path == folder.path  # an azureml:// path is registered as is
    # a datastore path with nothing there yet is registered, as Azure registers it (the Learn data lab relies on it)
    empty = ml_client.data.create_or_update(Data(name="later", type=AssetTypes.URI_FOLDER,
                                                 path="azureml://datastores/workspaceblobstore/paths/not-yet/"))
    assert empty.path == "azureml://datastores/workspaceblobstore/paths/not-yet/"
    with pytest.raises(ResourceNotFoundError, match="no_such_job"):  # a job that does not exist is refused
        ml_client.data.create_or_update(Data(name="x", type=AssetTypes.URI_FOLDER,
                                             path="azureml://jobs/no_such_job/outputs/model_output"))


def test_mltable_is_validated_with_mltable(ml_client, tmp_path, csv):
    good = tmp_path / "tbl"
    good.mkdir()
    (good / "diabetes.csv").write_text(csv.read_text())
    (good / "MLTable").write_text("paths:\n  - file: ./diabetes.csv\ntransformations:\n  - read_delimited:\n"
                                  "      delimiter: ','\n      header: all_files_same_headers\n")
    t = ml_client.data.create_or_update(Data(name="tbl", path=str(good), type=AssetTypes.MLTABLE))
    import mltable

    assert mltable.load(str(local_path(ml_client, t))).to_pandas_dataframe().shape == (2, 2)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "MLTable").write_text("paths:\n  - file: ./nothere.csv\n")
    with pytest.raises(ValidationException, match="does not load"):
        ml_client.data.create_or_update(Data(name="bad", path=str(bad), type=AssetTypes.MLTABLE))
    with pytest.raises(ValidationException, match="named 'MLTable'"):
        ml_client.data.create_or_update(Data(name="bad", path=str(csv.parent), type=AssetTypes.MLTABLE))


@pytest.fixture
def conda(tmp_path):
    p = tmp_path / "conda.yml"
    p.write_text("name: train\ndependencies:\n  - python=3.11\n  - scikit-learn=1.2\n  - pip\n  - pip:\n"
                 "    - mlflow\n    - not-a-real-package-xyz\n")
    return p


def test_environment_versions_reuse_when_unchanged(ml_client, conda):
    img = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
    e1 = ml_client.environments.create_or_update(Environment(name="train-env", image=img, conda_file=str(conda)))
    e2 = ml_client.environments.create_or_update(Environment(name="train-env", image=img, conda_file=str(conda)))
    e3 = ml_client.environments.create_or_update(Environment(name="train-env", image=img + "x"))
    assert (e1.version, e2.version, e3.version) == ("1", "1", "2")
    assert isinstance(e1, Environment) and e1.conda_file["name"] == "train"
    assert ml_client.environments.get("train-env", label="latest").image == img + "x"
    with pytest.raises(ResourceExistsError):
        ml_client.environments.create_or_update(Environment(name="train-env", version="1", image="other"))
    with pytest.raises(ResourceNotFoundError, match="train-env:2"):
        ml_client.environments.get("train-env", version="9")


def test_environment_validation_and_build(ml_client, tmp_path, capsys):
    with pytest.raises(MlException, match="Docker image or Dockerfile is required"):
        ml_client.environments.create_or_update(Environment(name="nothing"))
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    with pytest.raises(ValidationException, match="no Dockerfile"):
        ml_client.environments.create_or_update(Environment(name="b", build=BuildContext(path=str(ctx))))
    (ctx / "Dockerfile").write_text("FROM python:3.11-slim\n")
    b = ml_client.environments.create_or_update(Environment(name="b", build=BuildContext(path=str(ctx))))
    assert Path(b.build.path, "Dockerfile").is_file()
    assert "container registry" in capsys.readouterr().out


def test_curated_environments_and_check_importable(ml_client, conda, capsys):
    cur = ml_client.environments.get("AzureML-sklearn-1.5", label="latest")
    assert cur.name == "AzureML-sklearn-1.5" and cur.image
    assert "AzureML-sklearn-1.5" in [e.name for e in ml_client.environments.list()]
    # MS Learn's DP-100 module: a documented curated name, an int version; the stand-in is said in one line
    learn = ml_client.environments.get("AzureML-sklearn-0.24-ubuntu18.04-py37-cpu", version=44)
    assert (learn.name, learn.version, learn.tags) == ("AzureML-sklearn-0.24-ubuntu18.04-py37-cpu", "44",
                                                       {"curated": "true"})
    assert capsys.readouterr().out.count("lab's Python stands in") == 1
    with pytest.raises(ResourceNotFoundError):
        ml_client.environments.get("sklearn-0.24", version=44)  # not curated: a workspace environment that is not there
    env = Environment(name="e", image="img", conda_file=str(conda))
    problems = check_importable(env)
    assert "not-a-real-package-xyz (not installed)" in problems
    assert any(p.startswith("scikit-learn=1.2 (installed ") for p in problems)
    assert not any(p.startswith(("mlflow", "python", "pip")) for p in problems)


def test_mltable_load_of_a_local_asset_uri(ml_client, tmp_path):
    """mltable.load(f"azureml:/{asset.id}") and the long azureml://.../data/<n>/versions/<v> form read the local
    asset (no Azure token); an unknown asset or a non-mltable asset says so."""
    from azure.ai.ml.entities import Data
    folder = tmp_path / "tbl"
    folder.mkdir()
    (folder / "a.csv").write_text("x,y\n1,2\n3,4\n")
    (folder / "MLTable").write_text("paths:\n  - file: ./a.csv\ntransformations:\n  - read_delimited:\n"
                                    "      delimiter: ','\n      header: all_files_same_headers\n")
    asset = ml_client.data.create_or_update(Data(name="loans-table", path=str(folder), type="mltable"))
    import mltable
    assert mltable.load(f"azureml:/{asset.id}").to_pandas_dataframe()["y"].sum() == 6
    long = "azureml://subscriptions/local/resourcegroups/local/workspaces/local/data/loans-table/versions/1"
    assert mltable.load(long).to_pandas_dataframe().shape == (2, 2)
    with pytest.raises(ResourceNotFoundError, match="'nope'.*loans-table"):
        mltable.load(long.replace("loans-table", "nope"))
    (tmp_path / "f.csv").write_text("x\n1\n")
    ml_client.data.create_or_update(Data(name="plain", path=str(tmp_path / "f.csv"), type="uri_file"))
    with pytest.raises(ValidationException, match="only load an MLTable"):
        mltable.load(long.replace("loans-table", "plain"))


def test_get_takes_int_versions_as_azure_does(ml_client, tmp_path):
    ml_client.environments.create_or_update(Environment(name="scoring-env", version="44",
                                                        image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"))
    assert ml_client.environments.get("scoring-env", version=44).version == "44"
    (tmp_path / "f.csv").write_text("x\n1\n")
    ml_client.data.create_or_update(Data(name="tiny", path=str(tmp_path / "f.csv"), type=AssetTypes.URI_FILE))
    assert ml_client.data.get("tiny", version=1).version == "1"
    with pytest.raises(ResourceNotFoundError, match="'tiny' version '2'"):
        ml_client.data.get("tiny", version=2)
