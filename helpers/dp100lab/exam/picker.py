"""Which questions a notebook quiz cell shows, and what it showed last time.

Each quiz cell (identified by its arguments: module, skill, domain, outline, ids, n) keeps its current set of
questions, their layouts and the answers given in progress/notebook_quiz.json. Running the cell again:
- while the set has unanswered questions, shows the same set in the same layouts with the answers already
  given (so a reopened notebook shows what was answered, not a blank cell);
- once every question of the set is answered, draws a new set: reviews that are due first (this module's, then
  a few from elsewhere), then questions never seen (this module's first, then ones on the same skills from
  other modules), then the ones seen longest ago. The set just finished is not drawn again unless nothing
  else is left.
"""

from __future__ import annotations

import random
from contextlib import contextmanager

from . import outlines, srs
from .bank import Bank, Question
from .layout import Layout, make_layout
from .store import ProgressStore, atomic_write_json, now_iso, read_json_or_quarantine

STATE_FILE = "notebook_quiz.json"
STATE_VERSION = 1


def cell_key(**args) -> str:
    """A stable name for a quiz cell from the arguments it was called with."""
    return "|".join(f"{k}={args[k]}" for k in sorted(args) if args[k] not in (None, "", []))


@contextmanager
def cells(store: ProgressStore):
    """The cells file, read and written under the progress lock (a terminal may write at the same time)."""
    path = store.dir / STATE_FILE
    with store._locked():
        data = read_json_or_quarantine(path, "cells", store.out) or {"version": STATE_VERSION, "cells": {}}
        yield data["cells"]
        atomic_write_json(path, data)


def load_cell(store: ProgressStore, key: str) -> dict | None:
    with cells(store) as all_cells:
        return all_cells.get(key)


def save_cell(store: ProgressStore, key: str, cell: dict) -> None:
    with cells(store) as all_cells:
        all_cells[key] = cell


def new_cell(questions: list[Question], seed: int | None = None) -> dict:
    rng = random.Random(seed)
    layouts = {q.id: make_layout(q, None if seed is None else rng.randrange(2**32)).to_json() for q in questions}
    return {"qids": [q.id for q in questions], "layouts": layouts, "answers": {}, "scores": {}, "marked": [],
            "at": now_iso()}


def cell_layout(cell: dict, q: Question) -> Layout:
    lay = Layout.from_json(cell["layouts"].get(q.id))
    if lay is None or not lay.fits(q):  # the question changed since: a fresh layout, its old answer set aside
        lay = make_layout(q)
        cell["layouts"][q.id] = lay.to_json()
        if q.id in cell["answers"]:
            cell.setdefault("set_aside", {})[q.id] = cell["answers"].pop(q.id)
            cell["scores"].pop(q.id, None)
    return lay


def finished(cell: dict | None) -> bool:
    return bool(cell) and all(q in cell["answers"] for q in cell["qids"])


def pick(bank: Bank, store: ProgressStore, pool: list[Question], n: int, module: str | None = None,
         outline: str = "dp100", avoid: list[str] | tuple = (), seed: int | None = None) -> list[Question]:
    """n questions for a cell: due reviews first, then unseen, then seen longest ago; weighted to the module."""
    rng = random.Random(seed)
    pool_ids = {q.id for q in pool}
    related: list[Question] = []
    if module:  # same skills, other modules: the module's topic practised from another angle
        ol = outlines.get(outline)
        skills = {s for q in pool for s in outlines.skills_of(q, ol)}
        related = [q for q in bank.questions if q.id not in pool_ids and skills & set(outlines.skills_of(q, ol))]
    due_ids = srs.due(store.data.get("cards", {}))
    last_seen: dict[str, str] = {}
    for a in store.attempts:
        last_seen[a["qid"]] = a["at"]

    def shuffled(qs):
        qs = list(qs)
        rng.shuffle(qs)
        return qs

    def due_in(qs):
        by = {q.id: q for q in qs}
        return [by[i] for i in due_ids if i in by]

    order = (due_in(pool) + due_in(related)[: max(1, n // 3)]
             + shuffled(q for q in pool if q.id not in last_seen)
             + shuffled(q for q in related if q.id not in last_seen)
             + sorted((q for q in pool if q.id in last_seen), key=lambda q: last_seen[q.id]))
    chosen: list[Question] = []
    for q in order:
        if q.id not in avoid and q not in chosen:
            chosen.append(q)
    for q in order:  # everything left was in the last set: repeat rather than show nothing
        if len(chosen) >= n:
            break
        if q not in chosen:
            chosen.append(q)
    return chosen[:n]
