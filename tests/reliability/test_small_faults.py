"""Issue 7's smaller faults, each reproduced: one clear line instead of a traceback, nothing recorded that fails
later, bounded memory, no process outliving its job, the snapshot's ignore files, and what Azure refuses."""
import io
import json
import subprocess
import sys
import time
import tracemalloc
from types import SimpleNamespace

import pytest
from azure.ai.ml import command
from azure.ai.ml.entities import AmlCompute, Environment
from azure.ai.ml.exceptions import ValidationException
from azure.core.exceptions import ResourceNotFoundError

from dp100lab.exam.store import ProgressStore
from dp100lab.labs import grade
from dp100lab.labs.execute import NotANotebook
from dp100lab.workspace.jobs.prepare import snapshot_code
from dp100lab.workspace.jobs.stream import CHUNK, LogFollower


from test_faults import _wait  # noqa: E402  (the same hang guard; `client` comes from test_faults too)
from test_faults import client  # noqa: E402,F401  (a fixture: pytest finds it by name)


# ---- dp100 check on something that is not a lab notebook -------------------------------------------------------
@pytest.mark.parametrize("name,content,says", [
    ("train.py", b"print('hi')\n", "it is not JSON"),
    ("blob.ipynb", b"\x89PNG\r\n\x1a\n\x00\xff", "it is not text"),
    ("other.ipynb", b'{"a": 1}', "is not a valid notebook"),
    ("bad.ipynb", json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                              "cells": [{"cell_type": "bogus", "source": "", "metadata": {}}]}).encode(),
     "is not a valid notebook"),
])
def test_check_on_a_non_notebook_says_one_line(tmp_path, capsys, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    assert grade.main([str(path)]) == 2
    captured = capsys.readouterr()
    assert says in captured.err and str(path) in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err + captured.out
    with pytest.raises(NotANotebook, match=says):  # the API says the same, before copying or starting anything
        grade.grade(path)


# ---- a progress file whose fields have the wrong types ------------------------------------------------------------
@pytest.mark.parametrize("broken", [
    {"version": 2, "attempts": ["q1", "q2"], "cards": {}, "marked": []},
    {"version": 2, "attempts": [{"qid": 3, "score": "full"}], "cards": {}, "marked": []},
    {"version": 2, "attempts": [], "cards": [], "marked": []},
    {"version": 2, "attempts": {}, "cards": {}, "marked": {}},
    {"version": 1, "attempts": [7], "cards": {}, "marked": []},  # old version: caught before migration touches it
])
def test_progress_file_with_wrong_types_is_moved_aside(tmp_path, broken):
    folder = tmp_path / "progress"
    folder.mkdir()
    (folder / "progress.json").write_text(json.dumps(broken))
    out = io.StringIO()
    store = ProgressStore(tmp_path, out=out)
    said = out.getvalue().strip().splitlines()
    assert len(said) == 1 and "could not be read" in said[0] and "moved to" in said[0]
    assert len(list(folder.glob("progress.json.corrupt-*"))) == 1
    store.record("q1", 1.0, "practice")  # a fresh file works
    assert ProgressStore(tmp_path, out=out).attempts[0]["qid"] == "q1"


# ---- a conda file that is not a conda specification ---------------------------------------------------------------
def test_conda_file_holding_plain_text_is_refused_before_anything_is_recorded(client, tmp_path, capsys):
    plain = tmp_path / "conda.yml"
    plain.write_text("scikit-learn\nmlflow\n")  # loads as the str 'scikit-learn mlflow'
    with pytest.raises(ValidationException, match="not a conda specification"):
        client.environments.create_or_update(Environment(name="plain-env", image="img", conda_file=str(plain)))
    assert "recorded" not in capsys.readouterr().out
    with pytest.raises(ResourceNotFoundError):
        client.environments.get("plain-env", label="latest")


def test_conda_file_as_yaml_text_is_a_path_for_the_sdk():
    """The SDK reads a str conda_file as a path (Environment.conda_file setter, load_yaml): YAML text is refused there."""
    with pytest.raises(ValidationException, match="No such file or directory"):
        Environment(name="e", image="img", conda_file="dependencies:\n  - python=3.11\n")


# ---- 50 MB of job output, streamed in bounded memory --------------------------------------------------------------
class _Count:
    def __init__(self):
        self.chars, self.largest = 0, 0

    def write(self, text):
        self.chars += len(text)
        self.largest = max(self.largest, len(text))


def test_fifty_megabytes_of_output_stream_in_bounded_memory(tmp_path):
    log = tmp_path / "std_log.txt"
    line = ("x" * 99 + "\n").encode()
    with open(log, "wb") as f:
        for _ in range(50 * 10**6 // len(line)):
            f.write(line)
        f.write(b"progress 100%")  # an unfinished last line
    size = log.stat().st_size
    sink = _Count()
    tracemalloc.start()
    try:
        read = LogFollower(log).read_new(sink, final=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read == size and sink.chars == size
    assert sink.largest <= CHUNK  # written a chunk at a time, never the whole log
    assert peak < 8 * CHUNK, peak  # a few chunks, not 50 MB


# ---- a background child of a script that fails or is canceled -----------------------------------------------------
def _alive(marker):
    out = subprocess.run(["ps", "-eo", "stat=,args="], capture_output=True, text=True).stdout
    return [ln for ln in out.splitlines() if ln.split(None, 1)[-1] == marker and not ln.startswith("Z")]


def _gone(marker, timeout=10):
    end = time.monotonic() + timeout
    while _alive(marker) and time.monotonic() < end:
        time.sleep(0.1)
    return not _alive(marker)


# `set -m` puts the background child in a process group of its own: only stopping the whole session reaches it
def test_background_child_of_a_failed_script_is_stopped(client):
    made = client.jobs.create_or_update(command(command="set -m; sleep 317 & sleep 1; exit 3",
                                                environment="AzureML-sklearn-1.5@latest"))
    assert _wait(client, made.name).status == "Failed"
    assert _gone("sleep 317")
    log = (client.store.job_dir(made.name) / "user_logs" / "std_log.txt").read_text()
    assert "stopped 1 process(es)" in log


def test_background_child_of_a_canceled_script_is_stopped(client):
    made = client.jobs.create_or_update(command(command="set -m; sleep 318 & echo started; sleep 120",
                                                environment="AzureML-sklearn-1.5@latest"))
    end = time.monotonic() + 300
    while not _alive("sleep 318"):
        assert time.monotonic() < end, "the script never started its child"
        time.sleep(0.1)
    client.jobs.begin_cancel(made.name).result()
    assert _wait(client, made.name).status == "Canceled"
    assert _gone("sleep 318")


# ---- .gitignore / .amlignore in the code snapshot -----------------------------------------------------------------
def _tree(tmp_path, ignore_files):
    src = tmp_path / "src"
    for rel in ("train.py", "data/a.csv", "data/keep.csv", "data/readme.txt", "data/sub/b.csv", "logs/x.log",
                "notes.txt"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(rel)
    for name, text in ignore_files.items():
        (src / name).write_text(text)
    wd = tmp_path / "wd"
    snapshot_code(SimpleNamespace(code=str(src), base_path=str(tmp_path)), wd)
    return sorted(str(p.relative_to(wd)) for p in wd.rglob("*") if p.is_file())


def test_gitignore_patterns_are_honoured_in_the_snapshot(tmp_path):
    got = _tree(tmp_path, {".gitignore": "# data stays out\ndata/*.csv\n!data/keep.csv\nlogs/\n"})
    assert got == [".gitignore", "data/keep.csv", "data/readme.txt", "data/sub/b.csv", "notes.txt", "train.py"]


def test_amlignore_wins_over_gitignore(tmp_path):
    got = _tree(tmp_path, {".gitignore": "*.csv\n", ".amlignore": "*.txt\n/logs\n"})
    assert got == [".gitignore", "data/a.csv", "data/keep.csv", "data/sub/b.csv", "train.py"]


# ---- what Azure refuses: VM sizes and curated environments, as data with a source ---------------------------------
@pytest.mark.parametrize("size,close", [("Standard_Z99", None), ("Standard_DS11_v9", "Standard_DS11_v2"),
                                        ("Standard_D4s_v9", "Standard_D4s_v3")])
def test_vm_size_azure_ml_does_not_offer_is_refused_with_close_matches(client, size, close):
    with pytest.raises(ValidationException) as e:
        client.compute.begin_create_or_update(AmlCompute(name="c1", size=size)).result()
    message = str(e.value.message)
    assert "is not an Azure VM size that Azure Machine Learning compute supports" in message
    assert len(message.splitlines()) == 1
    if close:
        assert close in message


@pytest.mark.parametrize("size", ["STANDARD_DS11_V2", "Standard_E4s_v3", "Standard_NC4as_T4_v3",
                                  "Standard_NC24ads_A100_v4", "Standard_F16s_v2", "Standard_D4ds_v4"])
def test_documented_vm_sizes_are_accepted(client, size):
    made = client.compute.begin_create_or_update(AmlCompute(name="ok1", size=size, max_instances=1)).result()
    assert made.size == size


def test_unknown_curated_environment_is_refused_with_close_matches(client):
    with pytest.raises(ResourceNotFoundError) as e:
        client.environments.get("AzureML-sklearn-1.6", label="latest")
    assert "AzureML-sklearn-1.5" in str(e.value.message) and len(str(e.value.message).splitlines()) == 1
    with pytest.raises(ResourceNotFoundError, match="not a curated environment"):
        client.jobs.create_or_update(command(command="echo", environment="AzureML-nothing-like-it@latest"))


def test_curated_version_azure_does_not_have_is_refused_naming_latest(client, capsys):
    # issue 7: version 999 was accepted; Azure's registry refuses a version it does not hold
    with pytest.raises(ResourceNotFoundError) as e:
        client.environments.get("AzureML-sklearn-1.5", version=999)
    message = str(e.value.message)
    assert message.startswith("No environment exists for name: AzureML-sklearn-1.5, version: 999")
    assert "label='latest'" in message and len(message.splitlines()) == 1
    with pytest.raises(ResourceNotFoundError, match="version: 999"):  # the same when a job names it
        client.jobs.create_or_update(command(command="echo", environment="AzureML-sklearn-1.5:999"))
    assert "stands in" not in capsys.readouterr().out  # nothing was taken
    with pytest.raises(ValidationException, match="curated versions are integers"):
        client.environments.get("AzureML-sklearn-1.5", version="newest")