"""DP-100 retired on 2026-06-01: `dp100 quiz` and `dp100 exam` default to AI-300, the live exam, and say so in one
line at the start; --outline dp100 (or a dp100- prefixed id) still gives the DP-100 outline, and a mock exam
started under DP-100 resumes as DP-100."""
from __future__ import annotations

import json
import subprocess
import sys

from dp100lab.exam import outlines
from dp100lab.exam.bank import load_bank
from dp100lab.exam.mock import build_exam

from exam_helpers import GOOD, shown

CLI = [sys.executable, "-m", "dp100lab.exam.cli"]


def run(args, typed=""):
    return subprocess.run(CLI + args, input=typed, capture_output=True, text=True)


def test_status_line_names_the_outline_and_the_retirement_in_the_past_tense():
    ai, dp = outlines.status_line("ai300"), outlines.status_line("DP-100")
    assert ai.startswith("Outline: AI-300 (Operationalizing Machine Learning and Generative AI Solutions), the live exam")
    assert dp.startswith("Outline: DP-100 (Designing and Implementing a Data Science Solution on Azure)")
    for line in (ai, dp):
        assert "DP-100 retired on 2026-06-01" in line and "\n" not in line
    assert "AI-300 is the live exam" in dp and outlines.LIVE == "ai300"


def test_quiz_defaults_to_ai300_and_says_so_first():
    q = load_bank(GOOD).by_id()["t-single-1"]  # dp100-1.2.3, which the crosswalk maps to AI-300
    r = run(["quiz", "--bank", str(GOOD), "--module", "01", "--seed", "4"], shown(q, "A", 4) + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == outlines.status_line("ai300")
    assert "1 answered, 100% right" in r.stdout


def test_quiz_domain_numbers_mean_ai300_domains_by_default():
    r = run(["quiz", "--bank", str(GOOD), "--domain", "banana"])
    assert r.returncode == 2
    assert "unknown AI-300 domain 'banana'. Valid domains: 1 = Design and implement an MLOps infrastructure" in r.stderr


def test_a_dp100_prefixed_domain_picks_the_dp100_outline():
    q = load_bank(GOOD).by_id()["t-single-1"]  # DP-100 domain 1
    r = run(["quiz", "--bank", str(GOOD), "--domain", "dp100-1", "--module", "01", "--seed", "4"],
            shown(q, "A", 4) + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == outlines.status_line("dp100")
    assert "1 answered, 100% right" in r.stdout


def test_exam_defaults_to_ai300_and_dp100_stays_available(home):
    r = run(["exam", "--bank", str(GOOD), "--questions", "3", "--seed", "2"], "q\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == outlines.status_line("ai300") and lines[1].startswith("AI-300 mock exam: 3 questions")
    session = json.loads((home / "progress" / "mock_session.json").read_text())
    assert session["outline"] == "ai300"
    assert session["qids"] == build_exam(load_bank(GOOD), 3, seed=2, outline="ai300")

    r = run(["exam", "--new", "--outline", "dp100", "--bank", str(GOOD), "--questions", "3", "--seed", "2"], "q\n")
    assert r.returncode == 0, r.stderr
    assert outlines.status_line("dp100") in r.stdout and "DP-100 mock exam: 3 questions" in r.stdout
    assert json.loads((home / "progress" / "mock_session.json").read_text())["outline"] == "dp100"


def test_an_unfinished_dp100_exam_resumes_as_dp100_under_the_new_default(home):
    r = run(["exam", "--outline", "dp100", "--bank", str(GOOD), "--questions", "3", "--seed", "5"], "q\n")
    assert r.returncode == 0, r.stderr
    path = home / "progress" / "mock_session.json"
    saved = json.loads(path.read_text())
    del saved["outline"]  # sessions saved before --outline existed were DP-100 exams
    path.write_text(json.dumps(saved))
    r = run(["exam", "--bank", str(GOOD)], "f\ny\n")  # no --outline: the default is AI-300 now
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == outlines.status_line("dp100")
    assert "(that exam is DP-100; --outline applies to the next one)" in r.stdout
    assert "DP-100 mock exam results: 3 questions" in r.stdout
