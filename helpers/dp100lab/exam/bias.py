"""Answer-bias statistics: tells that let a candidate score without knowing the topic.

- keyed longest: in a single-choice question, the keyed option is strictly longer than every other option
  (visible characters: Markdown marks and surrounding space not counted). With four options chance is ~25%;
  the bound is 30%.
- Yes share: the share of Yes among all yes/no statements. "Yes to everything" should sit near a coin toss;
  the bound is 40-60%.
- self-verdict: an option or statement whose text gives its own verdict. Two kinds, both bounded at zero:
  * label: the text calls itself right or wrong, e.g. "Correct: ...", "(correct)", "(recommended)",
    "this is the right answer".
  * absolute: "always" or "never" in a WRONG option (or a statement whose answer is No), the classic
    test-taking tell "absolutes are false". The same word in a keyed option or a true statement is not a tell
    (it works against the heuristic), so it is not counted.
  Code (fenced blocks and `inline code`) is ignored: `always` may be a real value there.
- letter references: an explanation that names an option by letter ("option B", "unlike C"). Options are
  shuffled at every presentation, so such a sentence would point at the wrong option; bounded at zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .bank import Bank, Question

KEYED_LONGEST_MAX = 0.30
YES_SHARE_RANGE = (0.40, 0.60)

_CODE = re.compile(r"```.*?```|`[^`]*`", re.S)
_MARKS = re.compile(r"[*_`]")
_V = r"(?:correct|incorrect|right|wrong|true|false|recommended|best)"
_LABELS = [
    re.compile(rf"^\s*\(?\s*(?:in)?correct\s*\)?\s*(?:[:.!,;—–-]|$)", re.I),  # "Correct: ...", "(Correct) ..."
    re.compile(rf"^\s*\(?\s*(?:right|wrong|true|false)\s*\)?\s*[:!—–]", re.I),  # "Wrong! ...", "True: ..."
    re.compile(rf"\(\s*(?:the\s+)?{_V}(?:\s+(?:answer|option|choice))?\s*\)", re.I),  # "(correct)", "(best option)"
    re.compile(rf"\b(?:this|that|it)\s+is\s+(?:the\s+)?{_V}(?:\s+(?:answer|option|choice))?\s*[.!]?\s*$", re.I),
    re.compile(r"\bthe\s+(?:correct|right|wrong|incorrect)\s+(?:answer|option|choice)\b", re.I),
]
_ABSOLUTE = re.compile(r"\b(always|never)\b", re.I)
_LETTER_REF = re.compile(r"\b(?:options?|answers?|choices?|unlike|like|than)\s+\(?[A-H]\)?(?![\w-])"
                         r"|\([A-H]\)|\b[A-H]\s+(?:and|or)\s+[A-H]\b(?!-)")


def visible(text: str) -> str:
    return " ".join(_MARKS.sub("", str(text)).split())


def prose(text: str) -> str:
    """The text without code, where a verdict word is a word and not a value."""
    return _CODE.sub(" ", str(text))


@dataclass
class Bias:
    singles: int = 0
    keyed_longest: list[str] = field(default_factory=list)
    statements: int = 0
    yes: int = 0
    all_yes_series: list[str] = field(default_factory=list)
    verdicts: list[tuple[str, str, str, str]] = field(default_factory=list)  # (qid, option, kind, words)
    letter_refs: list[tuple[str, str, str]] = field(default_factory=list)  # (qid, where, words)

    @property
    def keyed_longest_share(self) -> float:
        return len(self.keyed_longest) / self.singles if self.singles else 0.0

    @property
    def yes_share(self) -> float:
        return self.yes / self.statements if self.statements else 0.5

    def problems(self) -> list[str]:
        out = []
        if self.keyed_longest_share > KEYED_LONGEST_MAX:
            out.append(f"keyed option strictly longest in {len(self.keyed_longest)}/{self.singles} single-choice "
                       f"questions ({self.keyed_longest_share:.0%}; at most {KEYED_LONGEST_MAX:.0%})")
        lo, hi = YES_SHARE_RANGE
        if not lo <= self.yes_share <= hi:
            out.append(f"Yes is the answer to {self.yes}/{self.statements} yes/no statements ({self.yes_share:.0%}; "
                       f"keep it within {lo:.0%}-{hi:.0%})")
        for qid, opt, kind, words in self.verdicts:
            out.append(f"{qid}: {opt}: gives its own verdict ({kind}: {words!r})")
        for qid, where, words in self.letter_refs:
            out.append(f"{qid}: {where}: names an option by letter ({words!r}); options are shuffled, name it by content")
        return out

    def summary(self) -> str:
        return (f"bias: keyed option strictly longest {len(self.keyed_longest)}/{self.singles} single "
                f"({self.keyed_longest_share:.0%}); Yes share {self.yes}/{self.statements} ({self.yes_share:.0%}), "
                f"{len(self.all_yes_series)} all-Yes series; self-verdict options {len(self.verdicts)}; "
                f"letter references in explanations {len(self.letter_refs)}")


def is_keyed_longest(q: Question) -> bool:
    lens = {k: len(visible(v)) for k, v in q.options.items()}
    key = lens[q.answer]
    return all(key > n for k, n in lens.items() if k != q.answer)


def verdict_words(text: str, wrong: bool) -> tuple[str, str] | None:
    """(kind, matched words) when this option/statement text gives its own verdict, else None."""
    t = prose(text)
    for pat in _LABELS:
        m = pat.search(t)
        if m:
            return "label", m.group(0).strip()
    if wrong:
        m = _ABSOLUTE.search(t)
        if m:
            return "absolute", m.group(0)
    return None


def _wrong_options(q: Question) -> list[tuple[str, str, bool]]:
    if q.type == "yesno":
        return [(f"statement {i}", s, not a) for i, (s, a) in enumerate(zip(q.statements, q.answer), 1)]
    keyed = set(q.answer) if isinstance(q.answer, list) else {q.answer}
    if q.type == "ordering":  # every item is part of the answer; only labels can be tells
        keyed = set(q.options)
    return [(f"option {k}", v, k not in keyed) for k, v in q.options.items()]


def measure(bank: Bank) -> Bias:
    b = Bias()
    for q in bank.questions:
        if q.type == "single":
            b.singles += 1
            if is_keyed_longest(q):
                b.keyed_longest.append(q.id)
        if q.type == "yesno":
            b.statements += len(q.answer)
            b.yes += sum(bool(a) for a in q.answer)
            if len(q.answer) > 1 and all(q.answer):
                b.all_yes_series.append(q.id)
        for where, text, wrong in _wrong_options(q):
            found = verdict_words(text, wrong)
            if found:
                b.verdicts.append((q.id, where, *found))
        texts = [("explanation.summary", q.explanation.get("summary", ""))]
        texts += [(f"explanation.options.{k}", v) for k, v in (q.explanation.get("options") or {}).items()]
        for where, text in texts:
            m = _LETTER_REF.search(prose(text))
            if m:
                b.letter_refs.append((q.id, where, m.group(0)))
    return b
