"""README's module map, computed from the notebooks' metadata (skills are claimed in one place only).

    python -m dp100lab.labs.modulemap           # print the table
    python -m dp100lab.labs.modulemap --write   # replace the table in README.md
A test fails when README's table differs from what the notebooks say.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from . import names

ROOT = Path(__file__).resolve().parents[3]
PLANNED = {"12": "Language models: catalog, prompt flow, RAG, fine-tuning"}
HEAD = "| module | topic | DP-100 skills | AI-300 skills | notebooks |\n|---|---|---|---|---|\n"
TABLE = re.compile(r"\| module \| topic \| DP-100 skills.*?\n(?=\n)", re.DOTALL)


def _topic(nb: dict) -> str:
    first = "".join(nb["cells"][0]["source"]).splitlines()[0].lstrip("# ").strip()
    title = first.split("·", 1)[-1]
    return re.split(r"\s+[—-]\s+(teaching notebook|lab|solution)\b", title)[0].strip()


def rows(root: Path = ROOT) -> list[str]:
    out = []
    for nb_path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(nb_path.read_text())
        meta = nb["metadata"].get("dp100lab", {})
        nn, name = nb_path.name[:2], nb_path.name
        dp = ", ".join(s.removeprefix("dp100-") for s in meta.get("skills", []))
        ai = ", ".join(s.removeprefix("ai300-") for s in meta.get("ai300", []))
        links = " · ".join(f"[{label}]({folder}/{names.counterpart(name, folder)})"
                           for label, folder in (("teach", "notebooks"), ("lab", "labs"), ("solution", "solutions")))
        out.append(f"| {nn} | {_topic(nb)} | {dp} | {ai} | {links} |")
    have = {r[2:4] for r in out}
    out += [f"| {nn} | {topic} | planned | planned | not yet written |" for nn, topic in PLANNED.items()
            if nn not in have]
    return out


def table(root: Path = ROOT) -> str:
    return HEAD + "\n".join(rows(root)) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    if not args.write:
        print(table(), end="")
        return 0
    readme = ROOT / "README.md"
    text = readme.read_text()
    new, n = TABLE.subn(table(), text, count=1)
    if n != 1:
        print("README.md has no module map table to replace", file=sys.stderr)
        return 1
    readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
