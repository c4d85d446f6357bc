"""The router's forward to a deployment's server (endpoints/router._forward), against a stand-in that answers as
gunicorn's sync worker does: head and body in separate writes, then it closes the connection."""
import socket
import threading
import time

import pytest

from dp100lab.workspace.endpoints import router


def _serve_once(listener, seen, delay=0.0):
    conn, _ = listener.accept()
    with conn:
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"}"):
            data += conn.recv(65536)
        seen.append(data)
        time.sleep(delay)
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                         b"x-request-id: r1\r\nContent-Length: 5\r\n\r\n")
            time.sleep(0.05)  # the body in a second write, as gunicorn sends it
            conn.sendall(b"[1.0]")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the router gave up waiting (the timeout tests) and closed its end, as it should


@pytest.fixture(params=["tcp", "unix"])
def backend(request, tmp_path):
    if request.param == "unix":
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        path = str(tmp_path / "dep.sock")
        listener.bind(path)
        dep = {"port": 1, "unix": path}  # the port is not used when a socket path is given
    else:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        dep = {"port": listener.getsockname()[1]}
    listener.listen(1)
    yield listener, dep
    listener.close()


def test_an_answer_in_two_writes_is_read_whole_over_tcp_or_a_unix_socket(backend):
    listener, dep = backend
    seen = []
    t = threading.Thread(target=_serve_once, args=(listener, seen), daemon=True)
    t.start()
    got = router._forward(dep, "POST", "/score", b'{"data": []}', "application/json", 5.0)
    t.join(5)
    assert (got.status, got.body) == (200, b"[1.0]") and ("x-request-id", "r1") in got.headers
    assert seen[0].startswith(b"POST /score HTTP/1.1\r\n") and b"Content-Length: 12\r\n" in seen[0]


def test_a_server_slower_than_the_timeout_is_a_socket_timeout(backend):
    listener, dep = backend
    threading.Thread(target=_serve_once, args=(listener, [], 2.0), daemon=True).start()
    with pytest.raises(socket.timeout):
        router._forward(dep, "POST", "/score", b'{"data": []}', "application/json", 0.3)


def test_no_server_is_an_oserror(tmp_path):
    with pytest.raises(OSError):
        router._forward({"port": 1, "unix": str(tmp_path / "none.sock")}, "POST", "/score", b"{}",
                        "application/json", 1.0)
