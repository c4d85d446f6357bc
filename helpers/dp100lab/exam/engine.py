"""The engine both faces share: pick questions, show them, read and grade answers, explain, practice loop.

I/O is injected (input_fn, out) so the terminal, notebooks and tests drive the same code.
"""

from __future__ import annotations

import random
import re
import sys
import textwrap
from typing import Callable, Iterable

from . import outlines, term
from .bank import Bank, Question
from .layout import Layout, make_layout, question_seed, to_stored, view

HELP = {
    "single": "Answer with one letter, e.g. B",
    "code": "Answer with the letter of the fragment that completes the code, e.g. B",
    "multiple": "Choose {n}: letters separated by commas or spaces, e.g. {ex}",
    "ordering": "Give all {n} letters in the right order, first step first, separated by spaces",  # no example: it could be the key
    "yesno": "Answer Y or N for each statement, in order, e.g. {ex}",
}


class SelectionError(ValueError):
    """Unknown domain/skill/module: the message lists the valid values."""


# ---------- choosing questions ----------

def _norm_skill(s: str, prefix: str = "dp100") -> str:
    s = s.strip().lower()
    if s.startswith(("dp100-", "ai300-")):
        return s
    return f"{prefix}-{s.lstrip('d')}" if re.match(r"^d?\d", s) else s


def select(bank: Bank, domain: str | None = None, skill: str | None = None, module: str | None = None,
           outline: str = "dp100") -> list[Question]:
    """Questions for a domain/skill (of the DP-100 or the AI-300 outline) and/or a curriculum module."""
    try:
        ol = outlines.get(outline)
    except ValueError as exc:
        raise SelectionError(str(exc)) from None
    qs = list(bank.questions)
    if outline == "ai300" or ol.name == "ai300":
        qs = [q for q in qs if outlines.skills_of(q, ol)]  # AI-300 practice: questions that map to AI-300
    if domain:
        did = _norm_skill(domain, ol.name)
        if did not in ol.domain_ids:
            valid = "; ".join(f"{d.id.split('-')[1]} = {d.title}" for d in ol.domains)
            raise SelectionError(f"unknown {ol.exam} domain {domain!r}. Valid domains: {valid}")
        qs = [q for q in qs if any(ol.skills.get(s) and ol.skills[s].domain_id == did for s in outlines.skills_of(q, ol))]
    if skill:
        sid = _norm_skill(skill, ol.name)
        groups = ol.groups()
        if sid not in ol.skills and sid not in groups:
            valid = ", ".join(s.split("-")[1] for s in ol.skills)
            raise SelectionError(
                f"unknown {ol.exam} skill {skill!r}. Valid skills (or a group such as {next(iter(groups)).split('-')[1]}): "
                f"{valid}. See `dp100 coverage` for their wording."
            )
        qs = [q for q in qs if any(s == sid or s.startswith(sid + ".") for s in outlines.skills_of(q, ol))]
    if module:
        mod = f"{int(module):02d}" if str(module).isdigit() else str(module)
        modules = sorted({q.module for q in bank.questions})
        if mod not in {f"{i:02d}" for i in range(13)}:
            raise SelectionError(f"unknown module {module!r}. Valid modules: 00..12 (with questions: {', '.join(modules)})")
        qs = [q for q in qs if q.module == mod]
    return qs


# ---------- showing ----------

def _example(q: Question) -> str:
    keys = q.keys
    if q.type == "multiple":
        return ",".join(keys[: q.choose or 2])
    if q.type == "ordering":
        return " ".join(reversed(keys))
    if q.type == "yesno":
        return " ".join("Y" if i % 2 == 0 else "N" for i in range(len(q.statements)))
    return keys[0]


def instructions(q: Question) -> str:
    n = q.choose if q.type == "multiple" else len(q.statements) if q.type == "yesno" else len(q.keys)
    return HELP[q.type].format(n=n, ex=_example(q))


def render(q: Question, bank: Bank | None = None, header: str = "", show_case: bool = True) -> str:
    """The question as Markdown (term.emit renders it in a terminal, the widget in a notebook)."""
    parts = []
    if header:
        parts.append(f"**{header.strip()}**")
    if show_case and q.case and bank and q.case in bank.cases:
        case = bank.cases[q.case]
        parts.append(f"**Case study: {case.get('title', q.case)}**\n\n{case['scenario'].strip()}\n\n---")
    parts.append(q.stem)
    if q.type == "yesno":
        parts.append("\n".join(f"{i}. {s}" for i, s in enumerate(q.statements, 1)))
    else:
        parts.append("\n".join(f"- **{k}.** {_one_line(v)}" for k, v in q.options.items()))
    parts.append(f"*({instructions(q)})*")
    return "\n\n".join(parts)


def _one_line(text: str) -> str:
    v = str(text).strip()
    return v if "\n" not in v else "\n\n  ```\n" + textwrap.indent(v, "  ") + "\n  ```"


# ---------- answers ----------

def parse_answer(q: Question, text: str):
    """Turn what the learner typed into an answer for q, or raise ValueError saying what to type instead."""
    raw = text.strip()
    if q.type == "yesno":
        toks = re.findall(r"[a-z]+", raw.lower())
        if len(toks) == 1 and set(toks[0]) <= {"y", "n"} and len(toks[0]) == len(q.statements):
            toks = list(toks[0])
        truth = {"y": True, "yes": True, "true": True, "n": False, "no": False, "false": False}
        if len(toks) != len(q.statements) or any(t not in truth for t in toks):
            raise ValueError(f"give {len(q.statements)} answers, Y or N, one per statement, e.g. {_example(q)}")
        return [truth[t] for t in toks]
    keys = q.keys
    toks = re.findall(r"[A-Za-z]+", raw.upper())
    if len(toks) == 1 and len(toks[0]) > 1 and all(c in keys for c in toks[0]):
        toks = list(toks[0])
    bad = [t for t in toks if t not in keys]
    if bad or not toks:
        raise ValueError(f"{' '.join(bad) or 'nothing'} is not an option; options are {', '.join(keys)}. {instructions(q)}")
    if q.type in ("single", "code"):
        if len(toks) != 1:
            raise ValueError(f"choose exactly one option. {instructions(q)}")
        return toks[0]
    if len(set(toks)) != len(toks):
        raise ValueError(f"each letter at most once. {instructions(q)}")
    if q.type == "multiple" and len(toks) != q.choose:
        raise ValueError(f"choose exactly {q.choose} options (you gave {len(toks)}). {instructions(q)}")
    if q.type == "ordering" and len(toks) != len(keys):
        raise ValueError(f"put all {len(keys)} options in order (you gave {len(toks)}). {instructions(q)}")
    return toks


def score(q: Question, given) -> float:
    """1.0 right, 0.0 wrong; partial credit per statement (yesno) or per correct pick (multiple)."""
    if given is None:
        return 0.0
    if q.type == "yesno":
        return sum(a == b for a, b in zip(given, q.answer)) / len(q.answer)
    if q.type == "multiple":
        return len(set(given) & set(q.answer)) / len(q.answer)
    if q.type == "ordering":
        return 1.0 if list(given) == list(q.answer) else 0.0
    return 1.0 if given == q.answer else 0.0


def format_answer(q: Question, ans) -> str:
    if ans is None:
        return "(no answer)"
    if q.type == "yesno":
        return " ".join("Y" if a else "N" for a in ans)
    if isinstance(ans, list):
        return (", " if q.type == "multiple" else " ").join(ans)
    return str(ans)


def verdict(q: Question, given) -> str:
    s = score(q, given)
    v = "✓ Correct." if s >= 1 else ("~ Partly right" if s > 0 else "✗ Not quite") + f" ({s:.0%})."
    return f"{v} Right answer: {format_answer(q, q.answer)}" + ("" if s >= 1 else f"; yours: {format_answer(q, given)}")


def explain(q: Question, given=None) -> str:
    """Verdict, why, and a line per option (under the letters shown), as Markdown."""
    lines = [verdict(q, given) if given is not None else f"Right answer: {format_answer(q, q.answer)}", "",
             str(q.explanation["summary"]).strip(), ""]
    keys = [str(i) for i in range(1, len(q.statements) + 1)] if q.type == "yesno" else q.keys
    for k in keys:
        lines.append(f"- **{k}:** {q.option_explanation(k)}")
    lines += ["", f"Read more: <{q.reference}>"]
    return "\n".join(lines)


# ---------- practice loop ----------

def ask(q: Question, input_fn: Callable[[str], str], out, prompt: str = "> ") -> tuple[str, object]:
    """Read until the answer parses. Returns (command, answer): command is 'answer', 'skip', 'mark' or 'quit'."""
    while True:
        try:
            text = input_fn(prompt)
        except EOFError:
            return "quit", None
        t = text.strip().lower()
        if t in ("q", "quit", "exit"):
            return "quit", None
        if t in ("s", "skip"):
            return "skip", None
        if t in ("m", "mark"):
            return "mark", None
        if t in ("?", "h", "help"):
            print(f"{instructions(q)}. Also: m = mark for review, s = skip, q = quit (progress is saved).", file=out)
            continue
        try:
            return "answer", parse_answer(q, text)
        except ValueError as exc:
            print(f"  {exc}", file=out)


def present(q: Question, seed: int | None = None) -> tuple[Layout, Question]:
    """Draw this presentation's layout and the relabelled view to show (see layout.py)."""
    lay = make_layout(q, seed)
    return lay, view(q, lay)


def practice(
    questions: Iterable[Question],
    bank: Bank,
    store,
    input_fn: Callable[[str], str] = input,
    out=None,
    mode: str = "practice",
    seed: int | None = None,
) -> dict:
    """Ask each question (options shuffled), explain at once, record the result, layout and answer.

    seed: reproducible layouts (each question's layout comes from seed and its id); None draws fresh ones."""
    out = out or sys.stdout
    qs = list(questions)
    done, total_score, marked = 0, 0.0, []
    for i, q in enumerate(qs, 1):
        lay, v = present(q, None if seed is None else question_seed(seed, q.id))
        print("", file=out)
        term.emit(out, render(v, bank, header=f"[{i}/{len(qs)}] {q.id} · {', '.join(q.skills)} · module {q.module}"))
        is_marked = False
        while True:
            cmd, ans = ask(v, input_fn, out)
            if cmd == "mark":
                is_marked = True
                print("  marked for review; now answer it, or s to skip", file=out)
                continue
            break
        if cmd == "quit":
            break
        if cmd == "skip":
            if is_marked:
                store.mark(q.id)
                marked.append(q.id)
            continue
        s = score(v, ans)
        store.record(q.id, s, mode, marked=is_marked, layout=lay, answer=to_stored(q, lay, ans))
        done, total_score = done + 1, total_score + s
        if is_marked:
            marked.append(q.id)
        term.emit(out, explain(v, ans))
    pct = total_score / done if done else 0.0
    print(f"\n{done} answered, {pct:.0%} right" + (f"; marked for review: {', '.join(marked)}" if marked else "")
          + ". Progress saved; `dp100 quiz --review` brings back what needs another look.", file=out)
    return {"answered": done, "score": pct, "marked": marked}


def shuffled(qs: list[Question], n: int | None, seed: int | None) -> list[Question]:
    rng = random.Random(seed)
    qs = list(qs)
    rng.shuffle(qs)
    return qs[:n] if n else qs
