"""Issue 8: a candidate answering by position alone scores at most 40% through `dp100 quiz` and `dp100 exam`.

Before shuffling the same candidate scored 93% in `dp100 quiz` and 98% in a 50-question `dp100 exam`.
"""
from __future__ import annotations

import pytest

from dp100lab.exam.bank import load_bank
from dp100lab.exam.engine import render
from dp100lab.exam.layout import make_layout, view
from dp100lab.exam.term import to_text

from exam_helpers import GOOD
from position_candidate import answer_for, drive, mean_score

MAX_SCORE = 0.40
BANK = load_bank()


def test_the_candidate_reads_each_question_type_from_the_screen():
    """The candidate must answer what is on screen, or its low score would prove nothing."""
    good = load_bank(GOOD).by_id()
    want = {"t-single-1": "A", "t-code-1": "A", "t-multi-1": "A B", "t-order-1": "A B C", "t-yesno-1": "Y Y"}
    for qid, typed in want.items():
        q = good[qid]
        screen = to_text(render(view(q, make_layout(q, 1)), header="[1/5]")) + "> "
        assert answer_for(screen) == typed, screen


@pytest.mark.parametrize("seed", [11, 2027])
def test_position_only_candidate_in_dp100_quiz(home, seed):
    drive(["quiz", "--outline", "dp100", "-n", str(len(BANK.questions)), "--seed", str(seed)], str(home))
    score, answered = mean_score(str(home), "practice")
    assert answered == len(BANK.questions)  # it went through the whole bank
    assert score <= MAX_SCORE, f"answering by position alone scored {score:.1%}"


@pytest.mark.parametrize("outline", ["dp100", "ai300"])
def test_position_only_candidate_in_dp100_exam(home, outline):
    transcript = drive(["exam", "--questions", "50", "--seed", "11", "--outline", outline], str(home))
    score, answered = mean_score(str(home), "mock")
    assert answered == 50 and "mock exam results: 50 questions" in transcript
    assert score <= MAX_SCORE, f"answering by position alone scored {score:.1%} in the {outline} mock exam"
