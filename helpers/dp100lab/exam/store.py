"""The learner's exam progress on disk: <store root>/progress/ ($DP100LAB_HOME, default ~/.dp100lab).

progress.json     every answer given (attempts), FSRS review cards, marked-for-review ids
mock_session.json the mock exam in progress (so an interrupted exam can be resumed)
mastery.png       the last `dp100 progress` plot
notebook_quiz.json the questions each notebook quiz cell showed last (so a reopened notebook shows its answers)

progress.json and mock_session.json carry a `version`; older files are upgraded on open by migrate.py (the
original is kept beside it as <name>.v<N>.bak), and a file from a newer release is refused, never overwritten.

Writes are atomic (temp file + os.replace), so a killed process never leaves half a file. A file that cannot be
read is reported and moved aside as <name>.corrupt-<timestamp>, never silently overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ..workspace.core.store import default_root

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; single-writer use still works
    fcntl = None

from .migrate import PROGRESS_VERSION as VERSION, migrate_progress


def progress_dir(root: Path | None = None) -> Path:
    d = Path(root or default_root()) / "progress"
    d.mkdir(parents=True, exist_ok=True)
    return d


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def atomic_write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json_or_quarantine(path: Path, expect_key: str, out=None, check=None) -> dict | None:
    """Return the JSON mapping at path, None if absent. If it is unreadable or not ours, move it aside and say so.

    check(data) may name what is wrong with the fields' types (None when they are fine); that file goes aside too."""
    out = out or sys.stderr
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or expect_key not in data:
            raise ValueError(f"missing the {expect_key!r} field")
        problem = check(data) if check else None
        if problem:
            raise ValueError(problem)
        return data
    except (ValueError, UnicodeDecodeError) as exc:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        os.replace(path, aside)
        print(
            f"dp100: {path} could not be read ({exc}); it was moved to {aside} and a fresh file was started. "
            f"Nothing was deleted: inspect or restore that copy if you need it.",
            file=out,
        )
        return None


def progress_problem(data: dict) -> str | None:
    """What is wrong with the types in progress.json, or None: later code indexes these fields and would fail
    with a TypeError traceback instead."""
    attempts = data.get("attempts")
    if not isinstance(attempts, list):
        return f"'attempts' is a {type(attempts).__name__}, not a list"
    for i, a in enumerate(attempts):
        if not isinstance(a, dict) or not isinstance(a.get("qid"), str) or \
                not isinstance(a.get("score"), (int, float)) or isinstance(a.get("score"), bool) or \
                not isinstance(a.get("at", ""), str):
            return f"attempt {i} is not an answer record ({json.dumps(a)[:60]})"
    # a card is None until FSRS schedules the question (srs.review)
    for key, kind, item in (("cards", dict, (dict, type(None))), ("marked", list, str), ("mocks", list, dict)):
        value = data.get(key, kind())
        items = value.values() if isinstance(value, dict) else value
        if not isinstance(value, kind) or not all(isinstance(x, item) for x in items):
            return f"'{key}' is not a {kind.__name__} of the expected entries"
    return None


def backup_once(path: Path, old_version) -> Path:
    """Keep the file as it was before a migration (once per version), so an upgrade can always be undone."""
    bak = path.with_name(f"{path.name}.v{old_version}.bak")
    if not bak.exists() and path.exists():
        bak.write_bytes(path.read_bytes())
    return bak


class ProgressStore:
    """Attempts, FSRS cards and marks, persisted after every change."""

    def __init__(self, root: Path | None = None, out=None):
        self.dir = progress_dir(root)
        self.path = self.dir / "progress.json"
        self.out = out
        with self._locked():
            self._load()

    def _load(self) -> None:
        data = read_json_or_quarantine(self.path, "attempts", self.out, check=progress_problem)
        if data is not None:
            data, changed = migrate_progress(data, self.path)
            if changed:
                backup_once(self.path, data.get("migrated_from", 1))
                atomic_write_json(self.path, data)
        self.data = data or {"version": VERSION, "attempts": [], "cards": {}, "marked": []}
        self.data.setdefault("cards", {})
        self.data.setdefault("marked", [])

    @contextlib.contextmanager
    def _locked(self):
        """One writer at a time (a notebook kernel and a terminal may share the store)."""
        if fcntl is None:
            yield
            return
        with open(self.dir / ".progress.lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _update(self):
        """Re-read, change, write, under the lock: another process's answers are never overwritten."""
        with self._locked():
            self._load()
            yield self.data
            atomic_write_json(self.path, self.data)

    def save(self) -> None:
        with self._locked():
            atomic_write_json(self.path, self.data)

    @property
    def attempts(self) -> list[dict]:
        return self.data["attempts"]

    def record(self, qid: str, score: float, mode: str, marked: bool = False, at: str | None = None,
               layout=None, answer=None) -> None:
        """score: 0..1 (partial credit allowed). Also updates the review schedule.

        layout (layout.Layout) and answer (in stored option keys) say what the candidate saw and chose, so a
        review can show the same layout; attempts migrated from before shuffling carry layout "old" instead."""
        from .srs import review

        at = at or now_iso()
        with self._update() as data:
            attempt = {"qid": qid, "score": round(float(score), 3), "mode": mode, "at": at}
            if layout is not None:
                attempt["layout"] = layout.to_json()
            if answer is not None:
                attempt["answer"] = answer
            data["attempts"].append(attempt)
            marks = data["marked"]
            if marked and qid not in marks:
                marks.append(qid)
            elif not marked and qid in marks and score >= 1:
                marks.remove(qid)
            data["cards"][qid] = review(data["cards"].get(qid), score, marked, at)

    def add_mock(self, result: dict) -> None:
        with self._update() as data:
            data.setdefault("mocks", []).append(result)

    def mark(self, qid: str) -> None:
        with self._update() as data:
            if qid not in data["marked"]:
                data["marked"].append(qid)
