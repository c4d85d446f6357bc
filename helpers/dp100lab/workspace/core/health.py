"""Is the store whole? One set of checks for the client and `dp100 doctor`, so both say the same thing.

A 0-byte or corrupt SQLite file (the registry or MLflow's database) is moved aside, never deleted, and reported
in one line saying what happened, where the old copy is and what to do. A store folder removed under a running
client is reported on the next call instead of raw driver errors.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional


REGISTRY_DB = "registry.db"  # the store's two databases: their names are defined here only
MLFLOW_DB = "mlflow.db"


class StoreGone(RuntimeError):
    """The store's folder or database disappeared while a client was using it."""


def sqlite_problem(path: Path) -> Optional[str]:
    """Why `path` is not a usable SQLite database, or None (also None when it does not exist yet)."""
    if not path.exists():
        return None
    if path.stat().st_size == 0:
        return "the file is empty (0 bytes)"
    try:
        c = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows = [r[0] for r in c.execute("PRAGMA integrity_check").fetchall()]
        finally:
            c.close()
    except sqlite3.DatabaseError as e:
        return str(e)
    return None if rows == ["ok"] else "; ".join(rows[:5])


def move_aside(path: Path, problem: str, what: str, consequence: str) -> Path:
    """Rename a broken database (and its WAL files) to <name>.corrupt-<UTC stamp>; print one line; return it."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    dest = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            src.rename(str(dest) + suffix)
    print(f"dp100lab: {what} {path} could not be used ({problem}); it was moved to {dest} (nothing deleted) and a "
          f"fresh one was started. {consequence}", file=sys.stderr)
    return dest


def store_gone(root: Path, db: Path) -> StoreGone:
    missing = root if not root.is_dir() else db
    return StoreGone(f"The local workspace store {missing} was removed while this process was using it. Nothing "
                     f"can be recovered from it here; run dp100lab.connect() again to start a fresh store (or restore "
                     f"the folder from a backup and restart the kernel).")


def report(root: Path) -> list[str]:
    """Problems of the store at `root`, one readable line each (for `dp100 doctor`); empty when all is well."""
    lines = []
    for name, what in ((REGISTRY_DB, "the asset and job registry"), (MLFLOW_DB, "the MLflow tracking store")):
        problem = sqlite_problem(root / name)
        if problem:
            lines.append(f"{what} {root / name}: {problem}. The next dp100lab.connect() moves it aside "
                         f"(nothing deleted) and starts a fresh one.")
    old = sorted(p.name for p in root.glob("*.corrupt-*")) if root.is_dir() else []
    if old:
        lines.append(f"earlier copies moved aside in {root}: {', '.join(old[:5])} (inspect with sqlite3 '.recover').")
    return lines
