"""Scoring for an MLflow model deployed without a script (Azure's no-code deployment), run by azmlinfsrv.

Copied into the deployment's code folder as score.py. As Azure documents for MLflow models on online endpoints
(how-to-deploy-mlflow-models, "Input structure"), the JSON body must hold the input under the key `input_data`:
a pandas DataFrame in split orientation ({"columns": [...], "index": [...], "data": [...]}), a list (tensor) or a
dict of lists (named tensors). Anything else is answered with HTTP 400 and a message saying so; MLflow's signature
enforcement rejects columns or types that do not match the model's signature (also 400). The endpoint passes a
non-200 answer on as Azure does: 424 with the 400 in ms-azureml-model-error-statuscode (endpoints/router.py).
"""

import json
import os

from azureml_inference_server_http.api.aml_response import AMLResponse

model = None


def _model_folder() -> str:
    root = os.environ["AZUREML_MODEL_DIR"]
    for folder, _dirs, files in os.walk(root, followlinks=True):
        if "MLmodel" in files:
            return os.path.realpath(folder)  # the model folder is linked in; MLflow wants the real path
    raise FileNotFoundError(f"No MLmodel file under AZUREML_MODEL_DIR={root}")


def init():
    global model
    import mlflow.pyfunc

    model = mlflow.pyfunc.load_model(_model_folder())


def _bad(message):
    return AMLResponse({"message": message}, 400, json_str=True)


def _to_input(payload):
    import numpy as np
    import pandas as pd

    if isinstance(payload, dict) and "data" in payload and "columns" in payload:
        return pd.DataFrame(payload["data"], columns=payload["columns"], index=payload.get("index"))
    if isinstance(payload, list):
        return np.asarray(payload)
    if isinstance(payload, dict) and payload and all(isinstance(v, list) for v in payload.values()):
        return {k: np.asarray(v) for k, v in payload.items()}
    return None


def run(raw_data):
    try:
        body = json.loads(raw_data)
    except ValueError as e:
        return _bad(f"The request body is not valid JSON ({e}).")
    if not isinstance(body, dict) or "input_data" not in body:
        keys = list(body)[:5] if isinstance(body, dict) else type(body).__name__
        return _bad("MLflow models on Azure Machine Learning online endpoints expect the input under the key "
                    "'input_data' (a DataFrame in split orientation with 'columns' and 'data', a list, or a dict of "
                    f"lists); got {keys}. MLflow's own 'dataframe_split'/'inputs' payloads are for `mlflow models "
                    "serve`, not for Azure endpoints.")
    data = _to_input(body["input_data"])
    if data is None:
        return _bad("'input_data' must be a DataFrame in split orientation ({'columns': [...], 'data': [[...]]}), a "
                    "list of rows, or a dict of lists.")
    from mlflow.exceptions import MlflowException

    try:
        out = model.predict(data)
    except MlflowException as e:
        return _bad(f"The input does not match the model's signature: {e.message}")
    if hasattr(out, "tolist"):
        return out.tolist()
    if hasattr(out, "to_dict"):
        return out.to_dict(orient="records")
    return out
