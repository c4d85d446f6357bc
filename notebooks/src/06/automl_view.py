"""Watch an AutoML job's trials and show its results (notebook helpers for module 06; they only read jobs and runs)."""
import json
import time

import mlflow
import pandas as pd
from tqdm.auto import tqdm

TERMINAL = ("Completed", "Failed", "Canceled")


def status(job):
    """A job's status as studio shows it ("Completed"), not the SDK's enum repr."""
    return getattr(job.status, "value", job.status)


def watch(ml_client, name, max_trials):
    """A progress bar of finished trials (child jobs) until the AutoML job is final; returns the job."""
    with tqdm(total=max_trials, desc=f"trials of {name}", unit="trial") as bar:
        while True:
            job = ml_client.jobs.get(name)
            bar.update(min(max_trials, len(list(ml_client.jobs.list(parent_job_name=name)))) - bar.n)
            if status(job) in TERMINAL:
                return job
            time.sleep(0.5)


def leaderboard(ml_client, name, metric):
    """The trials ranked on the primary metric, as studio's Models tab lists them."""
    rows = []
    for child in ml_client.jobs.list(parent_job_name=name):
        run = mlflow.get_run(child.name)
        rows.append({"trial": child.name, "algorithm": run.data.tags.get("run_algorithm"),
                     metric: run.data.metrics.get(metric)})
    return pd.DataFrame(rows).sort_values(metric, ascending=False).reset_index(drop=True)


def guardrails(name):
    """The data guardrails of the job (studio: the job's Data guardrails tab)."""
    path = mlflow.artifacts.download_artifacts(run_id=name, artifact_path="outputs/guardrails.json")
    return pd.DataFrame(json.load(open(path)))


def plot(board, metric, importance=None):
    """Leaderboard bars (best first) and, when given, the best model's feature importance."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2 if importance else 1, figsize=(11 if importance else 6, 3.4), squeeze=False)
    ax = axes[0][0]
    labels = [f"{t[-2:]} {a}" for t, a in zip(board.trial, board.algorithm)]
    ax.barh(labels[::-1], board[metric][::-1], color=["#3182bd"] * (len(board) - 1) + ["#e6550d"])
    ax.set(xlabel=metric, title="leaderboard (orange: best)", xlim=(board[metric].min() * 0.95, board[metric].max() * 1.01))
    if importance:
        names = list(importance)[::-1]
        axes[0][1].barh(names, [importance[n] for n in names], color="#31a354")
        axes[0][1].set(xlabel="drop in score when shuffled", title="feature importance of the best model")
    fig.tight_layout()
    return fig
