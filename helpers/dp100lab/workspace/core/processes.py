"""Processes of the local workspace: spawn detached, tell if one is alive, stop its whole group.

Every long-lived process (job runner, job script, endpoint server, router, scheduler, studio) is started in its
own session (process group) so that stopping it stops everything it started, as Azure tears down a container.
A process is identified by (pid, start tick) so a reused pid is never mistaken for the original.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence


def proc_start(pid: int) -> Optional[str]:
    """Process start tick from /proc (Linux) so a reused pid is not mistaken for the original process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def pid_alive(pid: Optional[int], start: Optional[str] = None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if start and proc_start(int(pid)) not in (None, start):
        return False
    try:  # a zombie (killed child not yet reaped) is not alive
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def package_env(extra: Optional[dict] = None) -> dict:
    """os.environ plus PYTHONPATH so a child `python -m dp100lab...` imports this same dp100lab."""
    env = dict(os.environ)
    pkg_parent = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_parent, env.get("PYTHONPATH")) if p)
    env.update(extra or {})
    return env


def spawn_detached(argv: Sequence[str], *, log: Path, cwd: Path, env: Optional[dict] = None) -> int:
    """Start `argv` in a new session, detached from this process (and its kernel), output appended to `log`.

    The child is double-forked through a short-lived intermediate, so it is never our child: a notebook kernel
    never holds an unreaped child whose exit it was not waiting for. Returns the detached process's pid.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    launcher = ("import os,subprocess,sys;"
                "p=subprocess.Popen(sys.argv[2:],stdin=subprocess.DEVNULL,stdout=open(sys.argv[1],'ab'),"
                "stderr=subprocess.STDOUT,start_new_session=True,close_fds=True);print(p.pid,flush=True)")
    out = subprocess.run([sys.executable, "-c", launcher, str(log), *argv], cwd=str(cwd),
                         env=env if env is not None else package_env(), stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def stop_group(pid: Optional[int], start: Optional[str] = None, *, grace_s: float = 5.0) -> bool:
    """SIGTERM the process group led by `pid` (if that exact process lives), SIGKILL what remains after grace."""
    if not pid_alive(pid, start):
        return False
    signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and pid_alive(pid, start):
        time.sleep(0.05)
    signal_group(pid, signal.SIGKILL)
    return True


def signal_group(pid: int, sig: int) -> bool:
    try:
        os.killpg(int(pid), sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def session_members(sid: int) -> list[int]:
    """Every live process whose session is `sid` (what a job's script started, even `cmd &` in the background)."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if stat[0] != "Z" and int(stat[3]) == sid:  # field 6 of /proc/<pid>/stat is the session id
                found.append(int(d.name))
    return found


def kill_session(sid: int) -> int:
    """SIGKILL every process left in session `sid`; returns how many there were."""
    members = session_members(sid)
    for pid in members:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(members)


# ---- pid files of a job folder (roles: "runner", "script") ------------------------------------------
PIDS = "pids.json"


def read_pids(folder: Path) -> dict:
    try:
        return json.loads((folder / PIDS).read_text())
    except (OSError, ValueError):
        return {}


def record_pid(folder: Path, role: str, pid: int) -> None:
    pids = read_pids(folder)
    pids[role] = [pid, proc_start(pid)]
    tmp = folder / (PIDS + ".tmp")
    tmp.write_text(json.dumps(pids))
    os.replace(tmp, folder / PIDS)


def role_alive(folder: Path, role: str) -> bool:
    pid, start = (read_pids(folder).get(role) or [None, None])
    return pid_alive(pid, start)


def kill_role(folder: Path, role: str, sig: int) -> bool:
    """Signal the process group of a recorded role, if that exact process still lives."""
    pid, start = (read_pids(folder).get(role) or [None, None])
    return pid_alive(pid, start) and signal_group(pid, sig)
