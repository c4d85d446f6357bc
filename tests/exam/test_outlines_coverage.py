"""Outlines as data (ids, weights, sources, verification flags), the crosswalk, and the coverage report."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from dp100lab.exam import coverage, outlines
from dp100lab.exam.bank import load_bank

from exam_helpers import GOOD


def test_dp100_outline_shape_ids_and_weights():
    dp = outlines.dp100()
    assert dp.exam == "DP-100" and dp.raw["retired"] == "2026-06-01" and dp.raw["successor"] == "AI-300"
    assert [(d.weight_min, d.weight_max) for d in dp.domains] == [(20, 25), (20, 25), (25, 30), (25, 30)]
    assert len(dp.skills) == 65 and all(re.fullmatch(r"dp100-\d\.\d\.\d", s) for s in dp.skills)
    assert dp.skills["dp100-3.4.2"].text == "Deploy a model to an online endpoint"  # a stable id questions cite
    for d in dp.raw["domains"]:
        for g in d["groups"]:
            for s in g["skills"]:
                assert isinstance(s["confirmed"], bool) and s["evidence"]
    assert dp.source.startswith("https://learn.microsoft.com/") and dp.raw["source_accessed"]


def test_ai300_outline_shape_and_source():
    ai = outlines.ai300()
    assert ai.exam == "AI-300" and ai.source.endswith("/study-guides/ai-300")
    assert [(d.weight_min, d.weight_max) for d in ai.domains] == [(15, 20), (25, 30), (20, 25), (10, 15), (10, 15)]
    assert len(ai.skills) == 58 and all(re.fullmatch(r"ai300-\d\.\d\.\d", s) for s in ai.skills)
    assert "2026-03-05" in ai.outline_version and ai.raw["verification"]


def test_crosswalk_maps_every_dp100_skill_to_real_ai300_ids():
    cw, dp, ai = outlines.crosswalk(), outlines.dp100(), outlines.ai300()
    assert set(cw) == set(dp.skills)
    assert all(a in ai.skills for ids in cw.values() for a in ids)
    notes = outlines.crosswalk_notes()
    assert all(k in notes for k, v in cw.items() if not v)  # a dropped skill always says why
    assert outlines.ai300_for(["dp100-3.4.2"]) == ["ai300-2.3.1"]
    assert outlines.ai300_for(["dp100-3.4.2"], explicit=["ai300-2.3.3"]) == ["ai300-2.3.3"]


def _nb(path, meta):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": [], "metadata": {"dp100lab": meta}, "nbformat": 4, "nbformat_minor": 5}))


def test_coverage_from_notebooks_labs_and_questions(tmp_path):
    _nb(tmp_path / "notebooks" / "05_training_jobs.ipynb", {"module": "05", "skills": ["dp100-3.1.1"]})
    _nb(tmp_path / "solutions" / "09_online.ipynb", {"module": "09", "skills": ["dp100-3.4.2"], "ai300": ["ai300-2.3.3"]})
    _nb(tmp_path / "labs" / "09_online.ipynb", {"module": "09", "skills": ["dp100-3.4.2"]})
    cov = coverage.compute(tmp_path, load_bank(GOOD))
    dp = {r.skill: r for r in cov["dp100"]}
    ai = {r.skill: r for r in cov["ai300"]}
    assert dp["dp100-3.1.1"].modules == {"05"} and dp["dp100-3.1.1"].questions == ["t-code-1"]
    assert dp["dp100-3.4.2"].modules == {"09"} and dp["dp100-3.4.2"].labs == {"09_online"}
    assert dp["dp100-4.4.4"].uncovered
    assert ai["ai300-2.3.3"].modules == {"09"}  # explicit ai300 list in metadata
    assert ai["ai300-2.3.1"].questions == ["t-order-1", "t-yesno-1"] and ai["ai300-2.3.1"].labs == {"09_online"}
    text = coverage.text_report(cov)
    assert "Uncovered (no module, lab or question):" in text and "dp100-4.4.4" in text
    md = coverage.write_markdown(cov, tmp_path / "docs" / "coverage.md").read_text()
    assert md.startswith("# Skills coverage") and "| dp100-3.4.2 | Deploy a model to an online endpoint | no | 09 | 09_online | 1 |" in md
    assert "## AI-300: Operationalizing Machine Learning and Generative AI Solutions" in md


def test_coverage_cli_writes_markdown(tmp_path):
    out = tmp_path / "cov.md"
    r = subprocess.run([sys.executable, "-m", "dp100lab.exam.cli", "coverage", "--bank", str(GOOD), "--root",
                        str(tmp_path), "--markdown", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "DP100: 5/65 bullets covered" in r.stdout and out.exists()


def test_outline_files_are_plain_yaml():
    for name in ("dp100", "ai300", "crosswalk"):
        assert yaml.safe_load((outlines.OUTLINES_DIR / f"{name}.yaml").read_text())


def test_committed_coverage_report_is_current():
    """README links docs/coverage.md: it must say what the bank and notebooks say now."""
    root = Path(__file__).resolve().parents[2]
    committed = (root / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert committed == coverage.markdown(coverage.compute(root)), \
        "docs/coverage.md is stale: run `dp100 coverage --markdown` and commit it"
