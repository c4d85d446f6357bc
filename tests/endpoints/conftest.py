"""Shared set-up for endpoint tests: a throwaway store, a tiny registered model, and cleanup of every server.

The model is a JSON file of weights and the scoring scripts use only the standard library, so a deployment's
server starts in a couple of seconds: the tests exercise the endpoint machinery, not a framework's import time.
"""
import json
import os
import textwrap
from pathlib import Path

import pytest

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.core import servers

ONLINE_SCORE = '''
import json, os, time
def init():
    global w
    if os.environ.get("FAIL_INIT"):
        raise RuntimeError("boom: init() failed on purpose")
    w = json.load(open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "weights", "w.json")))["w"]
def run(raw_data):
    body = json.loads(raw_data)
    if body.get("sleep"):
        time.sleep(body["sleep"])
    if body.get("raise"):
        raise ValueError("run() failed on purpose")
    return [sum(a * b for a, b in zip(row, w)) + float(os.environ.get("OFFSET", "0")) for row in body["data"]]
'''

BATCH_SCORE = '''
import os, signal, time
def init():
    pass
def run(mini_batch):
    rows = []
    for path in mini_batch:
        text = open(path).read()
        if "KILL" in text and not os.path.exists(path + ".seen"):
            open(path + ".seen", "w").close()      # first attempt only: the retry succeeds
            os.kill(os.getpid(), signal.SIGKILL)
        if "SLEEP" in text:
            time.sleep(30)
        values = [float(x) for x in text.split()]    # a malformed file raises here
        rows.append(f"{os.path.basename(path)},{sum(values)}")
    return rows
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("endpoints")
    old = os.getcwd()
    os.chdir(root)
    client = LocalMLClient(root / "home", hold=False, set_mlflow=False)
    write(root / "weights" / "w.json", json.dumps({"w": [1.0, 2.0]}))
    write(root / "src" / "score.py", ONLINE_SCORE)
    write(root / "batch_src" / "batch_score.py", BATCH_SCORE)
    yield client, root
    servers.stop_all(client.store)
    os.chdir(old)
