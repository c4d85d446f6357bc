"""The scoring used for an MLflow model deployed to a batch endpoint without a script (Azure's no-code batch).

As how-to-mlflow-batch documents: predict() is called once per file; .csv and .parquet/.pqt files are read into a
DataFrame with the column types of the model's signature (so an integer column of a CSV feeds a double input, and a
value that does not parse fails that file); other file types are not supported; predictions.csv
gets one row per input row with the columns row, prediction, file_name. A file that cannot be read or scored is
logged ("Error processing input file ...") and counted as failed; the rest of the mini-batch is still scored.
"""

import logging
import os

model = None
dtypes = {}  # column -> pandas dtype, from the signature's ColSpec inputs
_log = logging.getLogger("azureml")
_PANDAS = {"double": "float64", "float": "float32", "long": "int64", "integer": "int32", "boolean": "bool",
           "string": "str"}


def _signature_dtypes(schema):
    if schema is None or schema.is_tensor_spec() or not schema.has_input_names():
        return {}
    return {c.name: _PANDAS[c.type.name] for c in schema.inputs
            if c.name and getattr(c.type, "name", None) in _PANDAS}


def init():
    global model, dtypes
    import mlflow.pyfunc

    root = os.environ["AZUREML_MODEL_DIR"]
    for folder, _dirs, files in os.walk(root, followlinks=True):
        if "MLmodel" in files:
            model = mlflow.pyfunc.load_model(os.path.realpath(folder))
            dtypes = _signature_dtypes(model.metadata.get_input_schema())
            return
    raise FileNotFoundError(f"No MLmodel file under AZUREML_MODEL_DIR={root}")


def _read(path):
    import pandas as pd

    ext = os.path.splitext(path)[1].lower()
    if ext == ".csv":
        return pd.read_csv(path, dtype=dtypes or None)
    if ext in (".parquet", ".pqt"):
        df = pd.read_parquet(path)
        return df.astype({c: t for c, t in dtypes.items() if c in df.columns})
    raise ValueError(f"File type '{ext.lstrip('.')}' is not supported")


def run(mini_batch):
    import pandas as pd

    frames, failed = [], []
    for path in mini_batch:
        try:
            pred = model.predict(_read(path))
            values = list(pred.iloc[:, 0] if hasattr(pred, "iloc") and getattr(pred, "ndim", 1) > 1 else pred)
            frames.append(pd.DataFrame({"row": range(len(values)), "prediction": values,
                                        "file_name": os.path.basename(path)}))
        except Exception as e:  # one bad file must not lose the others' predictions
            _log.error("Error processing input file: '%s'. Exception: %s", path, e)
            failed.append(path)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["row", "prediction", "file_name"])
    out.attrs["failed_files"] = failed  # per-file failures (rows per file vary, so len(out) cannot tell them)
    return out
