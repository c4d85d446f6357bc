"""Local command-job overhead: the same tiny training script, run N times as `python train.py` and N times as a
job (ml_client.jobs.create_or_update + stream), in one process on one machine. Reports medians and their ratio.

    python bench/job_overhead.py [--n 5]
Writes bench/results/job_overhead.json. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "job_overhead.json"
SCRIPT = textwrap.dedent("""
    import argparse
    import mlflow
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    p = argparse.ArgumentParser()
    p.add_argument("--alpha", type=float, default=1.0)
    a = p.parse_args()
    X, y = load_diabetes(return_X_y=True)
    with mlflow.start_run():
        model = Ridge(alpha=a.alpha).fit(X, y)
        mlflow.log_param("alpha", a.alpha)
        mlflow.log_metric("r2", model.score(X, y))
""")


def plain(work: Path, home: Path) -> float:
    env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{home / 'plain.db'}")
    t = time.perf_counter()
    subprocess.run([sys.executable, "train.py", "--alpha", "0.5"], cwd=work / "src", env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def as_job(ml_client, command) -> float:
    t = time.perf_counter()
    job = ml_client.jobs.create_or_update(command(code="./src", command="python train.py --alpha ${{inputs.alpha}}",
                                                  inputs={"alpha": 0.5}, environment="AzureML-sklearn-1.5@latest"))
    with redirect_stdout(StringIO()):
        ml_client.jobs.stream(job.name)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5, help="runs of each kind (default 5)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dp100lab-bench-") as tmp:
        home, work = Path(tmp) / "home", Path(tmp) / "bench"
        (work / "src").mkdir(parents=True)
        (work / "src" / "train.py").write_text(SCRIPT)
        os.environ["DP100LAB_HOME"] = str(home)
        os.chdir(work)
        from azure.ai.ml import command

        from dp100lab.workspace.client import LocalMLClient

        with redirect_stdout(StringIO()):
            ml_client = LocalMLClient(home, hold=False)
            as_job(ml_client, command)  # warm-up: creates the MLflow database, imports, page cache
        plain(work, home)
        p_times, j_times = [], []
        for _ in range(args.n):  # interleaved, so background load affects both kinds alike
            p_times.append(plain(work, home))
            with redirect_stdout(StringIO()):
                j_times.append(as_job(ml_client, command))
    result = {
        "benchmark": "job_overhead", "n": args.n,
        "plain_median_s": round(statistics.median(p_times), 3),
        "job_median_s": round(statistics.median(j_times), 3),
        "ratio_job_to_plain": round(statistics.median(j_times) / statistics.median(p_times), 2),
        "plain_s": [round(x, 3) for x in p_times], "job_s": [round(x, 3) for x in j_times],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.system()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"job overhead: plain median {result['plain_median_s']} s, job median {result['job_median_s']} s, "
          f"ratio {result['ratio_job_to_plain']} (n={args.n}) -> {RESULTS}")
    return result


if __name__ == "__main__":
    main()
