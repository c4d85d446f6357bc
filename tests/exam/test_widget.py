"""The notebook quiz cell, driven through its ipywidgets objects: rendered Markdown, messages for buttons,
shuffling and scoring as in the terminal, new questions on re-run, answers restored when the cell runs again."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from dp100lab.exam.bank import load_bank
from dp100lab.exam.layout import Layout
from dp100lab.exam.store import ProgressStore
from dp100lab.exam.widget import Quiz, quiz

from exam_helpers import GOOD, single


def md_text(widget) -> str:
    """The Markdown source a card piece displays (the notebook renders it)."""
    return "".join(o["data"].get("text/markdown", "") for o in widget.outputs)


@pytest.fixture
def good():
    return load_bank(GOOD)


@pytest.fixture
def module_bank(make_bank):
    """Eight questions in module 05, two on the same skill in module 06, one unrelated in module 07."""
    qs = [single(f"m5-{i}", "dp100-3.1.1", module="05",
                 stem=f"Module five question {i}: **which** `input` mode {' '.join(f'w{i}{j}' for j in range(6))}?")
          for i in range(8)]
    qs += [single(f"m6-{i}", "dp100-3.1.1", module="06", stem=f"Module six question {i} " + "x" * i) for i in range(2)]
    qs += [single("m7-0", "dp100-1.2.3", module="07", stem="An unrelated module seven question?")]
    return load_bank(make_bank({"m.yaml": {"questions": qs}}))


def card_of(qz, qid):
    return next(c for c in qz.cards if c.q.id == qid)


def test_cards_render_markdown_and_show_options_under_shuffled_letters(good):
    qz = Quiz(good.questions, good, store=ProgressStore(), widgets=True)
    qz.view()
    c = card_of(qz, "t-multi-1")
    text = md_text(c.stem)
    assert "**Question" in text and "Which two are early termination policies" in text
    order = [text.index(f"**{L}.** {c.v.options[L]}") for L in c.layout.letters]
    assert order == sorted(order)  # listed under display letters, in the layout's order
    assert [cb.description for cb in c.boxes.values()] == ["A", "B", "C", "D"]
    assert [c.layout.shown(k) for k in c.boxes] == ["A", "B", "C", "D"]  # checkbox i holds the key shown as letter i
    o = card_of(qz, "t-order-1")
    assert list(o.layout.order) != o.q.answer  # ordering items are never shown in the right order


def test_messages_speak_of_buttons_not_typing(good):
    qz = Quiz(good.questions, good, store=ProgressStore(), widgets=True)
    qz.view()
    expect = {"t-single-1": "Choose an option first.", "t-code-1": "Choose an option first.",
              "t-multi-1": "Choose 2 options first.", "t-order-1": "Pick an item for every position (0 of 3 placed).",
              "t-yesno-1": "Answer Yes or No for every statement first (2 left)."}
    for qid, msg in expect.items():
        c = card_of(qz, qid)
        c.button.click()
        assert msg in c.message.value and "letter" not in c.message.value.lower()
        assert qz.results == {} and not c.button.disabled
    m = card_of(qz, "t-multi-1")
    next(iter(m.boxes.values())).value = True
    assert m.message.value == ""  # changing the answer clears the message
    m.button.click()
    assert "Choose exactly 2 options (you chose 1)." in m.message.value
    o = card_of(qz, "t-order-1")
    for d in o.slots:
        d.value = "A"
    o.button.click()
    assert f"{o.layout.shown('A')} is picked twice" in o.message.value
    assert ProgressStore().attempts == []


def test_scoring_recording_and_explanation_match_the_terminal(good):
    qz = Quiz(good.questions, good, store=ProgressStore(), widgets=True)
    qz.view()
    o = card_of(qz, "t-order-1")
    for d, key in zip(o.slots, o.q.answer):  # the right order, picked by item
        d.value = key
    o.button.click()
    m = card_of(qz, "t-multi-1")
    m.boxes["A"].value = m.boxes["C"].value = True  # stored A (right) and C (wrong)
    m.button.click()
    assert qz.results == {"t-order-1": 1.0, "t-multi-1": 0.5}
    a = ProgressStore().attempts
    assert [(x["qid"], x["mode"], x["answer"]) for x in a] == [("t-order-1", "notebook", ["B", "A", "C"]),
                                                               ("t-multi-1", "notebook", ["A", "C"])]
    assert Layout.from_json(a[1]["layout"]).order == m.layout.order
    fb = md_text(m.feedback)
    shown_right = ", ".join(m.layout.shown(k) for k in ["A", "B"])
    assert fb.startswith(f"~ Partly right (50%). Right answer: {shown_right}")
    why_c = m.q.option_explanation("C")  # explanation keyed by identity, printed under C's display letter
    assert f"- **{m.layout.shown('C')}:** {why_c}" in fb
    assert m.button.disabled and all(b.disabled for b in m.boxes.values())
    assert "2/5 answered" in qz.summary.value


def test_rerun_brings_new_questions_due_reviews_first_weighted_to_the_module(module_bank):
    store = ProgressStore()
    old = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat(timespec="seconds")
    store.record("m6-1", 0.0, "practice", at=old)  # due review from a related module
    store.record("m5-7", 0.0, "practice", at=old)  # due review of this module
    first = quiz(module="05", n=3, bank=module_bank, store=store, widgets=True)
    ids1 = [q.id for q in first.questions]
    assert ids1[:2] == ["m5-7", "m6-1"] and ids1[2].startswith("m5-")  # due first (module's first), then unseen
    again = quiz(module="05", n=3, bank=module_bank, store=store, widgets=True)
    assert [q.id for q in again.questions] == ids1  # nothing answered yet: the same cards
    again.view()
    for c in again.cards:
        c.radio.value = "A"
        c.button.click()
    third = quiz(module="05", n=3, bank=module_bank, store=store, widgets=True)
    ids3 = [q.id for q in third.questions]
    assert not set(ids3) & set(ids1) and all(i.startswith("m5-") for i in ids3)  # new, unseen, the module's
    assert "m7-0" not in ids3


def test_reopened_notebook_shows_what_was_answered(module_bank):
    store = ProgressStore()
    qz = quiz(module="05", n=3, bank=module_bank, store=store, widgets=True)
    qz.view()
    first = qz.cards[0]
    wrong = next(k for k in first.q.keys if k != first.q.answer)
    first.radio.value = wrong
    first.mark.value = True
    first.button.click()
    # a new kernel: everything comes back from the progress store
    reopened = quiz(module="05", n=3, bank=module_bank, store=ProgressStore(), widgets=True)
    reopened.view()
    c = reopened.cards[0]
    assert [q.id for q in reopened.questions] == [q.id for q in qz.questions]
    assert c.layout == first.layout and c.radio.value == wrong and c.radio.disabled and c.mark.value
    assert "Answered earlier" in c.message.value and md_text(c.feedback).startswith("✗ Not quite (0%)")
    assert not reopened.cards[1].button.disabled and "1/3 answered" in reopened.summary.value


def test_new_questions_button_draws_the_next_set(module_bank):
    qz = quiz(module="05", n=2, bank=module_bank, store=ProgressStore(), widgets=True)
    box = qz.view()
    before = [q.id for q in qz.questions]
    qz.next_button.click()
    after = [q.id for q in qz.questions]
    assert not set(before) & set(after) and box.children[1] is not None
    assert [c.q.id for c in qz.cards] == after


def test_quiz_draws_by_the_ai300_outline(make_bank):
    good = yaml.safe_load((GOOD / "sample.yaml").read_text())
    extra = single("x-ai-1", "ai300-4.1.2", module="12", stem="Which metric checks that an answer is grounded?")
    bank = load_bank(make_bank({"a.yaml": good, "ai300_x.yaml": {"questions": [extra]}}))
    qz = quiz(domain="4", outline="ai300", n=3, bank=bank, store=ProgressStore(), widgets=True)
    assert [q.id for q in qz.questions] == ["x-ai-1"]
    with pytest.raises(ValueError, match="unknown outline"):
        quiz(domain="4", outline="ai-900", bank=bank, store=ProgressStore(), widgets=True)


def test_text_fallback_uses_the_same_layout_and_renders_markdown(good):
    qz = quiz(ids=["t-single-1"], bank=good, widgets=False, seed=4, input_fn=lambda p: "", out=io.StringIO())
    lay = Layout.from_json(qz.cell["layouts"]["t-single-1"])
    out = io.StringIO()
    right = lay.shown("A")
    quiz(ids=["t-single-1"], bank=good, widgets=False, input_fn=lambda p: right, out=out)
    text = out.getvalue()
    assert f"✓ Correct. Right answer: {right}" in text and "**" not in text


def test_the_notebook_cell_works_in_a_real_kernel(tmp_path, home):
    """`from dp100lab.exam import quiz; quiz(module="05", n=3)` as the notebooks call it, then re-run."""
    import nbclient
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('from dp100lab.exam import quiz\nqz = quiz(module="05", n=3)\nqz'),
                nbformat.v4.new_code_cell("print([q.id for q in qz.questions])\nqz.view()\n"
                                          "print(qz.cards[0].stem.outputs[0]['data']['text/markdown'][:40])"),
                nbformat.v4.new_code_cell('quiz(module="05", n=1, widgets=False)')]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in nb.cells[0].outputs)
    printed = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    in_05 = [q.id for q in load_bank().questions if q.module == "05"]
    assert sum(qid in printed for qid in in_05) == 3 and "**Question 1/3**" in printed
    text = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert "Right answer:" in text and "\x1b[" not in text and "**" not in text  # plain, rendered text
