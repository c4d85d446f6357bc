"""Watch a sweep's trials and plot them (notebook helpers for module 07; they only read jobs and MLflow runs)."""
import json
import time

import mlflow
import pandas as pd
from tqdm.auto import tqdm

TERMINAL = ("Completed", "Failed", "Canceled")


def status(job):
    """A job's status as studio shows it ("Completed"), not the SDK's enum repr."""
    return getattr(job.status, "value", job.status)


def watch(ml_client, name, total):
    """A progress bar of finished trials until the sweep reaches a final state; returns the sweep job."""
    with tqdm(total=total, desc=f"trials of {name}", unit="trial") as bar:
        while True:
            parent = ml_client.jobs.get(name)
            done = sum(status(c) in TERMINAL for c in ml_client.jobs.list(parent_job_name=name))
            bar.update(done - bar.n)
            if status(parent) in TERMINAL:
                return parent
            time.sleep(0.5)


def trials(ml_client, name, metric):
    """One row per trial: its hyperparameters, status and the primary metric's history."""
    rows = []
    for child in ml_client.jobs.list(parent_job_name=name):
        history = [m.value for m in sorted(mlflow.MlflowClient().get_metric_history(child.name, metric),
                                           key=lambda m: m.step)]
        rows.append({"trial": child.name, "status": status(child),
                     **json.loads(child.properties.get("hyperparameters", "{}")),
                     metric: history[-1] if history else None, "history": history})
    return pd.DataFrame(rows).sort_values("trial").reset_index(drop=True)


def plot(df, metric, params):
    """Metric by interval for every trial (canceled ones end early) and parallel coordinates of the search."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    for _, row in df.iterrows():
        style = "--" if row["status"] == "Canceled" else "-"
        left.plot(range(1, len(row["history"]) + 1), row["history"], style, marker="o", label=row["trial"].rsplit("_", 1)[-1])
    left.set(xlabel="interval (one logged value)", ylabel=metric, title=f"{metric} by interval (dashed: canceled)")
    left.legend(fontsize=7, title="trial")
    cols = params + [metric]
    scaled = df[cols].astype(float)
    scaled = (scaled - scaled.min()) / (scaled.max() - scaled.min()).replace(0, 1)
    cmap = plt.get_cmap("viridis")
    for i, row in scaled.iterrows():
        right.plot(range(len(cols)), row.values, color=cmap(row[metric] if pd.notna(row[metric]) else 0), alpha=0.8)
    right.set_xticks(range(len(cols)), cols)
    right.set(title="parallel coordinates (colour: " + metric + ")", yticks=[])
    fig.tight_layout()
    return fig
