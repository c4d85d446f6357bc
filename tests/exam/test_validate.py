"""The validator catches each kind of defect, naming file, question id and field."""
from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from dp100lab.exam.bank import BankError, load_bank
from dp100lab.exam.validate import main, validate

from exam_helpers import single

LAX = dict(min_total=0, min_per_skill=0, tolerance=100)  # defects only, no bank-size thresholds


def _defects(folder, **kw):
    return [str(d) for d in validate(folder, **{**LAX, **kw}).defects]


def _q(good_raw, qid):
    return copy.deepcopy(next(q for q in good_raw["questions"] if q["id"] == qid))


def test_good_fixture_has_no_defects(make_bank, good_raw):
    assert _defects(make_bank({"ok.yaml": good_raw})) == []


@pytest.mark.parametrize(
    "qid, mutate, field",
    [
        ("t-single-1", lambda q: q.pop("stem"), "stem"),
        ("t-single-1", lambda q: q.update(type="essay"), "type"),
        ("t-single-1", lambda q: q.update(answer="D"), "answer"),
        ("t-single-1", lambda q: q.update(id="Bad ID"), "id"),
        ("t-single-1", lambda q: q["explanation"]["options"].pop("B"), "explanation.options.B"),
        ("t-single-1", lambda q: q["explanation"].pop("summary"), "explanation.summary"),
        ("t-single-1", lambda q: q.update(difficulty=5), "difficulty"),
        ("t-single-1", lambda q: q.update(module=5), "module"),
        ("t-single-1", lambda q: q.update(reference="see the docs"), "reference"),
        ("t-single-1", lambda q: q.update(skills=[]), "skills"),
        ("t-single-1", lambda q: q.update(options={"A": "x", "C": "y"}), "options"),
        ("t-single-1", lambda q: q.update(check={"template": "x = ___", "verify": "pass"}), "check"),
        ("t-multi-1", lambda q: q.update(answer=["A", "B", "C"]), "answer"),
        ("t-multi-1", lambda q: q.update(answer=["A", "E"]), "answer"),
        ("t-multi-1", lambda q: q.pop("choose"), "choose"),
        ("t-order-1", lambda q: q.update(answer=["A", "B"]), "answer"),
        ("t-yesno-1", lambda q: q.update(answer=[True]), "answer"),
        ("t-yesno-1", lambda q: q["explanation"]["options"].pop(2), "explanation.options.2"),
        ("t-code-1", lambda q: q.pop("check"), "check.template"),
        ("t-code-1", lambda q: q["check"].update(template="x = 1"), "check.template"),
        ("t-code-1", lambda q: q["check"].pop("verify"), "check.verify"),
    ],
)
def test_schema_defect_names_file_id_and_field(make_bank, good_raw, qid, mutate, field):
    q = _q(good_raw, qid)
    mutate(q)
    doc = {"bank_version": 1, "cases": good_raw["cases"], "questions": [q] + [
        x for x in good_raw["questions"] if x["id"] != qid]}
    found = _defects(make_bank({"broken.yaml": doc}))
    expect_id = q.get("id", qid)
    assert any(d.startswith(f"broken.yaml: {expect_id}: {field}:") for d in found), found


def test_strict_load_raises_with_file_id_field(make_bank, good_raw):
    q = _q(good_raw, "t-single-1")
    q["answer"] = "Z"
    folder = make_bank({"d9_x.yaml": {"questions": [q]}})
    with pytest.raises(BankError) as err:
        load_bank(folder, strict=True)
    assert "d9_x.yaml: t-single-1: answer:" in str(err.value)


def test_invalid_yaml_is_reported_with_line(make_bank):
    found = _defects(make_bank({"bad.yaml": "questions:\n  - id: x\n    stem: [unclosed\n"}))
    assert len(found) == 1 and found[0].startswith("bad.yaml: -: yaml: not valid YAML at line")


def test_duplicate_ids_across_files(make_bank):
    folder = make_bank({"a.yaml": {"questions": [single("dup-1", "dp100-1.1.1")]},
                        "b.yaml": {"questions": [single("dup-1", "dp100-1.1.2", stem="Something else entirely here")]}})
    assert any("b.yaml: dup-1: id: duplicate id (also in a.yaml)" == d for d in _defects(folder))


def test_unknown_skill_and_ai300_ids(make_bank):
    q = single("s-1", "dp100-9.9.9")
    q["ai300"] = ["ai300-9.9"]
    found = _defects(make_bank({"a.yaml": {"questions": [q]}}))
    assert any(d.startswith("a.yaml: s-1: skills: unknown skill id 'dp100-9.9.9'") for d in found)
    assert any(d.startswith("a.yaml: s-1: ai300: unknown AI-300 skill id") for d in found)


def test_unknown_case_and_case_without_questions(make_bank):
    q = single("c-1", "dp100-1.1.1")
    q["case"] = "case-nowhere"
    doc = {"cases": [{"id": "case-lonely", "title": "x", "scenario": "A company."}], "questions": [q]}
    found = _defects(make_bank({"cases_x.yaml": doc}))
    assert any(d.startswith("cases_x.yaml: c-1: case: case 'case-nowhere' is not defined") for d in found)
    assert any(d.startswith("cases_x.yaml: case-lonely: cases: case study has no questions") for d in found)


def test_near_duplicate_stems(make_bank):
    stem = "You need to register a model trained in a job so that it can be deployed to an online endpoint. What should you do?"
    a, b = single("n-1", "dp100-3.3.3", stem=stem), single("n-2", "dp100-3.3.3", stem=stem.replace("You need", "You must"))
    c = single("n-3", "dp100-3.3.3")
    found = _defects(make_bank({"a.yaml": {"questions": [a, b, c]}}))
    assert [d for d in found if ": stem: near-duplicate" in d] == [d for d in found if d.startswith("a.yaml: n-1: stem: near-duplicate of n-2")]
    assert len(found) == 1


def test_run_checks_flags_a_check_that_does_not_discriminate(make_bank, good_raw):
    q = _q(good_raw, "t-code-1")
    q["check"]["verify"] = "assert True"  # every syntactically valid option now passes
    found = _defects(make_bank({"a.yaml": {"questions": [q]}}), run_checks=True)
    assert any(d.startswith("a.yaml: t-code-1: check: distractor B runs without error") for d in found)
    assert not any("distractor C" in d for d in found)  # C is a NameError: it still fails, as it should


def test_thresholds_report_shortfalls(make_bank, good_raw):
    rep = validate(make_bank({"ok.yaml": good_raw}))
    text = "\n".join(rep.shortfalls)
    assert not rep.defects and not rep.ok
    assert "5 questions; the bank needs at least 300" in text
    assert "dp100-4.4.4 (0)" in text  # a bullet with no question is named with its count
    assert "dp100-4 has 0% of the DP-100 questions" in text


def test_full_bank_meets_thresholds(full_bank):
    rep = validate(full_bank, outline="dp100")
    assert rep.ok, rep.text()
    assert rep.stats["total"] == 312 and min(rep.stats["per_skill"].values()) >= 3


def test_domain_share_out_of_range(make_bank):
    qs = [single(f"d-{i}", "dp100-1.1.1", stem=f"unique stem number {i} " + " ".join(f"t{i}x{j}" for j in range(8)))
          for i in range(10)]
    rep = validate(make_bank({"a.yaml": {"questions": qs}}), min_total=0, min_per_skill=0)
    assert any(s.startswith("dp100-1 has 100% of the DP-100 questions") for s in rep.shortfalls)


def test_main_exit_codes(make_bank, good_raw, full_bank, capsys):
    assert main(["--dir", str(full_bank), "--outline", "dp100"]) == 0
    assert main(["--dir", str(full_bank)]) == 1  # the DP-100-only bank misses the bullets AI-300 adds
    assert "coverage (AI-300): 23 AI-300 bullet(s) with fewer than 3 questions" in capsys.readouterr().out
    q = _q(good_raw, "t-single-1")
    q["answer"] = "Q"
    assert main(["--dir", str(make_bank({"x.yaml": {"questions": [q]}}))]) == 1
    assert "x.yaml: t-single-1: answer:" in capsys.readouterr().out


def test_module_entry_point_runs(full_bank):
    r = subprocess.run([sys.executable, "-m", "dp100lab.exam.validate", "--dir", str(full_bank), "--outline", "dp100"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "312 questions" in r.stdout
