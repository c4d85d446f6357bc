"""Monitoring results as the studio's Monitoring page shows them: per signal and feature, the metric value against
its threshold (Pass/Fail), the notifications raised, reference vs production distributions of a feature, and a
metric's trend across the monitor's runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pandas as pd

from ..core.errors import invalid


def _outputs(client: Any, job_name: str) -> Path:
    from ..jobs.plan import read_plan

    plan = read_plan(client.store.job_dir(job_name))
    if plan is None:
        raise invalid(f"'{job_name}' is not a monitoring run of this workspace (no run plan found).")
    return Path(plan.cwd) / "outputs" / "signals"


def signal_results(client: Any, job_name: str) -> dict:
    """signal name -> its result (rows, problem, distributions), in the order the run computed them."""
    folder = _outputs(client, job_name)
    summary = folder.parent / "summary.json"
    order = list(json.loads(summary.read_text())["signals"]) if summary.exists() else []
    found = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    return {n: found[n] for n in order + sorted(set(found) - set(order)) if n in found}


def signal_table(client: Any, job_name: str) -> pd.DataFrame:
    """One row per signal, feature and metric: value, threshold, Pass/Fail (the signal details page)."""
    rows = []
    for name, res in signal_results(client, job_name).items():
        for r in res["rows"]:
            rows.append({"signal": name, "feature": r["feature"] or "(all)", "metric_name": r["metric_name"],
                         "value": r["value"], "threshold": r["threshold"], "status": r["status"]})
        if res.get("problem"):
            rows.append({"signal": name, "feature": "(data)", "metric_name": "problem", "value": None,
                         "threshold": None, "status": "Fail"})
    return pd.DataFrame(rows, columns=["signal", "feature", "metric_name", "value", "threshold", "status"])


def alerts(client: Any, monitor: Optional[str] = None) -> list[dict]:
    """Alerts recorded by monitoring runs (newest first); on Azure these are the e-mails and notifications."""
    rows = [a["spec"] for a in client.store.list("monitor_alert")]
    return [a for a in rows if monitor is None or a["monitor"] == monitor]


def runs(client: Any, monitor: str) -> list[str]:
    """Monitoring job names of one monitor, oldest first."""
    jobs = [j for j in client.store.list_jobs(experiment=monitor) if j["type"] == "monitoring"]
    return [j["name"] for j in reversed(jobs)]


def status(job: Any) -> str:
    """A job's status as studio shows it ("Completed"), whatever type the entity carries."""
    return str(getattr(job.status, "value", job.status))


def show(client: Any, job: Any, *, plot: bool = True) -> pd.DataFrame:
    """Print the run's signals as studio lists them (and plot the failing features); returns the table."""
    name = getattr(job, "name", job)
    table = signal_table(client, name)
    print(f"monitoring run {name}: {status(client.jobs.get(name))}")
    for sig, part in table.groupby("signal", sort=False):
        failed = part[part.status == "Fail"]
        print(f"  {sig}: {'Fail' if len(failed) else 'Pass'} ({len(failed)} of {len(part)} over threshold)")
    for a in alerts(client):
        if a["job"] == name:
            print(f"  notification: {', '.join(a['signals'])} breached"
                  + (f" (e-mail to {', '.join(a['emails'])} not sent locally)" if a["emails"] else ""))
    if plot:
        plot_distributions(client, name)
    return table


def plot_distributions(client: Any, job_name: str, signal: Optional[str] = None, features: Optional[list] = None,
                       max_features: int = 4) -> Any:
    """Reference vs production distribution per feature (the feature view of a drift signal)."""
    import matplotlib.pyplot as plt
    import numpy as np

    res = signal_results(client, job_name)
    picks = []
    for sig, r in res.items():
        if signal and sig != signal or not r.get("distributions"):
            continue
        order = sorted(r["rows"], key=lambda x: x["status"] != "Fail")
        for row in order:
            if row["feature"] in r["distributions"] and (features is None or row["feature"] in features):
                picks.append((sig, row, r["distributions"][row["feature"]]))
    picks = picks[:max_features]
    if not picks:
        return None
    fig, axes = plt.subplots(1, len(picks), figsize=(3.6 * len(picks), 2.8), squeeze=False)
    for ax, (sig, row, d) in zip(axes[0], picks):
        ref, prod = np.asarray(d["reference"], float), np.asarray(d["production"], float)
        ref, prod = ref / max(ref.sum(), 1), prod / max(prod.sum(), 1)
        if d["kind"] == "numerical":
            edges = np.asarray(d["edges"])
            ax.stairs(ref, edges, label="reference", fill=True, alpha=0.4)
            ax.stairs(prod, edges, label="production", linewidth=2)
        else:
            x = np.arange(len(d["categories"]))
            ax.bar(x - 0.2, ref, 0.4, label="reference")
            ax.bar(x + 0.2, prod, 0.4, label="production")
            ax.set_xticks(x, d["categories"], rotation=45, ha="right", fontsize=7)
        ax.set_title(f"{row['feature']}: {row['metric_name']}\n{row['value']:.3g} vs {row['threshold']:g} "
                     f"({row['status']})", fontsize=8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_history(client: Any, monitor: str, signal: str, metric_name: Optional[str] = None) -> Any:
    """A metric per feature across the monitor's runs, with its threshold (the signal's trend chart)."""
    import matplotlib.pyplot as plt

    points = []
    for i, job in enumerate(runs(client, monitor)):
        r = signal_results(client, job).get(signal)
        for row in (r or {}).get("rows", []):
            if metric_name in (None, row["metric_name"]) and row["value"] is not None:
                points.append({"run": i + 1, "feature": row["feature"] or "(all)", "value": row["value"],
                               "threshold": row["threshold"]})
    if not points:
        return None
    frame = pd.DataFrame(points)
    fig, ax = plt.subplots(figsize=(6, 3))
    for feature, part in frame.groupby("feature"):
        ax.plot(part["run"], part["value"], marker="o", label=feature)
    if frame["threshold"].notna().any():
        ax.axhline(frame["threshold"].dropna().iloc[0], color="red", linestyle="--", label="threshold")
    ax.set_xlabel("monitoring run")
    ax.set_ylabel(metric_name or "metric value")
    ax.set_title(f"{monitor} / {signal}")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
