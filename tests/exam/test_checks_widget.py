"""The code-check runner (right option passes, distractors fail, each in a temp cwd) and the notebook quiz."""
from __future__ import annotations

import io
import re
import os

import pytest

from dp100lab.exam.bank import load_bank
from dp100lab.exam.checks_runner import run_check, run_fragment
from dp100lab.exam.store import ProgressStore
from dp100lab.exam.widget import Quiz, quiz

from exam_helpers import GOOD


def test_good_check_passes_for_answer_and_fails_for_each_distractor():
    q = load_bank(GOOD).by_id()["t-code-1"]
    res = run_check(q)
    assert res.ok and res.runs["A"].passed
    assert "AssertionError" in res.runs["B"].error and "NameError" in res.runs["C"].error


def test_runs_in_a_temp_cwd_and_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = run_fragment("open('made.txt', 'w').write(___)\nimport os\nwhere = os.getcwd()", "assert where != %r" % str(tmp_path), "'x'")
    assert run.passed and os.getcwd() == str(tmp_path) and not (tmp_path / "made.txt").exists()


def test_right_answer_failing_is_reported():
    q = load_bank(GOOD).by_id()["t-code-1"]
    q.answer = "B"
    res = run_check(q)
    assert not res.ok
    assert 'right answer B fails: AssertionError (check.verify line 1: assert spec["type"] == "uri_file")' in res.problems
    assert any(p.startswith("distractor A runs without error") for p in res.problems)


def test_non_code_question_has_no_check():
    with pytest.raises(ValueError, match="only code questions"):
        run_check(load_bank(GOOD).by_id()["t-single-1"])


def test_azure_entity_check_runs_offline():
    """A realistic check: an SDK v2 command job built locally, no credentials, no network."""
    from dp100lab.exam.bank import to_question

    raw = {
        "id": "x-1", "type": "code", "stem": "s", "options": {"A": '"uri_file"', "B": '"uri_files"'}, "answer": "A",
        "explanation": {"summary": "s", "options": {"A": "a", "B": "b"}}, "skills": ["dp100-3.1.1"],
        "difficulty": 1, "module": "05", "reference": "https://learn.microsoft.com/",
        "check": {"template": "from azure.ai.ml import command, Input\n"
                              "job = command(command='python train.py --data ${{inputs.data}}',\n"
                              "              inputs={'data': Input(type=___, path='azureml:diabetes:1')},\n"
                              "              environment='azureml:AzureML-sklearn-1.5@latest', compute='cpu-cluster', code='.')\n",
                  "verify": "assert job._to_dict()['inputs']['data']['type'] == 'uri_file'"},
    }
    res = run_check(to_question(raw, "inline.yaml"))
    assert res.ok, str(res)


def test_widget_quiz_builds_cards_and_records_answers():
    bank = load_bank(GOOD)
    qz = Quiz(bank.questions, bank, store=ProgressStore(), widgets=True)
    box = qz.build()
    assert len(box.children) == 5
    single = box.children[[q.id for q in bank.questions].index("t-single-1")]
    radio = next(c for c in single.children if c.__class__.__name__ == "RadioButtons")
    radio.value = "A"
    button = next(c for c in single.children if c.__class__.__name__ == "HBox").children[0]
    button.click()
    assert qz.results == {"t-single-1": 1.0}
    assert [a["mode"] for a in ProgressStore().attempts] == ["notebook"]


def test_text_fallback_asks_then_explains_and_reveals_without_stdin():
    bank = load_bank(GOOD)
    from dp100lab.exam.layout import Layout

    # options are shuffled: a first run with no answer draws the layout, the re-run shows the same one
    qz = quiz(ids=["t-single-1"], bank=bank, widgets=False, input_fn=lambda p: "", out=io.StringIO())
    lay = Layout.from_json(qz.cell["layouts"]["t-single-1"])
    out = io.StringIO()
    quiz(ids=["t-single-1"], bank=bank, widgets=False, input_fn=lambda p: lay.shown("B"), out=out)
    assert f"✗ Not quite (0%). Right answer: {lay.shown('A')}; yours: {lay.shown('B')}" in out.getvalue()

    def no_stdin(prompt):
        raise OSError("stdin not available")  # what a headless kernel does

    out = io.StringIO()
    qz = quiz(module="07", bank=bank, widgets=False, input_fn=no_stdin, out=out)
    assert re.search(r"Right answer: [A-D], [A-D]", out.getvalue()) and qz.results == {}


def test_quiz_unknown_ids_say_so():
    with pytest.raises(ValueError, match=r"unknown question id\(s\) \['nope'\]"):
        quiz(ids=["nope"], bank=load_bank(GOOD), widgets=False)


def test_cli_register_adds_the_four_commands():
    import argparse

    from dp100lab.exam.cli import register

    ap = argparse.ArgumentParser(prog="dp100")
    register(ap.add_subparsers(dest="command"))
    for cmd in ("quiz", "exam", "progress", "coverage"):
        assert callable(ap.parse_args([cmd]).func)
    args = ap.parse_args(["exam", "--minutes", "30", "--questions", "20"])
    assert (args.minutes, args.questions, args.new) == (30.0, 20, False)
    assert ap.parse_args(["exam"]).minutes == 100  # the default time limit


def test_quiz_cell_runs_in_a_real_kernel(tmp_path):
    """The cell a teaching notebook ends with: widgets in a kernel, and the text fallback when asked for."""
    import nbclient
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"from dp100lab.exam import quiz\nfrom dp100lab.exam.bank import load_bank\n"
                                  f"bank = load_bank({str(GOOD)!r})\nquiz(module='07', bank=bank)"),
        nbformat.v4.new_code_cell("quiz(module='07', bank=bank, widgets=False)"),
    ]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    widget_out, text_out = nb.cells[0].outputs, nb.cells[1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in widget_out)
    text = "".join(o.get("text", "") for o in text_out)
    assert "Which two are early termination policies" in text and re.search(r"Right answer: [A-D], [A-D]", text)


def test_no_state_leaks_between_checks_or_into_the_runner():
    before = dict(os.environ)
    first = run_fragment("import os\nos.environ['DP100_LEAK'] = ___", "assert os.environ['DP100_LEAK'] == '1'", "'1'")
    second = run_fragment("import os\nx = ___", "assert 'DP100_LEAK' not in os.environ", "1")
    assert first.passed and second.passed
    assert dict(os.environ) == before


def test_mlflow_experiment_of_one_check_does_not_leak_into_the_next():
    tpl = ("import os, mlflow\nos.environ['MLFLOW_ALLOW_FILE_STORE'] = 'true'\nmlflow.set_tracking_uri('file:./mlruns')\n"
           "mlflow.set_experiment(___)\nwith mlflow.start_run() as run:\n    mlflow.log_metric('m', 1.0)\n")
    ver = "assert mlflow.get_run(run.info.run_id).data.metrics['m'] == 1.0"
    assert run_fragment(tpl, ver, "'exp-a'").passed
    assert run_fragment(tpl, ver, "'exp-b'").passed  # in a new temp dir: no stale experiment or store


def test_a_hanging_fragment_is_stopped(monkeypatch):
    import dp100lab.exam.checks_runner as cr

    monkeypatch.setattr(cr, "TIME_LIMIT_S", 1)
    run = run_fragment("while ___:\n    pass", "", "True")
    assert not run.passed and "took longer than 1 s" in run.error
