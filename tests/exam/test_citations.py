"""The citation register (data/citations.yaml) against the bank: every cited page is listed, the maintainer check
reports what is missing and which titles are still unconfirmed, and the pages cited by the questions written for
the AI-300 domain weights all carry a confirmed title."""
from __future__ import annotations

import pytest

from dp100lab.exam import citations
from dp100lab.exam.bank import load_bank
from dp100lab.exam.validate import main

from exam_helpers import single

BANK = load_bank()
# Files of questions whose pages were confirmed in the docs corpus when written (issue 8, AI-300 weights).
CONFIRMED_FILES = ("ai300_d3_platform.yaml", "ai300_d4_evaluation.yaml", "ai300_d5_retrieval.yaml")


def test_every_question_reference_is_listed_in_the_register():
    missing = citations.unlisted(BANK, citations.load())
    assert not missing, "\n".join(f"{f}: {qid}: {url}" for f, qid, url in missing)


def test_pages_cited_by_the_new_ai300_questions_have_a_confirmed_title():
    entries = citations.load()
    cited = {q.reference for q in BANK.questions if q.file in CONFIRMED_FILES}
    assert len(cited) >= 15  # the files really cite pages; an empty set would prove nothing
    unconfirmed = [u for u in sorted(cited) if not entries[u].confirmed]
    assert not unconfirmed, unconfirmed


def test_placeholder_titles_and_missing_dates_are_not_confirmed():
    ok = citations.Entry("https://learn.microsoft.com/x", "Prompt caching", "2026-12-02")
    assert ok.confirmed
    for title, checked in (("prompt-caching (source file x found; page title not read)", "2026-12-01"),
                           ("", "2026-12-01"), ("Prompt caching", "")):
        assert not citations.Entry("https://learn.microsoft.com/x", title, checked).confirmed


def test_malformed_register_names_the_fix(tmp_path):
    path = tmp_path / "citations.yaml"
    path.write_text("pages:\n- url: https://a.example/\n  title: A\n- url: https://a.example/\n  title: A again\n")
    with pytest.raises(citations.CitationsError, match="listed twice"):
        citations.load(path)
    path.write_text("pages: nope\n")
    with pytest.raises(citations.CitationsError, match="`pages:` list"):
        citations.load(path)


def test_report_lists_unlisted_references_unconfirmed_titles_and_unused_entries(make_bank, tmp_path):
    q = single("c-1", "dp100-1.2.3")
    q["reference"] = "https://learn.microsoft.com/en-us/azure/machine-learning/not-listed"
    bank = load_bank(make_bank({"c.yaml": {"questions": [q]}}))
    reg = tmp_path / "citations.yaml"
    reg.write_text("pages:\n- url: https://learn.microsoft.com/spare\n  checked: 2026-12-01\n"
                   "  title: spare (source file found; page title not read)\n")
    text, ok = citations.report(bank, reg)
    assert not ok
    assert "c.yaml: c-1: reference: https://learn.microsoft.com/en-us/azure/machine-learning/not-listed" in text
    assert "https://learn.microsoft.com/spare: page title not confirmed" in text
    assert "https://learn.microsoft.com/spare: no question cites it any more" in text
    assert text.splitlines()[-1] == ("citations: 1 listed, 0 with a confirmed title, 1 without; "
                                     "1 reference(s) not listed; 1 unused")


def test_citations_flag_exit_codes(make_bank, capsys):
    assert main(["--citations"]) == 0  # the real bank: everything listed
    out = capsys.readouterr().out
    assert "0 reference(s) not listed" in out and "page title not confirmed" in out
    q = single("c-2", "dp100-1.2.3")
    q["reference"] = "https://learn.microsoft.com/en-us/azure/machine-learning/nowhere"
    assert main(["--citations", "--dir", str(make_bank({"c.yaml": {"questions": [q]}}))]) == 1

