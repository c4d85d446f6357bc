"""`dp100 doctor`: is this machine ready? One line per check: OK, WARN (works, but note it) or FAIL + the fix."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

JUPYTER_PORT = 8888
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


@dataclass
class Line:
    level: str  # OK | WARN | FAIL
    text: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.level:<5} {self.text}" + (f" — fix: {self.fix}" if self.fix else "")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[3]  # helpers/dp100lab/cli/doctor.py -> repository


def check_python() -> list[Line]:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] == (3, 11):
        return [Line("OK", f"Python {version} ({sys.executable})")]
    return [Line("FAIL", f"Python {version}; dp100lab is pinned and tested on Python 3.11",
                 "install Python 3.11 and run `make setup PYTHON=/path/to/python3.11`")]


def check_pins(lock: Path) -> list[Line]:
    if not lock.is_file():
        return [Line("WARN", f"no requirements.lock at {lock}: package pins not checked (installed outside the repo?)")]
    pins = {}
    for raw in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(raw)
        if match:
            pins[match.group(1)] = match.group(2)
    lines = []
    for name, want in sorted(pins.items(), key=lambda kv: kv[0].lower()):
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            lines.append(Line("FAIL", f"{name} is not installed (requirements.lock pins {want})", "make setup"))
            continue
        if have != want:
            lines.append(Line("FAIL", f"{name} {have} installed, requirements.lock pins {want}", "make setup"))
    if not lines:
        lines.append(Line("OK", f"{len(pins)} installed packages match requirements.lock"))
    return lines


def check_backend() -> list[Line]:
    """The backend connect() would choose (same rule, same config search), without connecting to anything."""
    from ..workspace.connect import find_workspace_config

    choice = (os.environ.get("DP100LAB_BACKEND") or "auto").strip().lower()
    if choice not in ("auto", "local", "azure"):
        return [Line("FAIL", f"DP100LAB_BACKEND={choice!r} is not a backend", "set it to local or azure, or unset it")]
    config = None if choice == "local" else find_workspace_config()
    if choice == "azure" and config is None:
        return [Line("FAIL", "backend: DP100LAB_BACKEND=azure but no workspace config.json here or above",
                     "download config.json from the Azure portal into this folder or .azureml/, "
                     "or unset DP100LAB_BACKEND")]
    if config is not None:
        return [Line("OK", f"backend: Azure ML workspace from {config}; credentials are checked on the first call")]
    reason = "DP100LAB_BACKEND=local" if choice == "local" else "no workspace config.json here or above"
    return [Line("OK", f"backend: local workspace ({reason})")]


def check_store() -> list[Line]:
    from ..workspace.core.store import default_root

    root = default_root()
    if not root.exists():
        parent = next((p for p in root.parents if p.exists()), None)
        if parent is not None and os.access(parent, os.W_OK):
            return [Line("OK", f"store: {root} (created on first connect())")]
        return [Line("FAIL", f"store: {root} does not exist and {parent} is not writable",
                     "set DP100LAB_HOME to a writable folder")]
    lines = []
    if not root.is_dir() or not os.access(root, os.W_OK | os.X_OK):
        lines.append(Line("FAIL", f"store: {root} is not a writable folder",
                          "fix its permissions or set DP100LAB_HOME to a writable folder"))
    else:
        lines.append(Line("OK", f"store: {root} (writable)"))
    from ..workspace.core.health import report  # the same checks and wording as the client's

    problems = report(root)
    lines += [Line("FAIL", f"store: {p}", "nothing is lost: follow the line above, or `dp100 reset` for a clean "
                                           "store") for p in problems]
    if not problems:
        lines.append(Line("OK", "store: registry.db and mlflow.db pass SQLite's integrity check"))
    return lines


def check_ports() -> list[Line]:
    from .. import studio

    lines = []
    if studio.port_free(JUPYTER_PORT):  # one bind check, the studio's (127.0.0.1)
        lines.append(Line("OK", f"port {JUPYTER_PORT} on 127.0.0.1 is free for JupyterLab"))
    else:
        lines.append(Line("WARN", f"port {JUPYTER_PORT} on 127.0.0.1 is in use; JupyterLab will take the next "
                                  "free port (see `jupyter server list` for a server already running)"))
    try:
        port = studio.default_port()
    except studio.StudioError as exc:
        return lines + [Line("FAIL", str(exc))]
    running = studio.status() if (default_store_exists()) else None
    if running:
        lines.append(Line("OK", f"studio already running at {running}"))
    elif studio.port_free(port):
        lines.append(Line("OK", f"port {port} on 127.0.0.1 is free for the studio"))
    else:
        lines.append(Line("WARN", f"port {port} on 127.0.0.1 is in use; the studio cannot use it",
                          f"`dp100 studio --port 5001` or set {studio.PORT_ENV}=5001"))
    return lines


def default_store_exists() -> bool:
    from ..workspace.core.store import default_root

    return default_root().is_dir()


def check_kernel() -> list[Line]:
    """JupyterLab must run notebooks on this environment's Python, not on another python3 kernelspec."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        return [Line("FAIL", "Jupyter has no python3 kernel", "make setup (installs ipykernel)")]
    except Exception as exc:
        return [Line("FAIL", f"cannot read Jupyter kernelspecs ({type(exc).__name__}: {exc})", "make setup")]
    exe = spec.argv[0] if spec.argv else ""
    if exe in ("python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"):
        return [Line("OK", "Jupyter's python3 kernel runs this environment's Python")]
    if Path(exe).resolve() == Path(sys.executable).resolve() or Path(exe) == Path(sys.executable):
        return [Line("OK", "Jupyter's python3 kernel runs this environment's Python")]
    return [Line("FAIL", f"Jupyter's python3 kernel runs {exe}, not {sys.executable}",
                 f"remove or fix the kernelspec in {spec.resource_dir}")]


def check_notebooks(root: Path) -> list[Line]:
    start = root / "notebooks" / "00_start_here.ipynb"
    if start.is_file():
        return [Line("OK", f"{start.relative_to(root)} present")]
    return [Line("WARN", f"{start} not found: `dp100 lab` will open the repository folder instead")]


def run_checks() -> list[Line]:
    root = repo_root()
    lines: list[Line] = []
    for check in (check_python, lambda: check_pins(root / "requirements.lock"), check_backend, check_store,
                  check_kernel, check_ports, lambda: check_notebooks(root)):
        try:
            lines += check()
        except Exception as exc:  # one broken probe must not hide the others
            lines.append(Line("FAIL", f"doctor could not run a check: {type(exc).__name__}: {exc}"))
    return lines


def register(subparsers) -> None:
    parser = subparsers.add_parser("doctor", help="check Python, packages, backend, store, kernel and ports",
                                   description="Check that this machine can run the lab; exit 1 on problems.")
    parser.set_defaults(func=run)


def run(args=None) -> int:
    lines = run_checks()
    for line in lines:
        print(line)
    problems = sum(line.level == "FAIL" for line in lines)
    print("All good." if not problems else f"{problems} problem(s): see the FAIL lines above.")
    return 1 if problems else 0
