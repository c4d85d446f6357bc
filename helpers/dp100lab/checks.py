"""Check cells for labs: `Lab(name).check(...)` prints one deterministic ✓/✗ line and never raises.

    from dp100lab.checks import Lab
    lab = Lab("05_training_jobs")
    lab.check("job finished", lambda: returned_job.status, "Completed", hint="Call ml_client.jobs.stream(...) first")
    lab.check("accuracy is plausible", lambda: acc, lambda v: 0.8 < v <= 1.0)
    lab.check("a model entity", lambda: model, Model)
    lab.summary()

`expected` may be
  - a value: compared with ==; real numbers (also inside lists, tuples, dicts, numpy arrays) are compared
    with a tolerance, math.isclose(rel_tol=1e-6, abs_tol=1e-9) by default (change it with `tol=`);
  - a type (or tuple of types): the value must be an instance of it;
  - a callable predicate: the value passes when predicate(value) is truthy.
A blank left in the lab (NameError, `...`, NotImplementedError) reports "not done yet" and names the variable and
the cell that sets it. Messages name what the check reads (the lambda's text, e.g. `returned_job.status`).
`Lab(...)` also installs a handler (dp100lab.labs.blanks) so a cell that fails on an unfilled blank ends with one
line saying what to fill in, and `lab.made_here(entity)` tells whether an entity was created after `Lab(...)` ran
in this kernel (so an asset or job left by the teaching notebook or an earlier run cannot pass a check).
When the environment variable DP100LAB_CHECK_REPORT names a file, every result is appended there as a
JSON line, which is how `dp100 check` collects results from a headless run.
"""

from __future__ import annotations

import ast
import linecache
import json
import math
import numbers
import os
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .labs import blanks

REPORT_ENV = "DP100LAB_CHECK_REPORT"
BLANK_MESSAGE = "not done yet — fill in the blank marked YOUR CODE HERE above"
_CLOCK_SLACK = timedelta(seconds=2)  # creation times are stored to the second on some backends
REL_TOL, ABS_TOL = 1e-6, 1e-9
_MAX_REPR = 80
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # memory addresses would make output non-deterministic


@dataclass
class CheckResult:
    lab: str
    check: str
    status: str  # "pass" | "fail" | "blank" | "error"
    line: str
    got: str | None = None
    expected: str | None = None
    hint: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """The ✓/✗ line is already printed; a check cell shows nothing more (no stray True/False)."""


class _Blank(Exception):
    """Raised internally when the value under check is still a lab blank."""


def short_repr(value: Any, limit: int = _MAX_REPR) -> str:
    """repr() without memory addresses, truncated to `limit` characters."""
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not break the check
        text = f"<{type(value).__name__} (repr failed: {type(exc).__name__})>"
    text = _ADDRESS.sub("", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_text(exc: BaseException) -> str:
    text = _ADDRESS.sub("", " ".join(str(exc).split())) or "(no message)"
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 1] + "…"


def _is_blank_error(exc: BaseException) -> bool:
    if isinstance(exc, (NameError, NotImplementedError, _Blank)):
        return True
    # `...` left in place usually surfaces as "'ellipsis' object has no attribute/is not ..." further on
    return "ellipsis" in str(exc).lower()


def _as_plain(value: Any) -> Any:
    """numpy arrays/scalars and pandas objects to plain Python so one comparison rule covers them."""
    if hasattr(value, "tolist") and callable(value.tolist) and not isinstance(value, (str, bytes)):
        try:
            return value.tolist()
        except Exception:
            return value
    return value


def values_match(got: Any, expected: Any, tol: float | None = None) -> bool:
    """== with a tolerance for real numbers, recursively through lists, tuples and dicts."""
    got, expected = _as_plain(got), _as_plain(expected)
    if isinstance(got, bool) or isinstance(expected, bool):
        return got == expected
    if isinstance(got, numbers.Real) and isinstance(expected, numbers.Real):
        if isinstance(got, float) and isinstance(expected, float) and math.isnan(got) and math.isnan(expected):
            return True
        rel = REL_TOL if tol is None else tol
        return math.isclose(float(got), float(expected), rel_tol=rel, abs_tol=ABS_TOL if tol is None else tol)
    if isinstance(got, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(got) == len(expected) and all(values_match(g, e, tol) for g, e in zip(got, expected))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(values_match(got[k], expected[k], tol) for k in got)
    try:
        return bool(got == expected)
    except Exception:  # e.g. ambiguous truth value of an array-like
        return False


def _lambda_text(fn: Callable) -> str | None:
    """The body of a lambda, e.g. `0.8 < v <= 1.0`, from its code positions (works in notebook cells too)."""
    code = fn.__code__
    positions = [p for p in code.co_positions() if None not in p and not (p[2] == 0 and p[3] == 0)]
    lines = linecache.getlines(code.co_filename)
    if not positions or not lines:
        return None
    first = min((p[0], p[2]) for p in positions)
    last = max((p[1], p[3]) for p in positions)
    chunk = [line.encode("utf-8") for line in lines[first[0] - 1: last[0]]]  # offsets are in UTF-8 bytes
    if not chunk:
        return None
    if len(chunk) == 1:
        text = chunk[0][first[1]:last[1]]
    else:
        text = chunk[0][first[1]:] + b"".join(chunk[1:-1]) + chunk[-1][:last[1]]
    body = " ".join(text.decode("utf-8", errors="replace").split())
    try:
        ast.parse(body, mode="eval")
    except SyntaxError:
        return None
    return body or None


def describe_expected(expected: Any, tol: float | None = None) -> str:
    if isinstance(expected, type):
        return f"an instance of {expected.__name__}"
    if isinstance(expected, tuple) and expected and all(isinstance(t, type) for t in expected):
        return "an instance of " + " or ".join(t.__name__ for t in expected)
    if callable(expected):
        text = _lambda_text(expected) if getattr(expected, "__name__", "") == "<lambda>" else None
        if text:
            return f"a value where {text}"
        name = getattr(expected, "__name__", type(expected).__name__)
        return "a value passing the check" if name == "<lambda>" else f"a value accepted by {name}()"
    text = short_repr(expected)
    if isinstance(_as_plain(expected), float) or (
        isinstance(_as_plain(expected), (list, tuple)) and any(isinstance(v, float) for v in _as_plain(expected))
    ):
        text += f" (±{tol if tol is not None else REL_TOL:g} relative)"
    return text


class Lab:
    """One lab's checks. Re-running a check cell replaces that check's earlier result."""

    def __init__(self, name: str):
        self.name = str(name)
        self._results: dict[str, CheckResult] = {}
        self.started_at = datetime.now(timezone.utc)
        self.map = blanks.LabMap.load(self.name)
        blanks.install(self.map)

    def made_here(self, entity: Any) -> bool:
        """True when the entity (a job, asset or compute returned by ml_client) was created after this Lab(...) ran."""
        created = getattr(getattr(entity, "creation_context", None), "created_at", None)
        if isinstance(created, str):
            created = datetime.fromisoformat(created.replace("Z", "+00:00"))
        if not isinstance(created, datetime):
            return False
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        return created >= self.started_at - _CLOCK_SLACK

    @property
    def results(self) -> list[CheckResult]:
        return list(self._results.values())

    def check(
        self,
        name: str,
        got_fn: Callable[[], Any] | Any,
        expected: Any,
        hint: str | None = None,
        tol: float | None = None,
    ) -> CheckResult:
        """Evaluate got_fn(), compare with expected, print one line, record and return the result (truthy if passed)."""
        try:
            result = self._evaluate(str(name), got_fn, expected, hint, tol)
        except Exception as exc:  # never raise into the learner's notebook
            result = CheckResult(self.name, str(name), "error", f"✗ {name} — the check itself failed: "
                                 f"{type(exc).__name__}: {_short_text(exc)}", hint=hint)
        self._results[result.check] = result
        print(result.line, flush=True)
        self._report(result)
        return result

    def _blank_line(self, name: str, got_fn: Any, exc: BaseException | None, hint_text: str, hint) -> CheckResult:
        """'not done yet', naming the variable that is still blank and the cell that sets it when known."""
        var = getattr(exc, "name", None) if isinstance(exc, NameError) else None
        if var is None and callable(got_fn) and hasattr(got_fn, "__code__"):
            scope = getattr(got_fn, "__globals__", {})
            var = next((n for n in got_fn.__code__.co_names if n in scope and blanks.is_blank_value(scope[n])), None)
        info = self.map.setter_of(var) if var else None
        if info and info.blank:
            text = f"`{var}` is not done yet — fill in the blank in {info.where} and run it"
        elif info:
            text = f"`{var}` is not defined yet — run {info.where} first"
        elif var:
            text = f"`{var}` is not done yet — fill in the blank marked YOUR CODE HERE that sets it, and run it"
        else:
            text = BLANK_MESSAGE
        return CheckResult(self.name, name, "blank", f"✗ {name} — {text}.{hint_text}", hint=hint)

    def _evaluate(self, name, got_fn, expected, hint, tol) -> CheckResult:
        hint_text = f" Hint: {hint}" if hint else ""
        is_fn = callable(got_fn) and not isinstance(got_fn, type)
        is_lambda = is_fn and getattr(got_fn, "__name__", "") == "<lambda>"
        # name what the check reads (`returned_job.status`) when it reads a variable, not for a literal lambda
        reads = _lambda_text(got_fn) if is_lambda and (got_fn.__code__.co_names or got_fn.__code__.co_freevars) else None
        try:
            scope = getattr(got_fn, "__globals__", {}) if is_lambda else {}
            if any(n in scope and blanks.is_blank_value(scope[n]) for n in got_fn.__code__.co_names) if is_lambda \
                    else False:
                raise _Blank()  # the check reads a variable that is still `...` (e.g. type(cluster).__name__)
            got = got_fn() if is_fn else got_fn
            if blanks.is_blank_value(got):
                raise _Blank()
        except Exception as exc:
            if _is_blank_error(exc):
                return self._blank_line(name, got_fn, exc, hint_text, hint)
            what = f"reading `{reads}`" if reads else "computing the value"
            return CheckResult(self.name, name, "error",
                               f"✗ {name} — {what} raised {type(exc).__name__}: "
                               f"{_short_text(exc)}.{hint_text}", hint=hint)
        want = describe_expected(expected, tol)
        shown = f"`{reads}` is {short_repr(got)}" if reads else f"got {short_repr(got)}"
        try:
            if isinstance(expected, type) or (
                isinstance(expected, tuple) and expected and all(isinstance(t, type) for t in expected)
            ):
                ok = isinstance(got, expected)
            elif callable(expected):
                ok = bool(expected(got))
            else:
                ok = values_match(got, expected, tol)
        except Exception as exc:
            if _is_blank_error(exc):
                return self._blank_line(name, got_fn, exc, hint_text, hint)
            return CheckResult(self.name, name, "fail",
                               f"✗ {name} — {shown}; expected {want} but checking raised "
                               f"{type(exc).__name__}: {_short_text(exc)}.{hint_text}",
                               got=short_repr(got), expected=want, hint=hint)
        if ok:
            return CheckResult(self.name, name, "pass", f"✓ {name}", got=short_repr(got), expected=want, hint=hint)
        type_note = ""
        if not isinstance(expected, type) and not callable(expected) and type(_as_plain(got)) is not type(
            _as_plain(expected)) and short_repr(got) == short_repr(expected):
            type_note = f" (types differ: {type(got).__name__} vs {type(expected).__name__})"
        return CheckResult(self.name, name, "fail",
                           f"✗ {name} — {shown}; expected {want}{type_note}.{hint_text}",
                           got=short_repr(got), expected=want, hint=hint)

    def _report(self, result: CheckResult) -> None:
        path = os.environ.get(REPORT_ENV)
        if not path:
            return
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(result), ensure_ascii=False, sort_keys=True) + "\n")
        except OSError as exc:  # the notebook feedback above still stands; say why the report is missing
            print(f"(could not append to {REPORT_ENV} file: {exc.strerror})", flush=True)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self._results.values())

    def summary(self) -> None:
        """Print `N/M checks passed` (and what to do next when not all did)."""
        total = len(self._results)
        line = f"{self.passed}/{total} checks passed"
        if total and self.passed == total:
            line += " — lab complete."
        elif total:
            blanks = sum(r.status == "blank" for r in self._results.values())
            line += f" ({blanks} not done yet)" if blanks else ""
            line += " — fix the ✗ lines above and re-run their cells."
        else:
            line += " — no checks have run yet: run the cells above first."
        print(line, flush=True)

    def __repr__(self) -> str:
        return f"Lab({self.name!r}: {self.passed}/{len(self._results)} checks passed)"


def read_report(path: str | os.PathLike) -> list[CheckResult]:
    """Results appended to a DP100LAB_CHECK_REPORT file, in order (later runs of a check replace earlier)."""
    results: dict[tuple[str, str], CheckResult] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for raw in fh:
                if raw.strip():
                    data = json.loads(raw)
                    results[(data["lab"], data["check"])] = CheckResult(**data)
    except FileNotFoundError:
        return []
    return list(results.values())
