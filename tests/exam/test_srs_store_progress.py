"""Spaced repetition (fsrs), the progress store (atomic, corruption moved aside), mastery table and plot."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from fsrs import Card, State

from dp100lab.exam import srs
from dp100lab.exam.bank import load_bank
from dp100lab.exam.progress import compute, report, revisit, table
from dp100lab.exam.store import ProgressStore

from exam_helpers import GOOD, shown

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def test_right_first_time_is_not_scheduled():
    assert srs.review(None, 1.0, marked=False, at=T0) is None


def test_wrong_answer_comes_back_soon_then_further_out_when_right():
    c1 = srs.review(None, 0.0, marked=False, at=T0)
    due1 = Card.from_dict(c1).due
    assert T0 < due1 <= T0 + timedelta(minutes=10)  # learning step: minutes, not days
    assert srs.due({"q": c1}, T0) == [] and srs.due({"q": c1}, due1) == ["q"]
    c2 = srs.review(c1, 1.0, marked=False, at=due1)
    c3 = srs.review(c2, 1.0, marked=False, at=Card.from_dict(c2).due)
    card3 = Card.from_dict(c3)
    assert card3.state == State.Review and card3.due - Card.from_dict(c2).due >= timedelta(days=1)


def test_marked_right_answer_is_scheduled_as_hard():
    assert srs.rating_for(1.0, marked=True).name == "Hard"
    assert srs.rating_for(0.5, marked=False).name == "Hard"
    assert srs.review(None, 1.0, marked=True, at=T0) is not None


def test_due_orders_most_overdue_first():
    a = srs.review(None, 0.0, False, T0)
    b = srs.review(None, 0.0, False, T0 - timedelta(hours=2))
    assert srs.due({"a": a, "b": b, "c": None}, T0 + timedelta(days=1)) == ["b", "a"]
    assert srs.next_due({"a": a, "b": b}) == Card.from_dict(b).due


def test_store_persists_across_sessions_and_writes_atomically(home):
    s = ProgressStore()
    s.record("q1", 0.0, "practice")
    s.record("q2", 1.0, "practice", marked=True)
    files = sorted(p.name for p in (home / "progress").iterdir() if not p.name.startswith("."))
    assert files == ["progress.json"]  # no temp files left behind
    s2 = ProgressStore()
    assert [a["qid"] for a in s2.attempts] == ["q1", "q2"] and s2.data["marked"] == ["q2"]
    s2.record("q2", 1.0, "review")  # right and not marked any more: the mark is cleared
    assert ProgressStore().data["marked"] == []


def test_corrupted_progress_is_reported_moved_aside_never_lost(home):
    d = home / "progress"
    d.mkdir(parents=True)
    (d / "progress.json").write_text('{"attempts": [ {"qid": "q1", "sco')  # truncated by a crash
    err = io.StringIO()
    s = ProgressStore(out=err)
    assert s.attempts == []
    msg = err.getvalue()
    assert "progress.json could not be read" in msg and "moved to" in msg and "Nothing was deleted" in msg
    aside = list(d.glob("progress.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text().startswith('{"attempts": [ {"qid": "q1"')
    s.record("q9", 1.0, "practice")
    assert json.loads((d / "progress.json").read_text())["attempts"][0]["qid"] == "q9"


def test_wrong_shape_file_is_also_moved_aside(home):
    d = home / "progress"
    d.mkdir(parents=True)
    (d / "progress.json").write_text("[1, 2, 3]")
    err = io.StringIO()
    ProgressStore(out=err)
    assert "missing the 'attempts' field" in err.getvalue()
    assert len(list(d.glob("progress.json.corrupt-*"))) == 1


def test_mastery_table_revisit_and_plot(home):
    bank, s = load_bank(GOOD), ProgressStore()
    s.record("t-single-1", 1.0, "practice")
    s.record("t-code-1", 0.0, "practice")
    s.record("t-code-1", 0.0, "practice")
    s.record("t-multi-1", 0.5, "practice")
    m = compute(bank, s, now=datetime.now(timezone.utc) + timedelta(days=1))
    assert m.per_skill["dp100-1.2.3"] == (1.0, 1, 1)
    assert m.per_domain["dp100-3"] == (0.0, 1, 3)
    assert revisit(m) == [("05", 0.0), ("07", 0.5)]
    assert set(m.due) == {"t-code-1", "t-multi-1"}
    t = table(m)
    assert "dp100-3" in t and "  3.1.1           0%      1/1  Consume data in a job" in t
    out = io.StringIO()
    report(bank, s, out)
    text = out.getvalue()
    assert "Modules to revisit: 05 (0%), 07 (50%)" in text
    png = home / "progress" / "mastery.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_cli_runs_with_no_history():
    r = subprocess.run([sys.executable, "-m", "dp100lab.exam.cli", "progress", "--bank", str(GOOD)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "No answers recorded yet" in r.stdout and "Plot saved:" in r.stdout


def test_review_cli_brings_back_wrong_answers(home):
    ProgressStore().record("t-single-1", 0.0, "practice", at="2026-01-01T00:00:00+00:00")
    q = load_bank(GOOD).by_id()["t-single-1"]
    r = subprocess.run([sys.executable, "-m", "dp100lab.exam.cli", "quiz", "--review", "--bank", str(GOOD), "--seed", "1"],
                       input=shown(q, "A", 1) + "\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Review: 1 question(s) due" in r.stdout and "t-single-1" in r.stdout and "✓ Correct" in r.stdout
    assert ProgressStore().attempts[-1]["answer"] == "A"  # the stored key, whatever letter showed it


def test_two_writers_do_not_overwrite_each_other(home):
    """A notebook kernel and a terminal share the store: each re-reads under a lock before writing."""
    a, b = ProgressStore(), ProgressStore()
    a.record("qa", 0.0, "notebook")
    b.record("qb", 0.0, "practice")  # b was opened before a wrote: a's answer must survive
    assert [x["qid"] for x in ProgressStore().attempts] == ["qa", "qb"]
    assert set(ProgressStore().data["cards"]) == {"qa", "qb"}


def test_mastery_has_an_ai300_view(home):
    bank, s = load_bank(GOOD), ProgressStore()
    s.record("t-order-1", 1.0, "practice")  # dp100-3.4.2 -> ai300-2.3.1 (domain ai300-2)
    m = compute(bank, s)
    assert m.per_ai300_domain["ai300-2"][0] == 1.0 and m.per_ai300_domain["ai300-5"] == (None, 0, 0)
    assert "AI-300 view" in table(m) and "ai300-2" in table(m)
