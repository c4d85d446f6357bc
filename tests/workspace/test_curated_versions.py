"""Curated environment versions: the ones Microsoft's docs, labs and SDK samples use resolve; one past the newest they
use is refused the way Azure's registry refuses a version it does not hold (assets/data/curated_environments.json)."""
import json

import pytest
from azure.core.exceptions import ResourceNotFoundError

from dp100lab.workspace.assets import environments
from dp100lab.workspace.client import LocalMLClient


@pytest.fixture(scope="module")
def ml_client(tmp_path_factory):
    return LocalMLClient(tmp_path_factory.mktemp("curated") / "home", hold=False, set_mlflow=False)


def test_every_curated_name_has_a_ceiling_with_its_source():
    data = json.loads(environments.CURATED_FILE.read_text())["environments"]
    for name, entry in data.items():
        assert isinstance(entry["max_version"], int) and entry["max_version"] >= 1, name
        assert len(entry["version_source"]) > 20, name  # says where the number comes from


@pytest.mark.parametrize("name,version", [
    ("AzureML-sklearn-0.24-ubuntu18.04-py37-cpu", 44),  # MS Learn lab 04 (issue 6)
    ("AzureML-sklearn-0.24-ubuntu18.04-py37-cpu", 9),   # how-to-read-write-data-v2
    ("AzureML-sklearn-1.0-ubuntu20.04-py38-cpu", 33),   # azure-ai-ml's own samples
    ("AzureML-sklearn-1.0-ubuntu20.04-py38-cpu", "1"),  # azureml-examples CLI jobs
    ("AzureML-AutoML", 1),
])
def test_versions_microsoft_uses_resolve(ml_client, name, version, monkeypatch):
    monkeypatch.setattr(environments, "_stood_in", set())  # its one-line notes are once per process: leave them
    env = ml_client.environments.get(name, version=version)
    assert (env.name, env.version, env.tags) == (name, str(version), {"curated": "true"})


@pytest.mark.parametrize("name", sorted(environments.CURATED))
def test_one_past_the_ceiling_and_zero_are_refused_with_the_fix(ml_client, name):
    newest = environments.CURATED_MAX[name]
    for version in (newest + 1, 0):
        with pytest.raises(ResourceNotFoundError) as e:
            ml_client.environments.get(name, version=version)
        message = str(e.value.message)
        assert message.startswith(f"No environment exists for name: {name}, version: {version}, label: ")
        assert f"'{name}@latest'" in message and len(message.splitlines()) == 1
        if newest > 1:
            assert f"from 1 to {newest}" in message


def test_latest_still_resolves_for_every_name(ml_client):
    for name in environments.CURATED:
        assert ml_client.environments.get(name, label="latest").name == name
