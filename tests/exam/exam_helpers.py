"""Shared helpers for the exam tests (a uniquely named module: `import conftest` is ambiguous across test dirs)."""
from __future__ import annotations

from pathlib import Path

GOOD = Path(__file__).parent / "fixtures" / "good"


def single(qid: str, skill: str, stem: str | None = None, module: str = "05") -> dict:
    """A valid single-choice question (distinct stem per id so near-duplicate detection stays quiet)."""
    return {
        "id": qid, "type": "single",
        "stem": stem or f"Question {qid} asks about {skill} in its own words: option {qid.upper()} differs here.",
        "options": {"A": "right", "B": "wrong", "C": "also wrong"}, "answer": "A",
        "explanation": {"summary": "A is right.", "options": {"A": "yes", "B": "no", "C": "no"}},
        "skills": [skill], "difficulty": 1, "module": module,
        "reference": "https://learn.microsoft.com/en-us/azure/machine-learning/",
    }


def shown(q, stored, seed=None, layout=None):
    """What a candidate types for an answer given in stored keys, under the layout a seed (or a layout) gives q."""
    from dp100lab.exam.layout import Layout, make_layout, question_seed, to_shown

    lay = layout if isinstance(layout, Layout) else Layout.from_json(layout) if layout else make_layout(q, question_seed(seed, q.id))
    ans = to_shown(q, lay, stored)
    return " ".join(ans) if isinstance(ans, list) else ans
