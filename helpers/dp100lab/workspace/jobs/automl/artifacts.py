"""The files Azure's AutoML leaves next to the best model in the best child's outputs/: model.pkl, the inference
environment conda_env_v_1_0_0.yml, and the scoring script scoring_file_v_2_0_0.py that Microsoft's AutoML samples
deploy with CodeConfiguration(code="<downloaded>/outputs/", scoring_script="scoring_file_v_2_0_0.py") and the
registered model.pkl. The script is ours; it takes the request Azure's v2 scoring file takes
({"Inputs": {"data": [rows]}, "GlobalParameters": {"method": "predict" | "predict_proba"}}) and answers
{"Results": [...]}, as that file does.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

SCORING_V2 = '''\
# Scoring script for the AutoML best model (local workspace stand-in for Azure's generated scoring_file_v_2_0_0.py).
import json
import os

import joblib
import pandas as pd


def init():
    global model
    root = os.environ["AZUREML_MODEL_DIR"]
    path = os.path.join(root, "model.pkl")
    if not os.path.exists(path):  # registered as a folder (the whole outputs/ of the trial)
        path = next(os.path.join(d, "model.pkl") for d, _, files in os.walk(root) if "model.pkl" in files)
    model = joblib.load(path)


def run(raw_data):
    body = json.loads(raw_data) if isinstance(raw_data, (str, bytes)) else raw_data
    inputs = body.get("Inputs", body)
    data = pd.DataFrame(inputs["data"])
    method = (body.get("GlobalParameters") or {}).get("method", "predict")
    if method not in ("predict", "predict_proba"):
        raise ValueError(f"GlobalParameters.method must be 'predict' or 'predict_proba', got {method!r}")
    result = getattr(model, method)(data)
    return {"Results": result.tolist()}
'''


def write(outputs: Path, model: Any) -> None:
    """model.pkl, conda_env_v_1_0_0.yml (the MLflow model's conda.yaml) and scoring_file_v_2_0_0.py in outputs/."""
    import joblib

    outputs.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, outputs / "model.pkl")
    conda = outputs / "mlflow-model" / "conda.yaml"
    if conda.exists():
        shutil.copy2(conda, outputs / "conda_env_v_1_0_0.yml")
    (outputs / "scoring_file_v_2_0_0.py").write_text(SCORING_V2)
