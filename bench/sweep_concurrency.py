"""Sweep concurrency: the same 20-trial sweep (grid over 20 values, a trial that logs one metric after ~1.5 s of
work) run with max_concurrent_trials=2 and with max_concurrent_trials=1, in one process on one machine.
Reports both wall times and their ratio (target: concurrent <= 0.6 x sequential).

    python bench/sweep_concurrency.py [--trials 20]
Writes bench/results/sweep_concurrency.json. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "sweep_concurrency.json"
SCRIPT = textwrap.dedent("""
    import argparse, time
    import mlflow
    p = argparse.ArgumentParser()
    p.add_argument("--x", type=float)
    a = p.parse_args()
    time.sleep(1.5)  # stands in for training; a trial is mostly waiting on work, as on a cluster node
    mlflow.log_metric("score", -(a.x - 7) ** 2)
""")


def one_sweep(ml_client, trials: int, concurrent: int) -> tuple[float, str]:
    from azure.ai.ml import command
    from azure.ai.ml.sweep import Choice

    job = command(code="./src", command="python train.py --x ${{inputs.x}}", inputs={"x": 0},
                  environment="AzureML-sklearn-1.5@latest")
    sweep = job(x=Choice(values=list(range(trials)))).sweep(sampling_algorithm="grid", primary_metric="score",
                                                            goal="Maximize")
    sweep.set_limits(max_total_trials=trials, max_concurrent_trials=concurrent)
    t = time.perf_counter()
    returned = ml_client.jobs.create_or_update(sweep)
    while ml_client.jobs.get(returned.name).status not in ("Completed", "Failed", "Canceled"):  # Azure's status strings
        time.sleep(0.2)
    elapsed = time.perf_counter() - t
    done = ml_client.jobs.get(returned.name)
    assert done.status == "Completed", done.status
    return elapsed, done.properties["best_child_run_id"]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    args = ap.parse_args(argv)
    with machine.scratch("bench-sweep-") as work:
        os.environ["DP100LAB_HOME"] = str(work / "home")
        (work / "src").mkdir()
        (work / "src" / "train.py").write_text(SCRIPT)
        os.chdir(work)
        from dp100lab.workspace.client import LocalMLClient

        capacity = machine.parallel_capacity()
        load_before = [round(x, 2) for x in os.getloadavg()]
        ml_client = LocalMLClient(work / "home", hold=False)
        sequential, best_seq = one_sweep(ml_client, args.trials, 1)
        concurrent, best_con = one_sweep(ml_client, args.trials, 2)
        result = {"benchmark": "sweep_concurrency", "trials": args.trials, "sequential_s": round(sequential, 2),
                  "concurrent_2_s": round(concurrent, 2), "ratio_concurrent_to_sequential": round(concurrent / sequential, 3),
                  "target_ratio": 0.6, "same_best_trial_index": best_seq.rsplit("_", 1)[1] == best_con.rsplit("_", 1)[1],
                  "machine": {**machine.describe(capacity), "load_average_before": load_before},
                  "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(f"sweep of {args.trials} trials: sequential {sequential:.1f} s, 2 concurrent {concurrent:.1f} s, "
              f"ratio {concurrent / sequential:.2f} (target <= 0.6); machine parallel capacity {capacity} before, "
              f"{result['machine']['parallel_capacity_after']} after (0.5 = a free second core)")
        return result


if __name__ == "__main__":
    main(sys.argv[1:])
