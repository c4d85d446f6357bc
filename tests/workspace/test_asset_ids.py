"""An asset's id (registered_model.id) and the short job-artifacts form work where Microsoft's samples pass them."""
from azure.ai.ml.entities import Model

from dp100lab.workspace.core import uris


def test_short_job_artifacts_uri_is_the_paths_form():
    short = "azureml://jobs/run1/outputs/artifacts/outputs/model.pkl"
    assert uris._JOB_ARTIFACTS_SHORT_RE.match(short)
    assert not uris._JOB_ARTIFACTS_SHORT_RE.match("azureml://jobs/run1/outputs/artifacts/paths/outputs/model.pkl")


def test_parse_asset_id_names_kind_name_and_version(ml_client, tmp_path):
    (tmp_path / "m.pkl").write_bytes(b"x")
    model = ml_client.models.create_or_update(Model(name="clf", version="3", path=str(tmp_path / "m.pkl")))
    assert uris.is_asset_id(model.id)
    assert uris.parse_asset_id(model.id) == ("model", "clf", "3")
    assert not uris.is_asset_id(str(tmp_path / "m.pkl"))


def test_a_deployment_takes_the_registered_model_id(ml_client, tmp_path):
    from dp100lab.workspace.endpoints.online_deployments import resolve_model

    (tmp_path / "m.pkl").write_bytes(b"x")
    model = ml_client.models.create_or_update(Model(name="clf", version="2", path=str(tmp_path / "m.pkl")))
    entity, local = resolve_model(ml_client, model.id)
    assert (entity.name, entity.version) == ("clf", "2") and local.read_bytes() == b"x"
