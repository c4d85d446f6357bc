"""Friendly blanks: turn an error caused by an unfilled `...  # YOUR CODE HERE` into one line that says what to do.

`Lab(...)` installs `install(lab)` as IPython's custom exception handler. The lab notebook's metadata (written by
`dp100lab.labs.build`) maps each code cell to its task, the names it sets and whether it holds a blank, so a
message can say "fill in the blank in cell 8 (Task 2) first". Errors a blank cannot explain keep their normal
traceback: the handler only shortens what it can explain, it never hides a real error.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .names import file_name

BLANK = "YOUR CODE HERE"
_QUOTED = re.compile(r"""['"`]([A-Za-z0-9][\w.\-]{1,80})['"`]""")


@dataclass
class CellInfo:
    cell: int  # 1-based position in the lab notebook, as `dp100 check` reports it
    task: str  # e.g. "Task 2 · Register the loans data", or "" before the first task heading
    sets: list[str] = field(default_factory=list)
    blank: bool = False
    literals: list[str] = field(default_factory=list)  # asset-like names in its code, e.g. "loans-data"

    @property
    def where(self) -> str:
        task = self.task.split(" · ")[0]  # "Task 2 · Register the data" -> "Task 2": short enough for one line
        return f"cell {self.cell} ({task})" if task else f"cell {self.cell}"


@dataclass
class LabMap:
    cells: list[CellInfo] = field(default_factory=list)

    @classmethod
    def load(cls, lab_name: str, folder: Path | None = None) -> "LabMap":
        """The map stored in the lab notebook `<lab_name>_lab.ipynb` beside the kernel's working folder (or a copy
        under the older name `<lab_name>.ipynb`); empty when there is none."""
        here = folder or Path.cwd()
        path = next((p for p in (here / file_name("labs", lab_name), here / f"{lab_name}.ipynb") if p.is_file()),
                    here / file_name("labs", lab_name))
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("dp100lab", {})
            rows = meta.get("cells", [])
            return cls([CellInfo(**row) for row in rows if isinstance(row, dict)])
        except (OSError, ValueError, TypeError):
            return cls()

    def setter_of(self, name: str) -> CellInfo | None:
        for info in self.cells:
            if name in info.sets:
                return info
        return None

    def creator_of(self, literal: str) -> CellInfo | None:
        """The first cell whose code names `literal` (an asset or compute name from an error message)."""
        return next((info for info in self.cells if literal in info.literals), None)


def is_blank_value(value: Any, depth: int = 0) -> bool:
    """`...` itself, or a list/tuple/dict holding one (a half-filled `inputs={...}`)."""
    if value is Ellipsis:
        return True
    if depth > 3:
        return False
    if isinstance(value, (list, tuple, set)):
        return any(is_blank_value(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(is_blank_value(v, depth + 1) for v in value.values())
    return False


def names_read(source: str) -> list[str]:
    """Names a cell loads, in order of first use (magics stripped first)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        tree = ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ImportError):
        return []
    seen: dict[str, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            seen.setdefault(node.id, None)
    return list(seen)


def _blank_lines(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if BLANK in line and line.strip() != f"# {BLANK}"]


def _short(exc: BaseException, limit: int = 110) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def explain(source: str, exc: BaseException, namespace: dict, lab_map: LabMap) -> str | None:
    """One line for an error a blank (or running cells out of order) explains; None for any other error."""
    if BLANK in source:  # the blank line itself says what to write (`# YOUR CODE HERE: ...`)
        lines = _blank_lines(source)
        shown = f": `{lines[0]}`" if lines else ""
        return (f"✗ This cell still has a blank{shown} — replace the `...` with your code and run the cell "
                f"again. (Python said {_short(exc, 70)})")
    missing = getattr(exc, "name", None) if isinstance(exc, NameError) else None
    if missing:
        info = lab_map.setter_of(missing)
        if info and info.blank:
            return f"✗ `{missing}` is not set yet: fill in the blank in {info.where} first, run it, then this cell."
        if info:
            return f"✗ `{missing}` is not defined yet: run {info.where} first (run the cells from the top, in order)."
        return None  # a typo in the learner's own code: the normal traceback says where
    for name in names_read(source):
        if name in namespace and is_blank_value(namespace[name]):
            info = lab_map.setter_of(name)
            where = f"fill in the blank in {info.where} first" if info else "fill in its blank above first"
            return f"✗ `{name}` is still `...`: {where}, run it, then run this cell again."
    if type(exc).__name__ == "ResourceNotFoundError":
        for quoted in _QUOTED.findall(str(exc)):
            info = lab_map.creator_of(quoted)
            if info:
                return (f"✗ {_short(exc, 120)} — it is created in {info.where}: run that cell first "
                        "(it may have been deleted or not run yet).")
    return None


def install(lab_map: LabMap) -> bool:
    """Install the handler in the running IPython kernel (no-op outside IPython). Returns True when installed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False

    def handler(self, etype, value, tb, tb_offset=None):
        try:
            history = self.user_ns.get("_ih") or [""]
            line = explain(history[-1], value, self.user_ns, lab_map)
        except Exception:  # the learner must still see their error if the explanation fails
            line = None
        if line is None:  # not ours to explain: IPython's own full traceback, as without the handler
            self.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
        else:  # run_code ignores a handler's return value, so show the one line as the cell's error output
            self._showtraceback(etype, value, [f"\x1b[31m{line}\x1b[0m"])
        return None

    shell.set_custom_exc((Exception,), handler)
    return True


# ---- build time: the map stored in the lab's metadata (dp100lab.labs.build calls this) ----

_NAME_LIKE = re.compile(r"^[A-Za-z][\w.]*-[\w.\-]{1,60}$")  # asset and compute names: loans-data, aml-cluster


def _sets_and_literals(source: str) -> tuple[list[str], list[str]]:
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return [], []
    sets: dict[str, None] = {}
    for node in tree.body:
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For)):
            targets = [node.target]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                sets.setdefault((alias.asname or alias.name).split(".")[0], None)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            sets.setdefault(node.name, None)
        elif isinstance(node, (ast.With, ast.Try)):
            for sub in ast.walk(node):  # names bound inside try/with blocks at top level
                if isinstance(sub, ast.Assign):
                    targets += sub.targets
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    sets.setdefault(sub.id, None)
    literals = {n.value: None for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                and _NAME_LIKE.match(n.value)}
    return list(sets), list(literals)


def describe_cells(cells: list[tuple[str, str, bool]]) -> list[dict]:
    """[(cell_type, solution source, has blank)] in lab order -> the rows stored as metadata dp100lab.cells."""
    rows, task = [], ""
    for index, (kind, source, blank) in enumerate(cells, start=1):
        if kind == "markdown":
            heading = next((line.lstrip("#").strip() for line in source.splitlines() if line.startswith("## ")), None)
            task = heading or task
            continue
        if kind != "code":
            continue
        sets, literals = _sets_and_literals(source)
        if sets or blank:
            rows.append({"cell": index, "task": task, "sets": sets, "blank": blank, "literals": literals})
    return rows
