"""Pipeline step reuse: a three-step pipeline (prepare -> two trainings) submitted, then re-submitted unchanged,
in one process on one machine, in a fresh store. The unchanged re-submission should take at most 0.2x the first
run (every step reused, nothing runs). Reports both wall times (submit -> Completed) and their ratio.

    python bench/pipeline_reuse.py [--repeat 2]
Writes bench/results/pipeline_reuse.json. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import textwrap
import time
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "pipeline_reuse.json"
PREP = textwrap.dedent("""
    import argparse, pathlib, pandas as pd
    p = argparse.ArgumentParser(); p.add_argument("--raw"); p.add_argument("--out"); a = p.parse_args()
    df = pd.read_csv(a.raw).drop(columns=["PatientID"])
    df.to_csv(pathlib.Path(a.out) / "clean.csv", index=False)
""")
TRAIN = textwrap.dedent("""
    import argparse, pathlib, mlflow, pandas as pd
    from sklearn.linear_model import LogisticRegression
    p = argparse.ArgumentParser(); p.add_argument("--data"); p.add_argument("--c", type=float)
    p.add_argument("--model"); a = p.parse_args()
    df = pd.read_csv(pathlib.Path(a.data) / "clean.csv")
    m = LogisticRegression(C=a.c, max_iter=500).fit(df.drop(columns=["Diabetic"]), df["Diabetic"])
    mlflow.log_metric("train_accuracy", m.score(df.drop(columns=["Diabetic"]), df["Diabetic"]))
    (pathlib.Path(a.model) / "done.txt").write_text("ok")
""")
COMPONENT = """
name: {name}
version: "1"
type: command
inputs:
{inputs}
outputs:
  {out}:
    type: uri_folder
code: ./src
environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
command: {command}
"""


def _write_project(folder: Path, data: Path) -> None:
    (folder / "src").mkdir(parents=True)
    (folder / "src/prep.py").write_text(PREP)
    (folder / "src/train.py").write_text(TRAIN)
    (folder / "prep.yml").write_text(COMPONENT.format(
        name="bench_prep", inputs="  raw:\n    type: uri_file", out="clean",
        command="python prep.py --raw ${{inputs.raw}} --out ${{outputs.clean}}"))
    (folder / "train.yml").write_text(COMPONENT.format(
        name="bench_train", inputs="  data:\n    type: uri_folder\n  c:\n    type: number", out="model",
        command="python train.py --data ${{inputs.data}} --c ${{inputs.c}} --model ${{outputs.model}}"))


def _run_once(ml_client, build, data: Path) -> tuple[float, int]:
    from azure.ai.ml import Input

    t0 = time.perf_counter()
    job = ml_client.jobs.create_or_update(build(Input(type="uri_file", path=str(data))))
    while ml_client.jobs.get(job.name).status not in ("Completed", "Failed", "Canceled"):  # a str enum
        time.sleep(0.2)
    elapsed = time.perf_counter() - t0
    status = ml_client.jobs.get(job.name).status
    if status != "Completed":
        raise SystemExit(f"pipeline {job.name} ended {status}")
    reused = sum(c.properties.get("azureml.isreused") == "true" for c in ml_client.jobs.list(parent_job_name=job.name))
    return elapsed, reused


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2, help="unchanged re-submissions to time")
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    data = repo / "datasets" / "diabetes.csv"
    with machine.scratch("bench-pipeline-") as work:
        os.environ["DP100LAB_HOME"] = str(work / "home")
        _write_project(work / "project", data)
        os.chdir(work / "project")
        sys.path.insert(0, str(repo / "helpers"))
        import warnings

        warnings.filterwarnings("ignore")
        from azure.ai.ml import dsl, load_component

        from dp100lab.workspace.client import LocalMLClient

        capacity = machine.parallel_capacity()
        load_before = [round(x, 2) for x in os.getloadavg()]
        with redirect_stdout(StringIO()):
            ml_client = LocalMLClient(work / "home", hold=False)
            prep, train = load_component(source="prep.yml"), load_component(source="train.yml")

            @dsl.pipeline(default_compute="serverless")
            def bench_pipeline(raw):
                cleaned = prep(raw=raw)
                train(data=cleaned.outputs.clean, c=0.5)
                train(data=cleaned.outputs.clean, c=2.0)

            first, first_reused = _run_once(ml_client, bench_pipeline, data)
            again = [_run_once(ml_client, bench_pipeline, data) for _ in range(args.repeat)]
        again_s = [round(t, 3) for t, _ in again]
        result = {
            "benchmark": "pipeline_reuse",
            "steps": 3,
            "first_run_s": round(first, 3),
            "first_run_reused_steps": first_reused,
            "unchanged_resubmit_s": again_s,
            "unchanged_resubmit_reused_steps": [r for _, r in again],
            "ratio_resubmit_to_first": round(statistics.median(again_s) / first, 3),
            "target_ratio_at_most": 0.2,
            "machine": {**machine.describe(capacity), "load_average_before": load_before},
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        return 0


if __name__ == "__main__":
    sys.exit(main())
