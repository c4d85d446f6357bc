"""Grade a lab headless: run every cell, collect the check results, print ✓/✗ and `N/M checks passed`.

    python -m dp100lab.labs.grade labs/05_training_jobs_lab.ipynb     (same as `dp100 check ...`)

It runs a copy of the lab's folder, so the learner's notebook and files are never changed.
Exit status 0 only when every check passed and no cell raised.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import REPORT_ENV, CheckResult, read_report
from . import names
from .execute import DEFAULT_TIMEOUT, CellError, NotANotebook, read_notebook, run_notebook, stage_copy


@dataclass
class Grade:
    path: Path
    checks: list[CheckResult] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    aborted: str | None = None

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and self.passed == len(self.checks) and not self.errors and not self.aborted


def grade(path: str | Path, timeout: int = DEFAULT_TIMEOUT, env: dict[str, str | None] | None = None) -> Grade:
    """Execute a copy of the notebook's folder (continuing past errors) and collect its check results.

    The copy keeps the learner's file and folder untouched: nothing the lab writes lands beside their work.
    """
    path = Path(path)
    read_notebook(path)  # NotANotebook before anything is copied or started
    with tempfile.TemporaryDirectory(prefix="dp100lab-grade-") as tmp:
        report = Path(tmp) / "checks.jsonl"
        (Path(tmp) / "copy").mkdir()
        copy = stage_copy(path.parent, Path(tmp) / "copy") / path.name
        result = run_notebook(copy, timeout=timeout, allow_errors=True, env={**(env or {}), REPORT_ENV: str(report)})
        checks = read_report(report)
    return Grade(path, checks, result.errors, result.aborted)


def _advice(error: CellError) -> str:
    if "YOUR CODE HERE" in error.source:
        return "this cell still has a blank: replace `...  # YOUR CODE HERE` with your code."
    if error.explained_by_blanks:
        return "probably a blank above is not filled in yet: fill in the YOUR CODE HERE cells above it first."
    return "open the lab, run this cell and fix the error (the full traceback shows there)."


def format_grade(result: Grade) -> str:
    lines = [f"Checked {result.path}"]
    for check in result.checks:
        lines.append(f"  {check.line}")
    for error in result.errors:
        lines.append(f"  ! cell {error.index} raised {error.last_line}")
        if error.first_line:
            lines.append(f"      {error.first_line[:100]}")
        lines.append(f"      What to do: {_advice(error)}")
    if result.aborted:
        lines.append(f"  ! {result.aborted}")
    total = len(result.checks)
    summary = f"{result.passed}/{total} checks passed"
    if not total:
        summary += " — no checks ran: is this a lab notebook with check cells (lab.check(...))?"
    elif result.ok:
        summary += " — lab complete."
    else:
        blanks = sum(c.status == "blank" for c in result.checks)
        summary += f" ({blanks} not done yet)" if blanks else ""
        if result.errors:
            summary += f"; {len(result.errors)} cell(s) raised errors"
    lines.append(summary)
    return "\n".join(lines)


def main(argv: list[str] | None = None, prog: str = "python -m dp100lab.labs.grade") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Run a lab notebook headless and report its checks.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lab", type=Path, help="the lab notebook, e.g. labs/05_training_jobs_lab.ipynb")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds allowed per cell")


def run(args: argparse.Namespace) -> int:
    path: Path = args.lab
    if not path.is_file():
        hint = ""
        if not path.suffix:
            matches = sorted(Path("labs").glob(f"{path.name}*.ipynb")) if Path("labs").is_dir() else []
            hint = f" Did you mean {matches[0]}?" if matches else ""
        elif names.stem(path.name) and (renamed := path.with_name(names.counterpart(path.name, "labs"))).is_file():
            hint = f" Labs are named NN_topic_lab.ipynb now: did you mean {renamed}?"
        print(f"No notebook at {path}.{hint} Give the path of a lab, e.g. labs/05_training_jobs_lab.ipynb.",
              file=sys.stderr)
        return 2
    try:
        read_notebook(path)
    except NotANotebook as e:
        print(e, file=sys.stderr)
        return 2
    print(f"Running {path} headless (up to {args.timeout} s per cell)…", flush=True)
    result = grade(path, timeout=args.timeout)
    print(format_grade(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
