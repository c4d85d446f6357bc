"""`dp100 lab` binds JupyterLab to 127.0.0.1 and prints a URL that opens notebook 00 itself; `dp100` shows help."""
import socket
import urllib.parse

from dp100lab.cli import lab, main


def test_lab_command_binds_loopback(capsys):
    assert main(["lab", "--print-command", "--no-browser"]) == 0
    cmd = capsys.readouterr().out.split()
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--no-browser" in cmd and "--ServerApp.port_retries=0" in cmd
    assert not any("0.0.0.0" in part for part in cmd)
    assert not any("token" in part.lower() for part in cmd)  # the token goes in JUPYTER_TOKEN, never on argv
    assert cmd[1:3] == ["-m", "jupyterlab"]


def test_start_page_is_notebook_00_when_present(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00_start_here.ipynb").write_text("{}")
    cmd = lab.build_command(tmp_path, 8899, browser=True)
    assert "--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb" in cmd
    assert "--ServerApp.port=8899" in cmd and "--no-browser" not in cmd
    url = urllib.parse.urlsplit(lab.notebook_url(8899, "abc123", tmp_path))
    assert (url.scheme, url.netloc, url.path) == ("http", "127.0.0.1:8899", "/lab/tree/notebooks/00_start_here.ipynb")
    assert urllib.parse.parse_qs(url.query) == {"token": ["abc123"]}
    assert "--LabApp.default_url=/lab" in lab.build_command(tmp_path / "x", browser=False)  # no notebook 00: the launcher


def test_free_port_skips_a_busy_one():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        assert lab.free_port(busy) != busy


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    for command in ("doctor", "lab", "studio", "course", "check", "reset"):
        assert command in out


def test_check_command_wires_the_grader(tmp_path, capsys):
    assert main(["check", str(tmp_path / "labs" / "05_missing.ipynb")]) == 2
    assert "No notebook at" in capsys.readouterr().err
