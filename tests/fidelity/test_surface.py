"""Never an AttributeError: every operation group and public method of the real azure.ai.ml.MLClient (built
offline, as in test_portability.py) exists on the local client, implemented or answering with the one line that
says what Azure would do. `pytest -s` prints what is recorded only (client.RECORDED_ONLY / RECORDED_METHODS).
"""
from __future__ import annotations

import inspect
from functools import lru_cache

import pytest

from dp100lab.workspace import client as local_client
from dp100lab.workspace.client import LocalMLClient


@lru_cache(maxsize=None)
def real_client():
    """The real MLClient, built offline: it constructs its operation groups without calling Azure."""
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    return MLClient(DefaultAzureCredential(), "00000000-0000-0000-0000-000000000000", "rg", "ws")


def _groups(client) -> dict:
    """name -> operations object for every operation group of the real MLClient."""
    names = [n for n in dir(type(client)) if not n.startswith("_") and isinstance(getattr(type(client), n), property)]
    return {n: getattr(client, n) for n in names if type(getattr(client, n)).__name__.endswith("Operations")}


def _methods(ops) -> list[str]:
    return sorted(m for m in dir(type(ops)) if not m.startswith("_") and callable(getattr(type(ops), m)))


@pytest.fixture
def local(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return LocalMLClient(tmp_path / "home", hold=False, set_mlflow=False)


def test_every_group_and_method_of_the_real_client_exists_locally(local):
    real = real_client()
    groups = _groups(real)
    assert {"jobs", "data", "connections", "registries"} <= set(groups)  # the offline client really has them
    missing, recorded = [], []
    for name, ops in sorted(groups.items()):
        mine = getattr(local, name, None)
        if mine is None:
            missing.append(f"group ml_client.{name}")
            continue
        whole = name in local_client.RECORDED_ONLY
        for method in _methods(ops):
            if not callable(getattr(mine, method, None)):
                missing.append(f"ml_client.{name}.{method}")
            elif whole or method in local_client.RECORDED_METHODS.get(name, {}):
                recorded.append(f"ml_client.{name}.{method}")
    for method in ("create_or_update", "begin_create_or_update", "from_config"):
        if not callable(getattr(local, method, None)):
            missing.append(f"ml_client.{method}")
    print("\nrecorded only (one line each, what Azure would do):\n  " + "\n  ".join(recorded))
    assert not missing, ("the real MLClient has these, the local one does not (implement them, or add them to "
                         "client.RECORDED_METHODS):\n" + "\n".join(missing))


def test_the_recorded_lists_name_only_what_azure_has(local):
    """A recorded-only entry for a method Azure does not have (or one the local group now implements) is stale."""
    groups = _groups(real_client())
    assert set(local_client.RECORDED_ONLY) <= set(groups)
    for name, methods in local_client.RECORDED_METHODS.items():
        built = type(getattr(local, name))
        for method in methods:
            assert hasattr(type(groups[name]), method), f"Azure's {name} has no {method}"
            assert not hasattr(built, method), f"{built.__name__}.{method} is implemented: drop it from the list"


def test_a_recorded_method_is_recorded_and_says_what_azure_would_do(local, capsys):
    assert local.compute.list_nodes("cpu-cluster") is not None  # an iterable, as the SDK's
    poller = local.workspaces.begin_sync_keys("local")
    assert hasattr(poller, "result")
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["[local] ml_client.compute.list_nodes is recorded only: on Azure this would list the nodes of a "
                   "compute cluster.",
                   "[local] ml_client.workspaces.begin_sync_keys is recorded only: on Azure this would "
                   "resynchronize the keys of the workspace's storage, registry and insights."]
    calls = [r["name"] for r in local.store.list("recorded_call")]
    assert sorted(calls) == ["compute.list_nodes", "workspaces.begin_sync_keys"]
    with pytest.raises(AttributeError):  # a name the real MLClient lacks is still an error, as on Azure
        local.compute.teleport("x")
    with pytest.raises(AttributeError, match="'RegistryOperations' object has no attribute 'teleport'"):
        local.registries.teleport("x")
    assert list(local.registries.list()) == []  # a whole recorded-only group: the SDK's methods only


def test_signatures_of_implemented_methods_take_azures_keywords(local):
    """Each keyword a real group method names (keyword-only or not) is accepted by the local method."""
    problems = []
    for name, ops in sorted(_groups(real_client()).items()):
        mine = getattr(local, name)
        if name in local_client.RECORDED_ONLY:
            continue
        for method in _methods(ops):
            if method in local_client.RECORDED_METHODS.get(name, {}):
                continue
            theirs = inspect.signature(getattr(ops, method)).parameters
            ours = inspect.signature(getattr(mine, method)).parameters
            if any(p.kind is p.VAR_KEYWORD for p in ours.values()):
                continue
            lacking = [k for k, p in theirs.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
                       and k not in ours]
            if lacking:
                problems.append(f"ml_client.{name}.{method} lacks {lacking}")
    print("\nkeywords Azure takes that the local method does not:\n  " + "\n  ".join(problems))
    assert not [p for p in problems if p.startswith(("ml_client.connections.", "ml_client.data."))], problems
