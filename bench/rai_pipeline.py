"""RAI pipeline time: Microsoft's RAI-dashboard pipeline (tests/rai/rai_pipeline_code.py: the azureml registry's
constructor, explanation, error analysis, counterfactual, causal, gather and score card in a @dsl.pipeline on 300
train and 20 test rows of loans.csv) submitted to a fresh local workspace with ml_client.jobs.create_or_update and
run to the end. Reports the pipeline's wall time (submission to Completed), each step's run time (its child job's
started_at to ended_at), and their ratio to a baseline process that imports pandas and scikit-learn and fits the
same model: each step is such a process plus responsibleai's import and its tool. The local pipeline runs two steps
at once (2 cores); the load average before and after is recorded because the machine may be shared.

    python bench/rai_pipeline.py
Writes bench/results/rai_pipeline.json. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "rai_pipeline.json"
BASELINE = """
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
df = pd.read_csv(r"{data}")
GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=11).fit(df.iloc[:300, 4:10], df.approved[:300])
"""


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def main() -> None:
    with machine.scratch("rai-bench-") as work:
        os.environ["DP100LAB_HOME"] = str(work / "home")
        os.environ["DP100LAB_BACKEND"] = "local"
        (work / "project").mkdir()
        os.chdir(work / "project")
        sys.path.insert(0, str(ROOT / "tests" / "rai"))
        from rai_pipeline_code import submit, wait

        from dp100lab import MLClient

        load_before = os.getloadavg()
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", BASELINE.format(data=ROOT / "datasets" / "loans.csv")], check=True)
        baseline = time.monotonic() - start

        ml_client = MLClient(subscription_id="sub", resource_group_name="rg", workspace_name="ws")
        registry = MLClient(subscription_id="sub", resource_group_name="rg", registry_name="azureml")
        start = time.monotonic()
        job, _, _ = submit(ml_client, registry)
        job = wait(ml_client, job.name, timeout=1800)
        wall = time.monotonic() - start
        load_after = os.getloadavg()
        if job.status != "Completed":
            raise SystemExit(f"the pipeline ended {job.status}: {ml_client.store.get_job(job.name)['error']}")
        steps = {}
        for child in ml_client.jobs.list(parent_job_name=job.name):
            row = ml_client.store.get_job(child.name)
            steps[child.display_name] = round(_seconds(row["started_at"], row["ended_at"]), 2)
        for name, s in sorted(steps.items(), key=lambda kv: kv[1]):
            print(f"{name:20s} {s:7.1f} s  ({s / baseline:.1f}x baseline)", flush=True)
        out = {"benchmark": "rai_pipeline", "baseline_s": round(baseline, 2), "pipeline_wall_s": round(wall, 2),
               "steps_s": steps, "steps_sum_s": round(sum(steps.values()), 2),
               "ratio_wall_to_baseline": round(wall / baseline, 2),
               "ratios": {k: round(v / baseline, 2) for k, v in steps.items()},
               "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.system(),
                           "load_avg_1m_before": round(load_before[0], 2), "load_avg_1m_after": round(load_after[0], 2),
                           "load_avg_5m_after": round(load_after[1], 2)},
               "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(out, indent=1) + "\n")
        print(f"pipeline {wall:.1f} s wall ({wall / baseline:.1f}x a {baseline:.1f} s baseline process), steps summed "
              f"{out['steps_sum_s']:.1f} s; load {load_before[0]:.1f} -> {load_after[0]:.1f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
