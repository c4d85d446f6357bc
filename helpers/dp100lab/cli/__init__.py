"""`dp100`: the command line of the study lab. Each subcommand lives in its own module with register()."""

from __future__ import annotations

import argparse
import sys

from . import check, course, doctor, lab, reset, studio

COMMANDS = (doctor, lab, studio, course, check, reset)


def _register_exam(subparsers) -> None:
    """quiz/exam/progress/coverage come from dp100lab.exam when it is installed."""
    try:
        from ..exam import cli as exam_cli
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("dp100lab.exam"):
            return  # exam package not present: the other commands still work
        print(f"dp100: quiz/exam commands unavailable ({exc}); run `dp100 doctor`.", file=sys.stderr)
        return
    except Exception as exc:  # a broken exam module must not take the whole CLI down
        print(f"dp100: quiz/exam commands unavailable ({type(exc).__name__}: {exc}).", file=sys.stderr)
        return
    exam_cli.register(subparsers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dp100",
        description="Study lab for the Azure Data Scientist exam (DP-100 / AI-300) on a local workspace.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(subparsers)
    _register_exam(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
