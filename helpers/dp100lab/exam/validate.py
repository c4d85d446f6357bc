"""Validate the question bank: schema, ids, cross-references, coverage thresholds, near-duplicates, code checks.

    python -m dp100lab.exam.validate [--dir DIR] [--run-checks] [--outline dp100|ai300|both]
    python -m dp100lab.exam.validate --citations    # the citation register against the bank (citations.py)

Exit code 0 when the bank is sound and meets the thresholds, 1 otherwise. Each line names file, id and field.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import outlines
from .bank import Bank, Issue, load_bank
from .bias import Bias, measure

MIN_TOTAL = 300  # the bank the issue asks for
MIN_PER_SKILL = 3  # questions per DP-100 bullet
DOMAIN_TOLERANCE = 5  # percentage points a domain's share may sit outside its exam weight range
NEAR_DUP = 0.8  # Jaccard similarity of word 3-shingles above which two stems are near-duplicates


@dataclass
class Report:
    defects: list[Issue] = field(default_factory=list)  # wrong questions: must be fixed
    shortfalls: list[str] = field(default_factory=list)  # bank-level thresholds not met yet
    stats: dict = field(default_factory=dict)
    ai300_shortfalls: list[str] = field(default_factory=list)  # the same thresholds against the AI-300 outline
    bias: Bias = field(default_factory=Bias)  # answer tells (bias.py); bounded like the thresholds

    @property
    def ok(self) -> bool:
        return not (self.defects or self.shortfalls or self.ai300_shortfalls or self.bias.problems())

    def text(self) -> str:
        lines = [str(d) for d in self.defects] + [f"coverage: {s}" for s in self.shortfalls]
        lines += [f"coverage (AI-300): {s}" for s in self.ai300_shortfalls]
        lines += [f"bias: {p}" for p in self.bias.problems()]
        lines.append(self.bias.summary())
        s = self.stats
        lines.append(
            f"{s.get('total', 0)} questions in {s.get('files', 0)} files; by type {s.get('by_type', {})}; "
            f"by domain {s.get('by_domain', {})}; by AI-300 domain {s.get('by_ai300_domain', {})}; "
            f"{len(self.defects)} defect(s), {len(self.shortfalls) + len(self.ai300_shortfalls)} shortfall(s)"
        )
        return "\n".join(lines)


domain_of = outlines.domain_of  # a question counts toward the domain of its first skill in that outline


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9_]+", text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def near_duplicates(bank: Bank, threshold: float = NEAR_DUP) -> list[tuple[str, str, float]]:
    sh = [(q, _shingles(q.stem)) for q in bank.questions]
    out = []
    for i, (qa, a) in enumerate(sh):
        for qb, b in sh[i + 1 :]:
            if not a or not b:
                continue
            j = len(a & b) / len(a | b)
            if j >= threshold:
                out.append((qa.id, qb.id, round(j, 2)))
    return out


def validate(
    directory: Path | None = None,
    min_total: int = MIN_TOTAL,
    min_per_skill: int = MIN_PER_SKILL,
    tolerance: float = DOMAIN_TOLERANCE,
    run_checks: bool = False,
    outline: str = "both",
) -> Report:
    """outline: whose coverage thresholds apply: "dp100", "ai300" or "both" (defects and bias always do)."""
    bank = load_bank(directory)
    dp, ai = outlines.dp100(), outlines.ai300()
    rep = Report(defects=list(bank.issues))
    d = rep.defects

    seen: dict[str, str] = {}
    for q in bank.questions:
        if q.id in seen:
            d.append(Issue(q.file, q.id, "id", f"duplicate id (also in {seen[q.id]})"))
        seen.setdefault(q.id, q.file)
        for s in q.skills:
            if s not in dp.skills and s not in ai.skills:
                d.append(Issue(q.file, q.id, "skills", f"unknown skill id {s!r} (neither outlines/dp100.yaml nor "
                                                       f"outlines/ai300.yaml has it)"))
        for a in q.ai300 or []:
            if a not in ai.skills:
                d.append(Issue(q.file, q.id, "ai300", f"unknown AI-300 skill id {a!r} (see outlines/ai300.yaml)"))
        if q.case and q.case not in bank.cases:
            d.append(Issue(q.file, q.id, "case", f"case {q.case!r} is not defined under `cases:` in any file"))
    used_cases = {q.case for q in bank.questions if q.case}
    for cid, case in bank.cases.items():
        if cid not in used_cases:
            d.append(Issue(case["file"], cid, "cases", "case study has no questions"))
    for a, b, j in near_duplicates(bank):
        qa = bank.by_id()[a]
        d.append(Issue(qa.file, a, "stem", f"near-duplicate of {b} (similarity {j}); rewrite one of them"))
    if run_checks:
        from .checks_runner import run_check

        for q in bank.questions:
            if q.type == "code":
                for p in run_check(q).problems:
                    d.append(Issue(q.file, q.id, "check", p))

    rep.bias = measure(bank)
    total = len(bank.questions)
    per_skill = Counter(s for q in bank.questions for s in set(q.skills))
    by_domain = Counter(domain_of(q, dp) for q in bank.questions)
    per_ai = Counter(s for q in bank.questions for s in outlines.skills_of(q, ai))
    by_ai = Counter(domain_of(q, ai) for q in bank.questions)
    rep.stats = {
        "total": total,
        "files": len(bank.files),
        "by_type": dict(sorted(Counter(q.type for q in bank.questions).items())),
        "by_domain": {k: by_domain.get(k, 0) for k in dp.domain_ids},
        "per_skill": {s: per_skill.get(s, 0) for s in dp.skills},
        "by_ai300_domain": {k: by_ai.get(k, 0) for k in ai.domain_ids},
        "per_ai300_skill": {s: per_ai.get(s, 0) for s in ai.skills},
        "cases": len(bank.cases),
    }
    if total < min_total:
        rep.shortfalls.append(f"{total} questions; the bank needs at least {min_total}")
    thin = [f"{s} ({per_skill.get(s, 0)})" for s in dp.skills if per_skill.get(s, 0) < min_per_skill]
    if thin:
        rep.shortfalls.append(f"{len(thin)} DP-100 bullet(s) with fewer than {min_per_skill} questions: " + ", ".join(thin))
    rep.shortfalls += _share_shortfalls(dp, by_domain, tolerance)
    if outline == "ai300":
        rep.ai300_shortfalls, rep.shortfalls = rep.shortfalls[:0], []
    if outline == "dp100":
        return rep
    thin = [f"{s} ({per_ai.get(s, 0)})" for s in ai.skills if per_ai.get(s, 0) < min_per_skill]
    if thin:
        rep.ai300_shortfalls.append(f"{len(thin)} AI-300 bullet(s) with fewer than {min_per_skill} questions: "
                                    + ", ".join(thin))
    rep.ai300_shortfalls += _share_shortfalls(ai, by_ai, tolerance)
    return rep


def _share_shortfalls(outline: outlines.Outline, by_domain: Counter, tolerance: float) -> list[str]:
    """Each domain's share of the questions that map to this outline, against its exam weight range."""
    total = sum(v for k, v in by_domain.items() if k)
    out = []
    for dom in outline.domains:
        share = 100 * by_domain.get(dom.id, 0) / total if total else 0
        if not (dom.weight_min - tolerance <= share <= dom.weight_max + tolerance):
            out.append(f"{dom.id} has {share:.0f}% of the {outline.exam} questions; exam weight is "
                       f"{dom.weight_min}-{dom.weight_max}% (allowed {dom.weight_min - tolerance:g}-"
                       f"{dom.weight_max + tolerance:g}%)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dp100lab.exam.validate", description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=None, help="questions folder (default: the packaged bank)")
    ap.add_argument("--run-checks", action="store_true", help="also execute every code question's check")
    ap.add_argument("--outline", choices=("dp100", "ai300", "both"), default="both",
                    help="whose coverage thresholds to apply (default both; defects and bias are always checked)")
    ap.add_argument("--citations", action="store_true",
                    help="instead: references missing from data/citations.yaml (exit 1) and entries whose page "
                         "title is not confirmed yet (offline)")
    args = ap.parse_args(argv)
    if args.citations:
        from . import citations

        text, ok = citations.report(load_bank(args.dir))
        print(text)
        return 0 if ok else 1
    rep = validate(args.dir, run_checks=args.run_checks, outline=args.outline)
    print(rep.text())
    return 0 if rep.ok else 1


if __name__ == "__main__":
    sys.exit(main())
