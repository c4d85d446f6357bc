"""DP-100 retired on 2026-06-01: nothing a learner reads may still describe that retirement as ahead of them.

Scanned: notebooks/, labs/, solutions/ (cell sources and stored outputs), README.md, docs/, and the exam texts
(the outlines and question bank YAML, the strings of the exam engine and the `dp100` CLI).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HELPERS = ROOT / "helpers" / "dp100lab"

# Each pattern is a future-tense (or "still open") description of DP-100's retirement.
FUTURE = [
    re.compile(r"\bDP-100\b[^.\n]{0,40}?\b(?:is\s+retiring|retires|will\s+(?:be\s+)?retire[ds]?|is\s+being\s+retired)\b",
               re.I),
    re.compile(r"\bretir(?:es|ing)\b[^.\n]{0,25}?(?:2026-06-01|\{[^}\n]*retired)", re.I),  # "retires 2026-06-01"
    re.compile(r"\bwill\s+(?:be\s+)?retire[ds]?\b[^.\n]{0,25}?2026-06-01", re.I),
    re.compile(r"\b(?:sit|sits|take|takes|pass|book)\b[^.\n]{0,30}?DP-100[^.\n]{0,30}?\bbefore\b[^.\n]{0,6}?2026-06-01",
               re.I),
    re.compile(r"\bbefore\s+(?:\*\*)?2026-06-01", re.I),  # any deadline still open on that date
]


def future_tense(text: str) -> list[str]:
    """The phrases in text that describe DP-100's retirement as still to come."""
    flat = text.replace("**", "")
    return [m.group(0) for pat in FUTURE for m in pat.finditer(flat)]


def _notebook_text(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb.get("cells", []):
        parts.append("".join(cell.get("source", [])))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", [])))
            parts.append("".join(out.get("data", {}).get("text/plain", [])))
    return "\n".join(parts)


def scanned() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in ("notebooks", "labs", "solutions"):
        files += sorted((ROOT / folder).rglob("*.ipynb")) + sorted((ROOT / folder).rglob("*.md"))
    files += sorted((ROOT / "docs").rglob("*.md"))
    files += sorted((HELPERS / "exam").rglob("*.py")) + sorted((HELPERS / "exam" / "data").rglob("*.yaml"))
    files += sorted((HELPERS / "cli").rglob("*.py"))
    return [f for f in files if f.is_file()]


def test_the_pattern_catches_future_tense_and_spares_the_past():
    for bad in ("## DP-100 is retiring: AI-300 replaces it", "  retires 2026-06-01; successor AI-300",
                "If you sit **DP-100 before 2026-06-01**, every module applies", "DP-100 will retire on 2026-06-01",
                "print(f\"  retires {exam.raw['retired']}\")", "Book the exam before 2026-06-01."):
        assert future_tense(bad), bad
    for good in ("DP-100 retired on 2026-06-01; AI-300 is the live exam", "DP-100 (retired 2026-06-01)",
                 "Prompt flow retires on 2027-04-20", "SDK v1 is retired", "last DP-100 outline before retirement"):
        assert not future_tense(good), good


def test_scan_reaches_notebook_00_readme_and_the_exam_texts():
    names = {f.relative_to(ROOT).as_posix() for f in scanned()}
    assert {"README.md", "notebooks/00_start_here.ipynb", "helpers/dp100lab/exam/cli.py",
            "helpers/dp100lab/exam/data/outlines/dp100.yaml"} <= names
    assert any(n.startswith("helpers/dp100lab/exam/data/questions/") for n in names)


def test_dp100_retirement_is_never_described_in_the_future_tense():
    hits = []
    for path in scanned():
        text = _notebook_text(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
        hits += [f"{path.relative_to(ROOT)}: {phrase!r}" for phrase in future_tense(text)]
    assert not hits, "DP-100 retired on 2026-06-01; these still say it is to come:\n" + "\n".join(hits)
