"""Mock exam end to end: drawing by weight, timer (injected clock), mark-for-review, resume, results."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter

import pytest

from dp100lab.exam import outlines
from dp100lab.exam.bank import load_bank
from dp100lab.exam.layout import Layout
from dp100lab.exam.mock import ESTIMATE_NOTE, MockExam, build_exam, quotas
from dp100lab.exam.store import ProgressStore
from dp100lab.exam.validate import domain_of

from exam_helpers import GOOD, shown


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def script(lines, clock=None, step=0.0):
    """Input function feeding lines; each answer 'takes' `step` seconds on the fake clock."""
    it = iter(lines)

    def _input(prompt=""):
        if clock is not None:
            clock.t += step
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    return _input


def test_quotas_follow_domain_weights():
    q = quotas(50, outlines.dp100())
    assert q == {"dp100-1": 11, "dp100-2": 11, "dp100-3": 14, "dp100-4": 14}
    assert sum(quotas(37, outlines.dp100()).values()) == 37


def test_build_exam_draws_by_weight(full_bank):
    bank = load_bank(full_bank)
    ids = build_exam(bank, 50, seed=1)
    assert len(ids) == len(set(ids)) == 50
    by = Counter(domain_of(bank.by_id()[i], outlines.dp100()) for i in ids)
    assert by == Counter({"dp100-1": 11, "dp100-2": 11, "dp100-3": 14, "dp100-4": 14})
    assert build_exam(bank, 50, seed=1) == ids  # reproducible with a seed


def test_case_study_questions_stay_together_at_the_end():
    bank = load_bank(GOOD)
    ids = build_exam(bank, 5, seed=2)
    assert ids[-1] == "t-yesno-1" and sorted(ids) == sorted(q.id for q in bank.questions)


def typed(ex, qid, stored: str) -> str:
    """What to type in this exam for an answer written in stored keys ("A B"; yes/no answers as they are)."""
    q = ex.by_id[qid]
    if q.type == "yesno":
        return stored
    keys = stored.split()
    return shown(q, keys if q.type in ("multiple", "ordering") else keys[0], layout=ex.state["layouts"][qid])


def _exam(bank, clock, lines, step=1.0, out=None):
    store = ProgressStore()
    ex = MockExam(bank, store, script(lines, clock, step), out or io.StringIO(), clock)
    return ex, store


def test_full_run_mark_navigate_finish_results():
    bank, clock, out = load_bank(GOOD), FakeClock(), io.StringIO()
    ex, store = _exam(bank, clock, [], out=out)
    ex.start(n=5, minutes=100, seed=2)
    order = ex.state["qids"]
    right = {"t-single-1": "A", "t-multi-1": "A B", "t-order-1": "B A C", "t-code-1": "B", "t-yesno-1": "Y N"}
    lines = []
    for i, qid in enumerate(order):
        if i == 0:
            lines += ["m"]  # mark the first question, then answer it
        lines += [typed(ex, qid, right[qid])]
    lines += ["r", "g 1", "p", "n", "f"]
    ex.input_fn = script(lines, clock, 60)
    res = ex.run()
    text = out.getvalue()
    assert res["questions"] == 5 and res["wrong"] == ["t-code-1"]  # B is the wrong fragment
    assert res["raw"] == 0.8 and res["scaled_estimate"] == 800 and res["passed_estimate"]
    assert res["marked"] == [order[0]]
    assert res["per_domain"]["dp100-3"] == pytest.approx(2 / 3, abs=1e-3) and res["per_domain"]["dp100-4"] is None
    assert "Answered 5/5. Unanswered: none. Marked for review: 1." in text
    assert "estimated 800/1000 (pass mark 700): PASS." in text and ESTIMATE_NOTE in text
    assert "--- t-code-1 (dp100-3.1.1) ---" in text  # wrong answers come back with their explanation
    assert not ex.path.exists()  # finished: nothing left to resume
    again = ProgressStore()
    assert len(again.attempts) == 5 and again.data["mocks"][0]["scaled_estimate"] == 800
    assert {"t-code-1", order[0]} <= set(k for k, v in again.data["cards"].items() if v)  # wrong + marked -> review


def test_timer_expiry_with_injected_clock():
    bank, clock, out = load_bank(GOOD), FakeClock(), io.StringIO()
    ex, store = _exam(bank, clock, [], out=out)
    ex.start(n=5, minutes=2, seed=2)
    first = ex.state["qids"][0]
    right = {"t-single-1": "A", "t-multi-1": "A B", "t-order-1": "B A C", "t-code-1": "A", "t-yesno-1": "Y N"}
    ex.input_fn = script([typed(ex, q, right[q]) for q in ex.state["qids"]], clock, 50)  # 50 s per answer, 120 s allowed
    res = ex.run()
    text = out.getvalue()
    assert "Time is up: that last input came after the limit and was not counted." in text
    assert "*** 1 minute left ***" in text and "*** 5 minutes left ***" not in text  # only warnings that fit
    assert list(ex.state["answers"]) == ex.state["qids"][:2]  # answers at 50 s and 100 s count, the 150 s one not
    assert res["questions"] == 5 and res["raw"] == pytest.approx(0.4)
    assert first not in res["wrong"]


def test_interrupted_exam_resumes_with_answers_marks_and_time():
    bank, clock = load_bank(GOOD), FakeClock()
    ex, _ = _exam(bank, clock, [])
    ex.start(n=5, minutes=100, seed=2)
    order = ex.state["qids"]
    ex.input_fn = script(["m", "A", "q"], clock, 30)
    assert ex.run() is None  # saved, not finished
    saved = json.loads(ex.path.read_text())
    assert saved["current"] == 1 and saved["marked"] == [order[0]] and saved["elapsed_s"] == pytest.approx(90)

    out = io.StringIO()
    ex2, _ = _exam(bank, clock, [], out=out)
    clock.t += 3600  # an hour away: the timer is paused while saved
    ex2.start(n=5, minutes=100)
    assert ex2.state["qids"] == order and ex2.state["answers"] == saved["answers"]
    assert ex2.state["layouts"] == saved["layouts"]  # the same option order as before the break
    for qid in order:
        q = bank.by_id()[qid]
        assert ex2.shown(q).options == ex.shown(q).options and ex2._given(q) == ex._given(q)
    assert any(list(Layout.from_json(v).order) != sorted(Layout.from_json(v).order) for v in saved["layouts"].values())
    assert "Resuming the mock exam" in out.getvalue() and "1/5 answered, 98:30 left" in out.getvalue()
    ex2.input_fn = script(["f", "y"], clock, 10)
    res = ex2.run()
    assert res["marked"] == [order[0]] and res["minutes_used"] == pytest.approx(1.8)


def test_new_keeps_the_unfinished_exam_aside():
    bank, clock, out = load_bank(GOOD), FakeClock(), io.StringIO()
    ex, _ = _exam(bank, clock, [])
    ex.start(n=5, seed=2)
    ex2, _ = _exam(bank, clock, [], out=out)
    ex2.start(n=5, new=True, seed=3)
    assert "kept as" in out.getvalue()
    assert len(list(ex.path.parent.glob("mock_session.abandoned-*.json"))) == 1


def test_corrupted_session_is_reported_and_moved_aside():
    bank = load_bank(GOOD)
    store = ProgressStore()
    (store.dir / "mock_session.json").write_text("{not json")
    out = io.StringIO()
    ex = MockExam(bank, store, script([]), out, FakeClock())
    ex.start(n=5, seed=1)
    assert "could not be read" in out.getvalue() and "Nothing was deleted" in out.getvalue()
    assert len(list(store.dir.glob("mock_session.json.corrupt-*"))) == 1
    assert len(ex.state["qids"]) == 5


def test_dp100_exam_end_to_end_from_stdin(home):
    cmd = [sys.executable, "-m", "dp100lab.exam.cli", "exam", "--outline", "dp100", "--bank", str(GOOD), "--questions", "5",
           "--seed", "2"]
    first = load_bank(GOOD).by_id()[build_exam(load_bank(GOOD), 5, seed=2)[0]]
    typed = {"single": "A", "code": "A", "multiple": "A B", "ordering": "B A C", "yesno": "Y N"}[first.type]
    r1 = subprocess.run(cmd, input=f"{typed}\nq\n", capture_output=True, text=True)  # interrupted after one answer
    assert r1.returncode == 0, r1.stderr
    assert "Saved. Run `dp100 exam` to resume" in r1.stdout
    r2 = subprocess.run(cmd, input="f\ny\n", capture_output=True, text=True)
    assert r2.returncode == 0, r2.stderr
    assert "Resuming the mock exam" in r2.stdout and "4 question(s) unanswered" in r2.stdout
    assert "DP-100 mock exam results: 5 questions" in r2.stdout and "ESTIMATE" in r2.stdout
    assert not (home / "progress" / "mock_session.json").exists()


def test_one_letter_answer_wins_over_command_letter(make_bank):
    yn = {"id": "yn-1", "type": "yesno", "stem": "Is a batch endpoint invoked asynchronously?",
          "statements": ["It is asynchronous."], "answer": [False],
          "explanation": {"summary": "s", "options": {"1": "e"}}, "skills": ["dp100-3.4.6"], "difficulty": 1,
          "module": "10", "reference": "https://learn.microsoft.com/"}
    bank = load_bank(make_bank({"a.yaml": {"questions": [yn]}}))
    clock, out = FakeClock(), io.StringIO()
    ex, _ = _exam(bank, clock, [], out=out)
    ex.start(n=1, seed=0)
    ex.input_fn = script(["n", "finish"], clock, 1)  # "n" is the answer No here, not "next"
    res = ex.run()
    assert res["raw"] == 1.0
