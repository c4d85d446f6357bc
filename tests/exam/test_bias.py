"""Answer-bias statistics (bias.py): what each one counts, and the issue's bounds over the real bank.

The real-bank tests are the acceptance criteria for the option rewrite: they fail until the question files
meet them. Numbers measured on the bank before the rewrite (2026-12-01): keyed option strictly longest in
106/167 single-choice questions (63%), Yes share 71/104 (68%), 9 self-verdict options (all always/never in
wrong options or No statements).
"""
from __future__ import annotations

from dp100lab.exam.bank import load_bank
from dp100lab.exam.bias import KEYED_LONGEST_MAX, YES_SHARE_RANGE, measure, verdict_words
from dp100lab.exam.validate import validate

from exam_helpers import single

LAX = dict(min_total=0, min_per_skill=0, tolerance=100)


def yesno(qid, answers, statements=None):
    st = statements or [f"Statement {i} of {qid}." for i in range(len(answers))]
    return {"id": qid, "type": "yesno", "stem": f"For {qid}, answer each.", "statements": st, "answer": answers,
            "explanation": {"summary": "s", "options": {i + 1: "e" for i in range(len(st))}},
            "skills": ["dp100-1.1.1"], "difficulty": 1, "module": "02", "reference": "https://learn.microsoft.com/"}


def test_keyed_longest_counts_strictly_longer_visible_text(make_bank):
    a = single("k-1", "dp100-1.1.1", stem="First stem about inputs here.")
    a["options"] = {"A": "A much longer keyed option", "B": "short", "C": "tiny"}
    b = single("k-2", "dp100-1.1.1", stem="Second stem about outputs there.")
    b["options"] = {"A": "same size", "B": "same size", "C": "x"}  # a tie is not strictly longest
    c = single("k-3", "dp100-1.1.1", stem="Third stem about models elsewhere.")
    c["options"] = {"A": "**`ab`**", "B": "abc", "C": "abcd"}  # Markdown marks do not count as length
    bias = measure(load_bank(make_bank({"a.yaml": {"questions": [a, b, c]}})))
    assert bias.singles == 3 and bias.keyed_longest == ["k-1"]
    assert any("keyed option strictly longest in 1/3" in p for p in bias.problems())


def test_yes_share_counts_statements(make_bank):
    bank = load_bank(make_bank({"a.yaml": {"questions": [yesno("y-1", [True, True, True]), yesno("y-2", [False])]}}))
    bias = measure(bank)
    assert (bias.yes, bias.statements, bias.all_yes_series) == (3, 4, ["y-1"])
    assert any("Yes is the answer to 3/4 yes/no statements (75%" in p for p in bias.problems())


def test_self_verdict_labels_and_absolutes_in_wrong_options():
    assert verdict_words("Correct: it mounts the folder.", wrong=False) == ("label", "Correct:")
    assert verdict_words("Use a cluster (recommended)", wrong=True)[0] == "label"
    assert verdict_words("Register it; this is the right answer.", wrong=False)[0] == "label"
    assert verdict_words("It always retrains the model", wrong=True) == ("absolute", "always")
    assert verdict_words("It always retrains the model", wrong=False) is None  # in the key it is no tell
    assert verdict_words("Set `mode: never` in the YAML", wrong=True) is None  # code is not prose
    assert verdict_words("Correct the schema and resubmit", wrong=True) is None  # a verb, not a verdict
    assert verdict_words("Choose the right compute size", wrong=True) is None


def test_verdicts_and_letter_references_are_reported_per_question(make_bank):
    q = single("v-1", "dp100-1.1.1", stem="A stem about verdicts in options.")
    q["options"] = {"A": "Use a datastore", "B": "Never use a datastore", "C": "Use nothing (wrong)"}
    q["explanation"]["options"]["B"] = "Unlike option A, this skips the datastore."
    y = yesno("v-2", [False, True], ["A workspace always deletes storage.", "Compute can scale to zero."])
    rep = validate(make_bank({"a.yaml": {"questions": [q, y]}}), **LAX)
    probs = rep.bias.problems()
    assert "v-1: option B: gives its own verdict (absolute: 'Never')" in probs
    assert "v-1: option C: gives its own verdict (label: '(wrong)')" in probs
    assert "v-2: statement 1: gives its own verdict (absolute: 'always')" in probs
    assert any(p.startswith("v-1: explanation.options.B: names an option by letter") for p in probs)
    assert not rep.ok and "bias: keyed option strictly longest" in rep.text()


# ---- the bounds over the real bank (acceptance criteria for the question writers) ----
REAL = measure(load_bank())


def test_real_bank_keyed_option_is_rarely_the_longest():
    assert REAL.keyed_longest_share <= KEYED_LONGEST_MAX, (
        f"{len(REAL.keyed_longest)}/{REAL.singles} ({REAL.keyed_longest_share:.0%}): {', '.join(REAL.keyed_longest)}")


def test_real_bank_yes_share_is_near_half():
    lo, hi = YES_SHARE_RANGE
    assert lo <= REAL.yes_share <= hi, f"Yes {REAL.yes}/{REAL.statements} ({REAL.yes_share:.0%})"


def test_real_bank_has_no_self_verdict_text():
    assert not REAL.verdicts, "\n".join(f"{q}: {o}: {k} {w!r}" for q, o, k, w in REAL.verdicts)


def test_real_bank_explanations_do_not_name_options_by_letter():
    assert not REAL.letter_refs, "\n".join(map(str, REAL.letter_refs))
