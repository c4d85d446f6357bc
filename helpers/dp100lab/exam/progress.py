"""`dp100 progress`: mastery per domain and skill (table + matplotlib plot) and which modules to revisit.

Mastery of a question = the mean score of its last 3 attempts; of a skill or domain = the mean over the
questions attempted there. "Seen" says how much of the bank for that skill has been tried.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from . import outlines
from .bank import Bank
from .srs import due
from .store import ProgressStore

REVISIT_BELOW = 0.7  # mastery under which a module is suggested for another pass


Roll = dict[str, tuple[float | None, int, int]]  # id -> (mastery, seen, total questions)


@dataclass
class Mastery:
    per_question: dict[str, float]
    per_skill: Roll  # DP-100 skills
    per_domain: Roll  # DP-100 domains
    per_module: Roll
    due: list[str]
    per_ai300_domain: Roll | None = None
    per_ai300_skill: Roll | None = None

    def outline_rolls(self, name: str) -> tuple[Roll, Roll]:
        """(per domain, per skill) for 'dp100' or 'ai300'."""
        return (self.per_domain, self.per_skill) if name == "dp100" else (self.per_ai300_domain or {}, self.per_ai300_skill or {})


def _avg(vals: list[float]) -> float | None:
    return sum(vals) / len(vals) if vals else None


def compute(bank: Bank, store: ProgressStore, now=None) -> Mastery:
    hist: dict[str, list[float]] = defaultdict(list)
    for a in store.attempts:  # old-layout attempts count with the score they were given (migrate.py)
        hist[a["qid"]].append(float(a["score"]))
    per_q = {qid: sum(v[-3:]) / len(v[-3:]) for qid, v in hist.items()}

    def roll(groups: dict[str, list[str]]) -> Roll:
        return {k: (_avg([per_q[i] for i in ids if i in per_q]), sum(i in per_q for i in ids), len(ids))
                for k, ids in groups.items()}

    rolls = {}
    for ol in (outlines.dp100(), outlines.ai300()):
        by_skill: dict[str, list[str]] = {s: [] for s in ol.skills}
        by_dom: dict[str, list[str]] = {d: [] for d in ol.domain_ids}
        for q in bank.questions:
            mine = [s for s in outlines.skills_of(q, ol) if s in by_skill]
            for s in dict.fromkeys(mine):
                by_skill[s].append(q.id)
            for d in dict.fromkeys(ol.skills[s].domain_id for s in mine):
                by_dom[d].append(q.id)
        rolls[ol.name] = (roll(by_dom), roll(by_skill))
    by_mod: dict[str, list[str]] = defaultdict(list)
    for q in bank.questions:
        by_mod[q.module].append(q.id)
    known = set(bank.by_id())
    (dp_dom, dp_skill), (ai_dom, ai_skill) = rolls["dp100"], rolls["ai300"]
    return Mastery(per_q, dp_skill, dp_dom, roll(dict(sorted(by_mod.items()))),
                   [q for q in due(store.data.get("cards", {}), now) if q in known], ai_dom, ai_skill)


def _pct(v: float | None) -> str:
    return "  -" if v is None else f"{v:4.0%}"


def table(m: Mastery) -> str:
    """Mastery per domain and skill, DP-100 first, then AI-300 (the same answers, counted by AI-300's skills)."""
    lines = []
    for ol in (outlines.dp100(), outlines.ai300()):
        per_dom, per_skill = m.outline_rolls(ol.name)
        if not per_dom:
            continue
        note = "" if ol.name == "dp100" else " (questions tagged with AI-300 skills, others through outlines/crosswalk.yaml)"
        lines += ["", f"{ol.exam} view{note}:", f"{'Skill':<12}{'Mastery':>8}{'Seen':>9}  What", "-" * 100]
        for d in ol.domains:
            mv, seen, tot = per_dom[d.id]
            lines.append(f"{d.id:<12}{_pct(mv):>8}{f'{seen}/{tot}':>9}  {d.title.upper()} ({d.weight_min}-{d.weight_max}%)")
            for sk in d.skills:
                mv, seen, tot = per_skill[sk.id]
                lines.append(f"  {sk.id.split('-')[1]:<10}{_pct(mv):>8}{f'{seen}/{tot}':>9}  {sk.text[:70]}")
    return "\n".join(lines[1:])


def revisit(m: Mastery) -> list[tuple[str, float]]:
    """Modules whose attempted questions average under REVISIT_BELOW, weakest first."""
    weak = [(mod, v) for mod, (v, seen, _) in m.per_module.items() if v is not None and v < REVISIT_BELOW]
    return sorted(weak, key=lambda x: x[1])


def plot(m: Mastery, path: Path) -> Path:
    """Bars per skill for both outlines, side by side, coloured by domain; the dashed line is REVISIT_BELOW."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg",) and "inline" not in matplotlib.get_backend().lower():
        matplotlib.use("Agg")  # headless terminals have no display
    import matplotlib.pyplot as plt

    palette = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759")
    fig, axes = plt.subplots(1, 2, figsize=(13, 12))
    for ax, ol in zip(axes, (outlines.dp100(), outlines.ai300())):
        _, per_skill = m.outline_rolls(ol.name)
        skills = list(ol.skills)
        vals = [per_skill.get(s, (None, 0, 0))[0] for s in skills]
        colors = {d.id: c for d, c in zip(ol.domains, palette)}
        y = range(len(skills))
        ax.barh(list(y), [v or 0 for v in vals], color=[colors[ol.skills[s].domain_id] for s in skills])
        for i, v in zip(y, vals):
            if v is None or v == 0:
                ax.text(0.01, i, "not tried" if v is None else "0%", va="center", fontsize=6, color="grey")
        ax.set_yticks(list(y), [s.split("-")[1] for s in skills], fontsize=6)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.axvline(REVISIT_BELOW, color="grey", linestyle="--", linewidth=1)
        ax.set_xlabel("mastery (mean of last 3 attempts per question)")
        ax.set_title(f"{ol.exam} mastery per skill")
        handles = [plt.Rectangle((0, 0), 1, 1, color=colors[d.id]) for d in ol.domains]
        ax.legend(handles, [f"{d.id} {d.title}"[:48] for d in ol.domains], loc="upper center",
                  bbox_to_anchor=(0.5, -0.05), ncol=1, fontsize=6)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def report(bank: Bank, store: ProgressStore, out, show=False, now=None) -> Mastery:
    m = compute(bank, store, now)
    print(table(m), file=out)
    weak = revisit(m)
    if weak:
        print("\nModules to revisit: " + ", ".join(f"{mod} ({v:.0%})" for mod, v in weak), file=out)
    elif m.per_question:
        print(f"\nNo module under {REVISIT_BELOW:.0%} mastery so far.", file=out)
    else:
        print("\nNo answers recorded yet: start with `dp100 quiz` or `dp100 exam`.", file=out)
    mocks = store.data.get("mocks", [])
    for name in outlines.NAMES:  # mocks before --outline existed were DP-100 exams
        mine = [x for x in mocks if x.get("outline", "dp100") == name]
        if mine:
            last = mine[-1]
            print(f"Last {outlines.get(name).exam} mock exam {last['at']}: {last['raw']:.0%} "
                  f"(estimated {last['scaled_estimate']}/1000).", file=out)
    print(f"Reviews due now: {len(m.due)}" + (" -> `dp100 quiz --review`" if m.due else ""), file=out)
    png = plot(m, store.dir / "mastery.png")
    print(f"Plot saved: {png}", file=out)
    if show:
        try:
            from IPython.display import Image, display

            display(Image(filename=str(png)))
        except ImportError:
            pass
    return m
