"""Microsoft's RAI-dashboard pipeline, submitted and run: the azureml registry's tabular components in a
@dsl.pipeline, written as how-to-responsible-ai-insights-sdk-cli writes it (constructor on a registered MLflow
model and MLTable data, explanation, error analysis, counterfactual, causal, gather, score card; set_limits and
the gather outputs' upload mode as the Learn module sets them). Each step is a child job that completes; the
gathered dashboard loads with responsibleai with every tool computed; it is recorded against the model as Azure
records it (properties of the gather job); the score card is a PDF. Bad input fails its step with one line."""
import json
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest
from azure.ai.ml import Input, dsl
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.exceptions import JobException
from azure.identity import DefaultAzureCredential
from rai_pipeline_code import FEATURES, SCORE_CARD, submit, wait

from dp100lab import MLClient
from dp100lab.workspace.core import processes

PROP = "_azureml.responsibleai.rai_insights."


@pytest.fixture(scope="module")
def rai(tmp_path_factory):
    root = tmp_path_factory.mktemp("rai")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DP100LAB_HOME", str(root / "home"))
        (root / "project").mkdir()
        mp.chdir(root / "project")
        credential = DefaultAzureCredential()
        ml_client = MLClient(credential, subscription_id="sub", resource_group_name="rg", workspace_name="ws")
        ml_client_registry = MLClient(credential, subscription_id=ml_client.subscription_id,
                                      resource_group_name=ml_client.resource_group_name, registry_name="azureml")
        submitted, model, c = submit(ml_client, ml_client_registry)
        job = wait(ml_client, submitted.name)
        steps = {j.display_name: j for j in ml_client.jobs.list(parent_job_name=job.name)}
        yield SimpleNamespace(ml_client=ml_client, job=job, steps=steps, model=model, c=c, root=root,
                              model_id=f"{model.name}:{model.version}")
        for jd in (root / "home" / "jobs").glob("*"):  # a failing test leaves no process behind
            for role in ("script", "runner"):
                processes.kill_role(jd, role, signal.SIGKILL)


def _why(rai) -> str:
    row = rai.ml_client.store.get_job(rai.job.name)
    return (row.get("error") or "") + "".join(
        f"\n--- {n}: {s.status}\n" + (rai.root / "home" / "jobs" / s.name / "user_logs" / "std_log.txt").read_text()
        [-1500:] for n, s in rai.steps.items() if s.status != "Completed")


def test_every_step_is_a_child_job_that_completed(rai):
    assert rai.job.status == "Completed", _why(rai)
    assert set(rai.steps) == {"create_rai_job", "explain_job", "erroranalysis_job", "counterfactual_job",
                              "causal_job", "rai_gather_job", "rai_scorecard_job"}
    assert {s.status for s in rai.steps.values()} == {"Completed"}


def test_the_gathered_dashboard_loads_with_every_tool_computed(rai, tmp_path):
    from responsibleai import RAIInsights

    rai.ml_client.jobs.download(rai.job.name, download_path=str(tmp_path), output_name="dashboard")
    insights = RAIInsights.load(str(tmp_path / "named-outputs" / "dashboard"))
    assert insights.target_column == "approved" and len(insights.test) == 20
    assert insights.categorical_features == ["group"]
    importance = insights.explainer.get()[0].get_feature_importance_dict()
    assert set(FEATURES) <= set(importance) and max(importance, key=importance.get) in FEATURES
    assert insights.error_analysis.get()[0].tree  # the error tree
    assert len(insights.counterfactual.get()[0].cf_examples_list) == 20  # what-ifs for every test row
    assert insights.causal.get()[0].global_effects is not None
    rai.ml_client.jobs.download(rai.job.name, download_path=str(tmp_path), output_name="ux_json")
    ux = json.loads((tmp_path / "named-outputs" / "ux_json" / "dashboard.json").read_text())
    assert ux["dataset"]["target_column"] == "approved" and ux["modelExplanationData"]


def test_the_dashboard_is_recorded_against_the_model_as_azure_records_it(rai):
    gather = rai.ml_client.jobs.get(rai.steps["rai_gather_job"].name)
    props = gather.properties
    assert props[PROP + "type"] == "gather"
    assert props[PROP + "model_id"] == rai.model_id == "loans-rai-model:1"
    assert props[PROP + "dashboard_id"] == rai.steps["create_rai_job"].name  # the constructor's run
    assert props[PROP + "dashboard_title"] == "RAI dashboard loans"
    assert {k[len(PROP):]: v for k, v in props.items() if k.startswith(PROP + "has_")} == {
        "has_explanation": "True", "has_error_analysis": "True", "has_counterfactual": "True", "has_causal": "True"}
    # how a learner finds the dashboards of a model: the gather jobs whose model_id property names it
    found = [j.name for j in rai.ml_client.jobs.list(parent_job_name=rai.job.name)
             if (j.properties or {}).get(PROP + "model_id") == f"{rai.model.name}:{rai.model.version}"]
    assert found == [gather.name]


def test_the_score_card_is_a_pdf(rai, tmp_path):
    rai.ml_client.jobs.download(rai.job.name, download_path=str(tmp_path), output_name="scorecard")
    pdf = tmp_path / "named-outputs" / "scorecard" / "scorecard.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000


def _constructor_only(c, **overrides):
    @dsl.pipeline(compute="serverless", experiment_name="rai-loans-bad")
    def bad(train_data, test_data):
        args = dict(title="bad", task_type="classification", model_info="loans-rai-model:1",
                    model_input=Input(type=AssetTypes.MLFLOW_MODEL, path="azureml:loans-rai-model:1"),
                    train_dataset=train_data, test_dataset=test_data, target_column_name="approved")
        create_rai_job = c.constructor(**{**args, **overrides})
        explain_job = c.explanation(rai_insights_dashboard=create_rai_job.outputs.rai_insights_dashboard)
        rai_gather_job = c.gather(constructor=create_rai_job.outputs.rai_insights_dashboard,  # noqa: F841
                                  insight_1=explain_job.outputs.explanation)

    return bad(train_data=Input(type="mltable", path="azureml:loans-rai-train:1"),
               test_data=Input(type="mltable", path="azureml:loans-rai-test:1"))


def _one_line_failure(ml_client, job, step):
    job = wait(ml_client, ml_client.jobs.create_or_update(job).name)
    steps = {j.display_name: j for j in ml_client.jobs.list(parent_job_name=job.name)}
    assert job.status == "Failed" and steps[step].status == "Failed"
    with pytest.raises(JobException) as info:
        ml_client.jobs.stream(steps[step].name)
    log = ml_client.store.job_dir(steps[step].name) / "user_logs" / "std_log.txt"
    lines = [ln for ln in log.read_text().splitlines() if ln.strip()]
    assert "Traceback" not in log.read_text()  # one line, not a stack
    return lines[-1], str(info.value), steps


@pytest.mark.parametrize("overrides, expected", [
    ({"target_column_name": "approval"}, "target_column_name 'approval' is not a column of train_dataset "
                                         "(its columns: income, "),
    ({"categorical_column_names": '["group", "region"]'}, "categorical_column_names: 'region' is not a column of "
                                                          "train_dataset"),
])
def test_bad_constructor_input_fails_its_step_with_one_line(rai, overrides, expected):
    line, error, steps = _one_line_failure(rai.ml_client, _constructor_only(rai.c, **overrides), "create_rai_job")
    assert line.startswith("UserError: ") and expected in line
    assert expected in error  # what jobs.stream raises names it too
    assert "explain_job" not in steps  # the steps after it never start


def test_a_sensitive_feature_not_in_the_data_fails_the_score_card_with_one_line(rai):
    Path("bad_gen.json").write_text(json.dumps({**SCORE_CARD, "Fairness": {
        "metric": ["selection_rate"], "sensitive_features": ["ethnicity"], "fairness_evaluation_kind": "ratio"}}))
    dashboard = f"azureml://jobs/{rai.steps['rai_gather_job'].name}/outputs/dashboard"

    @dsl.pipeline(compute="serverless", experiment_name="rai-loans-bad")
    def score_card_only():
        score_card = rai.c.score_card(dashboard=Input(type="uri_folder", path=dashboard),  # noqa: F841
                                      pdf_generation_config=Input(type="uri_file", path="./bad_gen.json"))

    line, _, _ = _one_line_failure(rai.ml_client, score_card_only(), "score_card")
    assert line.startswith("UserError: Fairness.sensitive_features: 'ethnicity' not a column of the dashboard's "
                           "test data (income, ") and "group" in line
