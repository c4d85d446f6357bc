"""A public http(s) file as a job input is downloaded once, as a job's node reads it on Azure; what cannot be fetched
fails at submission with what to do (here a stand-in web server on loopback plays the public storage)."""
import functools
import http.server
import threading

import pytest
from azure.ai.ml import Input, command
from azure.ai.ml.exceptions import ValidationException

from dp100lab.workspace.core import servers

READ = """
    import sys
    print("rows", len(open(sys.argv[1]).read().splitlines()))
"""


@pytest.fixture
def web(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "iris.csv").write_text("a,b\n1,2\n3,4\n")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server
    server.shutdown()


def _job(src, path):
    return command(code=src(READ), command="python train.py ${{inputs.iris}}", environment="AzureML-sklearn-1.5@latest",
                   inputs={"iris": Input(type="uri_file", path=path)})


def test_a_public_file_is_downloaded_once_and_read_by_the_job(ml_client, src, web, wait_status, capsys):
    base, server = web
    first = ml_client.jobs.create_or_update(_job(src, f"{base}/iris.csv"))
    assert "[local] downloaded " + f"{base}/iris.csv (12 bytes)" in capsys.readouterr().out
    assert wait_status(first.name, ("Completed", "Failed")) == "Completed"
    assert "rows 3" in (ml_client.store.job_dir(first.name) / "user_logs" / "std_log.txt").read_text()
    server.shutdown()  # the second job reuses the copy: no server needed
    second = ml_client.jobs.create_or_update(_job(src, f"{base}/iris.csv"))
    assert "downloaded" not in capsys.readouterr().out
    assert wait_status(second.name, ("Completed", "Failed")) == "Completed"


def test_an_unreachable_url_fails_at_submission_saying_what_to_do(ml_client, src):
    url = f"http://127.0.0.1:{servers.free_port()}/iris.csv"  # nothing listens there
    with pytest.raises(ValidationException, match="could not be downloaded") as err:
        ml_client.jobs.create_or_update(_job(src, url))
    assert "connect this machine" in str(err.value) and "local path" in str(err.value)
    assert not list((ml_client.store.root / "downloads").rglob("*.part"))  # nothing half-written is left


def test_a_folder_url_is_refused_with_the_fix(ml_client, src, web):
    base, _ = web
    with pytest.raises(ValidationException, match="is a folder URL"):
        ml_client.jobs.create_or_update(command(
            code=src(READ), command="python train.py ${{inputs.d}}", environment="AzureML-sklearn-1.5@latest",
            inputs={"d": Input(type="uri_folder", path=f"{base}/data/")}))


def test_a_data_asset_on_a_public_url_is_downloaded_by_the_job_that_uses_it(ml_client, src, web, wait_status, capsys):
    from azure.ai.ml.entities import Data

    base, _ = web
    ml_client.data.create_or_update(Data(name="iris-web", version="1", type="uri_file", path=f"{base}/iris.csv"))
    assert "[local]" not in capsys.readouterr().out  # nothing to warn about: jobs can read it
    job = ml_client.jobs.create_or_update(_job(src, "azureml:iris-web:1"))
    assert wait_status(job.name, ("Completed", "Failed")) == "Completed"
    assert "rows 3" in (ml_client.store.job_dir(job.name) / "user_logs" / "std_log.txt").read_text()
