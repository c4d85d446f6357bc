"""The real question bank: no defects, the issue's thresholds, and every code answer proven by execution."""
from __future__ import annotations

import pytest

from dp100lab.exam.bank import load_bank
from dp100lab.exam.checks_runner import run_check
from dp100lab.exam.validate import MIN_PER_SKILL, MIN_TOTAL, validate

BANK = load_bank()
CODE = [q for q in BANK.questions if q.type == "code"]


def test_real_bank_has_no_defects():
    rep = validate()
    assert not rep.defects, "\n".join(map(str, rep.defects))


def test_real_bank_meets_thresholds():
    """At least 300 questions, >= 3 per DP-100 bullet, each domain's share near its exam weight."""
    rep = validate()
    assert (MIN_TOTAL, MIN_PER_SKILL) == (300, 3)  # the numbers; do not lower them to pass
    assert not rep.shortfalls, "\n".join(rep.shortfalls) + "\n" + rep.text().splitlines()[-1]


@pytest.mark.parametrize("qid", [q.id for q in CODE])
def test_code_answer_proven_by_execution(qid):
    res = run_check(BANK.by_id()[qid])
    assert res.ok, str(res)


@pytest.mark.parametrize("outline", ["dp100", "ai300", "both"])
def test_real_bank_validates_for_each_outline(outline):
    """Issue 8: the bank is weighted like each exam's domains, so the validator passes for either outline."""
    rep = validate(outline=outline)
    assert rep.ok, rep.text()
