"""Search spaces: Azure's rules for each sampling algorithm, and drawing trial values with Optuna.

Azure's distributions (how-to-tune-hyperparameters) map onto Optuna's `ask()` interface:
  choice -> suggest_categorical, randint(upper) -> an int in [0, upper), uniform -> suggest_float,
  loguniform(min, max) -> exp(uniform(min, max)) (log-uniform between e**min and e**max),
  q* -> round(x / q) * q of the unquantized draw, normal / lognormal -> the inverse normal CDF of a uniform draw
  (Optuna has no normal distribution; this is exactly Normal(mu, sigma) under random or Sobol sampling).
Rules checked at submission, as Azure checks them: grid takes only choice; Bayesian takes only choice, uniform
and quniform, and no early termination policy.
"""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist
from typing import Any, Optional

from ...core.errors import invalid

ACCEPTS = {
    "grid": ("choice",),
    "bayesian": ("choice", "uniform", "quniform"),
    "random": ("choice", "randint", "uniform", "loguniform", "normal", "lognormal", "quniform", "qloguniform",
               "qnormal", "qlognormal"),
}
_PRIMITIVE = (str, int, float, bool, type(None))


def check(space: dict, sampling: dict, policy: Optional[dict], max_concurrent_trials: Optional[int]) -> list[str]:
    """Raise Azure's rule as a ValidationException naming the fix; return guidance lines (notes) otherwise."""
    algo = sampling.get("type", "random")
    if algo not in ACCEPTS:
        raise invalid(f"sampling_algorithm '{algo}' is not one of random, grid or bayesian.", kind="job")
    if not space:
        raise invalid("The sweep has no search space: give at least one input as a distribution, e.g. "
                      "job(learning_rate=Uniform(0.01, 0.1)).sweep(...).", kind="job")
    bad = {n: d["type"] for n, d in space.items() if d["type"] not in ACCEPTS[algo]}
    if bad:
        names = ", ".join(f"{n} ({t})" for n, t in bad.items())
        alt = "Use Choice(values=[...]) for every input, or sampling_algorithm='random'." if algo == "grid" else \
            "Use Choice, Uniform or QUniform, or sampling_algorithm='random'."
        raise invalid(f"{algo.capitalize()} sampling accepts only {', '.join(ACCEPTS[algo])} distributions; the "
                      f"search space has {names}. {alt}", kind="job")
    if algo == "bayesian" and policy:
        raise invalid(f"Bayesian sampling does not support early termination policies (the sweep has "
                      f"{policy['type']}). Remove early_termination_policy, or use random or grid sampling.",
                      kind="job")
    notes = []
    if algo == "bayesian" and (max_concurrent_trials or 0) > 1:
        # Azure's guidance (BayesianParameterSampling): fewer concurrent trials converge better, since each new
        # trial then benefits from more finished ones
        notes.append(f"Bayesian sampling with max_concurrent_trials={max_concurrent_trials}: trials started together "
                     f"cannot learn from each other; Azure advises fewer concurrent trials for better convergence.")
    return notes


def grid(space: dict) -> list[dict]:
    """Every combination, in declaration order (what grid sampling tries)."""
    names = list(space)
    return [dict(zip(names, combo)) for combo in itertools.product(*(space[n]["values"] for n in names))]


def make_sampler(sampling: dict) -> Any:
    import optuna

    algo, seed = sampling.get("type", "random"), sampling.get("seed")
    if algo == "bayesian":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=3)  # model-based after 3 (course budgets are tiny)
    if (sampling.get("rule") or "").lower() == "sobol":
        return optuna.samplers.QMCSampler(qmc_type="sobol", seed=seed, scramble=seed is not None)
    return optuna.samplers.RandomSampler(seed=seed)


def _quantize(x: float, q: Optional[float]) -> float:
    if not q:
        return x
    v = round(x / q) * q
    return int(v) if float(q).is_integer() and float(v).is_integer() else v


def suggest(trial: Any, name: str, d: dict) -> Any:
    """Draw one value of `d` (an Azure distribution in its SDK dict form) through an Optuna trial."""
    t, q = d["type"], d.get("q")
    if t == "choice":
        values = d["values"]
        if all(isinstance(v, _PRIMITIVE) for v in values):
            return trial.suggest_categorical(name, values)
        return values[trial.suggest_categorical(name, list(range(len(values))))]
    if t == "randint":
        return trial.suggest_int(name, 0, int(d["upper"]) - 1)
    if t in ("uniform", "quniform"):
        return _quantize(trial.suggest_float(name, d["min_value"], d["max_value"]), q)
    if t in ("loguniform", "qloguniform"):
        x = trial.suggest_float(name, math.exp(d["min_value"]), math.exp(d["max_value"]), log=True)
        return _quantize(x, q)
    if t in ("normal", "qnormal", "lognormal", "qlognormal"):
        u = min(max(trial.suggest_float(name, 0.0, 1.0), 1e-12), 1 - 1e-12)
        x = NormalDist(d["mu"], d["sigma"]).inv_cdf(u)
        return _quantize(math.exp(x) if "log" in t else x, q)
    raise invalid(f"Unknown distribution type '{t}' for search space input '{name}'.", kind="job")
