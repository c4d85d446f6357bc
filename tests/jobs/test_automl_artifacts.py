"""The best AutoML trial's outputs/ hold what Microsoft's AutoML samples download and deploy: model.pkl, the
conda environment and scoring_file_v_2_0_0.py, which answers the {"Inputs": {"data": ...}, "GlobalParameters"}
request with {"Results": ...}."""
import importlib.util
import json

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from dp100lab.workspace.jobs.automl import artifacts


def _scorer(outputs, monkeypatch):
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(outputs))
    spec = importlib.util.spec_from_file_location("scoring_v2", outputs / "scoring_file_v_2_0_0.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.init()
    return module


def test_best_trial_outputs_score_the_v2_request(tmp_path, monkeypatch):
    X = pd.DataFrame({"a": [0, 1, 2, 3, 4, 5], "b": [5, 4, 3, 2, 1, 0]})
    model = LogisticRegression().fit(X, [0, 0, 0, 1, 1, 1])
    outputs = tmp_path / "outputs"
    (outputs / "mlflow-model").mkdir(parents=True)
    (outputs / "mlflow-model" / "conda.yaml").write_text("name: env\ndependencies: [python=3.11]\n")
    artifacts.write(outputs, model)

    assert (outputs / "conda_env_v_1_0_0.yml").read_text().startswith("name: env")
    score = _scorer(outputs, monkeypatch)
    rows = X.to_dict(orient="records")
    assert score.run(json.dumps({"Inputs": {"data": rows}}))["Results"] == model.predict(X).tolist()
    proba = score.run(json.dumps({"Inputs": {"data": rows}, "GlobalParameters": {"method": "predict_proba"}}))
    assert sum(proba["Results"], []) == pytest.approx(model.predict_proba(X).ravel().tolist())
    with pytest.raises(ValueError, match="GlobalParameters.method"):
        score.run(json.dumps({"Inputs": {"data": rows}, "GlobalParameters": {"method": "explode"}}))
