"""No blank lab passes a check because of what ran before it in the same store (issue 9, item 1).

The worst case for a lab check is a store where every solution and every teaching notebook has already run: the
assets, compute, jobs and endpoints they created all exist, under the lab's own names for the solution. The root
conftest.py makes `make test` run them in this run's store first (solutions by nbval, teaching notebooks by
test_notebooks.py, one xdist worker for all of them), so no notebook runs twice; each blank lab 00-11 then runs in that
same store and none of its checks may pass: each must prove the learner's own code did the work. When this run did
not select a graded module's solution or teaching notebook (`pytest tests/notebooks/test_blank_labs_after_course.py`
alone), it is run here first, in the store.
"""
import json
import os
from pathlib import Path

import pytest

from dp100lab.labs import names
from dp100lab.labs.execute import run_notebook, stage_copy
from dp100lab.labs.grade import format_grade, grade

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 900  # seconds per cell: a job cell on a loaded 2-core machine can take minutes


def module_notebooks(folder: str) -> list[str]:
    return sorted(p.name for p in (ROOT / folder).glob("*.ipynb") if names.is_role(folder, p.name))


def stored_check_marks(path: Path) -> str:
    """The ✓/✗ marks the executed solution's check cells printed (its stored outputs)."""
    marks = []
    for cell in json.loads(path.read_text())["cells"]:
        if "check" in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", []))
                marks += [line[0] for line in text.splitlines() if line[:1] in ("✓", "✗")]
    return "".join(marks)


def ran_before_in_this_store(config, items) -> dict:
    """The solutions and teaching notebooks this run executes before these tests, in this process's store: all of
    the run's, unless xdist spreads files some other way than the root conftest's course scope."""
    worker = getattr(config, "workerinput", None)  # an xdist worker: the root conftest.py says how files were spread
    if worker is not None and not worker.get("dp100lab_course_scope"):
        return {"solutions": set(), "notebooks": set()}
    found = {"solutions": set(), "notebooks": set()}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path == "tests/notebooks/test_blank_labs_after_course.py":
            break  # the root conftest puts solutions, then teaching notebooks, before these tests
        if path.startswith("solutions/"):
            found["solutions"].add(path.split("/", 1)[1])
        elif item.nodeid.startswith("tests/notebooks/test_notebooks.py::test_teaching_notebook_runs["):
            found["notebooks"].add(item.callspec.params["name"])
    return found


@pytest.fixture(scope="module")
def course_store(request, tmp_path_factory):
    """This run's store (the one nbval and the teaching-notebook tests used), with every module's solution and
    teaching notebook run in it: by earlier tests of this run when selected, else here, once each."""
    home = os.environ["DP100LAB_HOME"]
    ran = ran_before_in_this_store(request.config, request.session.items)
    graded = {item.callspec.params["name"][:2] for item in request.session.items
              if item.nodeid.startswith(f"{request.node.nodeid}::test_blank_lab_fails")}
    for folder in ("solutions", "notebooks"):  # the course is every module whose lab this run grades
        missing = [n for n in module_notebooks(folder) if n[:2] in graded and n not in ran[folder]]
        if missing:
            staged = stage_copy(ROOT / folder, tmp_path_factory.mktemp(folder))
            for name in missing:
                result = run_notebook(staged / name, timeout=TIMEOUT, env={"DP100LAB_HOME": home})
                assert result.ok, f"{folder}/{name} failed in the course store: {result.aborted or result.errors}"
    return home


@pytest.fixture(scope="module")
def labs_copy(tmp_path_factory):
    return stage_copy(ROOT / "labs", tmp_path_factory.mktemp("labs"))


def test_every_module_has_a_lab_and_a_solution():
    modules = [[n[:2] for n in module_notebooks(folder)] for folder in ("labs", "solutions", "notebooks")]
    assert modules[0] == modules[1] == modules[2] == [f"{m:02d}" for m in range(12)], modules


@pytest.mark.watchdog(1800)  # when run alone, the first lab also runs its module's solution and teaching notebook
@pytest.mark.parametrize("name", module_notebooks("labs"))
def test_blank_lab_fails_every_check_after_the_course_ran_in_its_store(name, course_store, labs_copy):
    lab = grade(labs_copy / name, timeout=TIMEOUT, env={"DP100LAB_HOME": course_store})
    report = format_grade(lab)
    assert not lab.aborted, report
    assert lab.checks, f"labs/{name}: no checks ran\n{report}"
    passed = [c.line for c in lab.checks if c.passed]
    assert not passed, f"labs/{name} passes checks its blanks should fail (the course ran in this store):\n" + \
        "\n".join(passed)
    assert all(e.explained_by_blanks for e in lab.errors), f"labs/{name} has errors its blanks do not explain\n{report}"

    # The solution's own run is nbval's (same `make test`): it re-executes solutions/ and compares every check
    # cell's output with the stored one, so the stored ✓/✗ lines are what a fresh run prints.
    solution = names.counterpart(name, "solutions")
    marks = stored_check_marks(ROOT / "solutions" / solution)
    assert marks and "✗" not in marks, f"solutions/{solution} does not pass its own checks: {marks}"
