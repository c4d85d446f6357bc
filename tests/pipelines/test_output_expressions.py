"""Output paths with Azure's server expressions (concept-expressions): ${{name}} is the job's name (a pipeline step's
own job name), ${{output_name}} the output's, ${{default_datastore}} the pipeline's default datastore when its
settings name one, else the workspace's."""
from pathlib import Path

from azure.ai.ml import Input, Output, command, dsl, load_component
from azure.ai.ml.entities import AzureBlobDatastore

from pipeline_wait import wait_done

TEMPLATE = "azureml://datastores/${{default_datastore}}/paths/custom/${{name}}/${{output_name}}/"


def test_a_command_jobs_output_path_expands_name_output_name_and_the_default_datastore(ml_client, project):
    job = ml_client.jobs.create_or_update(command(
        code="./src", command="python prep.py --raw ${{inputs.raw}} --rows 3 --out ${{outputs.prepared}}",
        environment="azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
        inputs={"raw": Input(type="uri_file", path="raw.csv")},
        outputs={"prepared": Output(type="uri_folder", path=TEMPLATE)}))
    assert wait_done(ml_client, job.name).status == "Completed"
    landed = ml_client.store.datastore_path("workspaceblobstore") / "custom" / job.name / "prepared" / "rows.txt"
    assert landed.read_text().splitlines() == ["0,0", "1,1", "2,4"]


def test_a_pipeline_steps_expressions_use_the_step_job_and_the_pipelines_default_datastore(ml_client, project):
    ml_client.datastores.create_or_update(AzureBlobDatastore(name="curated", account_name="labstorage", container_name="curated-data"))
    prep = load_component(source="prep.yml")

    @dsl.pipeline(default_compute="serverless", default_datastore="curated")
    def one_step(raw):
        step = prep(raw_data=raw, rows=2)
        step.outputs.prepared = Output(type="uri_folder", path=TEMPLATE)

    job = ml_client.jobs.create_or_update(one_step(raw=Input(type="uri_file", path="raw.csv")))
    assert wait_done(ml_client, job.name).status == "Completed"
    child = next(iter(ml_client.jobs.list(parent_job_name=job.name))).name
    landed = Path(ml_client.store.datastore_path("curated")) / "custom" / child / "prepared" / "rows.txt"
    assert landed.read_text().splitlines() == ["0,0", "1,1"]
