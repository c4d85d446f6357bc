"""`make bench`: run the benchmarks in bench/ and print one line each (results in bench/results/*.json).

    python bench/run.py            job overhead (fast)
    python bench/run.py --course   also time the headless course (minutes)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import course_time  # noqa: E402
import job_overhead  # noqa: E402


def main() -> None:
    job_overhead.main([])
    if "--course" in sys.argv[1:]:
        course_time.main([])


if __name__ == "__main__":
    main()
