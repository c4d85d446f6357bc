"""Issue 7's fault scenarios: each one reproduced, each one now a clear one-line outcome with nothing lost."""
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest
from azure.ai.ml import command
from azure.ai.ml.entities import AmlCompute, Data, Model
from azure.core.exceptions import ResourceNotFoundError

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.core.health import StoreGone
from dp100lab.workspace.core.processes import session_members


@pytest.fixture
def client(tmp_path):
    return LocalMLClient(tmp_path / "store", hold=False)


def _wait(client, name, timeout=600):
    end = time.monotonic() + timeout
    while client.jobs.get(name).status not in ("Completed", "Failed", "Canceled"):
        assert time.monotonic() < end, "job did not finish"
        time.sleep(0.2)
    return client.jobs.get(name)


@pytest.mark.parametrize("path", ["azureml://datastores/workspaceblobstore/paths/../../../../escaped_out",
                                  "azureml://datastores/workspaceblobstore/paths/a/../../../x"])
def test_datastore_path_cannot_escape_its_container(client, path, tmp_path):
    with pytest.raises(Exception, match="leaves its datastore"):
        client.data.create_or_update(Data(name="esc", path=path, type="uri_folder"))
    job = command(command="echo hi > ${{outputs.o}}/f", outputs={"o": {"type": "uri_folder", "path": path}},
                  environment="AzureML-sklearn-1.5@latest")
    with pytest.raises(Exception, match="leaves its datastore"):
        client.jobs.create_or_update(job)
    assert not (tmp_path / "escaped_out").exists() and not list(tmp_path.glob("x"))


def test_symlink_out_of_a_datastore_is_refused(client, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("s")
    blob = client.store.datastore_path("workspaceblobstore")
    blob.mkdir(parents=True, exist_ok=True)
    (blob / "link").symlink_to(outside)
    with pytest.raises(Exception, match="leaves its datastore"):
        client.data.create_or_update(Data(name="ln", path="azureml://datastores/workspaceblobstore/paths/link",
                                          type="uri_folder"))


def test_stream_shows_an_unfinished_last_line_and_job_kills_background_children(client, capsys):
    job = command(command="sleep 309 & echo started; printf 'progress 100%%'",
                  environment="AzureML-sklearn-1.5@latest")
    made = client.jobs.create_or_update(job)
    client.jobs.stream(made.name)
    out = capsys.readouterr().out
    assert "started" in out and "progress 100%" in out
    done = _wait(client, made.name)
    assert done.status == "Completed"
    log = (client.store.job_dir(made.name) / "user_logs" / "std_log.txt").read_text()
    assert "stopped 1 process(es)" in log
    assert not [p for p in _sleepers()]  # the background `sleep 309` is gone


def _sleepers():
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    # 309, not a round number: another process on the machine may well run `sleep 300`
    return [line for line in out.splitlines() if line.strip() == "sleep 309"]


def test_zero_byte_registry_is_moved_aside_and_reported(tmp_path, capsys):
    root = tmp_path / "s"
    LocalMLClient(root, hold=False)
    (root / "registry.db").write_bytes(b"")
    from dp100lab.workspace.core import store as store_mod
    store_mod._checked.clear()
    LocalMLClient(root, hold=False)
    err = capsys.readouterr().err
    assert "empty (0 bytes)" in err and "moved to" in err
    assert list(root.glob("registry.db.corrupt-*"))


def test_corrupt_mlflow_db_is_moved_aside_not_raw_errors(tmp_path, capsys):
    root = tmp_path / "s"
    LocalMLClient(root, hold=False)
    (root / "mlflow.db").write_bytes(b"not a database" * 100)
    from dp100lab.workspace.core import tracking
    tracking._ready.clear()
    c = LocalMLClient(root, hold=False)
    made = c.jobs.create_or_update(command(command="echo ok", environment="AzureML-sklearn-1.5@latest"))
    assert _wait(c, made.name).status == "Completed"
    assert "the MLflow tracking store" in capsys.readouterr().err
    assert list(root.glob("mlflow.db.corrupt-*"))


def test_store_removed_under_a_running_client_says_so(tmp_path):
    c = LocalMLClient(tmp_path / "s", hold=False)
    shutil.rmtree(tmp_path / "s")
    with pytest.raises(StoreGone, match="was removed while this process was using it"):
        c.data.list()


def test_vm_size_must_be_an_azure_size(client):
    with pytest.raises(Exception, match="is not an Azure VM size"):
        client.compute.begin_create_or_update(AmlCompute(name="c1", size="huge please")).result()
    with pytest.raises(Exception, match="NCv3"):
        client.compute.begin_create_or_update(AmlCompute(name="c2", size="STANDARD_NC6S_V3")).result()


def test_compute_in_use_cannot_be_deleted(client):
    client.compute.begin_create_or_update(AmlCompute(name="busy", size="STANDARD_DS11_V2", max_instances=1)).result()
    made = client.jobs.create_or_update(command(command="sleep 20", compute="busy",
                                                environment="AzureML-sklearn-1.5@latest"))
    with pytest.raises(Exception, match="in use by 1 active job"):
        client.compute.begin_delete("busy").result()
    client.jobs.begin_cancel(made.name).result()


def test_model_from_a_failed_job_says_the_job_failed(client):
    made = client.jobs.create_or_update(command(command="exit 3", environment="AzureML-sklearn-1.5@latest"))
    assert _wait(client, made.name).status == "Failed"
    with pytest.raises(Exception, match=f"Job '{made.name}' failed"):
        client.models.create_or_update(Model(name="m", type="custom_model",
                                             path=f"azureml://jobs/{made.name}/outputs/artifacts/paths/model/"))


def test_archived_only_asset_get_mentions_restore(client, tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("a\n1\n")
    client.data.create_or_update(Data(name="arch", path=str(f), type="uri_file", version="1"))
    client.data.archive("arch")
    with pytest.raises(ResourceNotFoundError, match="restore"):
        client.data.get("arch", label="latest")


def test_large_snapshot_warns_and_amlignore_is_honoured(client, tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('hi')")
    with open(src / "big.bin", "wb") as f:
        f.truncate(110 * 10**6)  # sparse: costs no disk
    made = client.jobs.create_or_update(command(code=str(src), command="python train.py",
                                                environment="AzureML-sklearn-1.5@latest"))
    assert "warns past 100 MB" in capsys.readouterr().out
    _wait(client, made.name)
    (src / ".amlignore").write_text("big.bin\n")
    capsys.readouterr()
    made2 = client.jobs.create_or_update(command(code=str(src), command="python train.py",
                                                 environment="AzureML-sklearn-1.5@latest"))
    assert "warns past 100 MB" not in capsys.readouterr().out
    assert not (client.store.job_dir(made2.name) / "wd" / "big.bin").exists()
    _wait(client, made2.name)


def test_failed_submission_leaves_nothing_behind(client):
    before = set(os.listdir(client.store.jobs_dir))
    with pytest.raises(Exception):
        client.jobs.create_or_update(command(command="python x.py ${{inputs.missing}}",
                                             inputs={"data": {"type": "uri_file", "path": "/no/such/file"}},
                                             environment="AzureML-sklearn-1.5@latest"))
    assert set(os.listdir(client.store.jobs_dir)) == before
    assert list(client.jobs.list()) == []


def test_first_use_from_several_processes_at_once(tmp_path):
    code = ("import sys; from azure.ai.ml import command; from dp100lab.workspace.client import LocalMLClient;"
            "c = LocalMLClient(sys.argv[1], hold=False);"
            "print(c.jobs.create_or_update(command(command='echo ok', environment='AzureML-sklearn-1.5@latest')).name)")
    root = tmp_path / "fresh"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    names = []
    for p in procs:
        out, err = p.communicate(timeout=900)
        assert p.returncode == 0, err[-2000:]
        names.append(out.strip().splitlines()[-1])
    c = LocalMLClient(root, hold=False)
    for n in names:
        assert _wait(c, n).status == "Completed"
    with sqlite3.connect(root / "mlflow.db") as db:
        assert not [r for r in db.execute("SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp%'")]
