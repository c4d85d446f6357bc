"""Prove code answers by running them: for a `code` question, the right option filled into `check.template`
must run template+verify without error, and EVERY distractor must raise (QUESTIONS.md, "Check semantics").

Each option runs in a fresh namespace inside its own temporary working directory, offline, in a forked child
process (where fork exists) so that no global state (MLflow's active run or experiment, environment variables)
leaks from one check into the next.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import json
import os
import select
import signal
import sys
import tempfile
import time
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
    imported: list[str] = field(default_factory=list)  # modules a forked run imported (to warm the parent)


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


def _run_here(source: str, verify: str) -> OptionRun:
    """Run in this process, in a fresh namespace and a temp cwd (the fallback where fork is unavailable)."""
    namespace: dict = {"__name__": "__dp100_check__"}
    cwd, env, uri = os.getcwd(), dict(os.environ), _mlflow_uri()
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
            _reset_mlflow(uri)
            os.environ.clear()
            os.environ.update(env)


def _mlflow_uri():
    utils = sys.modules.get("mlflow.tracking._tracking_service.utils")
    return getattr(utils, "_tracking_uri", None)


def _reset_mlflow(old_uri) -> None:
    # Checks may start runs or set an experiment/tracking URI; the next check must not inherit them.
    mlflow = sys.modules.get("mlflow")
    if mlflow is None:
        return
    with contextlib.suppress(Exception):
        while mlflow.active_run():
            mlflow.end_run()
    with contextlib.suppress(Exception):
        mlflow.set_tracking_uri(old_uri)
        mlflow.tracking.fluent._active_experiment_id = None


def _run_forked(source: str, verify: str) -> OptionRun:
    """Run in a forked child: it starts with this process's warm imports but hands back no global state."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(rfd)
        try:
            before = set(sys.modules)
            run = _run_here(source, verify)
            payload = json.dumps({"passed": run.passed, "error": run.error,
                                  "imported": sorted(set(sys.modules) - before)}).encode()
        except BaseException as exc:  # noqa: BLE001
            payload = json.dumps({"passed": False, "error": f"{type(exc).__name__}: {exc}"[:400]}).encode()
        with os.fdopen(wfd, "wb") as fh:
            fh.write(payload)
        os._exit(0)  # skip the parent's atexit handlers (pytest, mlflow) in the child
    os.close(wfd)
    chunks, deadline = [], time.monotonic() + TIME_LIMIT_S
    with os.fdopen(rfd, "rb") as fh:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fh], [], [], max(0.0, left))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return OptionRun(key="", passed=False, error=f"took longer than {TIME_LIMIT_S} s")
            data = os.read(fh.fileno(), 65536)
            if not data:
                break
            chunks.append(data)
    _, status = os.waitpid(pid, 0)
    try:
        res = json.loads(b"".join(chunks) or b"null")
        return OptionRun(key="", passed=bool(res["passed"]), error=res["error"], imported=res.get("imported", []))
    except (ValueError, TypeError, KeyError):
        return OptionRun(key="", passed=False, error=f"the check process died (exit status {status})")


def run_fragment(template: str, verify: str, fragment: str) -> OptionRun:
    """Fill the blank with `fragment`, run template then verify; passed=False with the error when anything raises."""
    source = template.replace(BLANK, fragment)
    return _run_forked(source, verify) if _can_fork() else _run_here(source, verify)


def _can_fork() -> bool:
    return hasattr(os, "fork") and threading.current_thread() is threading.main_thread()


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
            if isinstance(node, ast.Attribute):  # mlflow.sklearn.save_model -> also warm mlflow.sklearn
                parts, cur = [], node
                while isinstance(cur, ast.Attribute):
                    parts.insert(0, cur.attr)
                    cur = cur.value
                if isinstance(cur, ast.Name) and cur.id in sys.modules:
                    names = [".".join([cur.id, *parts[:i]]) for i in range(1, len(parts) + 1)]
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
    # The right answer runs first; the modules it pulled in lazily (mlflow.sklearn -> skops, ...) are then imported
    # here, so each distractor's fork starts warm instead of paying the same imports again. No user code runs here.
    keys = sorted(question.options, key=lambda k: k != str(question.answer))
    for key in keys:
        run = run_fragment(template, verify, question.options[key])
        run.key = key
        result.runs[key] = run
        if key == str(question.answer):
            _import_quietly(run.imported)
    result.runs = {k: result.runs[k] for k in question.options}
    return result


def _import_quietly(names: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for name in names:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - warming only
                pass


def run_all(questions: list[Question]) -> list[CheckResult]:
    return [run_check(q) for q in questions if q.type == "code"]
