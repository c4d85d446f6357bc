"""The RAI tabular components of the `azureml` registry, as azure.ai.ml CommandComponent entities.

Names, inputs, outputs and defaults follow Microsoft's component specs (azureml-assets,
assets/responsibleai/tabular/components/*/spec.yaml) and how-to-responsible-ai-insights-sdk-cli. The registry has
held them under two names: microsoft_azureml_rai_tabular_* (what the how-to uses) and rai_tabular_*; both are
served. Each command runs the local implementation (registry/rai.py, on responsibleai) instead of the
component's script, with the same arguments. One version per name family stands for all of the registry's.
"""

from __future__ import annotations

import copy
from typing import Optional

from azure.ai.ml import Input, Output
from azure.ai.ml.entities import CommandComponent

REGISTRY = "azureml"
FAMILIES = {"microsoft_azureml_rai_tabular_": ("0.17.0", 5), "rai_tabular_": ("0.22.0", 28)}
_RUN = "python -m dp100lab.workspace.registry.rai"


def _s(default=None, optional=False, enum=None):
    kw = {"type": "string", "optional": optional or None}
    if default is not None:
        kw["default"] = default
    if enum:
        kw["enum"] = enum
    return Input(**{k: v for k, v in kw.items() if v is not None})


def _i(default):
    return Input(type="integer", default=default)


def _folder():
    # The specs declare outputs `type: path`; the SDK's pipeline validation accepts only data types for an output
    # given a mode, and Microsoft's samples set `rai_gather_job.outputs.dashboard.mode = "upload"` on the registry's
    # component: it is handed out as a folder (uri_folder), which is what every step writes.
    return Output(type="uri_folder")


# step -> (display name, inputs, outputs, command arguments)
SPECS = {
    "insight_constructor": ("RAI Insights Dashboard Constructor", {
        "title": _s(), "task_type": _s(enum=["classification", "regression", "forecasting"]),
        "model_info_path": Input(type="path", optional=True), "model_input": Input(type="mlflow_model", optional=True),
        "model_info": _s(optional=True), "train_dataset": Input(type="path"), "test_dataset": Input(type="path"),
        "target_column_name": _s(), "maximum_rows_for_test_dataset": _i(5000),
        "categorical_column_names": _s("[]"), "classes": _s("[]"), "feature_metadata": _s("{}"),
        "use_model_dependency": Input(type="boolean", default=False)},
        {"rai_insights_dashboard": _folder()},
        "construct --title '${{inputs.title}}' --task_type ${{inputs.task_type}}"
        " $[[--model_info_path '${{inputs.model_info_path}}']] $[[--model_input '${{inputs.model_input}}']]"
        " $[[--model_info '${{inputs.model_info}}']] --train_dataset ${{inputs.train_dataset}}"
        " --test_dataset ${{inputs.test_dataset}} --target_column_name '${{inputs.target_column_name}}'"
        " --maximum_rows_for_test_dataset ${{inputs.maximum_rows_for_test_dataset}}"
        " --categorical_column_names '${{inputs.categorical_column_names}}' --classes '${{inputs.classes}}'"
        " --feature_metadata '${{inputs.feature_metadata}}' --use_model_dependency ${{inputs.use_model_dependency}}"
        " --output_path ${{outputs.rai_insights_dashboard}}"),
    "explanation": ("Add Explanation to RAI Insights Dashboard", {
        "comment": _s(""), "rai_insights_dashboard": Input(type="path")},
        {"explanation": _folder()},
        "explanation --comment '${{inputs.comment}}' --rai_insights_dashboard ${{inputs.rai_insights_dashboard}}"
        " --explanation_path ${{outputs.explanation}}"),
    "erroranalysis": ("Add Error Analysis to RAI Insights Dashboard", {
        "rai_insights_dashboard": Input(type="path"), "max_depth": _i(3), "num_leaves": _i(31),
        "min_child_samples": _i(20), "filter_features": _s("null")},
        {"error_analysis": _folder()},
        "erroranalysis --rai_insights_dashboard ${{inputs.rai_insights_dashboard}} --max_depth ${{inputs.max_depth}}"
        " --num_leaves ${{inputs.num_leaves}} --min_child_samples ${{inputs.min_child_samples}}"
        " --filter_features '${{inputs.filter_features}}' --error_analysis_path ${{outputs.error_analysis}}"),
    "counterfactual": ("Add Counterfactuals to RAI Insights Dashboard", {
        "rai_insights_dashboard": Input(type="path"), "total_CFs": _i(10),
        "method": _s("random", enum=["random", "genetic", "kdtree"]), "desired_class": _s(optional=True),
        "desired_range": _s(optional=True), "permitted_range": _s(optional=True), "features_to_vary": _s("all"),
        "feature_importance": Input(type="boolean", default=True)},
        {"counterfactual": _folder()},
        "counterfactual --rai_insights_dashboard ${{inputs.rai_insights_dashboard}} --total_CFs ${{inputs.total_CFs}}"
        " --method ${{inputs.method}} $[[--desired_class ${{inputs.desired_class}}]]"
        " $[[--desired_range '${{inputs.desired_range}}']] $[[--permitted_range '${{inputs.permitted_range}}']]"
        " --features_to_vary '${{inputs.features_to_vary}}' --feature_importance '${{inputs.feature_importance}}'"
        " --counterfactual_path ${{outputs.counterfactual}}"),
    "causal": ("Add Causal to RAI Insights Dashboard", {
        "rai_insights_dashboard": Input(type="path"), "treatment_features": _s(),
        "heterogeneity_features": _s("null"), "nuisance_model": _s("linear", enum=["linear", "automl"]),
        "heterogeneity_model": _s("linear", enum=["linear", "forest"]), "alpha": Input(type="number", default=0.05),
        "upper_bound_on_cat_expansion": _i(50), "treatment_cost": _s("0"), "min_tree_leaf_samples": _i(2),
        "max_tree_depth": _i(2), "skip_cat_limit_checks": Input(type="boolean", default=False),
        "categories": _s("auto"), "n_jobs": _i(1), "verbose": _i(1), "random_state": _s("None")},
        {"causal": _folder()},
        "causal --rai_insights_dashboard ${{inputs.rai_insights_dashboard}}"
        " --treatment_features '${{inputs.treatment_features}}'"
        " --heterogeneity_features '${{inputs.heterogeneity_features}}' --nuisance_model ${{inputs.nuisance_model}}"
        " --heterogeneity_model ${{inputs.heterogeneity_model}} --alpha ${{inputs.alpha}}"
        " --upper_bound_on_cat_expansion ${{inputs.upper_bound_on_cat_expansion}}"
        " --treatment_cost '${{inputs.treatment_cost}}' --min_tree_leaf_samples ${{inputs.min_tree_leaf_samples}}"
        " --max_tree_depth ${{inputs.max_tree_depth}} --skip_cat_limit_checks ${{inputs.skip_cat_limit_checks}}"
        " --categories '${{inputs.categories}}' --n_jobs ${{inputs.n_jobs}} --verbose ${{inputs.verbose}}"
        " --random_state '${{inputs.random_state}}' --causal_path ${{outputs.causal}}"),
    "insight_gather": ("Gather RAI Insights Dashboard", {
        "constructor": Input(type="path"), **{f"insight_{i}": Input(type="path", optional=True) for i in range(1, 5)}},
        {"dashboard": _folder(), "ux_json": _folder()},
        "gather --constructor ${{inputs.constructor}}"
        + "".join(f" $[[--insight_{i} '${{{{inputs.insight_{i}}}}}']]" for i in range(1, 5))
        + " --dashboard ${{outputs.dashboard}} --ux_json ${{outputs.ux_json}}"),
    "score_card": ("Generate rai insight score card (Public preview)", {
        "dashboard": Input(type="path"), "pdf_generation_config": Input(type="path"),
        "predefined_cohorts_json": Input(type="path", optional=True)},
        {"scorecard": _folder()},
        "scorecard --rai_insights_dashboard ${{inputs.dashboard}}"
        " --pdf_generation_config ${{inputs.pdf_generation_config}}"
        " $[[--predefined_cohorts_json ${{inputs.predefined_cohorts_json}}]] --pdf_output_path ${{outputs.scorecard}}"),
}


def names() -> list[str]:
    return [prefix + step for prefix in FAMILIES for step in SPECS]


def component_id(name: str, version: str) -> str:
    return f"azureml://registries/{REGISTRY}/components/{name}/versions/{version}"


def build(name: str) -> Optional[CommandComponent]:
    """The CommandComponent for a registry name, or None if the registry has no such component."""
    for prefix, (version, env_version) in FAMILIES.items():
        if name.startswith(prefix) and name[len(prefix):] in SPECS:
            display, inputs, outputs, args = SPECS[name[len(prefix):]]
            comp = CommandComponent(
                name=name, version=version, display_name=display,
                description=f"{display} [Learn More](https://aka.ms/RAIComponents)",
                inputs=copy.deepcopy(inputs), outputs=copy.deepcopy(outputs), command=f"{_RUN} {args}",
                environment=f"azureml://registries/azureml/environments/responsibleai-tabular/versions/{env_version}",
                id=component_id(name, version))  # as the registry returns it: the id pipelines reference
            return comp
    return None
