"""Portability: every ml_client.<group>.<method>(...) call in the course's notebooks exists on the real
azure.ai.ml.MLClient, with keyword names its signature accepts, so the same code runs on Azure.

The real client is built offline (MLClient constructs its operation groups without calling Azure). Calls are found
with ast in the code cells of notebooks/, labs/ and solutions/, on any variable whose name ends in "ml_client"
(ml_client, registry_ml_client, ...). IPython magics and shell lines are blanked before parsing.
"""
from __future__ import annotations

import ast
import inspect
import re
from functools import lru_cache
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p for d in ("notebooks", "labs", "solutions") for p in (ROOT / d).glob("*.ipynb"))
_CLIENT_VAR = re.compile(r"(^|_)ml_client$")


@lru_cache(maxsize=None)
def real_client():
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    return MLClient(DefaultAzureCredential(), "00000000-0000-0000-0000-000000000000", "rg", "ws")


def _source(cell) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())


def calls(path: Path):
    """(cell index, line, dotted call, keyword names) of every call on an *ml_client variable."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_source(cell))
        except SyntaxError:
            continue  # a lab blank such as `x = ...  # TODO` that is not Python yet
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            chain, cur = [], node.func
            while isinstance(cur, ast.Attribute):
                chain.insert(0, cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name) and _CLIENT_VAR.search(cur.id) and len(chain) <= 2:
                kws = [k.arg for k in node.keywords if k.arg]
                yield index, node.lineno, [cur.id, *chain], kws


def problem(chain: list[str], kws: list[str]) -> str | None:
    """Why this call would fail on the real MLClient, or None."""
    obj, owner = real_client(), "MLClient"
    for name in chain[1:]:
        if not hasattr(obj, name):
            return f"{owner} has no attribute '{name}'"
        obj, owner = getattr(obj, name), f"{owner}.{name}"
    if not callable(obj):
        return f"{owner} is not callable"
    params = inspect.signature(obj).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return None
    unknown = [k for k in kws if k not in params]
    return f"{owner}() takes no keyword(s) {unknown}" if unknown else None


def test_the_offline_real_client_has_the_groups():
    assert hasattr(real_client(), "jobs") and hasattr(real_client().data, "create_or_update")
    assert problem(["ml_client", "environments", "get"], ["version"]) is None
    assert "no attribute 'teleport'" in problem(["ml_client", "jobs", "teleport"], [])
    assert "keyword(s) ['colour']" in problem(["ml_client", "data", "get"], ["colour"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_ml_client_call_exists_on_azure(path):
    found = list(calls(path))
    bad = [f"{path.parent.name}/{path.name} cell {i} line {line}: {'.'.join(chain)}({', '.join(k + '=' for k in kws)})"
           f" -> {why}" for i, line, chain, kws in found if (why := problem(chain, kws))]
    assert not bad, "calls that would fail on azure.ai.ml.MLClient:\n" + "\n".join(bad)
