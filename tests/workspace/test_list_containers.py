"""list() with no name lists assets as Azure lists containers: version None, latest_version the newest version;
list(name) lists that asset's versions."""
from azure.ai.ml.entities import Data, Environment, Model


def test_list_without_a_name_gives_containers_with_their_latest_version(ml_client, tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("a\n1\n")
    for v in ("1", "2", "3"):
        ml_client.data.create_or_update(Data(name="rows", version=v, type="uri_file", path=str(f)))
    ml_client.models.create_or_update(Model(name="clf", version="4", path=str(f)))
    ml_client.environments.create_or_update(Environment(name="env-a", image="python:3.11"))
    ml_client.environments.create_or_update(Environment(name="env-a", image="python:3.12"))

    data = {d.name: d for d in ml_client.data.list()}
    assert (data["rows"].version, data["rows"].latest_version) == (None, "3")
    model = {m.name: m for m in ml_client.models.list()}["clf"]
    assert (model.version, model.latest_version) == (None, "4")
    env = {e.name: e for e in ml_client.environments.list()}["env-a"]
    assert (env.version, env.latest_version) == (None, "2")

    assert sorted(d.version for d in ml_client.data.list(name="rows")) == ["1", "2", "3"]
