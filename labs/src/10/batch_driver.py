"""Batch scoring script for the diabetes model (module 10): init() once per worker, run() once per mini-batch."""
import os

import joblib
import pandas as pd

model = None


def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "model.pkl"))


def run(mini_batch):
    results = []
    for path in mini_batch:  # mini_batch is a list of file paths
        data = pd.read_csv(path)
        scores = model.predict_proba(data)[:, 1]
        results.append(pd.DataFrame({"file": os.path.basename(path), "row": range(len(data)),
                                     "probability": scores.round(3)}))
    return pd.concat(results)  # each row returned counts as one success
