"""Schema migrations of the registry (registry.db), applied in order on open, each in one transaction.

A store written by any earlier release opens and upgrades under this one; a store from a newer release is
refused, never changed; an interrupted migration leaves the store exactly as it was (the transaction rolls back).
Add a step: append (N, [statements]) with N = the last version + 1. Never edit a released step.
"""

from __future__ import annotations

import sqlite3

STEPS: list[tuple[int, list[str]]] = [
    (1, [
        """CREATE TABLE IF NOT EXISTS assets (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL DEFAULT '',
            spec TEXT NOT NULL, labels TEXT NOT NULL DEFAULT '[]', tags TEXT NOT NULL DEFAULT '{}',
            archived INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            UNIQUE(kind, name, version))""",
        """CREATE TABLE IF NOT EXISTS jobs (
            name TEXT PRIMARY KEY, type TEXT, status TEXT NOT NULL, pid INTEGER, spec TEXT NOT NULL,
            experiment TEXT, run_id TEXT, parent TEXT, compute TEXT, error TEXT,
            created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT, updated_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS jobs_by_parent ON jobs(parent)",
        """CREATE TABLE IF NOT EXISTS locks (
            pid INTEGER NOT NULL, purpose TEXT NOT NULL, started_at TEXT NOT NULL, proc_start TEXT,
            PRIMARY KEY (pid, purpose))""",
    ]),
    (2, [  # long-lived processes (studio, endpoint servers and router, scheduler), found again after a restart
        """CREATE TABLE IF NOT EXISTS servers (
            name TEXT PRIMARY KEY, kind TEXT NOT NULL, pid INTEGER, proc_start TEXT, port INTEGER,
            info TEXT NOT NULL DEFAULT '{}', started_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    ]),
]
LATEST = STEPS[-1][0]


class NewerStoreError(RuntimeError):
    """The store was written by a newer dp100lab: refuse rather than corrupt it."""


def current(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def upgrade(conn: sqlite3.Connection, where: str) -> list[int]:
    """Apply every pending step (autocommit connection). Returns the versions applied."""
    have = current(conn)
    if have > LATEST:
        raise NewerStoreError(
            f"The local workspace store {where} has schema version {have}, newer than this dp100lab knows "
            f"({LATEST}). It was written by a newer release: upgrade dp100lab (git pull && make lab), or point "
            f"DP100LAB_HOME at another folder. The store was not changed.")
    applied = []
    for version, statements in STEPS:
        if version <= have:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if current(conn) >= version:  # another process migrated while we waited for the lock
                conn.execute("ROLLBACK")
                continue
            for sql in statements:
                conn.execute(sql)
            conn.execute(f"PRAGMA user_version={version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(version)
    return applied
