"""Re-execute solution notebooks in place, each in a fresh store, and keep only clean metadata.

    python -m dp100lab.labs.refresh            # every solutions/NN_*.ipynb
    python -m dp100lab.labs.refresh 03 05      # some modules

Maintainers run this (`make solutions`) after changing a solution or anything its outputs show, then
`make labs`. Stored outputs must match what nbval sees on a fresh run, so each notebook gets a new store.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import nbformat
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

from .execute import run_notebook

ROOT = Path(__file__).resolve().parents[3]
KEEP_NOTEBOOK_META = ("kernelspec", "language_info", "dp100lab")
KEEP_CELL_META = ("tags", "editable", "deletable")


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop execution timings, widget state and editor noise; keep what the course and nbval rely on."""
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})  # one stdout block per cell, as a person ran it
    nb.metadata = nbformat.from_dict({k: nb.metadata[k] for k in KEEP_NOTEBOOK_META if k in nb.metadata})
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({k: cell.metadata[k] for k in KEEP_CELL_META if k in cell.metadata})
        for output in cell.get("outputs", []):
            if "metadata" in output:  # display outputs only; stream outputs have no metadata field
                output["metadata"] = {}
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
    return nb


def refresh(path: Path) -> bool:
    with tempfile.TemporaryDirectory(prefix="dp100lab-refresh-") as home:
        result = run_notebook(path, env={"DP100LAB_HOME": home})
    if not result.ok:
        where = result.aborted or "; ".join(f"cell {e.index}: {e.last_line}" for e in result.errors)
        print(f"✗ {path.name}: {where} — the file was left unchanged", file=sys.stderr)
        return False
    nbformat.write(clean(result.notebook), path)
    print(f"✓ {path.name}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module numbers, e.g. 03 05 (default: all)")
    parser.add_argument("--dir", default=str(ROOT / "solutions"), help="folder of solution notebooks")
    args = parser.parse_args(argv)
    paths = sorted(Path(args.dir).glob("[0-9][0-9]_*.ipynb"))
    if args.modules:
        paths = [p for p in paths if p.name[:2] in {m.zfill(2) for m in args.modules}]
    if not paths:
        print(f"no solution notebooks matched in {args.dir}", file=sys.stderr)
        return 1
    return 0 if all([refresh(p) for p in paths]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
