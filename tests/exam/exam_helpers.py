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
