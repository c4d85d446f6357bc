"""Each test gets its own store (DP100LAB_HOME) and works in its own folder, as a notebook would."""
import signal
import textwrap
import time
from pathlib import Path

import pytest

from dp100lab.workspace.core import processes
from dp100lab.workspace.client import LocalMLClient

TERMINAL = ("Completed", "Failed", "Canceled")


@pytest.fixture
def home(tmp_path, monkeypatch):
    root = tmp_path / "home"
    monkeypatch.setenv("DP100LAB_HOME", str(root))
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    yield root
    _kill_leftovers(root)


def _kill_leftovers(root: Path) -> None:
    """A failing test must not leave job processes behind."""
    for jd in (root / "jobs").glob("*"):
        for role in ("script", "runner"):
            processes.kill_role(jd, role, signal.SIGKILL)


@pytest.fixture
def ml_client(home):
    return LocalMLClient(home, hold=False)


@pytest.fixture
def src(home):
    """Write a script into ./src and return the folder name."""
    folder = Path("src")
    folder.mkdir(exist_ok=True)

    def write(body: str, name: str = "train.py") -> str:
        (folder / name).write_text(textwrap.dedent(body))
        return "./src"

    return write


@pytest.fixture
def wait_status(ml_client):
    return lambda name, statuses, timeout=120: _wait_status(ml_client, name, statuses, timeout)


def _wait_status(ml_client, name, statuses, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = ml_client.jobs.get(name).status
        if status in statuses:
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {name} never reached {statuses}; last status {status}")
