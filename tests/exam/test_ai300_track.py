"""AI-300 as a track: questions tagged with ai300 skills, selection and mock exams by AI-300 domain weights,
progress and coverage for both outlines. `dp100 exam --outline ai300` is driven end to end through stdin."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest
import yaml

from dp100lab.exam import outlines
from dp100lab.exam.bank import load_bank
from dp100lab.exam.engine import SelectionError, select
from dp100lab.exam.mock import build_exam, quotas
from dp100lab.exam.outlines import domain_of

from exam_helpers import GOOD, shown


def ai(qid, skill, stem, options, answer, module="12"):
    return {"id": qid, "type": "single", "stem": stem, "options": options, "answer": answer,
            "explanation": {"summary": "See the reference.", "options": {k: f"About {k}." for k in options}},
            "skills": [skill], "difficulty": 1, "module": module,
            "reference": "https://learn.microsoft.com/en-us/azure/ai-foundry/"}


AI_QS = [
    ai("x-gh-1", "ai300-1.3.3", "Where does GitHub Actions look for workflow files in a repository?",
       {"A": "`.github/workflows/`", "B": "`.azure/pipelines/`", "C": "`workflows/` at the root"}, "A"),
    ai("x-prompt-1", "ai300-3.3.2", "Two prompt variants must be compared fairly. What do you keep the same?",
       {"A": "The wording of both prompts", "B": "The evaluation dataset and the metrics", "C": "Nothing"}, "B"),
    ai("x-ground-1", "ai300-4.1.2", "Which quality metric asks whether an answer is supported by the given context?",
       {"A": "Fluency", "B": "Coherence", "C": "Groundedness"}, "C"),
    ai("x-cost-1", "ai300-4.2.3", "Standard (pay-as-you-go) Azure OpenAI deployments are billed by what?",
       {"A": "Tokens processed", "B": "Hours the deployment exists", "C": "Number of prompts saved"}, "A"),
    ai("x-hybrid-1", "ai300-5.1.3", "Hybrid search in Azure AI Search combines which two kinds of query?",
       {"A": "Full-text (keyword) and vector", "B": "SQL and Gremlin", "C": "Two vector indexes only"}, "A"),
]


@pytest.fixture
def ai_bank(make_bank):
    good = yaml.safe_load((GOOD / "sample.yaml").read_text())
    return make_bank({"sample.yaml": good, "ai300_x.yaml": {"bank_version": 1, "questions": AI_QS}})


def test_questions_tagged_with_ai300_skills_load_and_count_for_ai300_only(ai_bank):
    bank = load_bank(ai_bank)
    assert not bank.issues
    q = bank.by_id()["x-ground-1"]
    assert outlines.skills_of(q, "ai300") == ["ai300-4.1.2"] and outlines.skills_of(q, "dp100") == []
    assert domain_of(q, outlines.ai300()) == "ai300-4" and domain_of(q, outlines.dp100()) is None
    t = bank.by_id()["t-order-1"]  # a DP-100 question reaches AI-300 through the crosswalk
    assert domain_of(t, outlines.ai300()) == "ai300-2"


def test_select_by_ai300_domain_and_skill(ai_bank):
    bank = load_bank(ai_bank)
    assert {q.id for q in select(bank, domain="4", outline="ai300")} == {"x-ground-1", "x-cost-1"}
    assert [q.id for q in select(bank, skill="3.3.2", outline="ai300")] == ["x-prompt-1"]
    assert [q.id for q in select(bank, skill="ai300-5.1", outline="ai300")] == ["x-hybrid-1"]
    with pytest.raises(SelectionError, match=r"unknown AI-300 domain '6'. Valid domains: 1 = Design and implement an MLOps"):
        select(bank, domain="6", outline="ai300")
    assert "x-ground-1" not in {q.id for q in select(bank, domain="4")}  # DP-100 domain 4 is another topic


def test_ai300_exam_draws_by_ai300_weights(ai_bank):
    bank = load_bank(ai_bank)
    ids = build_exam(bank, 8, seed=4, outline="ai300")
    assert len(ids) == len(set(ids)) == 8
    assert all(domain_of(bank.by_id()[i], outlines.ai300()) for i in ids)
    assert quotas(50, outlines.ai300()) == {"ai300-1": 9, "ai300-2": 15, "ai300-3": 12, "ai300-4": 7, "ai300-5": 7}


def test_real_bank_ai300_exam_follows_the_weights():
    """Acceptance for the AI-300 question files: enough questions per AI-300 domain for a 50-question exam."""
    bank = load_bank()
    ids = build_exam(bank, 50, seed=1, outline="ai300")
    got = Counter(domain_of(bank.by_id()[i], outlines.ai300()) for i in ids)
    want = quotas(50, outlines.ai300())
    short = {d: (got.get(d, 0), k) for d, k in want.items() if got.get(d, 0) < k}
    assert len(ids) == 50
    assert not short, f"AI-300 domains without enough questions for their weight (drawn, wanted): {short}"


def right_answers(bank, n, seed, outline):
    """The keys, typed in the layout this seed gives each question of the exam the CLI will draw."""
    out = []
    for qid in build_exam(bank, n, seed, outline):
        q = bank.by_id()[qid]
        out.append("Y N" if q.type == "yesno" else shown(q, q.answer, seed))
    return out


def test_dp100_exam_outline_ai300_end_to_end(ai_bank, home):
    bank = load_bank(ai_bank)
    cli = [sys.executable, "-m", "dp100lab.exam.cli"]
    answers = right_answers(bank, 8, 9, "ai300")
    r = subprocess.run(cli + ["exam", "--outline", "ai300", "--bank", str(ai_bank), "--questions", "8", "--seed", "9"],
                       input="\n".join(answers + ["f"]) + "\n", capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "AI-300 mock exam: 8 questions" in out and "AI-300 mock exam results: 8 questions" in out
    for d in outlines.ai300().domains:
        assert f"{d.id} {d.title}"[:40] in out  # every AI-300 domain has its row
    assert "Overall 100% -> estimated 1000/1000" in out
    mocks = json.loads((home / "progress" / "progress.json").read_text())["mocks"]
    assert mocks[-1]["outline"] == "ai300" and set(mocks[-1]["per_domain"]) == set(outlines.ai300().domain_ids)

    p = subprocess.run(cli + ["progress", "--bank", str(ai_bank)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "DP-100 view" in p.stdout and "AI-300 view" in p.stdout and "Last AI-300 mock exam" in p.stdout
    drawn = [bank.by_id()[i] for i in build_exam(bank, 8, 9, "ai300") if i.startswith("x-")]
    skill = drawn[0].skills[0].split("-")[1]  # an AI-300 bullet only the tagged question covers
    ai_part = p.stdout.split("AI-300 view", 1)[1].splitlines()
    assert any(line.startswith(f"  {skill} ") and "100%" in line and "1/1" in line for line in ai_part), skill

    c = subprocess.run(cli + ["coverage", "--bank", str(ai_bank)], capture_output=True, text=True, timeout=120)
    assert c.returncode == 0, c.stderr
    assert "DP100:" in c.stdout and "AI300:" in c.stdout
    row = next(line for line in c.stdout.splitlines() if line.startswith("ai300-4.1.2"))
    assert row.split()[3] == "1", row  # Skill, Modules, Labs, Qs: the tagged question counts for its AI-300 bullet


def test_quiz_cli_by_ai300_domain(ai_bank):
    bank = load_bank(ai_bank)
    q = bank.by_id()["x-hybrid-1"]
    r = subprocess.run([sys.executable, "-m", "dp100lab.exam.cli", "quiz", "--outline", "ai300", "--domain", "5",
                        "--bank", str(ai_bank), "--seed", "3"], input=shown(q, "A", 3) + "\n",
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "x-hybrid-1" in r.stdout and "1 answered, 100% right" in r.stdout
