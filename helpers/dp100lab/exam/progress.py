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


@dataclass
class Mastery:
    per_question: dict[str, float]
    per_skill: dict[str, tuple[float | None, int, int]]  # skill -> (mastery, seen, total questions)
    per_domain: dict[str, tuple[float | None, int, int]]
    per_module: dict[str, tuple[float | None, int, int]]
    due: list[str]
    per_ai300_domain: dict[str, tuple[float | None, int, int]] | None = None


def _avg(vals: list[float]) -> float | None:
    return sum(vals) / len(vals) if vals else None


def compute(bank: Bank, store: ProgressStore, now=None) -> Mastery:
    dp = outlines.dp100()
    hist: dict[str, list[float]] = defaultdict(list)
    for a in store.attempts:
        hist[a["qid"]].append(float(a["score"]))
    per_q = {qid: sum(v[-3:]) / len(v[-3:]) for qid, v in hist.items()}

    def roll(groups: dict[str, list[str]]) -> dict[str, tuple[float | None, int, int]]:
        return {k: (_avg([per_q[i] for i in ids if i in per_q]), sum(i in per_q for i in ids), len(ids))
                for k, ids in groups.items()}

    by_skill: dict[str, list[str]] = {s: [] for s in dp.skills}
    by_dom: dict[str, list[str]] = {d: [] for d in dp.domain_ids}
    by_mod: dict[str, list[str]] = defaultdict(list)
    ai = outlines.ai300()
    by_ai: dict[str, list[str]] = {d: [] for d in ai.domain_ids}
    for q in bank.questions:
        for d in {ai.skills[a].domain_id for a in outlines.ai300_for(q.skills, q.ai300) if a in ai.skills}:
            by_ai[d].append(q.id)
        for s in q.skills:
            if s in by_skill:
                by_skill[s].append(q.id)
        doms = {dp.skills[s].domain_id for s in q.skills if s in dp.skills}
        for d in doms:
            by_dom[d].append(q.id)
        by_mod[q.module].append(q.id)
    known = set(bank.by_id())
    return Mastery(per_q, roll(by_skill), roll(by_dom), roll(dict(sorted(by_mod.items()))),
                   [q for q in due(store.data.get("cards", {}), now) if q in known], roll(by_ai))


def _pct(v: float | None) -> str:
    return "  -" if v is None else f"{v:4.0%}"


def table(m: Mastery) -> str:
    dp = outlines.dp100()
    lines = [f"{'Skill':<12}{'Mastery':>8}{'Seen':>9}  What", "-" * 100]
    for d in dp.domains:
        mv, seen, tot = m.per_domain[d.id]
        lines.append(f"{d.id:<12}{_pct(mv):>8}{f'{seen}/{tot}':>9}  {d.title.upper()} ({d.weight_min}-{d.weight_max}%)")
        for s in d.skills:
            mv, seen, tot = m.per_skill[s.id]
            lines.append(f"  {s.id.split('-')[1]:<10}{_pct(mv):>8}{f'{seen}/{tot}':>9}  {s.text[:70]}")
    if m.per_ai300_domain:
        lines.append("AI-300 view (the same answers, mapped through outlines/crosswalk.yaml):")
        for d in outlines.ai300().domains:
            mv, seen, tot = m.per_ai300_domain[d.id]
            lines.append(f"{d.id:<12}{_pct(mv):>8}{f'{seen}/{tot}':>9}  {d.title} ({d.weight_min}-{d.weight_max}%)")
    return "\n".join(lines)


def revisit(m: Mastery) -> list[tuple[str, float]]:
    """Modules whose attempted questions average under REVISIT_BELOW, weakest first."""
    weak = [(mod, v) for mod, (v, seen, _) in m.per_module.items() if v is not None and v < REVISIT_BELOW]
    return sorted(weak, key=lambda x: x[1])


def plot(m: Mastery, path: Path) -> Path:
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg",) and "inline" not in matplotlib.get_backend().lower():
        matplotlib.use("Agg")  # headless terminals have no display
    import matplotlib.pyplot as plt

    dp = outlines.dp100()
    skills = list(dp.skills)
    vals = [m.per_skill[s][0] for s in skills]
    colors = {d.id: c for d, c in zip(dp.domains, ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1"))}
    fig, ax = plt.subplots(figsize=(8, 12))
    y = range(len(skills))
    ax.barh(list(y), [v or 0 for v in vals], color=[colors[dp.skills[s].domain_id] for s in skills])
    for i, v in zip(y, vals):
        if v is None or v == 0:
            ax.text(0.01, i, "not tried" if v is None else "0%", va="center", fontsize=7, color="grey")
    ax.set_yticks(list(y), [s.split("-")[1] for s in skills], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.axvline(REVISIT_BELOW, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("mastery (mean of last 3 attempts per question)")
    ax.set_title("DP-100 mastery per skill")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[d.id]) for d in dp.domains]
    fig.legend(handles, [f"{d.id} {d.title}" for d in dp.domains], loc="lower center", ncol=2, fontsize=7)
    fig.tight_layout(rect=(0, 0.05, 1, 1))  # leave room for the legend under the axes
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
    if mocks:
        last = mocks[-1]
        print(f"Last mock exam {last['at']}: {last['raw']:.0%} (estimated {last['scaled_estimate']}/1000).", file=out)
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
