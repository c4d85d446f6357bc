"""Markdown in the terminal: stems, options and explanations rendered with rich (bold, code, lists, tables).

Question text is written in Markdown; printed raw, a learner reads `**` and backticks. rich renders it for a
terminal (colours, highlighted code blocks) and, when output is piped or captured, as clean plain text.
Plain status lines (prompts, results tables) are printed as they are.
"""

from __future__ import annotations

import shutil

WIDTH = 100  # wide enough for YAML/code fragments, narrow enough to read


def _console(out):
    from rich.console import Console

    # a kernel's stdout says it is a tty; its text fallback output should stay plain text, comparable by nbval
    kernel = type(out).__module__.startswith("ipykernel")
    tty = hasattr(out, "isatty") and out.isatty() and not kernel
    width = min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns) if tty else WIDTH
    return Console(file=out, width=width, force_jupyter=False, force_terminal=tty, highlight=False, emoji=False,
                   soft_wrap=False)


def emit(out, markdown_text: str) -> None:
    """Print Markdown to out, rendered."""
    from rich.markdown import Markdown

    con, md = _console(out), Markdown(markdown_text, code_theme="monokai", inline_code_lexer="python")
    if con.is_terminal:
        con.print(md)
        return
    with con.capture() as cap:  # piped or captured: plain text without the padding rich adds to fill the width
        con.print(md)
    out.write("\n".join(line.rstrip() for line in cap.get().splitlines()) + "\n")


def to_text(markdown_text: str, width: int = WIDTH) -> str:
    """The plain-text rendering (what a pipe or a captured stream receives)."""
    import io

    buf = io.StringIO()
    emit(buf, markdown_text)
    return buf.getvalue()
