"""Upgrade progress files written by earlier releases. Nothing a learner recorded is dropped or re-scored.

progress.json
  v1 (before shuffling): attempts {qid, score, mode, at}; options were always shown in stored order, so any
     letter a learner typed was the stored key. No answer was kept, only its score.
  v2: attempts may carry `layout` {seed, order} (what was shown) and `answer` (in stored keys). Every v1 attempt
     is kept with its score as recorded and marked `layout: "old"`: it is never re-scored against a new layout.

mock_session.json
  v1: {qids, answers (letters as shown = stored keys), marked, current, elapsed_s, ...}, no layouts.
  v2: adds `version`, `seed` and `layouts` {qid: {seed, order}}; answers are kept in stored keys. A v1 exam is
     resumed in the layout it was shown in (stored order, layout "old" per question), so the candidate sees the
     same options under the same letters as before the upgrade and the answers already given keep their meaning.
"""

from __future__ import annotations

from pathlib import Path

PROGRESS_VERSION = 2
SESSION_VERSION = 2


class NewerFileError(RuntimeError):
    """A progress file from a newer dp100lab: refuse to touch it rather than lose what that release wrote."""


def _version(data: dict) -> int:
    v = data.get("version", 1)
    return v if isinstance(v, int) and v >= 1 else 1


def _refuse_newer(data: dict, supported: int, path) -> None:
    if _version(data) > supported:
        raise NewerFileError(
            f"{path} was written by a newer dp100lab (file version {_version(data)}, this one reads up to "
            f"{supported}). Update dp100lab (git pull), or point DP100LAB_HOME elsewhere; the file was left as it is.")


def migrate_progress(data: dict, path: Path | str = "progress.json") -> tuple[dict, bool]:
    """Return (data at PROGRESS_VERSION, whether anything changed)."""
    _refuse_newer(data, PROGRESS_VERSION, path)
    v = _version(data)
    if v == PROGRESS_VERSION and data.get("version") == PROGRESS_VERSION:
        return data, False
    if v < 2:
        for a in data.get("attempts", []):
            a.setdefault("layout", "old")  # see module docstring: the letters then were the stored keys
        data["migrated_from"] = v
    data["version"] = PROGRESS_VERSION
    data.setdefault("cards", {})
    data.setdefault("marked", [])
    return data, True


def migrate_session(state: dict, by_id: dict, path: Path | str = "mock_session.json") -> tuple[dict, bool]:
    """Return (session at SESSION_VERSION, changed). by_id: the bank's questions, to know each one's keys."""
    from .layout import identity

    _refuse_newer(state, SESSION_VERSION, path)
    if _version(state) >= SESSION_VERSION and "layouts" in state:
        return state, False
    state["layouts"] = {qid: {**identity(by_id[qid]).to_json(), "kind": "old"}
                        for qid in state.get("qids", []) if qid in by_id}
    state.setdefault("seed", None)
    state["migrated_from"] = _version(state)
    state["version"] = SESSION_VERSION
    return state, True
