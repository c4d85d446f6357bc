"""The registry: transactions, versions, labels, job rows, in-use markers, corruption and crash safety."""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from dp100lab.workspace.core import health
from dp100lab.workspace.core import store as store_mod
from dp100lab.workspace.core.store import Store


def test_layout_and_paths(home):
    s = Store(home)
    assert s.root == home
    for d in ("datastores", "jobs", "mlartifacts"):
        assert (home / d).is_dir()
    assert s.mlflow_tracking_uri == f"sqlite:///{home / 'mlflow.db'}"
    with sqlite3.connect(s.db_path) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_root_from_env(home):
    assert Store().root == home


def test_versions_latest_archive(home):
    s = Store(home)
    s.put("data", "d", "1", {"v": 1}, tags={"a": "b"})
    s.put("data", "d", "2", {"v": 2})
    s.put("data", "d", "release", {"v": 3})
    assert s.get("data", "d", label="latest")["spec"] == {"v": 3}  # latest = most recently created
    assert s.get("data", "d", "1")["tags"] == {"a": "b"}
    s.set_archived("data", "d", "release", True)
    assert s.get("data", "d")["version"] == "2"
    assert [r["version"] for r in s.list("data", "d")] == ["2", "1"]
    assert len(s.list("data", "d", include_archived=True)) == 3
    s.put("data", "d", "1", {"v": "1b"})  # replacing keeps creation order
    assert s.get("data", "d")["version"] == "2"
    assert s.delete("data", "d", "1") == 1 and s.get("data", "d", "1") is None
    assert s.get("data", "nope") is None
    row, created = s.create_version("data", "d", None, lambda v: {"v": v}, same=lambda _s: False)
    assert created and row["version"] == "3"  # next integer after "2"; "release" does not count


def test_job_rows_stamp_times(home):
    s = Store(home)
    s.put_job("j1", {"command": "echo"}, status="Starting", type="command", experiment="e")
    assert s.get_job("j1")["started_at"] is None
    row = s.update_job("j1", status="Running", pid=123)
    assert row["started_at"] and row["pid"] == 123 and not row["ended_at"]
    row = s.update_job("j1", status="Completed")
    assert row["ended_at"] and row["spec"] == {"command": "echo"}
    assert [r["name"] for r in s.list_jobs(status="Completed")] == ["j1"]
    with pytest.raises(KeyError):
        s.update_job("nope", status="Failed")
    with pytest.raises(TypeError):
        s.put_job("j2", {}, bogus=1)


def test_in_use_lists_live_processes_and_prunes_dead(home):
    s = Store(home)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        s.hold("notebook kernel", pid=live.pid)
        s.hold("notebook kernel", pid=dead.pid)
        s.put_job("j", {}, status="Running", pid=live.pid)
        users = s.in_use()
        assert any(f"pid {live.pid}: notebook kernel" in u for u in users)
        assert any("job j" in u for u in users)
        assert not any(str(dead.pid) in u for u in users)
    finally:
        live.kill()
        live.wait()
    assert s.in_use() == []


def test_corrupted_registry_is_moved_aside(home, capsys):
    Store(home).put("data", "d", "1", {"v": 1})
    store_mod._checked.clear()
    db = home / "registry.db"
    for suffix in ("-wal", "-shm"):
        if os.path.exists(str(db) + suffix):
            os.remove(str(db) + suffix)
    db.write_bytes(b"this is not a database" * 100)
    s = Store(home)
    err = capsys.readouterr().err
    assert "could not be used" in err and "moved to" in err and "nothing deleted" in err
    kept = list(home.glob("registry.db.corrupt-*"))
    assert kept and kept[0].read_bytes().startswith(b"this is not a database")
    assert s.get("data", "d") is None  # fresh registry...
    s.put("data", "d", "1", {"v": 1})  # ...that works
    assert s.get("data", "d", "1")["spec"] == {"v": 1}


def test_store_survives_process_killed_mid_write(home):
    """A writer SIGKILLed in the middle of its loop leaves an intact registry with every committed row."""
    script = textwrap.dedent(f"""
        import sys
        from dp100lab.workspace.core.store import Store
        s = Store({str(home)!r})
        i = 0
        while True:
            s.put("data", "d%d" % i, "1", {{"i": i, "pad": "x" * 2000}})
            s.put_job("job%d" % i, {{"i": i}}, status="Running")
            s.update_job("job%d" % i, status="Completed")
            print(i, flush=True)
            i += 1
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    done = -1
    try:
        while done < 40:
            line = proc.stdout.readline()
            assert line, "writer died early"
            done = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    store_mod._checked.clear()
    s = Store(home)
    assert health.sqlite_problem(s.db_path) is None
    assert not list(home.glob("registry.db.corrupt-*"))
    for i in range(done + 1):
        assert s.get("data", f"d{i}", "1")["spec"]["i"] == i
        assert s.get_job(f"job{i}")["status"] == "Completed"
