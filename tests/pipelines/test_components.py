"""ml_client.components: YAML and Python components, versions, labels, archive/restore, bad input."""
import textwrap
from pathlib import Path

import pytest
from azure.ai.ml import load_component
from azure.ai.ml.constants import ListViewType
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from marshmallow.exceptions import ValidationError


def test_register_yaml_component_get_by_version_and_latest(ml_client, project):
    registered = ml_client.components.create_or_update(load_component(source="prep.yml"))
    assert (registered.name, registered.version) == ("prep_data", "1")
    assert registered.id.endswith("/components/prep_data/versions/1")
    assert ml_client.components.get("prep_data", version="1").command == registered.command
    assert ml_client.components.get("prep_data").version == "1"  # no version and no label: latest, as the SDK


def test_versions_are_immutable_and_auto_increment(ml_client, project):
    ml_client.components.create_or_update(load_component(source="prep.yml"))
    again = ml_client.components.create_or_update(load_component(source="prep.yml"))  # same content: fine
    assert again.version == "1"
    changed = load_component(source="prep.yml")
    changed.description = "other content"
    with pytest.raises(ResourceExistsError, match="immutable"):
        ml_client.components.create_or_update(changed)
    changed.version = None
    assert ml_client.components.create_or_update(changed).version == "2"
    assert ml_client.components.get("prep_data", label="latest").version == "2"
    assert [c.version for c in ml_client.components.list("prep_data")] == ["2", "1"]


def test_code_is_snapshotted_at_registration(ml_client, project):
    registered = ml_client.components.create_or_update(load_component(source="prep.yml"))
    Path("src/prep.py").write_text("raise SystemExit('edited after registration')")
    snap = Path(registered.code)
    assert snap.is_dir() and "edited after" not in (snap / "prep.py").read_text()


def test_archive_and_restore(ml_client, project):
    ml_client.components.create_or_update(load_component(source="prep.yml"))
    ml_client.components.archive("prep_data", version="1")
    assert ml_client.components.list("prep_data") == []
    assert [c.version for c in ml_client.components.list("prep_data", list_view_type=ListViewType.ARCHIVED_ONLY)] \
        == ["1"]
    with pytest.raises(ResourceNotFoundError):
        ml_client.components.get("prep_data", label="latest")
    ml_client.components.restore("prep_data", version="1")
    assert ml_client.components.get("prep_data").version == "1"


def test_mldesigner_function_registers(ml_client, project):
    Path("steps.py").write_text(textwrap.dedent('''
        from mldesigner import Output, command_component

        @command_component(name="add_one", version="3",
                           environment="azureml://registries/azureml/environments/sklearn-1.5/labels/latest")
        def add_one(x: int, result: Output(type="uri_folder")):
            import pathlib
            pathlib.Path(result, "v.txt").write_text(str(x + 1))
    '''))
    import importlib.util
    spec = importlib.util.spec_from_file_location("steps", "steps.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    registered = ml_client.components.create_or_update(module.add_one)  # the function itself, as the SDK takes
    assert (registered.name, registered.version, sorted(registered.inputs)) == ("add_one", "3", ["x"])
    assert registered.command.startswith("mldesigner execute")


def test_unknown_input_type_is_refused_naming_it(project):
    Path("bad.yml").write_text(Path("prep.yml").read_text().replace("type: integer", "type: integr"))
    with pytest.raises(ValidationError) as err:
        load_component(source="bad.yml")
    assert "integr" in str(err.value) and "integer" in str(err.value)  # the bad value and the allowed ones


def test_get_missing_component_names_what_exists(ml_client, project):
    ml_client.components.create_or_update(load_component(source="prep.yml"))
    with pytest.raises(ResourceNotFoundError, match="prep_data"):
        ml_client.components.get("prep_dat", version="1")
