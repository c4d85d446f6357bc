"""Never overwrite a learner's edits: labs/.build-manifest.json records the sha256 of every file the build wrote.

A generated file whose bytes no longer match its record was edited (or run and saved) by the learner, so the build
keeps it and says how to get the new version; a file the learner added is never removed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import nbformat


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def manifest_bytes(root: Path, labs: dict[Path, bytes]) -> bytes:
    table = {path.relative_to(root).as_posix(): _sha(content) for path, content in sorted(labs.items())}
    return (json.dumps(table, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _previous_manifest(manifest: Path) -> dict[str, str] | None:
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _learner_changed(root: Path, path: Path, previous: dict[str, str] | None, is_lab: Callable[[Path], bool]) -> bool:
    """Has someone edited or run this generated file since the build wrote it?"""
    rel = path.relative_to(root).as_posix()
    if previous is not None and rel in previous:
        return _sha(path.read_bytes()) != previous[rel]
    if is_lab(path):  # no record (older build): outputs mean it was run
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:
            return True
        return any(c.get("outputs") or c.get("execution_count") for c in nb.cells if c.cell_type == "code")
    return False


def move_renamed(root: Path, manifest: Path, labs: dict[Path, bytes], existing: list[Path]) -> list[str]:
    """Labs a learner edited under an older name (labs/05_training_jobs.ipynb before the `_lab` suffix) move to
    today's name, edits and all, and keep counting as edited; unedited ones are left for `write` to remove."""
    from .names import counterpart, stem

    previous = _previous_manifest(manifest)
    moved = []
    for path in existing:
        if path in labs or stem(path.name) is None or path.parent != manifest.parent:
            continue
        new = path.with_name(counterpart(path.name, "labs"))
        if new not in labs or new.exists() or not _learner_changed(root, path, previous, lambda _: True):
            continue
        path.rename(new)
        old_rel, new_rel = path.relative_to(root).as_posix(), new.relative_to(root).as_posix()
        if previous is not None:  # the edited file keeps its record under its new name, so it still counts as edited
            previous[new_rel] = previous.pop(old_rel, "moved")
            manifest.write_text(json.dumps(previous, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"moved {old_rel} to {new_rel} (the lab's new name), with your edits")
        moved.append(new_rel)
    return moved


def write(root: Path, manifest: Path, labs: dict[Path, bytes], existing: list[Path],
          is_lab: Callable[[Path], bool], force: bool = False) -> tuple[int, list[str]]:
    """Write generated files, keeping any a learner changed (unless force); returns (files written, kept paths)."""
    previous = _previous_manifest(manifest)
    changed, kept = 0, []
    for path, content in labs.items():
        if path.exists() and path.read_bytes() == content:
            continue
        if path.exists() and not force and _learner_changed(root, path, previous, is_lab):
            kept.append(path.relative_to(root).as_posix())
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        changed += 1
    for path in existing:
        if path in labs:
            continue
        rel = path.relative_to(root).as_posix()
        if previous is not None and rel not in previous:
            continue  # a file the learner added (their own script or YAML): not ours to remove
        if not force and _learner_changed(root, path, previous, is_lab):
            kept.append(rel)
            continue
        path.unlink()  # generated before, its source is gone from solutions/: stale
        print(f"removed {rel} (no source in solutions/)")
    manifest.write_bytes(manifest_bytes(root, labs))
    return changed, kept
