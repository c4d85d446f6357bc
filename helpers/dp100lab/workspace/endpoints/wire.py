"""HTTP/1.1 framing for the endpoint router: just what a scoring call needs, on bytes, with no I/O.

The router parses every request and every answer of its deployments; the stdlib's email-based header parser cost
more per request than the inference server's whole answer, so the framing lives here as a few byte splits.
Every function takes the buffer received so far and returns None while a message is still incomplete.
"""

from __future__ import annotations

import time
from email.utils import formatdate
from http import HTTPStatus
from typing import Optional

MAX_HEAD = 64 * 1024  # request line + headers: larger is refused with 431, as common servers do
_REASONS = {s.value: s.phrase for s in HTTPStatus}


_date = (0, "")


def _http_date() -> str:
    """The Date header, formatted once per second (formatting costs more than the rest of a response head)."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, formatdate(now, usegmt=True))
    return _date[1]


class Malformed(ValueError):
    """The bytes are not HTTP/1.1 a server can trust: answer 400 and close the connection."""


def _head_end(buf: bytes | bytearray, start: int = 0) -> tuple[int, int]:
    """(end of the head, start of the body) or (-1, -1) while the blank line has not arrived."""
    i = buf.find(b"\r\n\r\n", start)
    if i >= 0:
        return i, i + 4
    i = buf.find(b"\n\n", start)  # bare LF line ends, which http.server accepts too
    return (i, i + 2) if i >= 0 else (-1, -1)


def _headers(lines: list[bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise Malformed(f"header line {line[:40]!r} has no 'name:' part")
        out[name.decode("latin-1").lower()] = value.strip().decode("latin-1")
    return out


def chunked_body(buf: bytes | bytearray, pos: int) -> Optional[tuple[bytes, int]]:
    """(body, end) of a chunked body starting at buf[pos], None while incomplete; Malformed when it is not hex."""
    parts = []
    while True:
        eol = buf.find(b"\n", pos)
        if eol < 0:
            return None
        size_text = bytes(buf[pos:eol]).split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise Malformed(f"chunk size {size_text[:20]!r} is not hexadecimal") from None
        if size < 0:
            raise Malformed("negative chunk size")
        pos = eol + 1
        if size == 0:
            break
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos:pos + size]))
        pos += size
        eol = buf.find(b"\n", pos)
        if eol < 0:
            return None
        pos = eol + 1  # the CRLF after each chunk
    while True:  # trailers, up to the blank line: nothing a model reads
        eol = buf.find(b"\n", pos)
        if eol < 0:
            return None
        line, pos = buf[pos:eol], eol + 1
        if line in (b"", b"\r"):
            return b"".join(parts), pos


class Request:
    __slots__ = ("method", "path", "version", "headers", "body", "expect_continue")

    def __init__(self, method: str, path: str, version: str, headers: dict[str, str]):
        self.method, self.path, self.version, self.headers = method, path, version, headers
        self.body = b""
        self.expect_continue = headers.get("expect", "").lower() == "100-continue"

    @property
    def keep_alive(self) -> bool:
        conn = self.headers.get("connection", "").lower()
        return conn != "close" if self.version == "HTTP/1.1" else conn == "keep-alive"


def request_head(buf: bytes | bytearray) -> Optional[tuple[Request, int, Optional[int]]]:
    """(request without body, offset of its body, Content-Length or None when chunked); None while incomplete."""
    end, body_at = _head_end(buf)
    if end < 0:
        if len(buf) > MAX_HEAD:
            raise Malformed("request head larger than 64 KiB")
        return None
    lines = bytes(buf[:end]).replace(b"\r\n", b"\n").split(b"\n")
    while lines and not lines[0]:
        lines.pop(0)  # stray CRLFs between requests (RFC 9112 section 2.2)
    if not lines:
        raise Malformed("empty request")
    parts = lines[0].split()
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        raise Malformed(f"request line {lines[0][:60]!r} is not 'METHOD /path HTTP/1.1'")
    req = Request(parts[0].decode("latin-1"), parts[1].decode("latin-1"), parts[2].decode("latin-1"),
                  _headers(lines[1:]))
    if req.headers.get("transfer-encoding", "").lower() == "chunked":
        return req, body_at, None
    length_text = req.headers.get("content-length", "0") or "0"
    if not length_text.isdigit():
        raise Malformed(f"Content-Length {length_text[:20]!r} is not a number")
    return req, body_at, int(length_text)


def response(status: int, body: bytes, headers: dict[str, str], keep_alive: bool = True) -> bytes:
    head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}", "Server: dp100lab-endpoint",
            f"Date: {_http_date()}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def forward_request(method: str, path: str, port: int, content_type: str, body: bytes) -> bytes:
    """The request the router sends a deployment's server (which closes the connection after every answer)."""
    send = body if method == "POST" else b""
    length = f"Content-Length: {len(send)}\r\n" if method == "POST" else ""
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n{length}"
            f"Connection: close\r\n\r\n").encode("latin-1") + send


class Answer:
    __slots__ = ("status", "reason", "headers", "body")

    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body


def answer(buf: bytes | bytearray, closed: bool) -> Optional[Answer]:
    """A deployment server's whole answer; None while incomplete. `closed`: the server has closed the connection
    (an answer without Content-Length ends there)."""
    end, body_at = _head_end(buf)
    if end < 0:
        if closed:
            raise Malformed("the server closed the connection before a complete answer")
        return None
    lines = bytes(buf[:end]).replace(b"\r\n", b"\n").split(b"\n")
    status_line = lines[0].split(None, 2)
    if len(status_line) < 2 or not status_line[1].isdigit():
        raise Malformed(f"status line {lines[0][:60]!r}")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.append((name.decode("latin-1").strip(), value.strip().decode("latin-1")))
    lower = {k.lower(): v for k, v in headers}
    status = int(status_line[1])
    reason = status_line[2].decode("latin-1") if len(status_line) > 2 else _REASONS.get(status, "")
    if lower.get("transfer-encoding", "").lower() == "chunked":
        got = chunked_body(buf, body_at)
        if got is None:
            if closed:
                raise Malformed("the server closed the connection inside a chunked answer")
            return None
        return Answer(status, reason, headers, got[0])
    if "content-length" in lower:
        n = int(lower["content-length"])
        if len(buf) - body_at < n:
            if closed:
                raise Malformed("the server closed the connection before the whole body")
            return None
        return Answer(status, reason, headers, bytes(buf[body_at:body_at + n]))
    return Answer(status, reason, headers, bytes(buf[body_at:])) if closed else None
