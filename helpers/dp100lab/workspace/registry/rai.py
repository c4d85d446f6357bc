"""What the azureml registry's RAI tabular components run, on responsibleai (RAIInsights):

    python -m dp100lab.workspace.registry.rai <construct|explanation|erroranalysis|counterfactual|causal|gather|
                                               scorecard> --<arguments of the component's command>

As Azure's components do (azureml-assets, assets/responsibleai/tabular/components/src): the constructor saves an
RAIInsights with the model and data and no tool, plus rai_insights.json (the constructor's run, the model id from
model_info, the title); each tool step loads it, adds and computes one tool and saves the result with that file;
gather refuses an insight from another constructor or a tool given twice, assembles the tools into one dashboard
(plus ux_json/dashboard.json) and records it against the model: the gather job's properties name the model id
and the tools present, which is where studio's Responsible AI tab of the model finds it. The score card renders
a PDF from the dashboard.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Optional

TOOLS = ("explainer", "error_analysis", "counterfactual", "causal")
INFO = "rai_insights.json"  # the dashboard info file Azure's components pass from step to step
# the gather run's properties on Azure (PropertyKeyValues of the components' constants.py)
PROP = "_azureml.responsibleai.rai_insights."
HAS = {"causal": "causal", "counterfactual": "counterfactual", "error_analysis": "error_analysis",
       "explainer": "explanation"}  # manager folder -> the tool name in has_<tool>


class UserError(Exception):
    """A problem in the step's inputs: printed as one line and the job fails with it."""


def _json(text: Optional[str], default: Any = None) -> Any:
    if text in (None, "", "None", "null"):
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _bool(text: Any) -> bool:
    return str(text).strip().lower() in ("true", "1", "yes")


def _read(path: str):
    from ..monitoring.data import read_table

    p = Path(path)
    return read_table(p, "mltable" if (p / "MLTable").exists() else "uri_folder")


def _load_model(path: str) -> Any:
    import mlflow.sklearn

    try:
        return mlflow.sklearn.load_model(path)
    except Exception as e:  # noqa: BLE001
        raise UserError(f"The model at {path} could not be loaded as an MLflow model with the sklearn flavor "
                        f"({e}). The RAI components need a registered MLflow sklearn model (model_input of type "
                        f"mlflow_model).") from e


def _columns(frames: dict, names: list, what: str, fix: str) -> None:
    for name, frame in frames.items():
        absent = [c for c in names if c not in frame.columns]
        if absent:
            raise UserError(f"{what} {', '.join(map(repr, absent))} {'is' if len(absent) == 1 else 'are'} not "
                            f"a column of {name} (its columns: {', '.join(map(str, frame.columns))}). {fix}")


def _model_path(a: argparse.Namespace) -> tuple[str, str]:
    """(local model folder, model id name:version), as Azure's constructor takes them: model_input with
    model_info, or model_info_path (the model_info.json of the Fetch Registered Model component)."""
    if a.model_info_path:
        p = Path(a.model_info_path)
        info = json.loads(((p / "model_info.json") if p.is_dir() else p).read_text())
        model_id = info["id"]
        from ..core import uris
        from ..core.store import Store

        return str(uris.resolve_asset_path(Store(_store_root()), f"azureml:{model_id}", kind="model")), model_id
    if not (a.model_input and a.model_info):
        raise UserError("Either model info or model input needs to be supplied: give model_input (an mlflow_model "
                        "Input of the registered model) together with model_info='<name>:<version>' of that "
                        "model, the id the dashboard is recorded against, as Azure's constructor requires.")
    return a.model_input, a.model_info


def _store_root() -> Path:
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    if not uri.startswith("sqlite:///"):
        raise UserError("This step runs inside a local workspace job (ml_client.jobs.create_or_update of the "
                        "pipeline); it was started outside one.")
    return Path(uri[len("sqlite:///"):]).parent


def construct(a: argparse.Namespace) -> None:
    train, test = _read(a.train_dataset), _read(a.test_dataset)
    frames = {"train_dataset": train, "test_dataset": test}
    _columns(frames, [a.target_column_name], "target_column_name", "Set target_column_name to the label column.")
    categorical = _json(a.categorical_column_names, []) or []
    _columns(frames, categorical, "categorical_column_names:", "List only columns of the data (a JSON list).")
    model_path, model_id = _model_path(a)
    model = _load_model(model_path)
    X = test.drop(columns=[a.target_column_name])
    try:
        model.predict(X.head(5))
    except Exception as e:  # noqa: BLE001
        raise UserError(f"The model cannot score the test data: {type(e).__name__}: {e}. The test dataset must "
                        f"have the feature columns the model was trained on (it has {', '.join(X.columns)}).") from e
    if len(test) > a.maximum_rows_for_test_dataset:
        raise UserError(f"The test dataset has {len(test)} rows, more than maximum_rows_for_test_dataset="
                        f"{a.maximum_rows_for_test_dataset}; sample it down or raise the limit.")
    from responsibleai import RAIInsights  # imported once the inputs are known to be right (it takes seconds)

    classes = _json(a.classes, []) or None
    rai = RAIInsights(model, train, test, a.target_column_name, a.task_type,
                      categorical_features=categorical or None, classes=classes,
                      maximum_rows_for_test=a.maximum_rows_for_test_dataset)
    rai.save(a.output_path)
    info = {"rai_insights_parent_run_id": os.environ.get("AZUREML_RUN_ID", ""), "model_id": model_id,
            "dashboard_title": a.title, "task_type": a.task_type}
    (Path(a.output_path) / INFO).write_text(json.dumps(info, indent=1))
    print(f"RAIInsights constructed: {len(train)} train rows, {len(test)} test rows, target {a.target_column_name}")


def _tool(a: argparse.Namespace, out: str, add) -> None:
    from responsibleai import RAIInsights

    rai = RAIInsights.load(a.rai_insights_dashboard)
    add(rai)
    rai.compute()
    rai.save(out)
    shutil.copy(Path(a.rai_insights_dashboard) / INFO, Path(out) / INFO)


def explanation(a):
    _tool(a, a.explanation_path, lambda r: r.explainer.add())


def erroranalysis(a):
    _tool(a, a.error_analysis_path, lambda r: r.error_analysis.add(
        max_depth=a.max_depth, num_leaves=a.num_leaves, min_child_samples=a.min_child_samples,
        filter_features=_json(a.filter_features)))


def counterfactual(a):
    if a.total_CFs < 10:  # dice-ml through responsibleai refuses fewer
        raise UserError(f"total_CFs must be at least 10 (got {a.total_CFs}), as responsibleai requires.")
    desired = _json(a.desired_class)
    _tool(a, a.counterfactual_path, lambda r: r.counterfactual.add(
        total_CFs=a.total_CFs, method=a.method, desired_class=desired, desired_range=_json(a.desired_range),
        permitted_range=_json(a.permitted_range), features_to_vary=_json(a.features_to_vary, "all"),
        feature_importance=_bool(a.feature_importance)))


def causal(a):
    seed = _json(a.random_state)
    _tool(a, a.causal_path, lambda r: r.causal.add(
        treatment_features=_json(a.treatment_features), heterogeneity_features=_json(a.heterogeneity_features),
        nuisance_model=a.nuisance_model, heterogeneity_model=a.heterogeneity_model, alpha=a.alpha,
        upper_bound_on_cat_expansion=a.upper_bound_on_cat_expansion, treatment_cost=_json(a.treatment_cost, 0),
        min_tree_leaf_samples=a.min_tree_leaf_samples, max_tree_depth=a.max_tree_depth,
        skip_cat_limit_checks=_bool(a.skip_cat_limit_checks), categories=_json(a.categories, "auto"),
        n_jobs=a.n_jobs, verbose=a.verbose, random_state=seed if isinstance(seed, int) else None))


def gather(a):
    from responsibleai import RAIInsights
    from responsibleai.serialization_utilities import serialize_json_safe

    dash = Path(a.dashboard)
    info = json.loads((Path(a.constructor) / INFO).read_text())
    shutil.copytree(a.constructor, dash, dirs_exist_ok=True)
    ports = [(i, getattr(a, f"insight_{i}")) for i in range(1, 5) if getattr(a, f"insight_{i}")]
    if not ports:
        raise UserError("Connect at least one tool's output to insight_1..insight_4 of the gather step.")
    added: dict[str, int] = {}
    for i, ins in ports:
        if json.loads((Path(ins) / INFO).read_text()) != info:  # Azure's two checks, in its words
            raise UserError(f"Insight {i} was not computed from the constructor specified: connect insight_{i} "
                            f"to a tool step whose rai_insights_dashboard is this gather's constructor.")
        for tool in TOOLS:
            src = Path(ins) / tool
            if src.is_dir() and _tool_computed(src):
                if tool in added:
                    raise UserError(f"Insight {i} is of type {HAS[tool]} which is already present (insight_"
                                    f"{added[tool]}): connect each tool once.")
                shutil.rmtree(dash / tool, ignore_errors=True)
                shutil.copytree(src, dash / tool)
                added[tool] = i
    rai = RAIInsights.load(str(dash))  # proves the assembled dashboard loads
    info["rai_insights_gather_run_id"] = os.environ.get("AZUREML_RUN_ID", "")
    (dash / INFO).write_text(json.dumps(info, indent=1))
    Path(a.ux_json).mkdir(parents=True, exist_ok=True)
    (Path(a.ux_json) / "dashboard.json").write_text(json.dumps(rai.get_data(), default=serialize_json_safe))
    _record(info, list(added))
    print(f"gathered: {', '.join(added)}")


def _tool_computed(folder: Path) -> bool:
    """A manager folder holds results once its tool was computed (more than an empty config)."""
    return any(p.is_dir() for p in folder.iterdir()) or any(p.stat().st_size > 2 for p in folder.glob("*.json")
                                                              if p.name != "config.json")


def _record(info: dict, tools: list) -> None:
    """Record the dashboard against the model as Azure does: properties on the gather job naming the model id,
    the constructor's run and the tools present (studio's Responsible AI tab of the model lists such runs)."""
    import responsibleai

    from ..core.store import Store

    if not os.environ.get("MLFLOW_TRACKING_URI", "").startswith("sqlite:///"):
        return  # run outside a job (bench/rai_pipeline.py): no job to record on
    store, name = Store(_store_root()), os.environ.get("AZUREML_RUN_ID", "")
    row = store.get_job(name)
    if row is None:
        return
    props = {PROP + "type": "gather", PROP + "responsibleai_version": responsibleai.__version__,
             PROP + "model_id": info["model_id"], PROP + "dashboard_id": info["rai_insights_parent_run_id"],
             PROP + "dashboard_title": info.get("dashboard_title") or "",
             **{PROP + f"has_{HAS[t]}": str(t in tools) for t in TOOLS}}
    spec = row["spec"]
    spec["properties"]["properties"] = {**(spec["properties"].get("properties") or {}), **props}
    store.update_job(name, spec=spec)
    print(f"[local] dashboard recorded against model {info['model_id']} as properties of gather job {name}; on "
          f"Azure, studio's Responsible AI tab of the model lists it from those properties.")


def scorecard(a):
    from .scorecard import ConfigError, render

    out = Path(a.pdf_output_path)
    out.mkdir(parents=True, exist_ok=True)
    config = json.loads(Path(_file(a.pdf_generation_config)).read_text())
    cohorts = json.loads(Path(_file(a.predefined_cohorts_json)).read_text()) if a.predefined_cohorts_json else []
    try:
        pdf = render(a.rai_insights_dashboard, config, cohorts, out)
    except ConfigError as e:
        raise UserError(str(e)) from e
    print(f"score card written: {pdf}")


def _file(path: str) -> str:
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file())
        if not files:
            raise UserError(f"{path} is an empty folder; give the JSON file.")
        return str(files[0])
    return path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dp100lab.workspace.registry.rai")
    sub = p.add_subparsers(dest="step", required=True)
    c = sub.add_parser("construct")
    for n in ("title", "task_type", "model_info_path", "model_input", "model_info", "train_dataset", "test_dataset",
              "target_column_name", "categorical_column_names", "classes", "feature_metadata",
              "use_model_dependency", "output_path"):
        c.add_argument(f"--{n}")
    c.add_argument("--maximum_rows_for_test_dataset", type=int, default=5000)
    e = sub.add_parser("explanation")
    for n in ("comment", "rai_insights_dashboard", "explanation_path"):
        e.add_argument(f"--{n}")
    ea = sub.add_parser("erroranalysis")
    for n in ("rai_insights_dashboard", "filter_features", "error_analysis_path"):
        ea.add_argument(f"--{n}")
    for n, d in (("max_depth", 3), ("num_leaves", 31), ("min_child_samples", 20)):
        ea.add_argument(f"--{n}", type=int, default=d)
    cf = sub.add_parser("counterfactual")
    for n in ("rai_insights_dashboard", "method", "desired_class", "desired_range", "permitted_range",
              "features_to_vary", "feature_importance", "counterfactual_path"):
        cf.add_argument(f"--{n}")
    cf.add_argument("--total_CFs", type=int, default=10)
    ca = sub.add_parser("causal")
    for n in ("rai_insights_dashboard", "treatment_features", "heterogeneity_features", "nuisance_model",
              "heterogeneity_model", "treatment_cost", "skip_cat_limit_checks", "categories", "random_state",
              "causal_path"):
        ca.add_argument(f"--{n}")
    ca.add_argument("--alpha", type=float, default=0.05)
    for n, d in (("upper_bound_on_cat_expansion", 50), ("min_tree_leaf_samples", 2), ("max_tree_depth", 2),
                 ("n_jobs", 1), ("verbose", 1)):
        ca.add_argument(f"--{n}", type=int, default=d)
    g = sub.add_parser("gather")
    for n in ("constructor", "insight_1", "insight_2", "insight_3", "insight_4", "dashboard", "ux_json"):
        g.add_argument(f"--{n}")
    s = sub.add_parser("scorecard")
    for n in ("rai_insights_dashboard", "pdf_generation_config", "predefined_cohorts_json", "pdf_output_path"):
        s.add_argument(f"--{n}")
    return p


def main(argv: list[str]) -> int:
    import warnings

    # jsonschema (imported by responsibleai) optionally imports rfc3987_syntax, which builds a grammar at import
    # time: a third of responsibleai's import cost. The "iri" format check it adds is never used by these steps,
    # and jsonschema skips it when the import fails, so the steps start that much faster without it.
    sys.modules.setdefault("rfc3987_syntax", None)

    warnings.filterwarnings("ignore")
    a = parser().parse_args(argv)
    step = {"construct": construct, "explanation": explanation, "erroranalysis": erroranalysis,
            "counterfactual": counterfactual, "causal": causal, "gather": gather, "scorecard": scorecard}[a.step]
    try:
        step(a)
    except UserError as e:
        print(f"UserError: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
