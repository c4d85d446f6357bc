"""A scripted candidate who knows nothing and answers by position alone, reading the screen like a person.

It drives `dp100 quiz` / `dp100 exam` through a pipe: waits for the `> ` prompt, reads the instruction line of
the question on screen and answers A (one letter), the first N letters (choose N), every letter in the order
shown (ordering), Y to every statement (yes/no); at the end of a mock exam it finishes and confirms.

    python tests/exam/position_candidate.py quiz -n 400 --seed 11     (prints the score it reached)
"""
from __future__ import annotations

import json
import os
import re
import select
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LETTERS = string.ascii_uppercase
_INSTR = re.compile(r"\((Answer with one letter|Answer with the letter of the fragment|Choose (\d+):|"
                    r"Give all (\d+) letters|Answer Y or N for each statement, in order, e\.g\. ([YN ]+))")


def answer_for(screen: str) -> str:
    """What a position-only candidate types for the last question on screen."""
    found = list(_INSTR.finditer(screen))
    if not found:
        return "f"  # end-of-exam review screen: finish
    m = found[-1]
    if m.group(2):
        return " ".join(LETTERS[: int(m.group(2))])
    if m.group(3):
        return " ".join(LETTERS[: int(m.group(3))])
    if m.group(4):
        return " ".join("Y" for _ in m.group(4).split())
    return "A"


def drive(args: list[str], home: str, timeout: float = 300, env_extra: dict | None = None) -> str:
    """Run `python -m dp100lab.exam.cli <args>`, answering every prompt; returns the whole transcript."""
    env = {**os.environ, "DP100LAB_HOME": home, "PYTHONUNBUFFERED": "1", **(env_extra or {})}
    p = subprocess.Popen([sys.executable, "-m", "dp100lab.exam.cli", *args], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    transcript, since = b"", b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 1.0)
            if not ready:
                if p.poll() is not None:
                    break
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            transcript += chunk
            since += chunk
            text = since.decode("utf-8", "replace")
            if text.endswith("(y/n) "):
                reply = "y"
            elif text.endswith("\n> ") or text == "> ":
                reply = "f" if "End of the exam" in text else answer_for(text)
            else:
                continue
            p.stdin.write((reply + "\n").encode())
            p.stdin.flush()
            since = b""
        else:
            raise TimeoutError(f"the candidate was still answering after {timeout} s")
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
    return transcript.decode("utf-8", "replace")


def mean_score(home: str, mode: str) -> tuple[float, int]:
    """(mean score, attempts) of this mode's attempts in that home's progress file."""
    data = json.loads((Path(home) / "progress" / "progress.json").read_text())
    s = [a["score"] for a in data["attempts"] if a["mode"] == mode]
    return (sum(s) / len(s) if s else 0.0), len(s)


if __name__ == "__main__":
    cmd = sys.argv[1:] or ["quiz", "-n", "400", "--seed", "11"]
    with tempfile.TemporaryDirectory() as h:
        drive(cmd, h)
        mode = "mock" if cmd[0] == "exam" else "practice"
        score, n = mean_score(h, mode)
        print(f"{' '.join(cmd)}: {n} answered by position alone, mean score {score:.1%}")
