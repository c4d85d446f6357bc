"""Generate labs/NN_topic_lab.ipynb from solutions/NN_topic_solution.ipynb (solutions are the single source).

    python -m dp100lab.labs.build            # write labs/
    python -m dp100lab.labs.build --check    # exit 1 when labs/ differs from what solutions/ generate

Markers in solution code cells:
  `x = expr  # SOLUTION`                 -> `x = ...  # YOUR CODE HERE`   (also `name=expr,` and `"key": expr,`)
  `# BEGIN SOLUTION` ... `# END SOLUTION` -> `# YOUR CODE HERE` and `...`, at the marker's indentation
  `# SOLUTION: what` / `# BEGIN SOLUTION: what` -> `# YOUR CODE HERE: what` (say what to write, not how)
Markdown cells tagged "solution" are removed. A first heading ending in "— solution" ends in "— lab" in the lab.
The lab's metadata maps each code cell to its task and the names it sets (dp100lab.labs.blanks reads it to say
"fill in the blank in cell N first"). Files under solutions/src/ are copied to labs/src/ and notebooks/src/.
Every solution must have at least one marker and one cell tagged "check". Output is deterministic.

A learner's edits are never overwritten: labs/.build-manifest.json records what the build generated, and a file
that differs from it (edited or run by the learner) is kept as it is, with a message saying how to get the new one.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import names, protect
from .blanks import describe_cells

BLANK = "# YOUR CODE HERE"
LINE_MARKER = re.compile(r"\s*#\s*SOLUTION(?:\s*:\s*(?P<what>\S.*?))?\s*$")
BEGIN = re.compile(r"^(\s*)#\s*BEGIN SOLUTION(?:\s*:\s*(?P<what>\S.*?))?\s*$")
END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
KWARG = re.compile(r"^([A-Za-z_]\w*\s*=\s*)(.+?)(,?)$")  # a keyword argument on its own line
DICT_ENTRY = re.compile(r"""^((?:"[^"]*"|'[^']*')\s*:\s*)(.+?)(,?)$""")  # a dict entry on its own line
HEADER_ID = "dp100lab-lab-header"
MANIFEST = ".build-manifest.json"  # in labs/: sha256 of every file the build generated, to spot learner edits
TITLE_SUFFIX = re.compile(r"\s+—\s+solution\s*$")


class BuildError(Exception):
    """A solution notebook that cannot become a lab; the message says which and how to fix it."""


@dataclass
class Repo:
    root: Path

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    @property
    def labs(self) -> Path:
        return self.root / "labs"

    @property
    def support_mirrors(self) -> list[Path]:
        """Folders that get a copy of solutions/src/, so each of labs/ and notebooks/ stands on its own."""
        return [self.labs / SUPPORT, self.root / "notebooks" / SUPPORT]


def default_root() -> Path:
    """The repository holding solutions/: the current directory if it has one, else the package's repo."""
    cwd = Path.cwd()
    if (cwd / "solutions").is_dir():
        return cwd
    return Path(__file__).resolve().parents[3]


def _python_parses(source: str) -> bool:
    """Does the cell parse as IPython would run it (magics like %pip and !ls translated first)?"""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        ast.parse(TransformerManager().transform_cell(source))
        return True
    except SyntaxError:
        return False


def blank_line(line: str, where: str) -> str:
    """`x = expr  # SOLUTION` -> `x = ...  # YOUR CODE HERE`, keeping indentation (and `: what` when given)."""
    match = LINE_MARKER.search(line)
    what = match.group("what") if match else None
    text = _blank_text(line, where)
    return f"{text}: {what}" if what else text


def _blank_text(line: str, where: str) -> str:
    code = LINE_MARKER.sub("", line)
    indent = code[: len(code) - len(code.lstrip())]
    stmt = code.strip()
    if stmt.endswith(","):  # `lr=0.1,` inside a call, not a tuple assignment
        for pattern in (KWARG, DICT_ENTRY):
            match = pattern.match(stmt)
            if match:
                return f"{indent}{match.group(1)}...{match.group(3)}  {BLANK}"
    try:
        tree = ast.parse(stmt)
    except SyntaxError:
        tree = None
    if tree is not None and len(tree.body) == 1:
        node = tree.body[0]
        if isinstance(node, ast.Assign):
            targets = " = ".join(ast.get_source_segment(stmt, t) for t in node.targets)
            return f"{indent}{targets} = ...  {BLANK}"
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target = ast.get_source_segment(stmt, node.target)
            return f"{indent}{target}: {ast.get_source_segment(stmt, node.annotation)} = ...  {BLANK}"
        if isinstance(node, ast.AugAssign):
            return f"{indent}{ast.get_source_segment(stmt, node.target)} = ...  {BLANK}"
        if isinstance(node, ast.Return):
            return f"{indent}return ...  {BLANK}"
        if isinstance(node, ast.Expr) and stmt.endswith(","):  # a positional argument or list item
            return f"{indent}...,  {BLANK}"
        return f"{indent}...  {BLANK}"
    if stmt.endswith(":"):  # a block header: blank its expression, keep the body for the learner
        header = _blank_header(stmt)
        if header:
            return f"{indent}{header}  {BLANK}"
    for pattern in (KWARG, DICT_ENTRY):
        match = pattern.match(stmt)
        if match:
            return f"{indent}{match.group(1)}...{match.group(3)}  {BLANK}"
    raise BuildError(f"{where}: `# SOLUTION` is on a line that is not a whole statement, keyword argument, dict "
                     f"entry or with/for/if header: {stmt!r}. Wrap the lines in `# BEGIN SOLUTION` / "
                     "`# END SOLUTION` instead.")


def _blank_header(stmt: str) -> str | None:
    """`with expr as x:` -> `with ... as x:`, `for x in expr:` -> `for x in ...:`, `if/elif expr:` -> `if ...:`."""
    if re.match(r"^elif\b", stmt):
        return "elif ...:"
    try:
        node = ast.parse(stmt + "\n    pass").body[0]
    except SyntaxError:
        return None
    if isinstance(node, ast.With) and len(node.items) == 1:
        target = node.items[0].optional_vars
        return f"with ... as {ast.get_source_segment(stmt, target)}:" if target is not None else "with ...:"
    if isinstance(node, ast.For):
        return f"for {ast.get_source_segment(stmt, node.target)} in ...:"
    if isinstance(node, ast.If):
        return "if ...:"
    return None  # while (would loop forever on `...`), def, class, try: use a block marker


def blank_source(source: str, where: str) -> tuple[str, int]:
    """Replace the solution parts of one code cell; returns (lab source, number of markers used)."""
    out: list[str] = []
    markers = 0
    block_indent: str | None = None
    block_what: str | None = None
    for number, line in enumerate(source.split("\n"), start=1):
        here = f"{where} line {number}"
        begin, end = BEGIN.match(line), END.match(line)
        if block_indent is not None:
            if begin:
                raise BuildError(f"{here}: `# BEGIN SOLUTION` inside another solution block; close the first "
                                 "with `# END SOLUTION`.")
            if end:
                out += [f"{block_indent}{BLANK}{f': {block_what}' if block_what else ''}", f"{block_indent}..."]
                block_indent = None
            continue
        if end:
            raise BuildError(f"{here}: `# END SOLUTION` without a `# BEGIN SOLUTION` above it.")
        if begin:
            block_indent, block_what = begin.group(1), begin.group("what")
            markers += 1
        elif LINE_MARKER.search(line):
            if not LINE_MARKER.sub("", line).strip():
                raise BuildError(f"{here}: `# SOLUTION` alone on a line marks nothing; put it at the end of "
                                 "the line to blank, or use `# BEGIN SOLUTION` / `# END SOLUTION`.")
            out.append(blank_line(line, here))
            markers += 1
        else:
            out.append(line)
    if block_indent is not None:
        raise BuildError(f"{where}: `# BEGIN SOLUTION` is never closed; add `# END SOLUTION` after the solution.")
    return "\n".join(out), markers


def _cell_id(index: int, source: str) -> str:
    return "lab-" + hashlib.sha1(f"{index}\n{source}".encode()).hexdigest()[:12]


def _header(solution_rel: str, lab_rel: str) -> nbformat.NotebookNode:
    text = (
        "> **This is your lab notebook: edit it.** Replace each `...  # YOUR CODE HERE` with your code (the text "
        "after `YOUR CODE HERE:` says what to write), run the cells from the top, in order, and read the check "
        "cell under each task: `✓` when a step is right, `✗ … Hint: …` when it is not. Hints under each task open "
        "one level at a time: the idea, then the API, then the code.\n"
        ">\n"
        f"> Stuck? `{solution_rel}` is the worked answer. Your edits are safe: `make labs` keeps a lab you have "
        f"changed, and `dp100 check {lab_rel}` grades a copy of it from a terminal without touching this file."
    )
    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = HEADER_ID
    return cell


def _lab_title(source: str) -> str:
    """'# 05 · Training jobs — solution' -> '# 05 · Training jobs — lab' (first line only)."""
    first, _, rest = source.partition("\n")
    if first.startswith("# ") and TITLE_SUFFIX.search(first):
        first = TITLE_SUFFIX.sub(" — lab", first)
    return first + ("\n" + rest if rest else "")


def make_lab(solution: nbformat.NotebookNode, solution_rel: str, lab_rel: str) -> nbformat.NotebookNode:
    """The lab notebook for one solution notebook (raises BuildError when it is not a valid source)."""
    cells = []
    sources: list[tuple[str, str, bool]] = []  # (type, solution source, has blank) for the cell map
    markers = checks = 0
    for index, cell in enumerate(solution.cells):
        tags = list(cell.get("metadata", {}).get("tags", []))
        where = f"{solution_rel} cell {index + 1}"
        if cell.cell_type == "markdown" and "solution" in tags:
            continue
        source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        metadata: dict = {}
        used = 0
        if cell.cell_type == "code":
            lab_source, used = blank_source(source, where)
            if used and _python_parses(source) and not _python_parses(lab_source):
                raise BuildError(f"{where}: the lab version of this cell is not valid Python; use a "
                                 "`# BEGIN SOLUTION` / `# END SOLUTION` block around whole statements.")
            markers += used
            if "check" in tags:
                checks += 1
                metadata.update(editable=False, deletable=False)  # JupyterLab keeps learners from editing checks
            new = nbformat.v4.new_code_cell(lab_source)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(_lab_title(source) if not cells else source)
            if cell.get("attachments"):
                new.attachments = cell.attachments
        else:
            new = nbformat.v4.new_raw_cell(source)
        tags = [t for t in tags if t != "solution"]
        if tags:
            metadata["tags"] = tags
        new.metadata = nbformat.from_dict(metadata)
        new.id = cell.get("id") or _cell_id(index, source)
        cells.append(new)
        sources.append((cell.cell_type, source, bool(used)))
        if len(cells) == 1:  # the instructions go under the title, so the first heading names the notebook
            title_is_heading = cell.cell_type == "markdown" and source.lstrip().startswith("# ")
            header = _header(solution_rel, lab_rel)
            if title_is_heading:
                cells.append(header)
                sources.append(("markdown", "", False))
            else:
                cells.insert(0, header)
                sources.insert(0, ("markdown", "", False))
    if not markers:
        raise BuildError(f"{solution_rel}: no `# SOLUTION` line or `# BEGIN SOLUTION` block, so the lab would "
                         "have nothing to fill in. Mark the parts learners should write.")
    if not checks:
        raise BuildError(f"{solution_rel}: no cell tagged \"check\". Add check cells (lab.check(...)) and tag them "
                         "\"check\" so learners get feedback.")
    meta = solution.get("metadata", {})
    metadata = {k: meta[k] for k in ("kernelspec", "dp100lab") if k in meta}
    metadata["dp100lab"] = {**metadata.get("dp100lab", {}), "cells": describe_cells(sources)}
    if "language_info" in meta and "name" in meta["language_info"]:
        metadata["language_info"] = {"name": meta["language_info"]["name"]}
    lab = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    lab.nbformat, lab.nbformat_minor = 4, 5
    return lab


def render(nb: nbformat.NotebookNode) -> str:
    """Serialized notebook text (sorted keys, fixed indent, final newline) — byte-stable."""
    nbformat.validate(nb)
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


SUPPORT = "src"  # solutions/src/ (scripts, YAML, conda files the notebooks use) is mirrored to labs/ and notebooks/
_SKIP = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


def _support_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not _SKIP.intersection(p.parts)
                  and not p.name.endswith(".pyc"))


def generate(repo: Repo) -> tuple[dict[Path, bytes], list[str]]:
    """{labs/ path: content} for every solution and support file, and the errors of solutions that cannot build."""
    labs: dict[Path, bytes] = {}
    errors: list[str] = []
    if not repo.solutions.is_dir():
        return labs, errors
    for path in sorted(p for p in repo.solutions.iterdir() if names.is_role("solutions", p.name)):
        lab_name = names.counterpart(path.name, "labs")
        solution_rel, lab_rel = f"solutions/{path.name}", f"labs/{lab_name}"
        try:
            nb = nbformat.read(path, as_version=4)
            labs[repo.labs / lab_name] = render(make_lab(nb, solution_rel, lab_rel)).encode("utf-8")
        except BuildError as exc:
            errors.append(str(exc))
        except Exception as exc:  # unreadable notebook JSON etc.: name the file and the reason
            errors.append(f"{solution_rel}: cannot read it as a notebook ({type(exc).__name__}: {exc}).")
    for path in _support_files(repo.solutions / SUPPORT):
        for mirror in repo.support_mirrors:
            labs[mirror / path.relative_to(repo.solutions / SUPPORT)] = path.read_bytes()
    return labs, errors


def _is_lab(path: Path) -> bool:
    """A module notebook in labs/, under today's name or an older one (NN_topic.ipynb, before the _lab suffix)."""
    return names.stem(path.name) is not None and path.parent.name == "labs"


def _existing_labs(repo: Repo) -> list[Path]:
    """Files the build owns: labs/NN_*.ipynb and everything under labs/src/ and notebooks/src/."""
    notebooks = [p for p in repo.labs.iterdir() if _is_lab(p)] if repo.labs.is_dir() else []
    return sorted(notebooks + [f for mirror in repo.support_mirrors for f in _support_files(mirror)])


def drift(repo: Repo, labs: dict[Path, bytes]) -> list[str]:
    """Lines describing every lab file that is missing, different or has no source in solutions/."""
    problems = []
    for path, content in labs.items():
        rel = path.relative_to(repo.root).as_posix()
        if not path.exists():
            problems.append(f"missing:   {rel}")
        elif path.read_bytes() != content:
            problems.append(f"different: {rel}")
    for path in _existing_labs(repo):
        if path not in labs:
            parts = path.relative_to(repo.root).parts[1:]
            if _is_lab(path):
                parts = (names.counterpart(path.name, "solutions"),)
            source = Path("solutions", *parts).as_posix()
            problems.append(f"extra:     {path.relative_to(repo.root).as_posix()} (no {source})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dp100lab.labs.build", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if labs/ is out of date")
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: the one with solutions/)")
    parser.add_argument("--force", action="store_true",
                        help="maintainers: overwrite labs/ even where it differs from the last build (learner edits lost)")
    args = parser.parse_args(argv)
    repo = Repo((args.root or default_root()).resolve())
    labs, errors = generate(repo)
    if errors:
        print(f"Cannot build labs from {len(errors)} solution notebook(s):", file=sys.stderr)
        for error in errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    count = sum(_is_lab(p) and p.parent == repo.labs for p in labs)
    if args.check:
        problems = drift(repo, labs)
        manifest = repo.labs / MANIFEST
        if labs and (not manifest.exists() or manifest.read_bytes() != protect.manifest_bytes(repo.root, labs)):
            problems.append(f"different: labs/{MANIFEST}" if manifest.exists() else f"missing:   labs/{MANIFEST}")
        if problems:
            print("labs/ is out of date with solutions/:", file=sys.stderr)
            for line in problems:
                print(f"  {line}", file=sys.stderr)
            print("Run `make labs` and commit the result.", file=sys.stderr)
            return 1
        print(f"{count} labs up to date with solutions/.")
        return 0
    if not labs:
        print(f"0 labs in {repo.labs}.")
        return 0
    protect.move_renamed(repo.root, repo.labs / MANIFEST, labs, _existing_labs(repo))
    changed, kept = protect.write(repo.root, repo.labs / MANIFEST, labs, _existing_labs(repo), is_lab=_is_lab,
                                   force=args.force)
    for rel in kept:
        print(f"kept {rel}: it has your edits (or outputs from running it), so it was not overwritten. To get the "
              f"new version, rename or move your copy and run `make labs` again (maintainers: --force).")
    print(f"{count} labs ({changed} files written{f', {len(kept)} kept' if kept else ''}) in {repo.labs}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
