"""No blank lab passes a check because of what ran before it in the same store (issue 9, item 1).

The worst case for a lab check is a store where the teaching notebook and the solution of every module have
already run: the assets, compute and jobs they created all exist. Every blank lab 00-05 then runs in that same
store, and none of its checks may pass: each must prove the learner's own code did the work. One store, one test,
and each notebook runs once (about the time of the course for these modules).
"""
from pathlib import Path

import pytest

from dp100lab.labs.execute import run_notebook, stage_copy
from dp100lab.labs.grade import format_grade, grade

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("00", "01", "02", "03", "04", "05")
TIMEOUT = 900  # seconds per cell: a job cell on a loaded 2-core machine can take minutes


def _names(folder: str) -> list[str]:
    return sorted(p.name for p in (ROOT / folder).glob("[0-9][0-9]_*.ipynb") if p.name[:2] in MODULES)


@pytest.mark.course  # runs every module's notebooks (long): `make test-course`, not `make test`
def test_blank_labs_fail_every_check_after_notebooks_and_solutions_ran(tmp_path):
    env = {"DP100LAB_HOME": str(tmp_path / "home")}
    staged = {}
    for folder in ("notebooks", "solutions", "labs"):
        (tmp_path / folder).mkdir()
        staged[folder] = stage_copy(ROOT / folder, tmp_path / folder)
    assert _names("labs") == _names("solutions") and len(_names("labs")) == len(MODULES)

    for folder in ("notebooks", "solutions"):
        for name in _names(folder):
            result = run_notebook(staged[folder] / name, timeout=TIMEOUT, env=env)
            assert result.ok, f"{folder}/{name} failed in the shared store: {result.aborted or result.errors}"

    passed_by_accident = []
    for name in _names("labs"):
        lab = grade(staged["labs"] / name, timeout=TIMEOUT, env=env)
        assert lab.checks and not lab.aborted, f"labs/{name}: no checks ran\n{format_grade(lab)}"
        passed_by_accident += [f"labs/{name}: {c.line}" for c in lab.checks if c.passed]
    assert not passed_by_accident, "blank labs passed checks their blanks should fail:\n" + "\n".join(
        passed_by_accident)
