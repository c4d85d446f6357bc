"""The question bank: load data/questions/*.yaml (format fixed in QUESTIONS.md) and check each question's schema.

Every problem is reported as `<file>: <question id>: <field>: <what is wrong>` so a writer can fix it at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import DATA_DIR

QUESTIONS_DIR = DATA_DIR / "questions"
TYPES = ("single", "multiple", "ordering", "yesno", "code")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same result, much faster
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MODULES = {f"{i:02d}" for i in range(13)}


@dataclass(frozen=True)
class Issue:
    file: str
    qid: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.qid}: {self.field}: {self.message}"


class BankError(ValueError):
    """Raised by load_bank(strict=True); its message lists every issue, one per line."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class Question:
    id: str
    type: str
    stem: str
    answer: object
    explanation: dict
    skills: list[str]
    difficulty: int
    module: str
    reference: str
    file: str
    options: dict[str, str] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)
    choose: int | None = None
    case: str | None = None
    check: dict | None = None
    ai300: list[str] | None = None

    @property
    def keys(self) -> list[str]:
        return list(self.options)

    def option_explanation(self, key: str) -> str:
        return str((self.explanation.get("options") or {}).get(str(key), ""))


@dataclass
class Bank:
    questions: list[Question]
    cases: dict[str, dict]
    issues: list[Issue]
    files: list[str]

    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}


def _str(v) -> bool:
    return isinstance(v, str) and v.strip() != ""


def schema_issues(raw: dict, file: str) -> list[Issue]:
    """Structural problems of one raw question mapping (cross-references are checked in validate.py)."""
    qid = str(raw.get("id", "<no id>")) if isinstance(raw, dict) else "<not a mapping>"
    out: list[Issue] = []

    def bad(fld: str, msg: str) -> None:
        out.append(Issue(file, qid, fld, msg))

    if not isinstance(raw, dict):
        return [Issue(file, qid, "question", "each entry under `questions:` must be a mapping")]
    if not (isinstance(raw.get("id"), str) and ID_RE.match(raw["id"])):
        bad("id", "required; lowercase letters, digits and '-' only")
    qtype = raw.get("type")
    if qtype not in TYPES:
        bad("type", f"must be one of {', '.join(TYPES)} (got {qtype!r})")
        return out
    if not _str(raw.get("stem")):
        bad("stem", "required, non-empty markdown text")
    opts = raw.get("options")
    keys: list[str] = []
    if qtype == "yesno":
        if opts is not None:
            bad("options", "yesno questions use `statements`, not `options`")
        st = raw.get("statements")
        if not (isinstance(st, list) and st and all(_str(s) for s in st)):
            bad("statements", "required for yesno: a non-empty list of statements")
            st = []
        keys = [str(i) for i in range(1, len(st) + 1)]
        ans = raw.get("answer")
        if not (isinstance(ans, list) and len(ans) == len(st) and all(isinstance(a, bool) for a in ans)):
            bad("answer", f"yesno: a list of true/false, one per statement ({len(st)})")
    else:
        if not (isinstance(opts, dict) and len(opts) >= 2):
            bad("options", "required: a mapping of at least 2 keys (A, B, ...) to text")
            opts = {}
        keys = [str(k) for k in opts]
        expected = [chr(ord("A") + i) for i in range(len(keys))]
        if opts and keys != expected:
            bad("options", f"keys must be {', '.join(expected)} in order (got {', '.join(keys)})")
        for k, v in opts.items():
            if not _str(v):
                bad(f"options.{k}", "option text is empty")
        ans = raw.get("answer")
        if qtype in ("single", "code"):
            if str(ans) not in keys:
                bad("answer", f"must be one of the option keys {keys} (got {ans!r})")
        elif qtype == "multiple":
            choose = raw.get("choose")
            if not (isinstance(choose, int) and 2 <= choose < max(len(keys), 3)):
                bad("choose", "multiple: an integer >= 2 and smaller than the number of options")
            if not (isinstance(ans, list) and len(set(map(str, ans))) == len(ans) and all(str(a) in keys for a in ans)):
                bad("answer", f"multiple: a list of distinct option keys from {keys} (got {ans!r})")
            elif isinstance(choose, int) and len(ans) != choose:
                bad("answer", f"multiple: lists {len(ans)} keys but choose is {choose}")
        elif qtype == "ordering":
            if not (isinstance(ans, list) and sorted(map(str, ans)) == sorted(keys)):
                bad("answer", f"ordering: every option key exactly once, in the right order (got {ans!r})")
        if qtype != "multiple" and "choose" in raw:
            bad("choose", "only multiple-choice questions take `choose`")
    expl = raw.get("explanation")
    if not isinstance(expl, dict):
        bad("explanation", "required: a mapping with `summary` and `options`")
    else:
        if not _str(expl.get("summary")):
            bad("explanation.summary", "required: why the answer is right")
        eo = expl.get("options")
        eo = {str(k): v for k, v in eo.items()} if isinstance(eo, dict) else {}
        for k in keys:
            if not _str(eo.get(k)):
                what = "statement" if qtype == "yesno" else "option"
                bad(f"explanation.options.{k}", f"missing: explain why {what} {k} is right or wrong")
        for k in eo:
            if k not in keys:
                bad(f"explanation.options.{k}", "explains an option/statement that does not exist")
    sk = raw.get("skills")
    if not (isinstance(sk, list) and 1 <= len(sk) <= 3 and all(isinstance(s, str) for s in sk)):
        bad("skills", "required: a list of 1-3 skill ids (dp100-... or ai300-...)")
    if raw.get("difficulty") not in (1, 2, 3):
        bad("difficulty", "must be 1, 2 or 3")
    if str(raw.get("module")) not in MODULES:
        bad("module", 'must be a module number "00".."12" (quoted)')
    if not (_str(raw.get("reference")) and str(raw["reference"]).startswith("https://")):
        bad("reference", "required: the https:// doc page that backs the answer")
    chk = raw.get("check")
    if qtype == "code":
        if not isinstance(chk, dict) or not _str(chk.get("template")) or "___" not in chk.get("template", ""):
            bad("check.template", "code questions need check.template containing the blank ___")
        if not isinstance(chk, dict) or not _str(chk.get("verify")):
            bad("check.verify", "code questions need check.verify (python that raises for a wrong answer)")
    elif chk is not None:
        bad("check", "only code questions take a `check` block")
    ai3 = raw.get("ai300")
    if ai3 is not None and not (isinstance(ai3, list) and all(isinstance(a, str) for a in ai3)):
        bad("ai300", "optional: a list of AI-300 skill ids")
    if raw.get("case") is not None and not _str(raw.get("case")):
        bad("case", "must be a case id string")
    return out


def to_question(raw: dict, file: str) -> Question:
    expl = dict(raw["explanation"])
    expl["options"] = {str(k): v for k, v in (expl.get("options") or {}).items()}
    ans = raw["answer"]
    if raw["type"] in ("single", "code"):
        ans = str(ans)
    elif raw["type"] in ("multiple", "ordering"):
        ans = [str(a) for a in ans]
    return Question(
        id=raw["id"], type=raw["type"], stem=raw["stem"].strip(), answer=ans, explanation=expl,
        skills=list(raw["skills"]), difficulty=raw["difficulty"], module=str(raw["module"]),
        reference=raw["reference"], file=file, options={str(k): str(v) for k, v in (raw.get("options") or {}).items()},
        statements=[str(s) for s in raw.get("statements") or []], choose=raw.get("choose"), case=raw.get("case"),
        check=raw.get("check"), ai300=raw.get("ai300"),
    )


def load_bank(directory: Path | None = None, strict: bool = False) -> Bank:
    """Load every *.yaml in the questions folder. Malformed questions are left out and reported in .issues;
    strict=True raises BankError instead."""
    directory = Path(directory or QUESTIONS_DIR)
    questions: list[Question] = []
    cases: dict[str, dict] = {}
    issues: list[Issue] = []
    files = sorted(directory.glob("*.yaml")) if directory.exists() else []
    for path in files:
        name = path.name
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else "?"
            issues.append(Issue(name, "-", "yaml", f"not valid YAML at {where}: {getattr(exc, 'problem', exc)}"))
            continue
        if doc is None:
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("questions", []), list):
            issues.append(Issue(name, "-", "questions", "the file must be a mapping with a `questions:` list"))
            continue
        for c in doc.get("cases") or []:
            if not (isinstance(c, dict) and _str(c.get("id")) and _str(c.get("scenario"))):
                issues.append(Issue(name, str(c.get("id", "-")) if isinstance(c, dict) else "-", "cases",
                                    "each case needs an id and a scenario"))
                continue
            cases[c["id"]] = {**c, "file": name}
        for raw in doc.get("questions") or []:
            found = schema_issues(raw, name)
            issues.extend(found)
            if not found:
                questions.append(to_question(raw, name))
    if strict and issues:
        raise BankError(issues)
    return Bank(questions, cases, issues, [p.name for p in files])
