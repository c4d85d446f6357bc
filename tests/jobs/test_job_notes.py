"""What a command job asks of Azure that one local process cannot give is said in one line, with Azure's rule."""
from azure.ai.ml import command
from azure.ai.ml.entities import JobService


def test_interactive_services_are_one_line_naming_where_azure_opens_them(ml_client, capsys):
    job = command(command="echo hi", environment="AzureML-sklearn-1.5@latest",
                  services={"lab": JobService(type="jupyter_lab"), "code": JobService(type="vs_code")})
    returned = ml_client.jobs.create_or_update(job)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "services" in ln]
    assert len(lines) == 1
    assert "'lab' (jupyter_lab), 'code' (vs_code)" in lines[0]
    # how-to-interactive-jobs: supported on compute clusters and Arc-enabled Kubernetes
    assert "compute cluster or Arc-enabled Kubernetes" in lines[0] and "opens none" in lines[0]
    ml_client.jobs.stream(returned.name)
    assert ml_client.jobs.get(returned.name).status == "Completed"
