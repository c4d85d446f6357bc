"""A store written by an earlier release opens and upgrades; a newer one is refused unchanged; an interrupted
migration leaves the store as it was."""
import shutil
import sqlite3
from pathlib import Path

import pytest

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.core import migrations, store as store_mod

FIXTURE = Path(__file__).parent / "fixtures" / "store-0.1.0"  # written by dp100lab 0.1.0 (commit 286505d)


def _version(db: Path) -> int:
    with sqlite3.connect(db) as c:
        return c.execute("PRAGMA user_version").fetchone()[0]


def test_store_from_release_0_1_0_opens_and_upgrades(tmp_path):
    root = tmp_path / "store"
    shutil.copytree(FIXTURE, root)
    assert _version(root / "registry.db") == 1
    client = LocalMLClient(root, hold=False, set_mlflow=False)
    assert _version(root / "registry.db") == migrations.LATEST
    data = client.data.get("diabetes-data", version="1")
    assert data.type == "uri_file" and client.compute.get("aml-cluster").max_instances == 2
    from dp100lab.workspace.core import servers
    assert servers.list_servers(client.store) == []  # the table a later step added exists


def test_store_from_a_newer_release_is_refused_and_not_changed(tmp_path):
    root = tmp_path / "store"
    shutil.copytree(FIXTURE, root)
    with sqlite3.connect(root / "registry.db") as c:
        c.execute(f"PRAGMA user_version={migrations.LATEST + 5}")
    before = (root / "registry.db").read_bytes()
    store_mod._checked.discard(str((root / "registry.db").resolve()))
    with pytest.raises(migrations.NewerStoreError, match="newer release"):
        LocalMLClient(root, hold=False, set_mlflow=False)
    assert (root / "registry.db").read_bytes() == before


def test_interrupted_migration_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    root = tmp_path / "store"
    shutil.copytree(FIXTURE, root)
    broken = migrations.STEPS + [(migrations.LATEST + 1, ["CREATE TABLE t1(x)", "THIS IS NOT SQL"])]
    monkeypatch.setattr(migrations, "STEPS", broken)
    monkeypatch.setattr(migrations, "LATEST", migrations.LATEST + 1)
    with pytest.raises(sqlite3.OperationalError):
        LocalMLClient(root, hold=False, set_mlflow=False)
    with sqlite3.connect(root / "registry.db") as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == broken[-2][0]
        assert not c.execute("SELECT name FROM sqlite_master WHERE name='t1'").fetchall()
