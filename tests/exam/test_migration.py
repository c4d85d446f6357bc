"""Progress written before shuffling (fixtures/progress_v1: files as the pre-shuffle release wrote them) is
upgraded, never dropped or re-scored; a resumed pre-shuffle mock exam keeps the layout it was shown in."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dp100lab.exam.bank import load_bank
from dp100lab.exam.engine import render
from dp100lab.exam.migrate import NewerFileError
from dp100lab.exam.mock import MockExam
from dp100lab.exam.progress import compute
from dp100lab.exam.store import ProgressStore

from exam_helpers import GOOD

V1 = Path(__file__).parent / "fixtures" / "progress_v1"


@pytest.fixture
def v1_home(home):
    d = home / "progress"
    d.mkdir(parents=True)
    for name in ("progress.json", "mock_session.json"):
        shutil.copy(V1 / name, d / name)
    return d


def test_v1_progress_is_migrated_keeping_every_attempt_card_mark_and_mock(v1_home):
    before = json.loads((V1 / "progress.json").read_text())
    s = ProgressStore()
    assert s.data["version"] == 2 and s.data["migrated_from"] == 1
    assert [{k: v for k, v in a.items() if k != "layout"} for a in s.attempts] == before["attempts"]
    assert all(a["layout"] == "old" for a in s.attempts)  # marked: the letters then were the stored keys
    assert s.data["cards"] == before["cards"] and s.data["marked"] == before["marked"]
    assert s.data["mocks"] == before["mocks"]
    on_disk = json.loads((v1_home / "progress.json").read_text())
    assert on_disk["version"] == 2 and len(on_disk["attempts"]) == 5
    assert (v1_home / "progress.json.v1.bak").read_bytes() == (V1 / "progress.json").read_bytes()


def test_old_layout_scores_are_kept_not_rescored(v1_home):
    m = compute(load_bank(GOOD), ProgressStore())
    # t-single-1: 0.0 then 1.0 -> 0.5; t-multi-1 0.5; t-order-1 1.0; t-yesno-1 0.5 -- exactly as recorded
    assert m.per_question == {"t-single-1": 0.5, "t-multi-1": 0.5, "t-order-1": 1.0, "t-yesno-1": 0.5}


def test_migration_runs_once_and_new_attempts_carry_their_layout(v1_home):
    from dp100lab.exam.layout import make_layout

    q = load_bank(GOOD).by_id()["t-single-1"]
    ProgressStore().record(q.id, 1.0, "practice", layout=make_layout(q, 3), answer="A")
    s = ProgressStore()
    assert len(s.attempts) == 6 and s.attempts[-1]["layout"]["seed"] == 3 and s.attempts[-1]["answer"] == "A"
    assert [a["layout"] for a in s.attempts[:5]] == ["old"] * 5
    assert len(list(v1_home.glob("progress.json.v*.bak"))) == 1


def test_a_file_from_a_newer_release_is_refused_untouched(home):
    d = home / "progress"
    d.mkdir(parents=True)
    text = json.dumps({"version": 99, "attempts": [], "cards": {}, "marked": [], "future": True})
    (d / "progress.json").write_text(text)
    with pytest.raises(NewerFileError, match="newer dp100lab .*file version 99"):
        ProgressStore()
    assert (d / "progress.json").read_text() == text
    r = subprocess.run([sys.executable, "-m", "dp100lab.exam.cli", "progress", "--bank", str(GOOD)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "written by a newer dp100lab" in r.stderr and "Traceback" not in r.stderr


def test_dp100_progress_reads_a_v1_file(v1_home):
    r = subprocess.run([sys.executable, "-m", "dp100lab.exam.cli", "progress", "--bank", str(GOOD)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Last DP-100 mock exam 2026-11-22T08:20:00+00:00: 60%" in r.stdout


def test_v1_mock_exam_resumes_in_the_layout_it_was_shown_in(v1_home):
    bank = load_bank(GOOD)
    out = io.StringIO()
    ex = MockExam(bank, ProgressStore(), lambda p: "q", out)
    ex.start(n=5)
    assert "Resuming the mock exam started 2026-11-30T10:00:00+00:00: 2/5 answered" in out.getvalue()
    st = ex.state
    assert st["version"] == 2 and st["migrated_from"] == 1 and st["answers"] == {"t-single-1": "A", "t-multi-1": ["A", "C"]}
    for qid in st["qids"]:  # same options under the same letters as before the upgrade
        q = bank.by_id()[qid]
        assert render(ex.shown(q)) == render(q)
    assert (v1_home / "mock_session.json.v1.bak").exists()
    replies = iter(["f", "y"])
    ex.input_fn = lambda prompt="": next(replies)
    res = ex.run()
    # the pre-shuffle answers keep their meaning: A was right for t-single-1, A C half right for t-multi-1
    assert res["raw"] == pytest.approx(1.5 / 5)
    assert res["wrong"] == ["t-multi-1", "t-order-1", "t-code-1", "t-yesno-1"]
