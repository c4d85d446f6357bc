"""One store for the whole course in a test run (issue 9: no lab passes with its blanks unfilled, whatever ran before
it in the same store).

Every solution (nbval, solutions/*.ipynb), then every teaching notebook (tests/notebooks/test_notebooks.py), then
every blank lab (tests/notebooks/test_blank_labs_after_course.py) runs in this run's store (DP100LAB_HOME; one per
xdist worker), in that order: the blank labs meet everything the course creates, and no notebook runs twice.
With `--dist loadfile` those files form one scope, so one worker (one store) runs them all, in that order.
Here, at the root, because xdist's controller loads only the conftest files above its arguments.
"""
import pytest

COURSE_SCOPE = "course-store"
WORKER_FLAG = "dp100lab_course_scope"  # in each worker's workerinput: the course runs as one scope on one worker
TEACHING = "tests/notebooks/test_notebooks.py"
BLANK_LABS = "tests/notebooks/test_blank_labs_after_course.py"


def _path(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _rank(nodeid: str):
    """0 solutions, 1 teaching notebooks, 2 blank labs; None for the rest of the suite."""
    path = _path(nodeid)
    if path.startswith("solutions/") and path.endswith(".ipynb"):
        return 0
    if path == TEACHING and "test_teaching_notebook_runs" in nodeid:
        return 1
    if path == BLANK_LABS:
        return 2
    return None


@pytest.hookimpl(trylast=True)  # after -m/-k deselection: only what will run is ordered
def pytest_collection_modifyitems(session, config, items):
    course = [(rank, i, item) for i, item in enumerate(items) if (rank := _rank(item.nodeid)) is not None]
    if course:  # the course first (stable within each rank), then the rest of the suite in its own order
        rest = [item for item in items if _rank(item.nodeid) is None]
        items[:] = [item for _, _, item in sorted(course, key=lambda t: (t[0], t[1]))] + rest


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: no error when it is not installed or disabled
def pytest_xdist_make_scheduler(config, log):
    """loadfile, except that the course's files are one scope: one worker, one store, in the order above."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class CourseStoreScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return COURSE_SCOPE if _rank(nodeid) is not None else super()._split_scope(nodeid)

    return CourseStoreScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """Tell the workers (whose own --dist reads "no") that the controller schedules the course as one scope."""
    node.workerinput[WORKER_FLAG] = node.config.getvalue("dist") == "loadfile"
