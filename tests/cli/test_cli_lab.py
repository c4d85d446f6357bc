"""`dp100 lab` binds JupyterLab to 127.0.0.1 and opens notebook 00; `dp100` shows help without a command."""
from dp100lab.cli import lab, main


def test_lab_command_binds_loopback(capsys):
    assert main(["lab", "--print-command", "--no-browser"]) == 0
    cmd = capsys.readouterr().out.split()
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--no-browser" in cmd
    assert not any("0.0.0.0" in part for part in cmd)
    assert cmd[1:3] == ["-m", "jupyterlab"]


def test_start_notebook_opened_when_present(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00_start_here.ipynb").write_text("{}")
    cmd = lab.build_command(tmp_path, 8899, browser=True)
    assert str(tmp_path / "notebooks" / "00_start_here.ipynb") in cmd
    assert "--ServerApp.port=8899" in cmd and "--no-browser" not in cmd
    assert str(tmp_path / "notebooks" / "00_start_here.ipynb") not in lab.build_command(tmp_path / "x", browser=False)


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    for command in ("doctor", "lab", "studio", "course", "check", "reset"):
        assert command in out


def test_check_command_wires_the_grader(tmp_path, capsys):
    assert main(["check", str(tmp_path / "labs" / "05_missing.ipynb")]) == 2
    assert "No notebook at" in capsys.readouterr().err
