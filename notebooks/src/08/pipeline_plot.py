"""A timeline of a pipeline's steps: one bar per child job, coloured by whether it ran or was reused.

Works on Azure too: it reads only ml_client.jobs.list(parent_job_name=...) and each child's creation_context and
properties ("azureml.isreused" is how Azure marks a reused step).
"""
import matplotlib.pyplot as plt


def step_rows(ml_client, pipeline_name):
    rows = []
    for child in ml_client.jobs.list(parent_job_name=pipeline_name):
        ctx = child.creation_context
        seconds = (ctx.last_modified_at - ctx.created_at).total_seconds() if ctx and ctx.last_modified_at else 0.0
        rows.append({"step": child.display_name, "status": str(child.status).split(".")[-1].title(),
                     "reused": (child.properties or {}).get("azureml.isreused") == "true", "seconds": seconds})
    return sorted(rows, key=lambda r: r["step"])


def plot_runs(runs):
    """runs: {"label": rows}; one panel per pipeline run, steps as horizontal bars."""
    fig, axes = plt.subplots(1, len(runs), figsize=(4.5 * len(runs), 2.2), sharex=True, squeeze=False)
    for ax, (label, rows) in zip(axes[0], runs.items()):
        ax.barh([r["step"] for r in rows], [max(r["seconds"], 0.05) for r in rows],
                color=["#9bbfe0" if r["reused"] else "#1f6fb2" for r in rows])
        for i, r in enumerate(rows):
            ax.text(max(r["seconds"], 0.05), i, " reused" if r["reused"] else " ran", va="center", fontsize=8)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("seconds")
    fig.tight_layout()
    return fig
