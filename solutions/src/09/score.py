"""Scoring script for the diabetes classifier (module 09): init() loads the model once, run() scores a request."""
import json
import os

import joblib

model = None


def init():
    global model
    # AZUREML_MODEL_DIR is the registered model's folder; the model was registered from the folder "model"
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "model.pkl"))


def run(raw_data):
    body = json.loads(raw_data)
    # {"data": rows} or, like the MLflow deployment, {"input_data": {"columns": ..., "data": rows}}
    rows = body["data"] if "data" in body else body["input_data"]["data"]
    return model.predict_proba(rows)[:, 1].round(3).tolist()
