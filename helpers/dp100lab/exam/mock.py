"""Mock exam: ~50 questions drawn by domain weight, a timer, mark-for-review, navigation, resume, scored results.

The session is saved to progress/mock_session.json after every action, so a closed terminal or a dead kernel
loses nothing: `dp100 exam` resumes it (the timer pauses while the exam is saved).
"""

from __future__ import annotations

import os
import random
import sys
import time
from typing import Callable

from . import outlines, term
from .bank import Bank, Question
from .engine import explain, format_answer, parse_answer, render, score
from .layout import Layout, identity, make_layout, new_seed, question_seed, to_shown, to_stored, view
from .migrate import SESSION_VERSION, migrate_session
from .outlines import domain_of
from .store import ProgressStore, atomic_write_json, backup_once, now_iso, read_json_or_quarantine

PASS_MARK = 700
COMMANDS = ("Commands: an answer · m mark/unmark for review · n next · p previous · g N go to question N · "
            "r review list · t time left · f finish · q save and quit (type the word, e.g. next, when the letter "
            "is also an answer)")
ESTIMATE_NOTE = ("This scaled score is an ESTIMATE: your raw percentage mapped linearly onto 1-1000 (70% -> 700). "
                 "Microsoft scales each exam form its own way and does not publish how; it is not Microsoft's scaling.")


def quotas(n: int, outline: outlines.Outline) -> dict[str, int]:
    """Split n questions across domains by the midpoint of each weight range (largest remainder)."""
    mids = {d.id: d.weight_mid for d in outline.domains}
    total = sum(mids.values())
    exact = {k: n * v / total for k, v in mids.items()}
    q = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - q[k], reverse=True)[: n - sum(q.values())]:
        q[k] += 1
    return q


def build_exam(bank: Bank, n: int = 50, seed: int | None = None, outline: str = "dp100") -> list[str]:
    """Question ids for a mock exam: at most one case study (kept together, at the end), the rest by the domain
    weights of the outline (dp100 or ai300); only questions that map to that outline are drawn."""
    rng = random.Random(seed)
    dp = outlines.get(outline)
    want = quotas(n, dp)
    picked: list[Question] = []
    cases: dict[str, list[Question]] = {}
    eligible = [q for q in bank.questions if domain_of(q, dp)]
    for q in eligible:
        if q.case:
            cases.setdefault(q.case, []).append(q)
    case_block: list[Question] = []
    fitting = [c for c, qs in sorted(cases.items()) if len(qs) <= max(3, n // 6)]  # a case is ~4-8 questions
    if fitting:
        case_block = cases[rng.choice(fitting)]
        for q in case_block:
            d = domain_of(q, dp)
            want[d] = max(0, want.get(d, 0) - 1)
    pool = [q for q in eligible if not q.case]
    rng.shuffle(pool)
    for dom, k in want.items():
        picked += [q for q in pool if domain_of(q, dp) == dom][:k]
    rest = [q for q in pool if q not in picked]  # a thin domain is topped up from the others
    picked += rest[: max(0, n - len(case_block) - len(picked))]
    rng.shuffle(picked)
    return [q.id for q in picked + case_block]


def _clock_text(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 60}:{s % 60:02d}"


class MockExam:
    def __init__(self, bank: Bank, store: ProgressStore, input_fn: Callable[[str], str] = input, out=None,
                 clock: Callable[[], float] = time.monotonic):
        self.bank, self.store, self.input_fn, self.clock = bank, store, input_fn, clock
        self.out = out or sys.stdout
        self.path = store.dir / "mock_session.json"
        self.by_id = bank.by_id()
        self.state: dict = {}

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    # ----- session file -----
    def save(self) -> None:
        atomic_write_json(self.path, self.state)

    def start(self, n: int = 50, minutes: float = 100, new: bool = False, seed: int | None = None,
              outline: str = "dp100") -> None:
        old = read_json_or_quarantine(self.path, "qids", self.out)
        if old:
            old, changed = migrate_session(old, self.by_id, self.path)
            if changed:
                backup_once(self.path, old["migrated_from"])
                atomic_write_json(self.path, old)
        if old and new:
            aside = self.path.with_name(f"mock_session.abandoned-{old['started_at'].replace(':', '')}.json")
            os.replace(self.path, aside)
            self.say(f"Started over; the unfinished exam was kept as {aside}.")
            old = None
        if old:
            self.state = old
            missing = [q for q in old["qids"] if q not in self.by_id]
            if missing:
                self.say(f"{len(missing)} question(s) of the saved exam are no longer in the bank and were dropped: {', '.join(missing)}")
                self.state["qids"] = [q for q in old["qids"] if q in self.by_id]
            self._check_layouts()
            left = old["time_limit_s"] - old["elapsed_s"]
            asked = self.state.get("outline", "dp100")
            also = f" (that exam is {outlines.get(asked).exam}; --outline applies to the next one)" if asked != outline else ""
            self.say(outlines.status_line(asked))
            self.say(f"Resuming the mock exam started {old['started_at']}: {len(old['answers'])}/{len(self.state['qids'])} "
                     f"answered, {_clock_text(left)} left{also}. (`dp100 exam --new` discards it and starts over.)")
            return
        ol = outlines.get(outline)
        qids = build_exam(self.bank, n, seed, ol.name)
        if not qids:
            raise RuntimeError(f"no questions in the bank map to {ol.exam}: nothing to build a mock exam from")
        seed = new_seed() if seed is None else seed
        layouts = {q: make_layout(self.by_id[q], question_seed(seed, q)).to_json() for q in qids}
        self.state = {"version": SESSION_VERSION, "outline": ol.name, "seed": seed, "qids": qids, "layouts": layouts,
                      "answers": {}, "marked": [], "current": 0, "elapsed_s": 0.0,
                      "time_limit_s": float(minutes) * 60, "started_at": now_iso()}
        self.save()
        self.say(outlines.status_line(ol.name))
        self.say(f"{ol.exam} mock exam: {len(qids)} questions, {minutes:g} minutes. {COMMANDS}")

    def _check_layouts(self) -> None:
        """A question edited since the exam started (its option keys changed) gets a new layout; an answer given
        under the old keys is set aside (kept in the session file), never re-read under the new ones."""
        st = self.state
        for qid in st["qids"]:
            q, lay = self.by_id[qid], Layout.from_json(st["layouts"].get(qid))
            if lay is not None and lay.fits(q):
                continue
            st["layouts"][qid] = make_layout(q, question_seed(st.get("seed") or 0, qid)).to_json()
            if qid in st["answers"]:
                st.setdefault("set_aside", {})[qid] = st["answers"].pop(qid)
                self.say(f"{qid} changed in the bank since you answered it; that answer was set aside, answer it again.")
        self.save()

    def layout(self, q: Question) -> Layout:
        return Layout.from_json(self.state["layouts"].get(q.id)) or identity(q)

    def shown(self, q: Question) -> Question:
        """The question as this exam shows it (the layout recorded when the exam was drawn)."""
        return view(q, self.layout(q))

    # ----- the loop -----
    def remaining(self) -> float:
        return self.state["time_limit_s"] - self.state["elapsed_s"]

    def run(self) -> dict | None:
        """Returns the results dict when the exam finished (or time ran out), None when saved to resume later."""
        st = self.state
        last = self.clock()

        def tick() -> None:
            nonlocal last
            t = self.clock()
            st["elapsed_s"] += max(0.0, t - last)
            last = t
            self.save()

        while True:
            tick()
            if self.remaining() <= 0:
                self.say("\nTime is up.")
                return self.finish()
            warned = st.setdefault("warned", [])
            for mins in (10, 5, 1):
                if self.remaining() <= mins * 60 and mins not in warned and st["time_limit_s"] > mins * 60:
                    warned.append(mins)
                    self.say(f"\n*** {mins} minute{'s' if mins > 1 else ''} left ***")
            qids, cur = st["qids"], st["current"]
            if cur >= len(qids):
                self.say(self.review_list() + "\nEnd of the exam: g N to revisit a question, f to finish.")
            else:
                q = self.by_id[qids[cur]]
                flag = " · MARKED" if q.id in st["marked"] else ""
                prev = q.id in st["answers"] and f" · your answer: {format_answer(q, self._given(q))}" or ""
                prev_case = cur > 0 and self.by_id[qids[cur - 1]].case == q.case
                header = f"[{cur + 1}/{len(qids)}] {_clock_text(self.remaining())} left{flag}{prev}"
                self.say()
                term.emit(self.out, render(self.shown(q), self.bank, header=header, show_case=not prev_case or not q.case))
            try:
                text = self.input_fn("> ")
            except EOFError:
                text = "q"
            tick()
            if self.remaining() <= 0:
                self.say("\nTime is up: that last input came after the limit and was not counted.")
                return self.finish()
            result = self.command(text.strip())
            if result == "quit":
                self.say(f"Saved. Run `dp100 exam` to resume ({_clock_text(self.remaining())} left; the timer is paused).")
                return None
            if result == "finish":
                tick()  # count the time spent confirming
                return self.finish()

    def _given(self, q: Question):
        """The answer as shown (display letters); the session keeps it in stored keys."""
        return to_shown(q, self.layout(q), self.state["answers"].get(q.id))

    def command(self, text: str) -> str | None:
        st, low = self.state, text.lower()
        qids, cur = st["qids"], st["current"]
        if len(low) == 1 and cur < len(qids):
            try:  # a one-letter answer wins over a command letter (option F, a single Yes/No statement, ...)
                parse_answer(self.shown(self.by_id[qids[cur]]), text)
                low = "\0answer"
            except ValueError:
                pass
        if low in ("q", "quit", "exit"):
            return "quit"
        if low in ("f", "finish"):
            open_ = len(qids) - len(st["answers"])
            if open_:
                ans = self.input_fn(f"{open_} question(s) unanswered; they will score 0. Finish now? (y/n) ")
                if not ans.strip().lower().startswith("y"):
                    return None
            return "finish"
        if low in ("n", "next", ""):
            st["current"] = min(cur + 1, len(qids))
        elif low in ("p", "prev", "previous"):
            st["current"] = max(cur - 1, 0)
        elif low.startswith("g"):
            arg = low[1:].strip()
            if arg.isdigit() and 1 <= int(arg) <= len(qids):
                st["current"] = int(arg) - 1
            else:
                self.say(f"  go to a question number 1..{len(qids)}, e.g. g 7")
        elif low in ("r", "review"):
            self.say(self.review_list())
        elif low in ("t", "time"):
            self.say(f"  {_clock_text(self.remaining())} left")
        elif low in ("m", "mark") and cur < len(qids):
            qid = qids[cur]
            st["marked"].remove(qid) if qid in st["marked"] else st["marked"].append(qid)
            self.say("  marked for review" if qid in st["marked"] else "  mark removed")
        elif low in ("h", "?", "help"):
            self.say(COMMANDS)
        elif cur < len(qids):
            q = self.by_id[qids[cur]]
            try:
                ans = parse_answer(self.shown(q), text)
            except ValueError as exc:
                self.say(f"  {exc}")
                return None
            st["answers"][q.id] = to_stored(q, self.layout(q), ans)
            st["current"] = cur + 1
        else:
            self.say("  " + COMMANDS)
        self.save()
        return None

    def review_list(self) -> str:
        st = self.state
        unanswered = [str(i + 1) for i, q in enumerate(st["qids"]) if q not in st["answers"]]
        marked = [str(st["qids"].index(q) + 1) for q in st["marked"] if q in st["qids"]]
        return (f"Answered {len(st['answers'])}/{len(st['qids'])}. Unanswered: {', '.join(unanswered) or 'none'}. "
                f"Marked for review: {', '.join(marked) or 'none'}.")

    # ----- results -----
    def outline(self) -> outlines.Outline:
        return outlines.get(self.state.get("outline", "dp100"))

    def finish(self) -> dict:
        st, ol = self.state, self.outline()
        per: dict[str, list[float]] = {d: [] for d in ol.domain_ids}
        wrong = []
        for qid in st["qids"]:
            q = self.by_id[qid]
            stored = st["answers"].get(qid)
            s = score(q, stored)  # stored keys against the stored key: the layout cannot change a score
            per.setdefault(domain_of(q, ol), []).append(s)
            if s < 1:
                wrong.append(qid)
            self.store.record(qid, s, "mock", marked=qid in st["marked"], layout=self.layout(q), answer=stored)
        scores = [s for v in per.values() for s in v]
        raw = sum(scores) / len(scores) if scores else 0.0
        scaled = max(1, round(1 + 999 * raw))
        res = {"at": now_iso(), "outline": ol.name, "questions": len(scores), "raw": round(raw, 3),
               "scaled_estimate": scaled, "passed_estimate": scaled >= PASS_MARK,
               "minutes_used": round(st["elapsed_s"] / 60, 1),
               "per_domain": {d: round(sum(v) / len(v), 3) if v else None for d, v in per.items() if d},
               "wrong": wrong, "marked": list(st["marked"])}
        self.store.add_mock({k: v for k, v in res.items() if k not in ("wrong", "marked")})
        self.path.unlink(missing_ok=True)
        self.results_text(res)
        return res

    def results_text(self, res: dict) -> None:
        """Print the per-domain table, then every wrong answer explained in the layout it was shown in."""
        ol = self.outline()
        lines = [f"\n{ol.exam} mock exam results: {res['questions']} questions, {res['minutes_used']} minutes used",
                 f"{'Domain':<66}{'Weight':>8}{'Score':>8}"]
        for d in ol.domains:
            v = res["per_domain"].get(d.id)
            lines.append(f"{(d.id + ' ' + d.title)[:65]:<66}{f'{d.weight_min}-{d.weight_max}%':>8}"
                         f"{'-' if v is None else f'{v:.0%}':>8}")
        verdict = "PASS" if res["passed_estimate"] else "below the pass mark"
        lines.append(f"Overall {res['raw']:.0%} -> estimated {res['scaled_estimate']}/1000 (pass mark {PASS_MARK}): {verdict}.")
        lines.append(ESTIMATE_NOTE)
        self.say("\n".join(lines))
        for qid in res["wrong"]:
            q = self.by_id[qid]
            given = self._given(q)
            mine = "" if given is not None else "Not answered. "
            self.say(f"\n--- {qid} ({', '.join(q.skills)}) ---")
            term.emit(self.out, f"{render(self.shown(q), self.bank, show_case=False)}\n\n{mine}{explain(self.shown(q), given)}")
        if res["wrong"] or res["marked"]:
            self.say("\nWrong and marked questions are scheduled for review: `dp100 quiz --review`.")
