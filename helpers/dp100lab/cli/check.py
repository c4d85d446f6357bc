"""`dp100 check LAB`: run a lab headless and print its check feedback (see dp100lab.labs.grade)."""

from __future__ import annotations


def register(subparsers) -> None:
    from ..labs import grade

    parser = subparsers.add_parser("check", help="run a lab notebook headless and report its checks",
                                   description="Run a lab notebook headless and report ✓/✗ for each check.")
    grade.add_arguments(parser)
    parser.set_defaults(func=grade.run)
