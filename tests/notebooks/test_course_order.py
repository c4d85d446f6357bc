"""The root conftest.py's promise to test_blank_labs_after_course.py: with `--dist loadfile` every solution, teaching
notebook and blank lab is one scope (one xdist worker, one store), ordered solutions → teaching notebooks → blank labs,
and the rest of the suite keeps its own files and order."""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]


def root_conftest():
    # loaded under its own name: pytest keeps conftest modules apart, `import conftest` would find either of ours
    spec = importlib.util.spec_from_file_location("dp100lab_root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NODEIDS = [
    "tests/jobs/test_lifecycle.py::test_a",
    "tests/notebooks/test_blank_labs_after_course.py::test_blank_lab_fails_every_check_after_the_course_ran_in_its_store"
    "[05_training_jobs.ipynb]",
    "tests/notebooks/test_notebooks.py::test_teaching_notebook_runs[05_training_jobs.ipynb]",
    "tests/notebooks/test_datasets.py::test_b",
    "solutions/05_training_jobs_solution.ipynb::Cell 0",
    "solutions/05_training_jobs_solution.ipynb::Cell 1",
    "tests/notebooks/test_notebooks.py::test_teaching_notebook_runs[06_automl.ipynb]",
    "solutions/06_automl_solution.ipynb::Cell 0",
    "tests/jobs/test_lifecycle.py::test_c",
]


def test_solutions_then_teaching_notebooks_then_blank_labs_first_the_rest_in_order():
    items = [SimpleNamespace(nodeid=n) for n in NODEIDS]
    root_conftest().pytest_collection_modifyitems(None, None, items)
    assert [i.nodeid for i in items] == [
        "solutions/05_training_jobs_solution.ipynb::Cell 0",
        "solutions/05_training_jobs_solution.ipynb::Cell 1",
        "solutions/06_automl_solution.ipynb::Cell 0",
        "tests/notebooks/test_notebooks.py::test_teaching_notebook_runs[05_training_jobs.ipynb]",
        "tests/notebooks/test_notebooks.py::test_teaching_notebook_runs[06_automl.ipynb]",
        NODEIDS[1],
        "tests/jobs/test_lifecycle.py::test_a",
        "tests/notebooks/test_datasets.py::test_b",
        "tests/jobs/test_lifecycle.py::test_c",
    ]


def test_loadfile_puts_the_course_in_one_scope_and_other_files_in_their_own(monkeypatch):
    from xdist.scheduler import LoadFileScheduling

    module = root_conftest()
    monkeypatch.setattr(LoadFileScheduling, "__init__", lambda self, config, log=None: None)  # only scopes matter
    scheduler = module.pytest_xdist_make_scheduler(SimpleNamespace(getvalue={"dist": "loadfile"}.get), log=None)
    assert isinstance(scheduler, LoadFileScheduling)
    scopes = {n: scheduler._split_scope(n) for n in NODEIDS}
    course = [n for n in NODEIDS if n.startswith(("solutions/", "tests/notebooks/test_notebooks.py",
                                                  "tests/notebooks/test_blank_labs"))]
    assert {scopes[n] for n in course} == {module.COURSE_SCOPE}
    assert scopes["tests/jobs/test_lifecycle.py::test_a"] == "tests/jobs/test_lifecycle.py"
    assert scopes["tests/notebooks/test_datasets.py::test_b"] == "tests/notebooks/test_datasets.py"
    # any other --dist: xdist's own scheduler (the blank-lab test then runs the course in its store itself)
    assert module.pytest_xdist_make_scheduler(SimpleNamespace(getvalue={"dist": "load"}.get), log=None) is None


def test_workers_are_told_the_course_is_one_scope():
    module = root_conftest()
    for dist, flag in (("loadfile", True), ("load", False)):
        node = SimpleNamespace(workerinput={}, config=SimpleNamespace(getvalue={"dist": dist}.get))
        module.pytest_configure_node(node)
        assert node.workerinput == {module.WORKER_FLAG: flag}
