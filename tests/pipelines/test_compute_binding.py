"""A pipeline component whose step runs on compute given as a parameter (node.compute = a pipeline input, serialized
${{parent.inputs.<name>}}): the SDK passes the binding to the service (JobOperations._try_get_compute_arm_id), and
the step runs on the compute the input names; a name that does not exist fails naming it."""
from azure.ai.ml import Input, dsl, load_component
from azure.ai.ml.entities import AmlCompute

from pipeline_wait import wait_done


def _pipeline(prep):
    @dsl.pipeline()
    def inner(raw: Input, step_compute: str):
        node = prep(raw_data=raw)
        node.compute = step_compute
        return {"prepared": node.outputs.prepared}

    @dsl.pipeline(default_compute="serverless")
    def outer(raw, compute_name):
        sub = inner(raw=raw, step_compute=compute_name)
        return {"prepared": sub.outputs.prepared}

    return outer


def test_step_compute_bound_to_a_pipeline_input(ml_client, project):
    ml_client.compute.begin_create_or_update(AmlCompute(name="cpu-cluster", size="STANDARD_DS3_V2",
                                                        max_instances=1)).result()
    outer = _pipeline(load_component(source="./prep.yml"))
    job = ml_client.jobs.create_or_update(outer(raw=Input(type="uri_file", path="./raw.csv"),
                                                compute_name="cpu-cluster"))
    done = wait_done(ml_client, job.name)
    assert done.status == "Completed", ml_client.store.get_job(done.name)["error"]
    (sub,) = ml_client.jobs.list(parent_job_name=done.name)
    (step,) = ml_client.jobs.list(parent_job_name=sub.name)
    assert step.status == "Completed" and str(step.compute).split("/")[-1] == "cpu-cluster"

    missing = ml_client.jobs.create_or_update(outer(raw=Input(type="uri_file", path="./raw.csv"),
                                                    compute_name="no-such-cluster"))
    failed = wait_done(ml_client, missing.name)
    assert failed.status == "Failed"
    assert "no-such-cluster" in ml_client.store.get_job(failed.name)["error"]
