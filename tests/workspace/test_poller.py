"""LocalPoller is azure.core's LROPoller: same methods, same behaviour at result()."""
import threading

import pytest
from azure.core.polling import LROPoller

from dp100lab.workspace.core.poller import LocalPoller, completed


def test_eager_result_status_callbacks():
    p = LocalPoller(lambda: 42)
    assert isinstance(p, LROPoller) and p.done() and p.status() == "Succeeded"
    seen = []
    p.add_done_callback(lambda method: seen.append(method.status()))
    assert p.result() == 42 and p.result(timeout=1) == 42 and seen == ["Succeeded"]
    assert completed("x").result() == "x"


def test_failure_is_raised_at_result_like_a_failed_lro():
    def boom():
        raise ValueError("quota exceeded")

    p = LocalPoller(boom)
    assert p.done() and p.status() == "Failed"
    with pytest.raises(ValueError, match="quota exceeded"):
        p.result()
    with pytest.raises(ValueError):
        p.wait()


def test_background_work_runs_in_a_thread():
    gate = threading.Event()
    p = LocalPoller(lambda: gate.wait(10) and "done", background=True)
    assert not p.done() and p.status() == "InProgress"
    gate.set()
    assert p.result() == "done" and p.done() and p.status() == "Succeeded"
