"""Notebooks as a learner meets them.

(a) solutions/*.ipynb are compared with their stored outputs by nbval (run by `make test`):
      pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:randomly solutions/
(b) every teaching notebook in notebooks/ runs top to bottom without an error;
(c) every lab fails its checks while blank (with no error other than the blanks) and its solution passes them.
Each notebook runs in a temporary copy of its folder (../datasets linked) on a fresh local store.
"""
import re
from pathlib import Path

import pytest

from dp100lab.labs.execute import run_notebook, stage_copy
from dp100lab.labs.grade import format_grade, grade

ROOT = Path(__file__).resolve().parents[2]
MODULE = re.compile(r"^\d\d_.+\.ipynb$")
TIMEOUT = 900  # seconds per cell: AutoML/sweep cells run real (small) searches


def module_notebooks(folder):
    return sorted(p.name for p in (ROOT / folder).glob("*.ipynb") if MODULE.match(p.name))


# Known defects, left open in the closing note, as {notebook: reason}. Marked, not hidden: the test runs and
# reports XPASS once fixed.
KNOWN_FAILING_SOLUTION: dict[str, str] = {}


def params(folder):
    names = module_notebooks(folder)
    if folder == "solutions":
        names = [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_FAILING_SOLUTION[n], strict=False))
                 if n in KNOWN_FAILING_SOLUTION else n for n in names]
    return names or [pytest.param(None, marks=pytest.mark.skip(reason=f"{folder}/ has no NN_*.ipynb notebooks yet"))]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """One temporary copy per folder for this test module (notebooks may write files next to themselves)."""
    copies = {}

    def get(folder):
        if folder not in copies:
            copies[folder] = stage_copy(ROOT / folder, tmp_path_factory.mktemp(folder))
        return copies[folder]

    return get


def stored_check_marks(path):
    """The ✓/✗ marks the executed solution's check cells printed (its stored outputs)."""
    import json

    marks = []
    for cell in json.loads(path.read_text())["cells"]:
        if "check" in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", []))
                marks += [line[0] for line in text.splitlines() if line[:1] in ("✓", "✗")]
    return "".join(marks)


def describe(result):
    lines = [f"cell {e.index} raised {e.last_line}\n    {e.first_line}" for e in result.errors]
    return "\n".join(lines + ([result.aborted] if result.aborted else []))


@pytest.mark.parametrize("name", params("notebooks"))
def test_teaching_notebook_runs(name, staged, tmp_path):
    result = run_notebook(staged("notebooks") / name, timeout=TIMEOUT, env={"DP100LAB_HOME": str(tmp_path / "home")})
    assert result.ok, f"notebooks/{name} failed:\n{describe(result)}"


@pytest.mark.parametrize("name", params("solutions"))
def test_lab_fails_blank_and_solution_passes(name, staged, tmp_path):
    lab_path = staged("labs") / name if (ROOT / "labs" / name).exists() else None
    assert lab_path, f"labs/{name} is missing: run `make labs` and commit labs/"

    lab = grade(lab_path, timeout=TIMEOUT, env={"DP100LAB_HOME": str(tmp_path / "lab-home")})
    report = format_grade(lab)
    assert not lab.aborted, report
    assert lab.checks, f"labs/{name}: no checks ran\n{report}"
    assert lab.passed < len(lab.checks), f"labs/{name} passes every check with its blanks left in\n{report}"
    assert all(e.explained_by_blanks for e in lab.errors), f"labs/{name} has errors its blanks do not explain\n{report}"

    # The solution's own run is nbval's (same `make test`): it re-executes solutions/ and compares every check
    # cell's output with the stored one, so the stored ✓/✗ lines are what a fresh run prints.
    marks = stored_check_marks(ROOT / "solutions" / name)
    assert marks and "✗" not in marks, f"solutions/{name} does not pass its own checks: {marks}"
