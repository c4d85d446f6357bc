"""The suite's watchdog: a notebook test that hangs fails with the cell, the elapsed time and the kernel's stack, and
a headless run of Output-widget cells (every quiz cell) does not wait on a reply that never comes."""
import shutil
import sys
from pathlib import Path

import nbformat
from dp100lab.labs.execute import run_notebook

pytest_plugins = ["pytester"]
CONFTEST = Path(__file__).with_name("conftest.py")


def write_notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def test_hanging_cell_fails_with_cell_elapsed_and_kernel_stack(pytester, tmp_path, monkeypatch):
    monkeypatch.setenv("DP100LAB_TEST_WATCHDOG", "25")
    shutil.copy(CONFTEST, pytester.path / "conftest.py")
    nb = write_notebook(tmp_path / "hang.ipynb", "x = 1", "import time\ntime.sleep(600)  # stuck")
    pytester.makepyfile(test_hang=f"""
        from dp100lab.labs.execute import run_notebook
        def test_hangs():
            run_notebook({str(nb)!r}, timeout=900)
    """)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", timeout=240)
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 1, out
    assert "WATCHDOG: test_hang.py::test_hangs still running after" in out
    assert "cell 2 running for" in out and "time.sleep(600)" in out
    assert "ipykernel_launcher" in out  # the kernel is listed with its stack or thread waits
    if shutil.which("py-spy") or (Path(sys.executable).parent / "py-spy").exists():
        assert "<module>" in out and "MainThread" in out  # py-spy's dump of the kernel, stuck in the cell


def test_headless_runs_send_nothing_on_the_shell_channel_while_a_widget_cell_runs(tmp_path, monkeypatch):
    """nbclient's stock Output-widget stand-in echoed each output to the kernel as a comm_msg on the shell channel
    while the cell ran; under ipykernel 7.4 that race left the cell's reply unread until the cell timeout."""
    from jupyter_client.channels import AsyncZMQSocketChannel

    sent, send = [], AsyncZMQSocketChannel.send
    monkeypatch.setattr(AsyncZMQSocketChannel, "send", lambda self, msg: (sent.append(msg["msg_type"]), send(self, msg))[1])
    cells = ["import ipywidgets as w\nfrom IPython.display import display"]
    cells += ["o = w.Output(); display(o)\nfor i in range(20):\n    with o:\n        print('line', i)" for _ in range(4)]
    result = run_notebook(write_notebook(tmp_path / "widgets.ipynb", *cells), timeout=120)
    assert result.ok, result.aborted or result.errors
    assert sent.count("execute_request") == 5 and "comm_msg" not in sent, sent
    state = result.notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [m["state"]["outputs"] for m in state.values() if m["model_name"] == "OutputModel"]
    assert len(outputs) == 4 and all("line 19" in o[-1]["text"] for o in outputs)  # still recorded in the notebook
