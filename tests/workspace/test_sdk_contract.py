"""Every azure-ai-ml private name the local workspace uses exists in the installed SDK (workspace/_sdk.py).

When a pin upgrade moves one, this test names the symbol that moved, instead of a job failing mysteriously."""
import ast
import importlib
from pathlib import Path

import pytest

import dp100lab.workspace._sdk as sdk

WORKSPACE = Path(sdk.__file__).parent


def test_private_imports_of_sdk_module_resolve():
    tree = ast.parse(Path(sdk.__file__).read_text())
    for node in ast.walk(tree):  # top-level and function-local imports alike
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("azure.ai.ml"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module}.{alias.name} moved"


@pytest.mark.parametrize("owner,members", sorted(sdk.MEMBERS.items()))
def test_private_members_exist(owner, members):
    from azure.ai.ml import entities
    from azure.ai.ml.entities._builders import BaseNode

    # a concrete class of each owner, as the workspace calls them
    cls = {"Job": entities.CommandJob, "BaseNode": entities.Command, "Resource": entities.Data,
           "Component": entities.CommandComponent}.get(owner) or getattr(entities, owner, None) or BaseNode
    for m in members:
        assert hasattr(cls, m), f"azure.ai.ml {owner}.{m} is gone: update dp100lab/workspace/_sdk.py"


def test_no_other_module_imports_private_sdk_names():
    offenders = []
    for f in WORKSPACE.rglob("*.py"):
        if f.name == "_sdk.py":
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("azure.ai.ml") \
                    and any(part.startswith("_") for part in node.module.split(".")):
                offenders.append(f"{f.relative_to(WORKSPACE)}: from {node.module} import ...")
    assert not offenders, "private azure-ai-ml imports outside _sdk.py:\n" + "\n".join(offenders)
