"""Early termination policies as Azure documents them (how-to-tune-hyperparameters), as pure functions.

An interval is one logged value of the primary metric. A policy is applied at every interval N that is a multiple
of evaluation_interval and at least delay_evaluation. Optuna's pruners differ (its MedianPruner compares values at
the same step, not the best-so-far against the median of running averages), so Azure's rules are written here.
`histories` maps each trial to the values it logged so far, in order.
"""

from __future__ import annotations

from statistics import median
from typing import Optional


def due(policy: dict, n: int) -> bool:
    every = int(policy.get("evaluation_interval") or 1)  # the SDK's default 0 means every interval
    return n >= int(policy.get("delay_evaluation") or 0) and n % every == 0


def _better(a: float, b: float, maximize: bool) -> bool:
    return a > b if maximize else a < b


def _best(values: list, maximize: bool) -> float:
    return max(values) if maximize else min(values)


def should_stop(policy: dict, trial: str, n: int, histories: dict[str, list], maximize: bool,
                finished: frozenset = frozenset()) -> Optional[str]:
    """Why `trial` is terminated at interval n (None: it continues)."""
    mine = histories[trial][:n]
    if len(mine) < n or not due(policy, n):
        return None
    kind = policy["type"]
    if kind == "bandit":
        # the best value any trial reported up to interval n; slack as a ratio or an absolute amount
        best = _best([v for h in histories.values() for v in h[:n]], maximize)
        if policy.get("slack_factor"):
            sf = float(policy["slack_factor"])
            limit = best / (1 + sf) if maximize else best * (1 + sf)
        else:
            amount = float(policy.get("slack_amount") or 0)
            limit = best - amount if maximize else best + amount
        if _better(limit, mine[-1], maximize):
            return f"Bandit policy at interval {n}: {mine[-1]:.4g} is outside the slack of the best ({best:.4g})"
        return None
    if kind == "median_stopping":
        # best so far of this trial vs the median of every trial's running average over intervals 1..n
        averages = [sum(h[:n]) / len(h[:n]) for h in histories.values() if h]
        if len(averages) < 2:
            return None
        mid = median(averages)
        if _better(mid, _best(mine, maximize), maximize):
            return f"Median stopping at interval {n}: best {_best(mine, maximize):.4g} is worse than the median " \
                   f"of running averages ({mid:.4g})"
        return None
    if kind == "truncation_selection":
        # rank the trials that reached interval n by their value there; the lowest X percent are canceled
        pool = {t: h[n - 1] for t, h in histories.items() if len(h) >= n and (t == trial or t not in finished)}
        cut = int(len(pool) * float(policy.get("truncation_percentage") or 0) / 100)
        if cut < 1:
            return None
        ranked = sorted(pool, key=lambda t: pool[t], reverse=not maximize)  # worst first
        if trial in ranked[:cut]:
            return f"Truncation selection at interval {n}: in the lowest " \
                   f"{policy.get('truncation_percentage')}% of {len(pool)} trials"
        return None
    return None
