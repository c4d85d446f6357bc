"""The local workspace's transactional registry of assets and jobs (one SQLite file).

Layout of a store root ($DP100LAB_HOME, default ~/.dp100lab):
    registry.db      assets, jobs and live-process markers (SQLite, WAL, one transaction per write)
    mlflow.db        MLflow tracking + model registry  (tracking URI sqlite:///<root>/mlflow.db)
    mlartifacts/     MLflow artifact root
    datastores/<n>/  local folders backing datastores
    jobs/<job>/      a job's working folder, outputs/<output>/, user_logs/std_log.txt

Entities are stored in their SDK dict form (entity._to_dict()) so they round-trip through azure.ai.ml loaders.
A fresh sqlite3 connection per operation keeps the store safe across threads (pollers) and forks (job runners).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from . import health, migrations
from .processes import pid_alive, proc_start

TERMINAL_STATUSES = ("Completed", "Failed", "Canceled", "NotResponding", "Paused")

_JOB_COLUMNS = ("type", "status", "pid", "spec", "experiment", "run_id", "parent", "compute", "error",
                "started_at", "ended_at")
_checked: set[str] = set()  # db paths already integrity-checked in this process


def now() -> str:
    """UTC timestamp in ISO 8601, as Azure reports creation times."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def default_root() -> Path:
    return Path(os.environ.get("DP100LAB_HOME") or Path.home() / ".dp100lab").expanduser()


class VersionConflict(Exception):
    """An asset version exists with other content; `.row` is the stored one."""

    def __init__(self, row: dict):
        super().__init__(f"{row['kind']} {row['name']}:{row['version']} exists with other content")
        self.row = row


class JobExists(Exception):
    """A job row with this name exists already (job names are unique in a workspace)."""


class Store:
    """One local workspace store. Cheap to construct; safe to use from several threads and processes."""

    def __init__(self, root: Optional[os.PathLike | str] = None):
        self.root = Path(root).expanduser() if root else default_root()
        self.root.mkdir(parents=True, exist_ok=True)
        for d in (self.datastores_dir, self.jobs_dir, self.mlartifacts_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._open()

    # ---- paths -------------------------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.root / health.REGISTRY_DB

    @property
    def datastores_dir(self) -> Path:
        return self.root / "datastores"

    @property
    def jobs_dir(self) -> Path:
        return self.root / "jobs"

    @property
    def mlflow_db(self) -> Path:
        return self.root / health.MLFLOW_DB

    @property
    def mlartifacts_dir(self) -> Path:
        return self.root / "mlartifacts"

    @property
    def mlflow_tracking_uri(self) -> str:
        return f"sqlite:///{self.mlflow_db}"

    def datastore_path(self, name: str) -> Path:
        return self.datastores_dir / name

    def job_dir(self, job_name: str) -> Path:
        return self.jobs_dir / job_name

    # ---- connection and integrity -----------------------------------------------------------------
    def _open(self) -> None:
        key = str(self.db_path.resolve())
        with self.lock("registry-init"):  # else a second process sees the first one's 0-byte registry.db
            problem = None if key in _checked else health.sqlite_problem(self.db_path)
            if problem:
                health.move_aside(self.db_path, problem, "the local registry",
                                  f"Your files under {self.root} are untouched; re-register assets, or inspect the old "
                                  f"file with sqlite3 '.recover'.")
            with self._conn(opening=True) as c:
                c.execute("PRAGMA journal_mode=WAL")  # persistent: readers never block the writer
                migrations.upgrade(c, str(self.db_path))
        _checked.add(key)

    @contextmanager
    def lock(self, purpose: str) -> Iterator[None]:
        """An exclusive lock across processes (flock on <root>/.<purpose>.lock), for steps that are not one SQLite
        transaction: creating or migrating the registry, claiming a job's folder."""
        with open(self.root / f".{purpose}.lock", "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    @contextmanager
    def _conn(self, opening: bool = False) -> Iterator[sqlite3.Connection]:
        if not opening and not self.db_path.exists():  # sqlite would silently start an empty registry
            raise health.store_gone(self.root, self.db_path)
        c = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            c.execute("PRAGMA busy_timeout=30000")
            c.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable against a killed process
            c.row_factory = sqlite3.Row
            yield c
        finally:
            c.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands or none of it does."""
        with self._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    # ---- assets ----------------------------------------------------------------------------------
    @staticmethod
    def _asset(row: sqlite3.Row) -> dict:
        return {"kind": row["kind"], "name": row["name"], "version": row["version"] or None,
                "spec": json.loads(row["spec"]), "labels": json.loads(row["labels"]),
                "tags": json.loads(row["tags"]), "archived": bool(row["archived"]),
                "created_at": row["created_at"], "updated_at": row["updated_at"]}

    def put(self, kind: str, name: str, version: Optional[str], spec: dict, *, labels: Optional[list] = None,
            tags: Optional[dict] = None, archived: bool = False) -> dict:
        """Insert or replace one asset version (non-versioned kinds pass version=None)."""
        ver = "" if version is None else str(version)
        body = json.dumps(spec, default=str, sort_keys=True)
        ts = now()
        with self._tx() as c:
            c.execute(
                "INSERT INTO assets(kind,name,version,spec,labels,tags,archived,created_at,updated_at) "
                "VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(kind,name,version) DO UPDATE SET spec=excluded.spec, "
                "labels=excluded.labels, tags=excluded.tags, archived=excluded.archived, "
                "updated_at=excluded.updated_at",
                (kind, name, ver, body, json.dumps(labels or []), json.dumps(tags or {}, default=str),
                 int(archived), ts, ts))
            row = c.execute("SELECT * FROM assets WHERE kind=? AND name=? AND version=?",
                            (kind, name, ver)).fetchone()
        return self._asset(row)

    def create_version(self, kind: str, name: str, version: Optional[str], make_spec: Callable[[str], dict], *,
                       same: Callable[[dict], bool], reuse_latest: bool = False,
                       tags: Optional[dict] = None) -> tuple[dict, bool]:
        """Assign and insert one immutable asset version in ONE transaction (asset versions never change on Azure).

        version=None takes the next integer version (or, with reuse_latest, the newest one when `same` says its
        spec is unchanged). An existing version is returned when `same(existing spec)`, else VersionConflict.
        Returns (row, created). Safe with any number of processes: the version is computed under the write lock.
        """
        with self._tx() as c:
            def fetch(ver: str) -> Optional[sqlite3.Row]:
                return c.execute("SELECT * FROM assets WHERE kind=? AND name=? AND version=?",
                                 (kind, name, ver)).fetchone()

            if version is None:
                rows = c.execute("SELECT version, spec FROM assets WHERE kind=? AND name=? ORDER BY seq DESC",
                                 (kind, name)).fetchall()
                if reuse_latest and rows and same(json.loads(rows[0]["spec"])):
                    return self._asset(fetch(rows[0]["version"])), False
                ints = [int(r["version"]) for r in rows if str(r["version"]).isdigit()]
                version = str(max(ints) + 1 if ints else 1)
            existing = fetch(str(version))
            if existing is not None:
                if same(json.loads(existing["spec"])):
                    return self._asset(existing), False
                raise VersionConflict(self._asset(existing))
            ts = now()
            body = json.dumps(make_spec(str(version)), default=str, sort_keys=True)
            c.execute("INSERT INTO assets(kind,name,version,spec,labels,tags,archived,created_at,updated_at) "
                      "VALUES(?,?,?,?,?,?,0,?,?)", (kind, name, str(version), body, "[]",
                                                    json.dumps(tags or {}, default=str), ts, ts))
            return self._asset(fetch(str(version))), True

    def get(self, kind: str, name: str, version: Optional[str] = None,
            label: Optional[str] = None) -> Optional[dict]:
        """One asset: an exact version, or label "latest" (newest non-archived), or a custom label.

        version=None for a versioned kind means "latest". Returns None when absent.
        """
        with self._conn() as c:
            if version not in (None, "latest") and label is None:
                row = c.execute("SELECT * FROM assets WHERE kind=? AND name=? AND version=?",
                                (kind, name, str(version))).fetchone()
                return self._asset(row) if row else None
            rows = c.execute("SELECT * FROM assets WHERE kind=? AND name=? ORDER BY seq DESC",
                             (kind, name)).fetchall()
        if label not in (None, "latest"):
            rows = [r for r in rows if label in json.loads(r["labels"])]
        live = [r for r in rows if not r["archived"]]
        return self._asset(live[0]) if live else None

    def list(self, kind: str, name: Optional[str] = None, include_archived: bool = False) -> list[dict]:
        """Assets of one kind, newest first (all versions of `name` when given)."""
        sql, args = "SELECT * FROM assets WHERE kind=?", [kind]
        if name is not None:
            sql, args = sql + " AND name=?", args + [name]
        if not include_archived:
            sql += " AND archived=0"
        with self._conn() as c:
            return [self._asset(r) for r in c.execute(sql + " ORDER BY seq DESC", args).fetchall()]

    def names(self, kind: str) -> list[str]:
        """Distinct names of one kind, for "what exists" hints in error messages."""
        with self._conn() as c:
            return [r[0] for r in c.execute("SELECT DISTINCT name FROM assets WHERE kind=? ORDER BY name",
                                            (kind,)).fetchall()]

    def set_archived(self, kind: str, name: str, version: Optional[str], archived: bool) -> int:
        """Archive/restore one version, or every version of `name` when version is None. Returns rows changed."""
        sql, args = "UPDATE assets SET archived=?, updated_at=? WHERE kind=? AND name=?", [int(archived), now(),
                                                                                        kind, name]
        if version is not None:
            sql, args = sql + " AND version=?", args + [str(version)]
        with self._tx() as c:
            return c.execute(sql, args).rowcount

    def delete(self, kind: str, name: str, version: Optional[str] = None) -> int:
        sql, args = "DELETE FROM assets WHERE kind=? AND name=?", [kind, name]
        if version is not None:
            sql, args = sql + " AND version=?", args + [str(version)]
        with self._tx() as c:
            return c.execute(sql, args).rowcount

    def record_call(self, what: str, args: tuple, kwargs: dict) -> None:
        """Keep a call the local workspace has no meaning for (recorded-only groups), as readable text."""
        spec = {"call": what, "args": [repr(a)[:500] for a in args],
                "kwargs": {k: repr(v)[:500] for k, v in kwargs.items()}}
        with self._tx() as c:
            c.execute("INSERT INTO assets(kind,name,version,spec,created_at,updated_at) VALUES(?,?,?,?,?,?)",
                      ("recorded_call", what, now(), json.dumps(spec), now(), now()))

    # ---- jobs -----------------------------------------------------------------------------------
    @staticmethod
    def _job(row: sqlite3.Row) -> dict:
        d = dict(row)
        d["spec"] = json.loads(d["spec"])
        return d

    def put_job(self, name: str, spec: dict, status: str = "NotStarted", pid: Optional[int] = None,
                **meta: Any) -> dict:
        """Insert a new job row, in one transaction; JobExists if the name is taken (a job is never replaced:
        two processes submitting one name must not overwrite each other). meta: type, experiment, run_id, parent,
        compute, error, started_at, ended_at."""
        bad = set(meta) - set(_JOB_COLUMNS)
        if bad:
            raise TypeError(f"put_job: unknown job fields {sorted(bad)}; known: {list(_JOB_COLUMNS)}")
        cols = {"type": None, "experiment": None, "run_id": None, "parent": None, "compute": None,
                "error": None, "started_at": None, "ended_at": None, **meta,
                "status": status, "pid": pid, "spec": json.dumps(spec, default=str, sort_keys=True)}
        ts = now()
        names = list(cols)
        with self._tx() as c:
            try:
                c.execute(f"INSERT INTO jobs(name,{','.join(names)},created_at,updated_at) "
                          f"VALUES(?,{','.join('?' * len(names))},?,?)", [name, *cols.values(), ts, ts])
            except sqlite3.IntegrityError as e:
                if "UNIQUE" not in str(e):
                    raise
                raise JobExists(name) from e  # the primary key: the name is taken
            return self._job(c.execute("SELECT * FROM jobs WHERE name=?", (name,)).fetchone())

    def update_job(self, name: str, **fields: Any) -> dict:
        """Change some fields of a job row in one transaction. Setting status to Running stamps started_at,
        a terminal status stamps ended_at (unless given). Raises KeyError for an unknown job."""
        bad = set(fields) - set(_JOB_COLUMNS)
        if bad:
            raise TypeError(f"update_job: unknown job fields {sorted(bad)}; known: {list(_JOB_COLUMNS)}")
        if "spec" in fields and not isinstance(fields["spec"], str):
            fields["spec"] = json.dumps(fields["spec"], default=str, sort_keys=True)
        ts = now()
        with self._tx() as c:
            row = c.execute("SELECT started_at, ended_at FROM jobs WHERE name=?", (name,)).fetchone()
            if row is None:
                raise KeyError(name)
            status = fields.get("status")
            if status == "Running" and not row["started_at"]:
                fields.setdefault("started_at", ts)
            if status in TERMINAL_STATUSES and not row["ended_at"]:
                fields.setdefault("ended_at", ts)
            if fields:
                c.execute(f"UPDATE jobs SET {','.join(f'{k}=?' for k in fields)}, updated_at=? WHERE name=?",
                          [*fields.values(), ts, name])
            return self._job(c.execute("SELECT * FROM jobs WHERE name=?", (name,)).fetchone())

    def get_job(self, name: str) -> Optional[dict]:
        with self._conn() as c:
            row = c.execute("SELECT * FROM jobs WHERE name=?", (name,)).fetchone()
        return self._job(row) if row else None

    def list_jobs(self, status: Optional[str] = None, parent: Optional[str] = None,
                  experiment: Optional[str] = None) -> list[dict]:
        """Job rows newest first, optionally filtered."""
        sql, args = "SELECT * FROM jobs WHERE 1=1", []
        for col, val in (("status", status), ("parent", parent), ("experiment", experiment)):
            if val is not None:
                sql, args = sql + f" AND {col}=?", args + [val]
        with self._conn() as c:
            return [self._job(r) for r in c.execute(sql + " ORDER BY created_at DESC, rowid DESC", args)]

    def delete_job(self, name: str) -> int:
        with self._tx() as c:
            return c.execute("DELETE FROM jobs WHERE name=?", (name,)).rowcount

    # ---- in-use markers (so `dp100 reset` never wipes a store a live process is using) -------------------
    def hold(self, purpose: str, pid: Optional[int] = None) -> None:
        """Record that process `pid` (default: this one) uses the store, e.g. "notebook kernel"."""
        pid = pid or os.getpid()
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO locks(pid,purpose,started_at,proc_start) VALUES(?,?,?,?)",
                      (pid, purpose, now(), proc_start(pid)))

    def release(self, purpose: str, pid: Optional[int] = None) -> None:
        """Best effort (also runs at interpreter exit, when the store may be gone): a marker left behind is
        pruned by in_use() once its process is dead."""
        if not self.db_path.exists():
            return
        try:
            with self._tx() as c:
                c.execute("DELETE FROM locks WHERE pid=? AND purpose=?", (pid or os.getpid(), purpose))
        except sqlite3.Error:
            pass

    def in_use(self) -> list[str]:
        """Live processes using this store (held markers and running jobs), as readable lines.
        Markers of dead processes are pruned."""
        with self._conn() as c:
            locks = c.execute("SELECT * FROM locks").fetchall()
            jobs = c.execute("SELECT name, pid, status FROM jobs WHERE pid IS NOT NULL AND status NOT IN "
                             f"({','.join('?' * len(TERMINAL_STATUSES))})", TERMINAL_STATUSES).fetchall()
        users, dead = [], []
        for r in locks:
            if r["pid"] == os.getpid():
                continue  # the asking process itself does not block (e.g. `reset` called from a kernel)
            if pid_alive(r["pid"], r["proc_start"]):
                users.append(f"pid {r['pid']}: {r['purpose']} (since {r['started_at']})")
            else:
                dead.append((r["pid"], r["purpose"]))
        users += [f"pid {r['pid']}: job {r['name']} ({r['status']})" for r in jobs if pid_alive(r["pid"])]
        if dead:
            with self._tx() as c:
                c.executemany("DELETE FROM locks WHERE pid=? AND purpose=?", dead)
        return users

    def wait_unlocked(self, timeout: float = 0) -> list[str]:
        """in_use() after waiting up to `timeout` seconds for it to become empty."""
        end = time.monotonic() + timeout
        users = self.in_use()
        while users and time.monotonic() < end:
            time.sleep(0.2)
            users = self.in_use()
        return users
