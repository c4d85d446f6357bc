"""The local azureml registry: Microsoft's RAI component names, versions, ports and errors; the constructor's
input checks (target column, model_info with model_input, model that cannot score)."""
import subprocess
import sys

import pandas as pd
import pytest
from azure.ai.ml import Input, dsl
from azure.ai.ml.entities import CommandComponent
from azure.core.exceptions import ResourceNotFoundError

from dp100lab.workspace.client import LocalMLClient
from dp100lab.workspace.registry import components as C


@pytest.fixture
def registry(tmp_path):
    return LocalMLClient(tmp_path / "home", registry_name="azureml", hold=False, set_mlflow=False)


def test_documented_components_with_their_ports(registry):
    ctor = registry.components.get("microsoft_azureml_rai_tabular_insight_constructor", label="latest")
    assert isinstance(ctor, CommandComponent) and ctor.version == "0.17.0"
    assert ctor.id == ("azureml://registries/azureml/components/microsoft_azureml_rai_tabular_insight_constructor"
                       "/versions/0.17.0")
    assert {"title", "task_type", "model_input", "train_dataset", "test_dataset", "target_column_name",
            "maximum_rows_for_test_dataset", "categorical_column_names", "classes"} <= set(ctor.inputs)
    assert list(ctor.outputs) == ["rai_insights_dashboard"]
    assert ctor.inputs["maximum_rows_for_test_dataset"].default == 5000
    outs = {s: list(registry.components.get(f"rai_tabular_{s}", label="latest").outputs) for s in
            ("explanation", "erroranalysis", "counterfactual", "causal", "insight_gather", "score_card")}
    assert outs == {"explanation": ["explanation"], "erroranalysis": ["error_analysis"],
                    "counterfactual": ["counterfactual"], "causal": ["causal"],
                    "insight_gather": ["dashboard", "ux_json"], "score_card": ["scorecard"]}
    cf = registry.components.get("rai_tabular_counterfactual", version="0.22.0")
    assert cf.inputs["total_CFs"].default == 10 and cf.inputs["method"].default == "random"
    assert "dp100lab.workspace.registry.rai counterfactual" in cf.command


def test_unknown_name_or_version_lists_what_exists(registry):
    with pytest.raises(ResourceNotFoundError, match="rai_tabular_insight_constructor, .*score_card"):
        registry.components.get("rai_tabular_fairness", label="latest")
    with pytest.raises(ResourceNotFoundError, match="existing versions: 0.17.0"):
        registry.components.get("microsoft_azureml_rai_tabular_explanation", version="0.1.0")
    assert len(list(registry.components.list())) == len(C.names()) == 14


def test_a_microsoft_style_pipeline_builds_from_registry_components(registry):
    get = lambda n: registry.components.get(name=n, label="latest")  # noqa: E731
    ctor, explain, ea, gather = (get(f"microsoft_azureml_rai_tabular_{s}") for s in
                                 ("insight_constructor", "explanation", "erroranalysis", "insight_gather"))

    @dsl.pipeline(compute="serverless")
    def rai_pipeline(target_column_name, train_data, test_data):
        c = ctor(title="loans", task_type="classification",
                 model_input=Input(type="mlflow_model", path="azureml:loans-model:1"), train_dataset=train_data,
                 test_dataset=test_data, target_column_name=target_column_name, classes="[]")
        e = explain(comment="global and local", rai_insights_dashboard=c.outputs.rai_insights_dashboard)
        a = ea(rai_insights_dashboard=c.outputs.rai_insights_dashboard)
        g = gather(constructor=c.outputs.rai_insights_dashboard, insight_1=e.outputs.explanation,
                   insight_2=a.outputs.error_analysis)
        return {"dashboard": g.outputs.dashboard, "ux_json": g.outputs.ux_json}

    job = rai_pipeline(target_column_name="approved",
                       train_data=Input(type="mltable", path="azureml:loans-train:1"),
                       test_data=Input(type="mltable", path="azureml:loans-test:1"))
    assert set(job.jobs) == {"c", "e", "a", "g"} and set(job.outputs) == {"dashboard", "ux_json"}
    assert job.jobs["c"].component.id.endswith("/versions/0.17.0")


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dp100lab.workspace.registry.rai", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_constructor_names_a_missing_target_column(tmp_path):
    pd.DataFrame({"a": [1, 2], "b": [0, 1]}).to_csv(tmp_path / "d.csv", index=False)
    r = _run("construct", "--title", "t", "--task_type", "classification", "--model_input", "m",
             "--train_dataset", "d.csv", "--test_dataset", "d.csv", "--target_column_name", "label",
             "--output_path", "out", cwd=tmp_path)
    assert r.returncode == 1
    assert "target_column_name 'label' is not a column of train_dataset (its columns: a, b)" in r.stderr


def test_constructor_needs_model_info_with_model_input_as_azure(tmp_path):
    pd.DataFrame({"a": [1, 2], "label": [0, 1]}).to_csv(tmp_path / "d.csv", index=False)
    r = _run("construct", "--title", "t", "--task_type", "classification", "--model_input", "model",
             "--train_dataset", "d.csv", "--test_dataset", "d.csv", "--target_column_name", "label",
             "--output_path", "out", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [r.stderr.strip()]  # one line
    assert r.stderr.startswith("UserError: Either model info or model input needs to be supplied: give "
                               "model_input (an mlflow_model Input of the registered model) together with model_info=")


def test_constructor_says_when_the_model_cannot_score_the_test_data(tmp_path):
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    train = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 0, 1, 1]})
    mlflow.sklearn.save_model(LogisticRegression().fit(train[["x"]], train.y), str(tmp_path / "model"),
                              serialization_format="cloudpickle")
    train.to_csv(tmp_path / "train.csv", index=False)
    train.rename(columns={"x": "other"}).to_csv(tmp_path / "test.csv", index=False)
    r = _run("construct", "--title", "t", "--task_type", "classification", "--model_input", "model",
             "--model_info", "m:1", "--train_dataset", "train.csv", "--test_dataset", "test.csv",
             "--target_column_name", "y", "--output_path", "out", cwd=tmp_path)
    assert r.returncode == 1 and "The model cannot score the test data" in r.stderr
