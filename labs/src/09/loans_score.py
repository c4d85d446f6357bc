"""Scoring script for the loan-approval model (module 09 lab)."""
import json
import os

import joblib

model = None


def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "loans-model", "model.pkl"))


def run(raw_data):
    rows = json.loads(raw_data)["data"]
    return [int(p) for p in model.predict(rows)]
