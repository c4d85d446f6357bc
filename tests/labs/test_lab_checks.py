"""dp100lab.checks: one deterministic line per check, never raises, records and reports results."""
import json

import numpy as np
import pytest

from dp100lab.checks import BLANK_MESSAGE, Lab, read_report


@pytest.fixture
def lab(monkeypatch):
    monkeypatch.delenv("DP100LAB_CHECK_REPORT", raising=False)
    return Lab("99_test")


def test_pass_prints_tick_and_returns_true(lab, capsys):
    assert lab.check("three", lambda: 1 + 2, 3)
    assert capsys.readouterr().out == "✓ three\n"


def test_fail_says_got_expected_and_hint(lab, capsys):
    acc = 0.5
    assert not lab.check("accuracy", lambda: acc, lambda v: 0.8 < v <= 1.0, hint="train longer")
    assert capsys.readouterr().out == "✗ accuracy — `acc` is 0.5; expected a value where 0.8 < v <= 1.0. Hint: train longer\n"


def test_value_mismatch_shows_reprs(lab, capsys):
    lab.check("status", lambda: "Failed", "Completed", hint="stream the job")
    assert capsys.readouterr().out == "✗ status — got 'Failed'; expected 'Completed'. Hint: stream the job\n"


def test_floats_compare_with_tolerance(lab, capsys):
    assert lab.check("sum", lambda: 0.1 + 0.2, 0.3)
    assert lab.check("array", lambda: np.array([0.1 + 0.2, 1.0]), [0.3, 1])
    assert lab.check("numpy scalar", lambda: np.float64(0.30000001), 0.3, tol=1e-6)
    assert not lab.check("too far", lambda: 0.31, 0.3)
    assert "expected 0.3 (±1e-06 relative)" in capsys.readouterr().out


def test_type_expected(lab, capsys):
    assert lab.check("is dict", lambda: {"a": 1}, dict)
    assert not lab.check("is str", lambda: 3, str)
    assert "got 3; expected an instance of str." in capsys.readouterr().out


@pytest.mark.parametrize("got_fn", [
    lambda: undefined_name,  # noqa: F821 - the blank was never filled, so the name does not exist
    lambda: ...,
    lambda: [1, ...],
    lambda: (_ for _ in ()).throw(NotImplementedError()),
    lambda: Ellipsis.shape,
])
def test_blank_is_not_done_yet(lab, capsys, got_fn):
    assert not lab.check("blank", got_fn, 3, hint="use 3")
    out = capsys.readouterr().out
    assert out.startswith("✗ blank — ") and out.endswith(". Hint: use 3\n") and "not done yet" in out
    assert lab.results[0].status == "blank"


def test_never_raises(lab, capsys):
    assert not lab.check("boom", lambda: 1 / 0, 1)
    assert not lab.check("bad predicate", lambda: 1, lambda v: v.missing)
    out = capsys.readouterr().out
    assert "✗ boom — computing the value raised ZeroDivisionError: division by zero." in out
    assert "✗ bad predicate — got 1; expected a value where v.missing but checking raised AttributeError" in out


def test_output_is_deterministic(lab, capsys):
    thing = object()
    lab.check("object", lambda: thing, 1)
    lab.check("long", lambda: list(range(200)), [])
    out = capsys.readouterr().out
    assert "0x" not in out
    assert max(len(line) for line in out.splitlines()) < 140


def test_rerun_replaces_and_summary_counts(lab, capsys):
    lab.check("a", lambda: 1, 2)
    lab.check("a", lambda: 2, 2)
    lab.check("b", lambda: undefined_name, 2)  # noqa: F821
    capsys.readouterr()
    lab.summary()
    assert capsys.readouterr().out.startswith("1/2 checks passed (1 not done yet)")
    lab.check("b", lambda: 2, 2)
    lab.summary()
    assert capsys.readouterr().out == "✓ b\n2/2 checks passed — lab complete.\n"


def test_report_file_collects_json_lines(tmp_path, monkeypatch, capsys):
    report = tmp_path / "r.jsonl"
    monkeypatch.setenv("DP100LAB_CHECK_REPORT", str(report))
    lab = Lab("99_test")
    lab.check("one", lambda: 1, 1)
    lab.check("two", lambda: 1, 2, hint="h")
    lab.check("two", lambda: 2, 2)
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(r["check"], r["status"]) for r in rows] == [("one", "pass"), ("two", "fail"), ("two", "pass")]
    assert rows[1]["hint"] == "h" and rows[1]["got"] == "1"
    assert [(r.check, r.passed) for r in read_report(report)] == [("one", True), ("two", True)]


def test_messages_name_the_variable_and_the_cell_that_sets_it(lab, capsys):
    from dp100lab.labs.blanks import CellInfo, LabMap

    lab.map = LabMap([CellInfo(cell=8, task="Task 2 · Register the data", sets=["data_asset"], blank=True),
                      CellInfo(cell=3, task="", sets=["ml_client"])])
    scope = {"data_asset": ..., "Lab": Lab}
    import linecache

    source = "got = lambda: data_asset.version\nmissing = lambda: ml_client.workspace_name\n"
    linecache.cache["<cell-7>"] = (len(source), None, source.splitlines(True), "<cell-7>")  # as IPython does
    exec(compile(source, "<cell-7>", "exec"), scope)
    lab.check("version", scope["got"], "1")
    lab.check("client", scope["missing"], str)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("✗ version — `data_asset` is not done yet — fill in the blank in cell 8 "
                      "(Task 2) and run it.")
    assert out[1] == "✗ client — `ml_client` is not defined yet — run cell 3 first."
    scope["data_asset"] = type("D", (), {"version": "2"})()
    lab.check("version", scope["got"], "1")
    assert capsys.readouterr().out == "✗ version — `data_asset.version` is '2'; expected '1'.\n"


def test_made_here_accepts_only_entities_created_after_the_lab_started(lab):
    from datetime import timedelta
    from types import SimpleNamespace

    def entity(created_at):
        return SimpleNamespace(creation_context=SimpleNamespace(created_at=created_at))

    assert lab.made_here(entity(lab.started_at + timedelta(seconds=1)))
    assert lab.made_here(entity((lab.started_at + timedelta(seconds=1)).isoformat()))
    assert not lab.made_here(entity(lab.started_at - timedelta(minutes=5)))  # left by an earlier notebook
    assert not lab.made_here(...) and not lab.made_here(SimpleNamespace())
