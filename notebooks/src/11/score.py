"""Scoring script of the loans deployment, with data collection as Azure documents it (how-to-collect-production-data):
Collector objects named model_inputs and model_outputs, inputs logged before scoring, outputs with the same context."""
import glob
import json
import os

import mlflow.sklearn
import pandas as pd
from azureml.ai.monitoring import Collector


def init():
    global model, inputs_collector, outputs_collector
    # the registered folder keeps its name under AZUREML_MODEL_DIR: load the one that holds the MLmodel file
    root = os.environ.get("AZUREML_MODEL_DIR", ".")
    model = mlflow.sklearn.load_model(os.path.dirname(glob.glob(os.path.join(root, "**", "MLmodel"),
                                                                recursive=True)[0]))
    inputs_collector = Collector(name="model_inputs")
    outputs_collector = Collector(name="model_outputs")


def run(raw_data):
    input_df = pd.DataFrame(json.loads(raw_data)["data"])
    context = inputs_collector.collect(input_df)  # the context correlates inputs and outputs later
    output_df = pd.DataFrame({"approved": model.predict(input_df)})
    outputs_collector.collect(output_df, context)
    return output_df["approved"].tolist()
