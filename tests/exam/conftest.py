"""Fixtures for the exam engine tests: a private progress store per test and bank builders in tmp folders."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from dp100lab.exam import outlines

from exam_helpers import GOOD, single  # noqa: F401 - re-exported for fixtures


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """Every test gets its own DP100LAB_HOME, so progress files never leak between tests."""
    h = tmp_path / "home"
    monkeypatch.setenv("DP100LAB_HOME", str(h))
    return h


@pytest.fixture
def good_raw() -> dict:
    return yaml.safe_load((GOOD / "sample.yaml").read_text())


@pytest.fixture
def make_bank(tmp_path):
    """make_bank({"file.yaml": doc_or_text, ...}) -> folder path."""
    counter = {"n": 0}

    def _make(files: dict) -> Path:
        counter["n"] += 1
        d = tmp_path / f"bank{counter['n']}"
        d.mkdir()
        for name, doc in files.items():
            text = doc if isinstance(doc, str) else yaml.dump(copy.deepcopy(doc), Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)
            (d / name).write_text(text)
        return d

    return _make


@pytest.fixture
def full_bank(make_bank):
    """A bank that meets every threshold: 4-6 questions per DP-100 bullet (312), shares inside the exam weights."""
    import random

    rng = random.Random(7)
    per_domain = {"dp100-1": 6, "dp100-2": 5, "dp100-3": 4, "dp100-4": 5}
    qs = []
    for sid, skill in outlines.dp100().skills.items():
        for k in range(per_domain[skill.domain_id]):
            qid = f"f-{sid.split('-')[1].replace('.', '-')}-{k}"
            words = " ".join(f"w{rng.randrange(5000)}" for _ in range(10))  # unique stems, no near-duplicates
            qs.append(single(qid, sid, stem=f"{words}?"))
    return make_bank({"full.yaml": {"bank_version": 1, "questions": qs}})
