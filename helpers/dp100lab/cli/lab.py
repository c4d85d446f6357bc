"""`dp100 lab`: JupyterLab on 127.0.0.1, opening notebooks/00_start_here.ipynb itself (not the launcher).

We pick the port and the token ourselves so the one URL we print is right: JupyterLab's own start-up lines show the
launcher (/lab) and, for a token it did not generate, hide the token as "...". The token travels in JUPYTER_TOKEN
(not on the command line, where `ps` would show it) and is printed once, to this terminal only.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from .doctor import JUPYTER_PORT, repo_root

HOST = "127.0.0.1"  # loopback only: the server runs code for whoever reaches it
START = Path("notebooks") / "00_start_here.ipynb"


def has_display() -> bool:
    """A browser can open here (desktop session, macOS or Windows), not a bare SSH/container shell."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def free_port(preferred: int = JUPYTER_PORT, tries: int = 50) -> int:
    """The preferred port on 127.0.0.1 if free, else the next free one (as Jupyter's port_retries would)."""
    for port in range(preferred, preferred + tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((HOST, port))
                return port
            except OSError:
                continue
    raise OSError(f"no free port on {HOST} in {preferred}-{preferred + tries - 1}; pass --port")


def start_path(root: Path) -> str:
    """JupyterLab's URL path for notebook 00 (the repository folder when it is missing)."""
    if (root / START).is_file():
        return "/lab/tree/" + urllib.parse.quote(START.as_posix())
    return "/lab"


def notebook_url(port: int, token: str, root: Path) -> str:
    return f"http://{HOST}:{port}{start_path(root)}?" + urllib.parse.urlencode({"token": token})


def build_command(root: Path, port: int = JUPYTER_PORT, browser: bool | None = None) -> list[str]:
    """The jupyter lab command line (flags checked against jupyterlab 4.6 / jupyter_server 2.x --help-all)."""
    cmd = [sys.executable, "-m", "jupyterlab",
           f"--ServerApp.ip={HOST}",
           f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0",  # the port we print is the port it listens on, or it fails
           f"--ServerApp.root_dir={root}",
           f"--LabApp.default_url={start_path(root)}"]  # the page the browser opens and Jupyter's own URL shows
    if not (has_display() if browser is None else browser):
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers often run as root; Jupyter refuses without this flag
    return cmd


def register(subparsers) -> None:
    parser = subparsers.add_parser("lab", help="start JupyterLab on 127.0.0.1 at notebook 00",
                                   description="Start JupyterLab bound to 127.0.0.1 in the repository and print "
                                   "the URL of notebooks/00_start_here.ipynb. Ctrl-C stops it.")
    parser.add_argument("--port", type=int, default=JUPYTER_PORT, help="port (default 8888; the next free "
                        "one is used if it is taken)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--print-command", action="store_true", help="print the command instead of running it")
    parser.set_defaults(func=run)


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def run(args) -> int:
    root = repo_root()
    browser = False if args.no_browser else None
    if args.print_command:
        print(" ".join(build_command(root, args.port, browser=browser)))
        return 0
    port = free_port(args.port)
    cmd = build_command(root, port, browser=browser)
    token = secrets.token_hex(24)
    if not (root / START).is_file():
        print(f"{START} is not there yet; opening the repository folder instead.", file=sys.stderr)
    if "--allow-root" in cmd:
        print("Running as root (as in many containers): passing --allow-root to Jupyter; the server still "
              "listens on 127.0.0.1 only.", file=sys.stderr)
    print(f"Starting JupyterLab on {HOST}:{port} (only this machine can reach it)…", flush=True)
    proc = subprocess.Popen(cmd, cwd=root, env={**os.environ, "JUPYTER_TOKEN": token})
    from .. import studio

    had_studio = bool(studio.status())  # a studio the learner started stays; the one we start stops with us

    def forward(signum, _frame):  # `kill` or a closed terminal stops JupyterLab (and its kernels) with us
        proc.send_signal(signal.SIGTERM)

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, forward)
    try:
        while proc.poll() is None and not _listening(port):
            time.sleep(0.3)
        if proc.poll() is None:
            print(f"\n  Open notebook 00:  {notebook_url(port, token, root)}\n", flush=True)
            _start_studio()
            print("  Ctrl-C stops JupyterLab" + ("." if had_studio else " and the studio.") + "\n", flush=True)
        return proc.wait()
    except KeyboardInterrupt:  # Jupyter got the same Ctrl-C; make sure it ends
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout=15) and 0
        except subprocess.TimeoutExpired:
            proc.terminate()
            return proc.wait()
    finally:
        if not had_studio:
            studio.stop()


def _start_studio() -> None:
    """The studio beside JupyterLab, so the job links that notebooks print open a page."""
    from .. import studio

    try:
        studio.start()
    except studio.StudioError as exc:
        print(f"  The studio did not start ({exc}); job links need `dp100 studio`.", file=sys.stderr, flush=True)
        return
    print(f"  Studio (job links): {studio.start_url(studio._store())}", flush=True)
