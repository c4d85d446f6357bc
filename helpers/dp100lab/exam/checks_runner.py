"""Prove code answers by running them: for a `code` question, the right option filled into `check.template`
must run template+verify without error, and EVERY distractor must raise (QUESTIONS.md, "Check semantics").

Each option runs in a fresh namespace inside its own temporary working directory, offline.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import os
import signal
import tempfile
import threading
import traceback
from dataclasses import dataclass, field

from .bank import Question

BLANK = "___"
TIME_LIMIT_S = 60  # a safety net against a hanging fragment, not a performance target


@dataclass
class OptionRun:
    key: str
    passed: bool
    error: str = ""


@dataclass
class CheckResult:
    qid: str
    answer: str
    runs: dict[str, OptionRun] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        out = []
        for key, run in self.runs.items():
            if key == self.answer and not run.passed:
                out.append(f"right answer {key} fails: {run.error}")
            elif key != self.answer and run.passed:
                out.append(f"distractor {key} runs without error: template+verify must raise for a wrong answer")
        return out

    @property
    def ok(self) -> bool:
        return bool(self.runs) and not self.problems

    def __str__(self) -> str:
        return f"{self.qid}: " + ("ok" if self.ok else "; ".join(self.problems) or "no options ran")


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int):
    # SIGALRM only works in the main thread; elsewhere (e.g. a notebook worker) run without the net.
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum, frame):
        raise _Timeout(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _where(exc: BaseException, source: str, verify: str) -> str:
    """' (check.verify line 2: assert x == 1)': the check line that raised, so a writer sees which assertion failed."""
    texts = {"<check.template>": source, "<check.verify>": verify}
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename in texts:
            lines = texts[frame.filename].splitlines()
            code = lines[frame.lineno - 1].strip() if frame.lineno and frame.lineno <= len(lines) else ""
            return f" ({frame.filename.strip('<>')} line {frame.lineno}: {code[:150]})"
    return ""


def run_fragment(template: str, verify: str, fragment: str) -> OptionRun:
    """Fill the blank with `fragment`, run template then verify; passed=False with the error when anything raises."""
    source = template.replace(BLANK, fragment)
    namespace: dict = {"__name__": "__dp100_check__"}
    cwd = os.getcwd()
    sink = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="dp100check-") as tmp:
        try:
            os.chdir(tmp)
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), _time_limit(TIME_LIMIT_S):
                exec(compile(source, "<check.template>", "exec"), namespace)
                exec(compile(verify, "<check.verify>", "exec"), namespace)
            return OptionRun(key="", passed=True)
        except BaseException as exc:  # noqa: BLE001 - any failure means "this option does not work"
            if isinstance(exc, KeyboardInterrupt):
                raise
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            return OptionRun(key="", passed=False, error=(last + _where(exc, source, verify))[:400])
        finally:
            os.chdir(cwd)


def warm_imports(*sources: str) -> None:
    """Import the modules a check imports before timing it: a cold `import azure.ai.ml` or `mlflow` can take many
    seconds on a busy machine, and that cost belongs to no single option."""
    for src in sources:
        try:
            tree = ast.parse(src.replace(BLANK, "None"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 - a failing import is the option's business, reported when it runs
                    pass


def run_check(question: Question) -> CheckResult:
    """Run every option of a code question through its check; see CheckResult.ok / .problems."""
    if question.type != "code" or not question.check:
        raise ValueError(f"{question.id}: only code questions have a check block")
    template, verify = question.check["template"], question.check["verify"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warm_imports(template, verify)
    result = CheckResult(question.id, str(question.answer))
    for key, text in question.options.items():
        run = run_fragment(template, verify, text)
        run.key = key
        result.runs[key] = run
    return result


def run_all(questions: list[Question]) -> list[CheckResult]:
    return [run_check(q) for q in questions if q.type == "code"]
