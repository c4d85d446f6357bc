"""RAI pipeline time: each step of the azureml registry's RAI components (constructor, explanation, error analysis,
counterfactual, causal, gather, score card) as the process its command starts, on loans.csv (400 train, 20 test
rows), against a baseline process that imports pandas and scikit-learn and fits the same model. Reports each step's
wall time and its ratio to the baseline, and the total (the tool steps run in parallel on Azure; summed here).

    python bench/rai_pipeline.py
Writes bench/results/rai_pipeline.json. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "rai_pipeline.json"
PREP = """
import pandas as pd, mlflow.sklearn
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import train_test_split
df = pd.read_csv(r"{data}").drop(columns=["applicant_id", "sex", "age_group", "group"])
train, test = train_test_split(df, test_size=20, random_state=0)
train = train.sample(400, random_state=0)
m = GradientBoostingClassifier(n_estimators=60, max_depth=3, random_state=0).fit(train.drop(columns="approved"),
                                                                               train.approved)
if {save}:
    mlflow.sklearn.save_model(m, "model", serialization_format="cloudpickle")
    train.to_csv("train.csv", index=False); test.to_csv("test.csv", index=False)
"""
RAI = [sys.executable, "-m", "dp100lab.workspace.registry.rai"]
STEPS = [
    ("constructor", ["construct", "--title", "bench", "--task_type", "classification", "--model_input", "model",
                     "--train_dataset", "train.csv", "--test_dataset", "test.csv", "--target_column_name", "approved",
                     "--categorical_column_names", "[]", "--classes", "[]", "--output_path", "c"]),
    ("explanation", ["explanation", "--comment", "x", "--rai_insights_dashboard", "c", "--explanation_path", "e"]),
    ("error_analysis", ["erroranalysis", "--rai_insights_dashboard", "c", "--filter_features", "null",
                        "--error_analysis_path", "ea"]),
    ("counterfactual", ["counterfactual", "--rai_insights_dashboard", "c", "--total_CFs", "10", "--method", "random",
                        "--desired_class", "opposite", "--features_to_vary", "all", "--feature_importance", "False",
                        "--counterfactual_path", "cf"]),
    ("causal", ["causal", "--rai_insights_dashboard", "c", "--treatment_features", '["credit_score"]',
                "--heterogeneity_features", "null", "--nuisance_model", "linear", "--heterogeneity_model", "linear",
                "--treatment_cost", "0", "--skip_cat_limit_checks", "False", "--categories", "auto",
                "--random_state", "None", "--causal_path", "ca"]),
    ("gather", ["gather", "--constructor", "c", "--insight_1", "e", "--insight_2", "ea", "--insight_3", "cf",
                "--insight_4", "ca", "--dashboard", "d", "--ux_json", "ux"]),
    ("score_card", ["scorecard", "--rai_insights_dashboard", "d", "--pdf_generation_config", "cfg.json",
                    "--pdf_output_path", "sc"]),
]
CONFIG = {"Model": {"ModelName": "loans", "ModelType": "Classification", "ModelSummary": "bench"},
          "Metrics": {"accuracy_score": {"threshold": ">=0.7"}}, "FeatureImportance": {"top_n": 5}}


def timed(argv: list, cwd: Path) -> float:
    start = time.monotonic()
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"{argv[3:5]} failed:\n{r.stderr[-2000:]}")
    return time.monotonic() - start


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="rai-bench-"))
    data = ROOT / "datasets" / "loans.csv"
    (work / "cfg.json").write_text(json.dumps(CONFIG))
    baseline = timed([sys.executable, "-c", PREP.format(data=data, save=False)], work)
    timed([sys.executable, "-c", PREP.format(data=data, save=True)], work)
    steps = {}
    for name, args in STEPS:
        steps[name] = round(timed(RAI + args, work), 2)
        print(f"{name:15s} {steps[name]:7.1f} s  ({steps[name] / baseline:.1f}x baseline)", flush=True)
    total = sum(steps.values())
    out = {"baseline_s": round(baseline, 2), "steps_s": steps, "total_s": round(total, 2),
           "ratio_total_to_baseline": round(total / baseline, 2),
           "ratios": {k: round(v / baseline, 2) for k, v in steps.items()},
           "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                       "load_avg_1m": round(os.getloadavg()[0], 1)}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"total {total:.1f} s = {total / baseline:.1f}x the baseline ({baseline:.1f} s); load {out['machine']}")


if __name__ == "__main__":
    main()
