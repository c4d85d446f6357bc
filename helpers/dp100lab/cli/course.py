"""`dp100 course [MODULES...]`: run the solution (or teaching) notebooks headless, in order, and summarise."""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

from .doctor import repo_root

NOTEBOOK = re.compile(r"^(\d\d)_.+\.ipynb$")


def select(folder: Path, modules: list[str]) -> list[Path]:
    """NN_*.ipynb in folder, in order; `modules` filters by number ("5" or "05") or name prefix."""
    found = sorted(p for p in folder.glob("*.ipynb") if NOTEBOOK.match(p.name))
    if not modules:
        return found
    wanted = []
    for module in modules:
        key = module.zfill(2) if module.isdigit() else module
        matches = [p for p in found if p.name.startswith(key) or p.stem == module]
        if not matches:
            raise SystemExit(f"dp100 course: no notebook for module {module!r} in {folder} "
                             f"(have: {', '.join(p.stem for p in found) or 'none'}).")
        wanted += [p for p in matches if p not in wanted]
    return sorted(wanted)


def run_course(folder: Path, modules: list[str], timeout: int, fresh_store: bool) -> tuple[list[tuple], int]:
    from tqdm import tqdm

    from ..labs.execute import run_notebook, stage_copy

    notebooks = select(folder, modules)
    rows: list[tuple] = []
    if not notebooks:
        return rows, 0
    with tempfile.TemporaryDirectory(prefix="dp100lab-course-") as tmp:
        tmp_path = Path(tmp)
        copy = stage_copy(folder, tmp_path)
        env: dict[str, str | None] = {}
        if fresh_store:
            env["DP100LAB_HOME"] = str(tmp_path / "store")  # one store for the whole run: later modules reuse
        failures = 0
        bar = tqdm(notebooks, unit="notebook", file=sys.stderr, dynamic_ncols=True)
        for path in bar:
            bar.set_description(path.stem)
            started = time.monotonic()
            result = run_notebook(copy / path.name, timeout=timeout, env=env)
            seconds = time.monotonic() - started
            if result.ok:
                rows.append((path.stem, "ok", seconds, ""))
            else:
                failures += 1
                detail = result.aborted or ""
                if result.errors:
                    error = result.errors[0]
                    detail = f"cell {error.index}: {error.last_line}"
                rows.append((path.stem, "FAILED", seconds, detail))
        bar.close()
    return rows, failures


def format_table(rows: list[tuple]) -> str:
    width = max([len("module")] + [len(r[0]) for r in rows])
    lines = [f"{'module':<{width}}  {'status':<6}  {'seconds':>7}", f"{'-' * width}  ------  -------"]
    for name, status, seconds, detail in rows:
        lines.append(f"{name:<{width}}  {status:<6}  {seconds:7.1f}" + (f"  {detail}" if detail else ""))
    return "\n".join(lines)


def register(subparsers) -> None:
    parser = subparsers.add_parser("course", help="run the notebooks headless and print a summary",
                                   description="Execute NN_*.ipynb notebooks headless (a temporary copy; your "
                                   "files are not changed) and print module, status and seconds.")
    parser.add_argument("modules", nargs="*", metavar="MODULE", help="module numbers or names (default: all)")
    parser.add_argument("--dir", default="solutions", help="folder of notebooks: solutions (default), notebooks, "
                        "labs or a path")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell (default 900)")
    parser.add_argument("--use-my-store", action="store_true", help="run against your store ($DP100LAB_HOME) "
                        "instead of a fresh temporary one")
    parser.set_defaults(func=run)


def run(args) -> int:
    folder = Path(args.dir)
    if not folder.is_dir() and (repo_root() / args.dir).is_dir():
        folder = repo_root() / args.dir
    if not folder.is_dir():
        print(f"dp100 course: no folder {args.dir!r}; use --dir solutions, notebooks or a path.", file=sys.stderr)
        return 2
    fresh = not args.use_my_store
    where = "a fresh temporary store" if fresh else f"your store ({os.environ.get('DP100LAB_HOME') or '~/.dp100lab'})"
    print(f"Running notebooks from {folder} on {where}…", flush=True)
    rows, failures = run_course(folder.resolve(), args.modules, args.timeout, fresh)
    if not rows:
        print(f"No NN_*.ipynb notebooks in {folder}: nothing to run.")
        return 0
    print(format_table(rows))
    if failures:
        print(f"{failures} of {len(rows)} notebooks failed. Open the notebook, run it, and fix the first error "
              "shown above.")
        return 1
    print(f"All {len(rows)} notebooks ran.")
    return 0
