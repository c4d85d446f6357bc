"""Long-lived processes of the local workspace, recorded in the store so any process finds them again.

Endpoint servers and their router, the schedule runner and the studio are started on demand, keep running
across kernel restarts, and are listed (with whether each is still alive) by `dp100 doctor` and stopped by
`dp100 reset`. A record whose process died is reported as dead, never silently reused.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import Any, Optional

from .processes import pid_alive, proc_start, stop_group
from .store import Store, now

LOOPBACK = "127.0.0.1"  # every listener of the local workspace binds here only


@dataclass
class Server:
    name: str                   # unique: "studio", "scheduler", "online-endpoint:<endpoint>", ...
    kind: str                   # "studio", "scheduler", "endpoint-router", "inference-server", ...
    pid: Optional[int]
    port: Optional[int] = None
    info: dict = field(default_factory=dict)
    proc_start: Optional[str] = None
    started_at: Optional[str] = None

    @property
    def alive(self) -> bool:
        return pid_alive(self.pid, self.proc_start)

    @property
    def url(self) -> Optional[str]:
        return f"http://{LOOPBACK}:{self.port}" if self.port else None


def record(store: Store, name: str, kind: str, pid: int, port: Optional[int] = None,
           info: Optional[dict] = None) -> Server:
    ts = now()
    with store._tx() as c:
        c.execute("INSERT OR REPLACE INTO servers(name,kind,pid,proc_start,port,info,started_at,updated_at) "
                  "VALUES(?,?,?,?,?,?,?,?)", (name, kind, pid, proc_start(pid), port,
                                               json.dumps(info or {}, default=str), ts, ts))
    return get(store, name)


def _server(row: Any) -> Server:
    return Server(name=row["name"], kind=row["kind"], pid=row["pid"], port=row["port"], info=json.loads(row["info"]),
                  proc_start=row["proc_start"], started_at=row["started_at"])


def get(store: Store, name: str) -> Optional[Server]:
    with store._conn() as c:
        row = c.execute("SELECT * FROM servers WHERE name=?", (name,)).fetchone()
    return _server(row) if row else None


def list_servers(store: Store, kind: Optional[str] = None) -> list[Server]:
    with store._conn() as c:
        rows = c.execute("SELECT * FROM servers" + (" WHERE kind=?" if kind else "") + " ORDER BY name",
                         (kind,) if kind else ()).fetchall()
    return [_server(r) for r in rows]


def forget(store: Store, name: str) -> None:
    with store._tx() as c:
        c.execute("DELETE FROM servers WHERE name=?", (name,))


def stop(store: Store, name: str) -> bool:
    """Stop the server's whole process group (if it still lives) and forget it. True if it was running."""
    srv = get(store, name)
    if srv is None:
        return False
    was_alive = stop_group(srv.pid, srv.proc_start)
    forget(store, name)
    return was_alive


def stop_all(store: Store) -> list[str]:
    return [s.name for s in list_servers(store) if stop(store, s.name)]


def free_port(preferred: Optional[int] = None) -> int:
    """A free TCP port on loopback (the preferred one when it is free)."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((LOOPBACK, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


def wait_listening(port: int, timeout_s: float = 15.0, alive: Any = None) -> bool:
    """True once something accepts connections on 127.0.0.1:port; False on timeout or when alive() says no."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            if s.connect_ex((LOOPBACK, port)) == 0:
                return True
        if alive is not None and not alive():
            return False
        time.sleep(0.1)
    return False
