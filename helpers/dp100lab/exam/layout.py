"""Option layouts: the order a candidate sees the options in, separate from the order they are stored in.

Questions are stored with their options under fixed keys (A, B, ... in the YAML) and the explanations keyed by
those keys. Every presentation draws a layout from a seed: `order[i]` is the stored key shown under the i-th
display letter. `view(q, layout)` returns a copy of the question relabelled for display (options, answer and
per-option explanations all under display letters), so rendering, parsing, scoring and explaining work on the
view unchanged, and "why B is wrong" always talks about the option shown as B. Answers are recorded as stored
keys (`to_stored`), so they stay true whatever the next layout is.

Ordering questions are never shown in the right order. Yes/no statements keep their order (a series often reads
as a story), so "Yes to everything" is kept in check by the bank's Yes share (validate.py), not by the layout.
"""

from __future__ import annotations

import dataclasses
import random
import secrets
import string
from dataclasses import dataclass

from .bank import Question

SHUFFLED = ("single", "multiple", "code", "ordering")
OLD = "old"  # marks an attempt or session recorded before shuffling: letters there ARE the stored keys


def new_seed() -> int:
    return secrets.randbits(32)


def question_seed(seed: int, qid: str) -> int:
    """One exam or quiz seed gives every question its own, reproducible layout."""
    return random.Random(f"{seed}:{qid}").randrange(2**32)


@dataclass(frozen=True)
class Layout:
    seed: int | None
    order: tuple[str, ...]  # stored keys in display order; () for questions that are not shuffled

    @property
    def letters(self) -> list[str]:
        return list(string.ascii_uppercase[: len(self.order)])

    def stored(self, letter: str) -> str:
        return self.order[self.letters.index(letter)] if self.order else letter

    def shown(self, key: str) -> str:
        return self.letters[self.order.index(key)] if self.order else key

    def to_json(self) -> dict:
        return {"seed": self.seed, "order": list(self.order)}

    @classmethod
    def from_json(cls, data) -> "Layout | None":
        if not isinstance(data, dict) or not isinstance(data.get("order"), list):
            return None
        return cls(data.get("seed"), tuple(str(k) for k in data["order"]))

    def fits(self, q: Question) -> bool:
        """Still valid for this question (its option keys have not changed since the layout was drawn)?"""
        if q.type not in SHUFFLED:
            return not self.order
        return sorted(self.order) == sorted(q.keys)


def identity(q: Question) -> Layout:
    """The stored order: how every question was shown before shuffling (used for migrated sessions)."""
    return Layout(None, tuple(q.keys) if q.type in SHUFFLED else ())


def make_layout(q: Question, seed: int | None = None) -> Layout:
    seed = new_seed() if seed is None else int(seed)
    if q.type not in SHUFFLED:
        return Layout(seed, ())
    rng = random.Random(seed)
    keys = list(q.keys)
    order = keys[:]
    rng.shuffle(order)
    if q.type == "ordering" and len(keys) > 1:
        while order == list(q.answer):  # shown in the right order, "the order shown" would score: draw again
            rng.shuffle(order)
    return Layout(seed, tuple(order))


def view(q: Question, layout: Layout) -> Question:
    """A copy of q under display letters (options, answer, per-option explanations)."""
    if not layout.order:
        return q
    options = {layout.letters[i]: q.options[k] for i, k in enumerate(layout.order)}
    expl = dict(q.explanation)
    expl["options"] = {layout.shown(k): v for k, v in (q.explanation.get("options") or {}).items() if k in q.options}
    expl["options"] = {L: expl["options"][L] for L in layout.letters if L in expl["options"]}
    return dataclasses.replace(q, options=options, answer=to_shown(q, layout, q.answer), explanation=expl)


def to_stored(q: Question, layout: Layout, given):
    """An answer in display letters -> the same answer in stored keys (yes/no lists pass through)."""
    if given is None or q.type == "yesno" or not layout.order:
        return given
    if isinstance(given, list):
        return [layout.stored(g) for g in given]
    return layout.stored(given)


def to_shown(q: Question, layout: Layout, stored):
    if stored is None or q.type == "yesno" or not layout.order:
        return stored
    if isinstance(stored, list):
        return [layout.shown(s) for s in stored]
    return layout.shown(stored)
