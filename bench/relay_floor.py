"""The least any Python relay can do, as a floor for the endpoint router in bench/endpoint_router.py.

    python bench/relay_floor.py <port> <unix socket of the deployment's server>

Reads one request (up to its Content-Length), sends it unchanged to the deployment's server over its Unix socket,
relays the answer up to its Content-Length, and serves the next request on the same client connection: no key check,
no traffic split, no header parsing, no timeouts, no counts. Four threads each accept() on the listener, as the
router's do. Whatever this costs per request is the price of one more Python process on the path, which no router
written in Python can go below; the router's distance from it is what its own logic costs.
"""
import socket
import sys
import threading


def _whole(sock, buf: bytes) -> bytes:
    """buf plus what the peer sends until one HTTP message (head and Content-Length body) is in; b"" on EOF."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            at = buf.lower().find(b"content-length:", 0, end)
            length = int(buf[at + 15:buf.find(b"\r", at)]) if at >= 0 else 0
            if len(buf) >= end + 4 + length:
                return buf
        data = sock.recv(65536)
        if not data:
            return b""
        buf += data


def _serve(listener: socket.socket, unix: str) -> None:
    while True:
        conn, _ = listener.accept()
        with conn:
            while True:
                request = _whole(conn, b"")
                if not request:
                    break
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as up:
                    up.connect(unix)
                    up.sendall(request)
                    answer = _whole(up, b"")
                conn.sendall(answer.replace(b"Connection: close\r\n", b""))  # the client keeps its connection


def main(port: int, unix: str) -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    for _ in range(4):
        threading.Thread(target=_serve, args=(listener, unix), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
