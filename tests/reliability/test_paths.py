"""Paths stay inside their container: a run's artifacts, a job's outputs and a datastore, whatever `..`, an absolute
path or a symlink says; and a job output URI with a trailing slash resolves as without it."""
import time

import pytest
from azure.ai.ml import command
from azure.ai.ml.entities import Data, Model

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.core.uris import resolve_path, run_artifact_path

OUT = "azureml://datastores/workspaceblobstore/paths//abs_out"  # an absolute path inside the datastore URI


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    """One completed job with an artifact, a named output `o` and an output written to OUT."""
    client = LocalMLClient(tmp_path_factory.mktemp("paths") / "store", hold=False)
    job = client.jobs.create_or_update(command(
        command="mkdir -p outputs && echo art > outputs/a.txt && echo hi > ${{outputs.o}}/f.txt "
                "&& echo abs > ${{outputs.abs}}/g.txt",
        outputs={"o": {"type": "uri_folder"}, "abs": {"type": "uri_folder", "path": OUT}},
        environment="AzureML-sklearn-1.5@latest"))
    end = time.monotonic() + 600
    while client.jobs.get(job.name).status not in ("Completed", "Failed", "Canceled"):
        assert time.monotonic() < end
        time.sleep(0.2)
    assert client.jobs.get(job.name).status == "Completed"
    return client, job.name


@pytest.mark.parametrize("rel", ["../..", "outputs/../../..", "../../mlflow.db"])
def test_runs_uri_cannot_leave_the_runs_artifacts(done, rel):
    client, name = done
    with pytest.raises(Exception, match="leaves the run's artifacts"):
        resolve_path(client, f"runs:/{name}/{rel}")
    with pytest.raises(Exception, match="leaves the run's artifacts"):
        client.models.create_or_update(Model(name="esc", path=f"runs:/{name}/{rel}", type="custom_model"))
    with pytest.raises(Exception, match="leaves the run's artifacts"):  # the same route, as a job output URI
        resolve_path(client, f"azureml://jobs/{name}/outputs/artifacts/paths/{rel}")


def test_a_path_inside_the_runs_artifacts_still_resolves(done):
    client, name = done
    assert resolve_path(client, f"runs:/{name}/outputs/a.txt").read_text() == "art\n"
    assert run_artifact_path(client.store, name, "outputs/../outputs/a.txt").read_text() == "art\n"


def test_symlink_out_of_the_runs_artifacts_is_refused(done, tmp_path):
    client, name = done
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "s.txt").write_text("s")
    base = run_artifact_path(client.store, name)
    (base / "link").symlink_to(outside)
    with pytest.raises(Exception, match="leaves the run's artifacts"):
        resolve_path(client, f"runs:/{name}/link/s.txt")


def test_named_output_cannot_be_left_with_dotdot(done):
    client, name = done
    with pytest.raises(Exception, match="leaves its datastore"):
        resolve_path(client, f"azureml://jobs/{name}/outputs/o/paths/../../../..")


def test_absolute_path_in_a_datastore_uri_stays_in_the_datastore(done):
    """On Azure a datastore path is a path inside its container, a leading '/' included: nothing lands at /abs_out."""
    client, _ = done
    blob = client.store.datastore_path("workspaceblobstore").resolve()
    written = resolve_path(client, OUT + "/g.txt")
    assert written.read_text() == "abs\n" and blob in written.parents
    other = resolve_path(client, "azureml://datastores/workspaceblobstore/paths//etc/passwd", must_exist=False)
    assert blob in other.parents and not other.exists()


def test_job_output_uri_with_a_trailing_slash(done):
    client, name = done
    with_slash = resolve_path(client, f"azureml://jobs/{name}/outputs/o/")
    assert with_slash == resolve_path(client, f"azureml://jobs/{name}/outputs/o")
    assert (with_slash / "f.txt").read_text() == "hi\n"
    asset = client.data.create_or_update(Data(name="from-job", path=f"azureml://jobs/{name}/outputs/o/",
                                              type="uri_folder"))
    assert (resolve_path(client, asset.path) / "f.txt").read_text() == "hi\n"
