"""The router's HTTP/1.1 framing (endpoints/wire.py): incomplete input waits, malformed input is refused."""
import pytest

from dp100lab.workspace.endpoints import wire


def test_a_request_waits_for_its_blank_line_then_gives_its_body_offset():
    raw = b"POST /score?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\nbody"
    assert wire.request_head(raw[:20]) is None
    req, at, length = wire.request_head(raw)
    assert (req.method, req.path, req.version) == ("POST", "/score?x=1", "HTTP/1.1")
    assert req.headers["content-type"] == "application/json" and raw[at:at + length] == b"body"
    assert req.keep_alive and not req.expect_continue


@pytest.mark.parametrize("version,connection,keep", [("HTTP/1.1", "", True), ("HTTP/1.1", "close", False),
                                                     ("HTTP/1.0", "", False), ("HTTP/1.0", "keep-alive", True)])
def test_keep_alive_follows_the_version_and_the_connection_header(version, connection, keep):
    extra = f"Connection: {connection}\r\n" if connection else ""
    req, _, _ = wire.request_head(f"GET / {version}\r\n{extra}\r\n".encode())
    assert req.keep_alive is keep


def test_a_chunked_request_has_no_length_and_its_body_is_joined():
    raw = b"POST /score HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    req, at, length = wire.request_head(raw)
    assert length is None
    chunks = b"4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\nNEXT"
    for cut in (1, 6, len(chunks) - 6):
        assert wire.chunked_body(chunks[:cut], 0) is None  # incomplete: wait for more
    body, end = wire.chunked_body(chunks, 0)
    assert body == b"wikipedia" and chunks[end:] == b"NEXT"


@pytest.mark.parametrize("raw", [b"POST /score HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
                                 b"POST /score HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                                 b"NONSENSE\r\n\r\n",
                                 b"POST /score HTTP/1.1\r\nno colon here\r\n\r\n"])
def test_malformed_requests_are_refused(raw):
    with pytest.raises(wire.Malformed):
        wire.request_head(raw)


def test_a_bad_chunk_size_and_an_endless_head_are_refused():
    with pytest.raises(wire.Malformed):
        wire.chunked_body(b"zz\r\nabc\r\n", 0)
    with pytest.raises(wire.Malformed):
        wire.request_head(b"GET / HTTP/1.1\r\nX: " + b"a" * (wire.MAX_HEAD + 1))


def test_an_answer_is_complete_at_its_content_length_or_when_the_server_closes():
    raw = b"HTTP/1.1 500 INTERNAL SERVER ERROR\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nboom!"
    assert wire.answer(raw[:-1], closed=False) is None
    got = wire.answer(raw, closed=False)
    assert (got.status, got.reason, got.body) == (500, "INTERNAL SERVER ERROR", b"boom!")
    assert ("Content-Type", "text/plain") in got.headers
    with pytest.raises(wire.Malformed):
        wire.answer(raw[:-1], closed=True)  # cut short: not an answer to pass on
    unsized = b"HTTP/1.1 200 OK\r\n\r\nuntil close"
    assert wire.answer(unsized, closed=False) is None and wire.answer(unsized, closed=True).body == b"until close"


def test_a_response_carries_its_length_and_says_when_it_closes():
    out = wire.response(401, b"{}", {"WWW-Authenticate": "Bearer"}, keep_alive=False)
    head, body = out.split(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 Unauthorized\r\n") and body == b"{}"
    assert b"Content-Length: 2" in head and b"Connection: close" in head and b"WWW-Authenticate: Bearer" in head
    assert b"Connection" not in wire.response(200, b"", {}, keep_alive=True)
