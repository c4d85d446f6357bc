"""Headless course time: how long `dp100 course` takes to run every solution notebook on this machine.

    python bench/course_time.py [extra args for dp100 course]
Writes bench/results/course_time.json. Prints a note and exits 0 when `dp100 course` is not available yet.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "course_time.json"


def main(argv: list[str] | None = None) -> dict | None:
    argv = list(sys.argv[1:] if argv is None else argv)
    dp100 = Path(sys.executable).with_name("dp100")
    exe = str(dp100) if dp100.exists() else shutil.which("dp100")
    if exe is None:
        print("course time: `dp100` is not installed in this environment (run `make setup`); skipped.")
        return None
    t = time.perf_counter()
    proc = subprocess.run([exe, "course", *argv])
    seconds = round(time.perf_counter() - t, 1)
    result = {"benchmark": "course_time", "command": ["dp100", "course", *argv], "seconds": seconds,
              "exit_code": proc.returncode, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"course time: {seconds} s (exit code {proc.returncode}) -> {RESULTS}")
    return result


if __name__ == "__main__":
    main()
