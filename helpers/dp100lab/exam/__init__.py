"""Exam practice engine: outlines and question bank as data, practice/mock/review modes, validator, coverage.

One engine behind two faces: the terminal (`dp100 quiz|exam|progress|coverage`, see cli.py) and notebooks
(`from dp100lab.exam import quiz; quiz(module="05")`, see widget.py).
"""

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


def quiz(*args, **kwargs):
    """Interactive quiz cell for notebooks (ipywidgets, with a plain-text fallback)."""
    from .widget import quiz as _quiz

    return _quiz(*args, **kwargs)


__all__ = ["DATA_DIR", "quiz", "show_progress"]


def show_progress(bank=None):
    """Notebook view of `dp100 progress`: the mastery table, modules to revisit, and the plot inline."""
    import sys

    from .bank import load_bank
    from .progress import report
    from .store import ProgressStore

    report(bank or load_bank(), ProgressStore(), sys.stdout, show=True)
