"""Terminal face of the exam engine: `dp100 quiz | exam | progress | coverage`.

The main `dp100` CLI calls register(subparsers); `python -m dp100lab.exam.cli ...` works on its own too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .bank import load_bank
from .outlines import LIVE, NAMES, status_line


def _outline(args) -> str:
    """--outline if given; else the outline an explicitly prefixed id names (--domain dp100-3); else the live exam."""
    if args.outline:
        return args.outline
    for value in (getattr(args, "domain", None), getattr(args, "skill", None)):
        prefix = str(value or "").strip().lower().split("-")[0]
        if prefix in NAMES and "-" in str(value):
            return prefix
    return LIVE


def _bank(args):
    bank = load_bank(getattr(args, "bank", None))
    if bank.issues:
        print(f"dp100: {len(bank.issues)} problem(s) in the question bank, those questions left out; `python -m dp100lab.exam.validate` "
              f"lists them (first: {bank.issues[0]}).", file=sys.stderr)
    return bank


def _store():
    from .migrate import NewerFileError
    from .store import ProgressStore

    try:
        return ProgressStore()
    except NewerFileError as exc:  # the `dp100` entry point has no handler of its own for this
        print(f"dp100: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_quiz(args) -> int:
    from . import srs
    from .engine import SelectionError, practice, select, shuffled

    if args.count < 1:
        print("dp100 quiz: -n/--count must be at least 1.", file=sys.stderr)
        return 2
    bank, store = _bank(args), _store()
    if args.review:
        by_id = bank.by_id()
        ids = srs.due(store.data["cards"]) + [q for q in store.data["marked"] if not store.data["cards"].get(q)]
        qs = [by_id[i] for i in dict.fromkeys(ids) if i in by_id][: args.count]
        if not qs:
            nxt = srs.next_due(store.data["cards"])
            print("Nothing to review right now" + (f"; next review due {nxt:%Y-%m-%d %H:%M} UTC." if nxt else "."))
            return 0
        print(f"Review: {len(qs)} question(s) due (spaced repetition, FSRS).")
    else:
        outline = _outline(args)
        try:
            qs = select(bank, args.domain, args.skill, args.module, outline=outline)
        except SelectionError as exc:
            print(f"dp100 quiz: {exc}", file=sys.stderr)
            return 2
        if not qs:
            print("dp100 quiz: no questions match that choice yet; try another skill/module or `dp100 coverage`.",
                  file=sys.stderr)
            return 1
        qs = shuffled(qs, args.count, args.seed)
        print(status_line(outline))
    practice(qs, bank, store, input_fn=input, out=sys.stdout, mode="review" if args.review else "practice",
             seed=args.seed)
    return 0


def cmd_exam(args) -> int:
    from .mock import MockExam

    if args.questions < 1 or args.minutes <= 0:
        print("dp100 exam: --questions must be at least 1 and --minutes more than 0 (defaults: 50 and 100).",
              file=sys.stderr)
        return 2
    bank, store = _bank(args), _store()
    if not bank.questions:
        print("dp100 exam: the question bank is empty.", file=sys.stderr)
        return 1
    exam = MockExam(bank, store, input_fn=input, out=sys.stdout)
    try:
        exam.start(n=args.questions, minutes=args.minutes, new=args.new, seed=args.seed, outline=_outline(args))
    except RuntimeError as exc:
        print(f"dp100 exam: {exc}", file=sys.stderr)
        return 1
    exam.run()
    return 0


def cmd_progress(args) -> int:
    from .progress import report

    report(_bank(args), _store(), sys.stdout)
    return 0


def cmd_coverage(args) -> int:
    from . import coverage

    cov = coverage.compute(args.root, _bank(args))
    print(coverage.text_report(cov))
    if args.markdown is not None:
        path = coverage.write_markdown(cov, Path(args.markdown) if args.markdown else None)
        print(f"\nWrote {path}")
    return 0


def register(subparsers) -> None:
    """Add quiz, exam, progress and coverage to an argparse subparsers object."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bank", type=Path, default=None, help=argparse.SUPPRESS)  # another questions folder (tests)

    p = subparsers.add_parser("quiz", parents=[common], help="practice questions with immediate explanations",
                              description="Practice by domain, skill or module; each answer is explained at once and "
                                          "recorded. Type ? at a prompt for help.")
    p.add_argument("--outline", choices=NAMES, default=None,
                   help="which exam's domains and skills --domain/--skill mean (default ai300, the live exam; "
                        "dp100 is the retired DP-100 outline; a prefixed id such as dp100-3 picks its own)")
    p.add_argument("--domain", help="exam domain, e.g. 3 or ai300-3 (ai300: 1-5; dp100-3 for DP-100's)")
    p.add_argument("--skill", help="skill or group id, e.g. 3.1.4 or 3.1")
    p.add_argument("--module", help="curriculum module 00-12")
    p.add_argument("--review", action="store_true", help="questions due for spaced-repetition review")
    p.add_argument("-n", "--count", type=int, default=10, help="how many questions (default 10)")
    p.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_quiz)

    p = subparsers.add_parser("exam", parents=[common], help="timed mock exam (resumable)",
                              description="A mock exam drawn by domain weight, with a timer, mark-for-review and a "
                                          "per-domain result. An interrupted exam resumes next time.")
    p.add_argument("--questions", type=int, default=50, help="number of questions (default 50)")
    p.add_argument("--minutes", type=float, default=100, help="time limit in minutes (default 100)")
    p.add_argument("--new", action="store_true", help="start a new exam even if one is unfinished (it is kept aside)")
    p.add_argument("--outline", choices=NAMES, default=None,
                   help="draw by the domain weights of AI-300 (default, the live exam) or of the retired DP-100, "
                        "and report per domain of it; a resumed exam keeps the outline it started with")
    p.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_exam)

    p = subparsers.add_parser("progress", parents=[common], help="mastery per domain and skill, modules to revisit")
    p.set_defaults(func=cmd_progress)

    p = subparsers.add_parser("coverage", parents=[common], help="which modules, labs and questions cover each skill")
    p.add_argument("--markdown", nargs="?", const="", default=None, metavar="PATH",
                   help="also write the report as markdown (default docs/coverage.md)")
    p.add_argument("--root", type=Path, default=None, help="repository root (default: this checkout)")
    p.set_defaults(func=cmd_coverage)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dp100", description="AI-300 exam practice (and the retired DP-100 outline)")
    register(ap.add_subparsers(dest="command", required=True))
    args = ap.parse_args(argv)
    from .migrate import NewerFileError

    try:
        return args.func(args)
    except NewerFileError as exc:
        print(f"dp100: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted; everything answered so far is saved.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
