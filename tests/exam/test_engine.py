"""Practice flows: selection (with helpful errors), answer parsing, grading, explanations, recording."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

from dp100lab.exam.bank import load_bank
from dp100lab.exam.engine import SelectionError, explain, parse_answer, practice, score, select
from dp100lab.exam.store import ProgressStore

from exam_helpers import GOOD, shown


@pytest.fixture
def bank():
    return load_bank(GOOD)


def q_(bank, qid):
    return bank.by_id()[qid]


def scripted(*lines):
    it = iter(lines)

    def _input(prompt=""):
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    return _input


@pytest.mark.parametrize(
    "qid, typed, expected",
    [
        ("t-single-1", " a ", "A"),
        ("t-multi-1", "B,A", ["B", "A"]),
        ("t-multi-1", "ab", ["A", "B"]),
        ("t-order-1", "B A C", ["B", "A", "C"]),
        ("t-order-1", "bac", ["B", "A", "C"]),
        ("t-yesno-1", "yes no", [True, False]),
        ("t-yesno-1", "YN", [True, False]),
        ("t-code-1", "A", "A"),
    ],
)
def test_parse_answer_accepts_natural_forms(bank, qid, typed, expected):
    assert parse_answer(q_(bank, qid), typed) == expected


@pytest.mark.parametrize(
    "qid, typed, says",
    [
        ("t-single-1", "E", "E is not an option; options are A, B, C"),
        ("t-single-1", "A B", "choose exactly one option"),
        ("t-multi-1", "A", "choose exactly 2 options (you gave 1)"),
        ("t-multi-1", "A A", "each letter at most once"),
        ("t-order-1", "A B", "put all 3 options in order"),
        ("t-yesno-1", "Y", "give 2 answers, Y or N"),
        ("t-yesno-1", "maybe no", "give 2 answers, Y or N"),
    ],
)
def test_parse_answer_rejects_with_what_to_type(bank, qid, typed, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")):
        parse_answer(q_(bank, qid), typed)


def test_scoring_and_partial_credit(bank):
    assert score(q_(bank, "t-single-1"), "A") == 1 and score(q_(bank, "t-single-1"), "B") == 0
    assert score(q_(bank, "t-multi-1"), ["A", "C"]) == 0.5
    assert score(q_(bank, "t-yesno-1"), [True, True]) == 0.5
    assert score(q_(bank, "t-order-1"), ["A", "B", "C"]) == 0
    assert score(q_(bank, "t-single-1"), None) == 0


def test_explanation_covers_every_option_and_reference(bank):
    q = q_(bank, "t-multi-1")
    text = explain(q, ["A", "C"])
    assert text.startswith("~ Partly right (50%). Right answer: A, B; yours: A, C")
    for k in "ABCD":
        assert f"\n- **{k}:** {q.option_explanation(k)}" in text
    assert q.reference in text


def test_select_by_domain_skill_module_and_errors_list_valid(bank):
    assert {q.id for q in select(bank, domain="3")} == {"t-order-1", "t-yesno-1", "t-code-1"}
    assert [q.id for q in select(bank, skill="3.4.2")] == ["t-order-1"]
    assert {q.id for q in select(bank, skill="dp100-3.4")} == {"t-order-1", "t-yesno-1"}
    assert [q.id for q in select(bank, module="7")] == ["t-multi-1"]
    with pytest.raises(SelectionError, match=r"unknown DP-100 domain '9'. Valid domains: 1 = Design and prepare"):
        select(bank, domain="9")
    with pytest.raises(SelectionError, match=r"unknown DP-100 skill 'x.y'. Valid skills .*1\.1\.1, 1\.1\.2"):
        select(bank, skill="x.y")
    with pytest.raises(SelectionError, match="unknown module '42'"):
        select(bank, module="42")


def test_practice_explains_immediately_records_and_survives_bad_input(bank):
    store, out = ProgressStore(), io.StringIO()
    qs = [q_(bank, "t-single-1"), q_(bank, "t-multi-1"), q_(bank, "t-yesno-1"), q_(bank, "t-order-1")]
    single, multi = qs[0], qs[1]
    assert shown(single, "B", 5) != "B" and shown(multi, ["A", "C"], 5) != "A C"  # seed 5 moves the options
    res = practice(qs, bank, store, scripted("Z", shown(single, "B", 5), "m", shown(multi, ["A", "C"], 5), "s"), out, seed=5)
    text = out.getvalue()
    assert "Z is not an option" in text  # bad input re-prompts, nothing lost
    assert f"✗ Not quite (0%). Right answer: {shown(single, 'A', 5)}; yours: {shown(single, 'B', 5)}" in text
    assert "marked for review" in text
    assert "Case study: Fabrikam demand forecast" in text  # the case scenario comes with its question
    assert res == {"answered": 2, "score": 0.25, "marked": ["t-multi-1"]}
    # reloaded from disk: answers and the mark survived
    again = ProgressStore()
    assert [(a["qid"], a["score"]) for a in again.attempts] == [("t-single-1", 0.0), ("t-multi-1", 0.5)]
    assert [a["answer"] for a in again.attempts] == ["B", ["A", "C"]]  # recorded by option identity
    assert again.attempts[0]["layout"]["seed"] is not None and len(again.attempts[1]["layout"]["order"]) == 4
    assert again.data["marked"] == ["t-multi-1"]
    assert set(again.data["cards"]) == {"t-single-1", "t-multi-1"}


def test_quiz_cli_lists_valid_domains_for_bad_input():
    r = subprocess.run([sys.executable, "-m", "dp100lab.exam.cli", "quiz", "--outline", "dp100", "--bank", str(GOOD),
                        "--domain", "banana"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "unknown DP-100 domain 'banana'. Valid domains: 1 = Design and prepare a machine learning solution" in r.stderr


def test_quiz_cli_practice_by_module_from_stdin():
    q = load_bank(GOOD).by_id()["t-single-1"]
    assert shown(q, "A", 4) != "A"  # the key is not where it is stored
    r = subprocess.run([sys.executable, "-m", "dp100lab.exam.cli", "quiz", "--bank", str(GOOD), "--module", "01",
                        "--seed", "4"], input=shown(q, "A", 4) + "\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"✓ Correct. Right answer: {shown(q, 'A', 4)}" in r.stdout and "1 answered, 100% right" in r.stdout
    assert "**" not in r.stdout and "ml_client.compute" in r.stdout  # Markdown rendered, not shown raw


def test_terminal_renders_markdown_bold_code_lists_and_tables():
    from dp100lab.exam.term import to_text

    text = to_text("Pick the **right** `mode`:\n\n- one\n- two\n\n| Mode | Use |\n|---|---|\n| `download` | copy first |\n"
                   "\n```yaml\nmode: ro_mount\n```")
    assert "**" not in text and "`" not in text and "Pick the right mode:" in text
    assert "• one" in text and "• two" in text
    row = next(line for line in text.splitlines() if "download" in line)
    assert "copy first" in row and "|" not in text and "───" in text  # a rendered table: rule under the header
    assert "mode: ro_mount" in text
