"""jobs.stream: follow a job's log the way Azure's stream does, by byte offset.

Text is printed as it grows, an unfinished last line (a progress bar without a newline) included, so nothing
shown is ever counted twice or dropped; memory stays bounded whatever the log's size (chunks of 64 KiB).
"""

from __future__ import annotations

import codecs
import time
from pathlib import Path
from typing import Any, Callable

CHUNK = 64 * 1024
POLL_S = 0.25


class LogFollower:
    """Reads what was appended to a log since the last call, decoding UTF-8 across chunk boundaries."""

    def __init__(self, path: Path):
        self.path, self.offset = path, 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read_new(self, out: Any, final: bool = False) -> int:
        """Write everything new to `out`; returns the bytes read."""
        try:
            f = open(self.path, "rb")
        except OSError:
            return 0
        read = 0
        with f:
            f.seek(self.offset)
            while True:
                chunk = f.read(CHUNK)
                if not chunk:
                    break
                read += len(chunk)
                out.write(self._decoder.decode(chunk))
        self.offset += read
        if final:
            out.write(self._decoder.decode(b"", final=True))
        return read


def follow(log: Path, is_done: Callable[[], bool], out: Any, header: str) -> None:
    """Print `header` once the log has text, then the log until `is_done()` and everything after it."""
    follower, started = LogFollower(log), False
    while True:
        done = is_done()  # read the status first: text written before the job ended is then all on disk
        if not started and log.exists() and log.stat().st_size > 0:
            out.write(header)
            started = True
        if started:
            follower.read_new(out, final=done)
        if done:
            return
        out.flush()
        time.sleep(POLL_S)
