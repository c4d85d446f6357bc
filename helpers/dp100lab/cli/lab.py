"""`dp100 lab`: JupyterLab on 127.0.0.1, opening notebooks/00_start_here.ipynb."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .doctor import JUPYTER_PORT, repo_root

START = Path("notebooks") / "00_start_here.ipynb"


def has_display() -> bool:
    """A browser can open here (desktop session, macOS or Windows), not a bare SSH/container shell."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def build_command(root: Path, port: int = JUPYTER_PORT, browser: bool | None = None) -> list[str]:
    """The jupyter lab command line (flags checked against jupyterlab 4.6 / jupyter_server 2.x --help-all)."""
    cmd = [sys.executable, "-m", "jupyterlab",
           "--ServerApp.ip=127.0.0.1",  # loopback only: the server runs code for whoever reaches it
           f"--ServerApp.port={port}",
           f"--ServerApp.root_dir={root}"]
    if (root / START).is_file():
        cmd.insert(3, str(root / START))  # opened in the browser when the server starts
    if not (has_display() if browser is None else browser):
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers often run as root; Jupyter refuses without this flag
    return cmd


def register(subparsers) -> None:
    parser = subparsers.add_parser("lab", help="start JupyterLab on 127.0.0.1 at notebook 00",
                                   description="Start JupyterLab bound to 127.0.0.1 in the repository, "
                                   "opening notebooks/00_start_here.ipynb. Ctrl-C stops it.")
    parser.add_argument("--port", type=int, default=JUPYTER_PORT, help="port (default 8888; the next free "
                        "one is used if it is taken)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--print-command", action="store_true", help="print the command instead of running it")
    parser.set_defaults(func=run)


def run(args) -> int:
    root = repo_root()
    cmd = build_command(root, args.port, browser=False if args.no_browser else None)
    if args.print_command:
        print(" ".join(cmd))
        return 0
    if not (root / START).is_file():
        print(f"{START} is not there yet; opening the repository folder instead.", file=sys.stderr)
    if "--allow-root" in cmd:
        print("Running as root (as in many containers): passing --allow-root to Jupyter; the server still "
              "listens on 127.0.0.1 only.", file=sys.stderr)
    print("Starting JupyterLab on 127.0.0.1 (only this machine can reach it). Open the http://127.0.0.1:… URL "
          "it prints below; Ctrl-C twice stops it.", flush=True)
    try:
        return subprocess.call(cmd, cwd=root)
    except KeyboardInterrupt:
        return 0
