"""`dp100 reset`: refuses while the store is in use, asks first, wipes with --yes, never deletes non-stores."""
import subprocess
import sys

from dp100lab.cli import main
from dp100lab.workspace.core.store import Store


def test_refuses_in_use_then_wipes_with_yes(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("DP100LAB_HOME", str(home))
    store = Store(home)
    store.put("data", "diabetes", "1", {"name": "diabetes", "version": "1"})
    kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # stands in for a kernel
    try:
        store.hold("notebook kernel", pid=kernel.pid)
        assert main(["reset", "--yes"]) == 1
        err = capsys.readouterr().err
        assert "is in use, so it was not reset" in err and f"pid {kernel.pid}: notebook kernel" in err
        assert store.get("data", "diabetes", "1")  # nothing lost
    finally:
        kernel.kill()
        kernel.wait()
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))  # not a terminal: must not wipe without --yes
    assert main(["reset"]) == 1
    assert "needs confirmation" in capsys.readouterr().err
    assert home.exists()
    assert main(["reset", "--yes"]) == 0
    assert not home.exists()
    assert "deleted" in capsys.readouterr().out


def test_never_deletes_a_folder_that_is_not_a_store(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DP100LAB_HOME", str(tmp_path))
    (tmp_path / "thesis.docx").write_text("precious")
    assert main(["reset", "--yes"]) == 1
    assert "does not look like a dp100lab store" in capsys.readouterr().err
    assert (tmp_path / "thesis.docx").exists()
