"""Scoring script of module 11's deployments, with data collection as Azure documents it (how-to-collect-production-data):
Collector objects named model_inputs and model_outputs, inputs logged before scoring, outputs with the same context."""
import glob
import json
import logging
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
    # on_error as the how-to passes it: without it Collector() raises in a deployment that collects nothing
    inputs_collector = Collector(name="model_inputs", on_error=lambda e: logging.info("ex:{}".format(e)))
    outputs_collector = Collector(name="model_outputs", on_error=lambda e: logging.info("ex:{}".format(e)))


def run(raw_data):
    input_df = pd.DataFrame(json.loads(raw_data)["data"])
    context = inputs_collector.collect(input_df)  # the context correlates inputs and outputs later
    output_df = pd.DataFrame({"prediction": model.predict(input_df)})
    outputs_collector.collect(output_df, context)
    return output_df["prediction"].tolist()
