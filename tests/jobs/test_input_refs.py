"""Input forms the SDK passes through as references, and the legacy 'path' type, reach the script as local paths."""
from azure.ai.ml import Input, command
from azure.ai.ml.entities import Data

READ = """
    import sys
    print("read:", open(sys.argv[1]).read().strip())
"""


def _run(ml_client, capsys, job):
    returned = ml_client.jobs.create_or_update(job)
    capsys.readouterr()
    ml_client.jobs.stream(returned.name)
    return ml_client.jobs.get(returned.name), capsys.readouterr().out


def test_a_data_asset_id_as_input_path_reads_the_asset(ml_client, src, tmp_path, capsys):
    # Microsoft's data how-to passes Input(path=registered_data_asset.id): an ARM id, absolute-looking
    (tmp_path / "rows.csv").write_text("registered rows\n")
    ml_client.data.create_or_update(Data(name="rows", version="1", type="uri_file", path=str(tmp_path / "rows.csv")))
    asset = ml_client.data.get(name="rows", version="1")
    assert asset.id.startswith("/subscriptions/")
    job = command(code=src(READ), command="python train.py ${{inputs.data}}", environment="AzureML-sklearn-1.5@latest",
                  inputs={"data": Input(type="uri_file", path=asset.id)})
    done, out = _run(ml_client, capsys, job)
    assert done.status == "Completed", out
    assert "read: registered rows" in out


def test_an_unknown_asset_id_names_the_asset(ml_client, src):
    import pytest
    from azure.core.exceptions import ResourceNotFoundError
    ml_client.data.create_or_update(Data(name="rows", version="1", type="uri_file", path=__file__))
    bad = ml_client.data.get(name="rows", version="1").id.replace("/versions/1", "/versions/7")
    job = command(code=src(READ), command="python train.py ${{inputs.data}}", environment="AzureML-sklearn-1.5@latest",
                  inputs={"data": Input(type="uri_file", path=bad)})
    with pytest.raises(ResourceNotFoundError, match="rows"):
        ml_client.jobs.create_or_update(job)


def test_a_legacy_path_typed_input_on_a_standalone_job_is_refused_as_the_sdk_refuses_it(ml_client, src, tmp_path):
    # command() accepts type="path" (LegacyAssetTypes.PATH), but a standalone job's REST form has no such input
    # type: the SDK raises on submission; locally the same error, and no job is left behind
    import pytest
    from azure.ai.ml.exceptions import ValidationException
    (tmp_path / "legacy.txt").write_text("legacy path input\n")
    job = command(code=src(READ), command="python train.py ${{inputs.data}}", environment="AzureML-sklearn-1.5@latest",
                  inputs={"data": Input(type="path", path=str(tmp_path / "legacy.txt"))})
    with pytest.raises(ValidationException, match="type path is not supported"):
        ml_client.jobs.create_or_update(job)
    assert list(ml_client.jobs.list()) == []


def test_an_input_without_a_path_is_refused_naming_the_input(ml_client, src):
    # Input(folder=...) is not a keyword the SDK reads: the input has no path, and Azure refuses the job
    import pytest
    from azure.ai.ml.exceptions import ValidationException
    job = command(code=src(READ), command="ls ${{inputs.datastore}}", environment="AzureML-sklearn-1.5@latest",
                  inputs={"datastore": Input(folder="azureml://datastores/workspaceblobstore/paths/")})
    with pytest.raises(ValidationException, match=r"Job input 'datastore' has no path.*path can't be empty"):
        ml_client.jobs.create_or_update(job)
    assert list(ml_client.jobs.list()) == []


def test_interactive_services_are_kept_on_the_job_and_said_in_one_line(ml_client, src, capsys):
    # Microsoft's command-job samples add JupyterLab and VS Code services; Azure keeps them on the job
    from azure.ai.ml.entities import JobService
    job = command(code=src("print('ok')"), command="python train.py", environment="AzureML-sklearn-1.5@latest",
                  services={"Jupyterlab endpoint": JobService(type="jupyter_lab"),
                            "Vscode endpoint": JobService(type="vs_code")})
    returned = ml_client.jobs.create_or_update(job)
    said = capsys.readouterr().out
    assert "'Jupyterlab endpoint' (jupyter_lab)" in said and "opens none" in said
    ml_client.jobs.stream(returned.name)
    services = ml_client.jobs.get(returned.name).services
    assert {"Jupyterlab endpoint", "Vscode endpoint", "Studio"} <= set(services)
    assert services["Vscode endpoint"].type == "vs_code"
