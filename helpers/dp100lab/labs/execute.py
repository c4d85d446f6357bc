"""Run a notebook headless on this environment's Python (shared by `dp100 check`, `dp100 course` and tests)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.output_widget import OutputWidget
from traitlets import default

STRUCTURAL_ERRORS = ("SyntaxError", "IndentationError", "ImportError", "ModuleNotFoundError")
DEFAULT_TIMEOUT = 600  # seconds per cell; a local job or AutoML run inside a cell can take minutes


class _ThisPythonSpecs(KernelSpecManager):
    """Always the ipykernel of sys.executable: a user-level "python3" kernelspec may point at another Python."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        from ipykernel.kernelspec import RESOURCES, get_kernel_dict

        return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())


class ThisPythonKernelManager(AsyncKernelManager):
    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        return _ThisPythonSpecs(data_dir=self.data_dir)

    @default("transport_encryption")
    def _transport_encryption_default(self) -> str:
        import zmq

        return "auto" if zmq.has("curve") else "disabled"  # CurveZMQ between us and the kernel when available


class _HeadlessOutputWidget(OutputWidget):
    """nbclient's stand-in for an ipywidgets Output widget, minus the echo of its state back to the kernel.

    The stock one sends a comm_msg on the shell channel for every output while the cell is still running. With
    ipykernel 7.4 those sends, racing the cell's execute_reply on the same sockets, leave the reply unread until the
    cell timeout: measured with 12 Output-widget cells under nbclient, 4-5 per run sat out the whole 30 s timeout
    (the kernel idle, the reply pending), 0 of 48 without the echo. Every quiz cell holds Output widgets. Headless,
    nobody reads the kernel-side copy; the outputs still land in the notebook's widget state.
    """

    def sync_state(self) -> None:
        pass


RUNNING: dict = {}  # the cell being executed now: {"notebook", "cell", "source", "since"} (read by test watchdogs)


class _Client(NotebookClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget_registry = {"@jupyter-widgets/output": {"OutputModel": _HeadlessOutputWidget}}

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        self.current_cell = cell_index + 1
        RUNNING.update(notebook=str(self.resources.get("dp100lab_path", "")), cell=cell_index + 1,
                       source=cell.get("source", ""), since=time.monotonic(), kernel_pid=self._kernel_pid())
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        finally:
            RUNNING.clear()

    def _kernel_pid(self):
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)


@dataclass
class CellError:
    index: int  # 1-based position among all cells
    ename: str
    evalue: str
    source: str
    after_blank: bool = False  # an earlier cell still holds a YOUR CODE HERE blank

    @property
    def first_line(self) -> str:
        lines = [line for line in self.source.splitlines() if line.strip()]
        return lines[0] if lines else ""

    @property
    def last_line(self) -> str:
        return f"{self.ename}: {self.evalue}".strip().splitlines()[-1] if (self.ename or self.evalue) else ""

    @property
    def in_blank(self) -> bool:
        """An error a learner's unfilled blank explains (cell has YOUR CODE HERE, or an undefined name/`...`)."""
        return ("YOUR CODE HERE" in self.source or self.ename in ("NameError", "NotImplementedError")
                or "ellipsis" in self.evalue.lower())

    @property
    def explained_by_blanks(self) -> bool:
        """In a blank, or after one and not a kind of error that blanks cannot cause (broken code, missing module)."""
        return self.in_blank or (self.after_blank and self.ename not in STRUCTURAL_ERRORS)


class NotANotebook(ValueError):
    """The file is not a Jupyter notebook (not JSON, or not the notebook format): one line saying which."""


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """The notebook at `path` as nbformat v4, or NotANotebook naming the file and what is wrong with it."""
    path = Path(path)
    fix = "Give the path of a lab notebook (.ipynb), e.g. labs/05_training_jobs_lab.ipynb"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NotANotebook(f"{path} is not a notebook: it is not text (a notebook is JSON). {fix}.") from None
    try:  # reader.reads raises on bad JSON or no nbformat key; nbformat.reads would only log a schema error
        nb = nbformat.convert(nbformat.reader.reads(text), 4)
        nbformat.validate(nb)
    except nbformat.reader.NotJSONError:
        raise NotANotebook(f"{path} is not a notebook: it is not JSON. {fix}.") from None
    except Exception as e:  # nbformat's schema, version and conversion errors: all mean 'not a valid notebook'
        first = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise NotANotebook(f"{path} is not a valid notebook ({first}). If it is a lab, restore the original "
                           f"with `git checkout -- {path}`; else: {fix}.") from None
    return nb


@dataclass
class RunResult:
    notebook: nbformat.NotebookNode
    errors: list[CellError] = field(default_factory=list)
    aborted: str | None = None  # timeout or dead kernel: later cells did not run

    @property
    def ok(self) -> bool:
        return not self.errors and not self.aborted


@contextlib.contextmanager
def patched_environ(values: dict[str, str | None]) -> Iterator[None]:
    """Set environment variables for a kernel we start (it inherits ours), restoring them afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def stage_copy(folder: Path, tmp: Path) -> Path:
    """A throwaway copy of `folder` in tmp, its sibling folders linked so ../datasets still resolves."""
    folder = Path(folder).resolve()
    for entry in folder.parent.iterdir():
        if entry.name.startswith(".") or entry == folder:
            continue
        try:
            (tmp / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
        except OSError:  # no symlinks (some Windows setups): copy the data folder at least
            if entry.name == "datasets" and entry.is_dir():
                shutil.copytree(entry, tmp / entry.name)
    copy = tmp / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return copy


def _errors_of(nb: nbformat.NotebookNode) -> list[CellError]:
    errors = []
    seen_blank = False
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(CellError(index, output.get("ename", ""), output.get("evalue", ""), cell.source,
                                        after_blank=seen_blank))
                break
        seen_blank = seen_blank or "YOUR CODE HERE" in cell.source
    return errors


def run_notebook(
    path: str | Path,
    *,
    cwd: str | Path | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    allow_errors: bool = False,
    env: dict[str, str | None] | None = None,
) -> RunResult:
    """Execute a notebook (not modifying the file) with cwd = its folder unless given; collect cell errors.

    allow_errors=True keeps going after a failing cell (grading: later checks still report), otherwise
    execution stops at the first error as `Run All` would.
    """
    path = Path(path)
    nb = read_notebook(path)
    client = _Client(
        nb,
        timeout=timeout,
        allow_errors=allow_errors,
        kernel_name="python3",
        kernel_manager_class=ThisPythonKernelManager,
        resources={"metadata": {"path": str(Path(cwd or path.parent).resolve())}, "dp100lab_path": str(path)},
        record_timing=False,
    )
    aborted = None
    # No MPLBACKEND: kernels use the inline backend, so figures appear in outputs as learners see them.
    env_values = {"MPLBACKEND": None, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    env_values.update(env or {})
    with patched_environ(env_values):
        try:
            client.execute()
        except CellTimeoutError:
            aborted = (f"cell {getattr(client, 'current_cell', '?')} ran longer than {timeout} s and was stopped; "
                       "later cells did not run")
        except DeadKernelError:
            aborted = "the kernel died (out of memory, or the process was killed); later cells did not run"
        except Exception as exc:  # CellExecutionError when allow_errors is False: recorded from outputs below
            if type(exc).__name__ != "CellExecutionError":
                aborted = f"execution stopped: {type(exc).__name__}: {exc}"
    return RunResult(nb, _errors_of(nb), aborted)
