"""Microsoft's RAI-dashboard pipeline as a learner writes it from how-to-responsible-ai-insights-sdk-cli (a plain
module: tests/rai/test_rai_pipeline_run.py runs it, bench/rai_pipeline.py times it). The data: a few hundred rows
of the bundled loans data as MLTable assets; the model: a registered MLflow sklearn model."""
import json
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from azure.ai.ml import Input, dsl
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data, Model

DATASETS = Path(__file__).resolve().parents[2] / "datasets"
FEATURES = ["income", "employment_years", "credit_score", "loan_amount", "debt_to_income", "prior_defaults"]
TERMINAL = ("Completed", "Failed", "Canceled")
MLTABLE = """\
paths:
  - file: ./{name}.csv
transformations:
  - read_delimited:
      delimiter: ','
      encoding: utf8
      header: all_files_same_headers
"""
SCORE_CARD = {"Model": {"ModelName": "Loan approval", "ModelType": "Classification",
                        "ModelSummary": "Approves or declines a loan application."},
              "Metrics": {"accuracy_score": {"threshold": ">=0.7"}}, "FeatureImportance": {"top_n": 5},
              "DataExplorer": {"features": ["income", "credit_score"]},
              "Fairness": {"metric": ["accuracy_score", "selection_rate"], "sensitive_features": ["group"],
                           "fairness_evaluation_kind": "difference"}}


def wait(ml_client, name, timeout=900):  # a hang guard for a loaded machine, not a timing assertion
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ml_client.jobs.get(name)
        if str(job.status) in TERMINAL:
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {name} still {ml_client.jobs.get(name).status} after {timeout}s")


def assets(ml_client):
    """A few hundred rows of the bundled loans data as MLTable assets and an MLflow sklearn model that reads the
    features and ignores the sensitive column `group` (which the data keeps, for fairness by group)."""
    import mlflow.sklearn
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline

    loans = pd.read_csv(DATASETS / "loans.csv")[FEATURES + ["group", "approved"]]
    train, test = train_test_split(loans, test_size=0.3, random_state=11, stratify=loans["approved"])
    train, test = train.sample(300, random_state=11), test.sample(20, random_state=11)
    for name, frame in (("train", train), ("test", test)):
        Path(f"loans-{name}").mkdir()
        frame.to_csv(f"loans-{name}/{name}.csv", index=False)
        Path(f"loans-{name}/MLTable").write_text(MLTABLE.format(name=name))
        ml_client.data.create_or_update(Data(name=f"loans-rai-{name}", version="1", type=AssetTypes.MLTABLE,
                                             path=f"./loans-{name}"))
    model = Pipeline([("features", ColumnTransformer([("keep", "passthrough", FEATURES)])),
                      ("gbm", GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=11))])
    model.fit(train.drop(columns="approved"), train["approved"])
    mlflow.sklearn.save_model(model, "loans-model", serialization_format="cloudpickle")
    return ml_client.models.create_or_update(Model(name="loans-rai-model", path="loans-model",
                                                   type=AssetTypes.MLFLOW_MODEL))


def components(ml_client_registry):
    """As the how-to loads them: the constructor at label 'latest', the others at its version."""
    rai_constructor_component = ml_client_registry.components.get(
        name="microsoft_azureml_rai_tabular_insight_constructor", label="latest")
    version = rai_constructor_component.version
    get = lambda name: ml_client_registry.components.get(name=f"microsoft_azureml_rai_tabular_{name}",  # noqa
                                                         version=version)
    return SimpleNamespace(constructor=rai_constructor_component, explanation=get("explanation"),
                           erroranalysis=get("erroranalysis"), counterfactual=get("counterfactual"),
                           causal=get("causal"), gather=get("insight_gather"), score_card=get("score_card"))


def rai_pipeline(c, expected_model_id, azureml_model_id, score_card_config):
    @dsl.pipeline(compute="serverless", experiment_name="rai-loans", description="RAI insights for the loans model")
    def rai_decision_pipeline(target_column_name, train_data, test_data):
        create_rai_job = c.constructor(
            title="RAI dashboard loans", task_type="classification", model_info=expected_model_id,
            model_input=Input(type=AssetTypes.MLFLOW_MODEL, path=azureml_model_id), train_dataset=train_data,
            test_dataset=test_data, target_column_name=target_column_name, categorical_column_names='["group"]',
            maximum_rows_for_test_dataset=5000, classes="[]")
        create_rai_job.set_limits(timeout=600)

        explain_job = c.explanation(comment="global and local importance",
                                    rai_insights_dashboard=create_rai_job.outputs.rai_insights_dashboard)
        explain_job.set_limits(timeout=600)
        erroranalysis_job = c.erroranalysis(rai_insights_dashboard=create_rai_job.outputs.rai_insights_dashboard,
                                            filter_features='["credit_score", "income"]')
        erroranalysis_job.set_limits(timeout=600)
        counterfactual_job = c.counterfactual(rai_insights_dashboard=create_rai_job.outputs.rai_insights_dashboard,
                                              total_cfs=10, desired_class="opposite")  # the how-to's spelling
        counterfactual_job.set_limits(timeout=600)
        causal_job = c.causal(rai_insights_dashboard=create_rai_job.outputs.rai_insights_dashboard,
                              treatment_features='["credit_score"]', heterogeneity_features='["income"]')
        causal_job.set_limits(timeout=600)

        rai_gather_job = c.gather(constructor=create_rai_job.outputs.rai_insights_dashboard,
                                  insight_1=explain_job.outputs.explanation, insight_2=causal_job.outputs.causal,
                                  insight_3=counterfactual_job.outputs.counterfactual,
                                  insight_4=erroranalysis_job.outputs.error_analysis)
        rai_gather_job.set_limits(timeout=600)
        rai_gather_job.outputs.dashboard.mode = "upload"
        rai_gather_job.outputs.ux_json.mode = "upload"

        rai_scorecard_job = c.score_card(dashboard=rai_gather_job.outputs.dashboard,
                                         pdf_generation_config=score_card_config)
        return {"dashboard": rai_gather_job.outputs.dashboard, "ux_json": rai_gather_job.outputs.ux_json,
                "scorecard": rai_scorecard_job.outputs.scorecard}

    return rai_decision_pipeline


def submit(ml_client, ml_client_registry):
    """Register the data and the model, build the pipeline as the how-to does and submit it, in the current
    folder; returns (the submitted pipeline job, the model, the components)."""
    model = assets(ml_client)
    Path("pdf_gen.json").write_text(json.dumps(SCORE_CARD))
    score_card_config = Input(type="uri_file", path="./pdf_gen.json", mode="download")
    c = components(ml_client_registry)
    expected_model_id = f"{model.name}:{model.version}"
    azureml_model_id = f"azureml:{expected_model_id}"
    pipeline = rai_pipeline(c, expected_model_id, azureml_model_id, score_card_config)
    insights_pipeline_job = pipeline(
        target_column_name="approved",
        train_data=Input(type="mltable", path="azureml:loans-rai-train:1", mode="download"),
        test_data=Input(type="mltable", path="azureml:loans-rai-test:1", mode="download"))
    return ml_client.jobs.create_or_update(insights_pipeline_job), model, c
