"""What the azureml registry's RAI tabular components run, on responsibleai (RAIInsights):

    python -m dp100lab.workspace.registry.rai <construct|explanation|erroranalysis|counterfactual|causal|gather|
                                               scorecard> --<arguments of the component's command>

As Azure's components do: the constructor saves an RAIInsights with the model and data and no tool; each tool
step loads it, adds and computes one tool and saves the result; gather assembles the tools' results into one
dashboard (plus ux_json) and records it against the model; the score card renders a PDF from the dashboard.
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


def construct(a: argparse.Namespace) -> None:
    train, test = _read(a.train_dataset), _read(a.test_dataset)
    for name, frame in (("train_dataset", train), ("test_dataset", test)):
        if a.target_column_name not in frame.columns:
            raise UserError(f"target_column_name '{a.target_column_name}' is not a column of {name} (its columns: "
                            f"{', '.join(map(str, frame.columns))}). Set target_column_name to the label column.")
    model_path = a.model_input or a.model_info_path
    if not model_path:
        raise UserError("The constructor needs model_input (an mlflow_model Input of the registered model).")
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
                      categorical_features=_json(a.categorical_column_names, []) or None, classes=classes,
                      maximum_rows_for_test=a.maximum_rows_for_test_dataset)
    rai.save(a.output_path)
    info = {"title": a.title, "model_path": str(model_path), "model_info": a.model_info, "task_type": a.task_type}
    (Path(a.output_path) / "dp100lab_rai.json").write_text(json.dumps(info, indent=1))
    print(f"RAIInsights constructed: {len(train)} train rows, {len(test)} test rows, target {a.target_column_name}")


def _tool(a: argparse.Namespace, out: str, add) -> None:
    from responsibleai import RAIInsights

    rai = RAIInsights.load(a.rai_insights_dashboard)
    add(rai)
    rai.compute()
    rai.save(out)
    shutil.copy(Path(a.rai_insights_dashboard) / "dp100lab_rai.json", Path(out) / "dp100lab_rai.json")


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
    shutil.copytree(a.constructor, dash, dirs_exist_ok=True)
    insights = [getattr(a, f"insight_{i}") for i in range(1, 5) if getattr(a, f"insight_{i}")]
    if not insights:
        raise UserError("Connect at least one tool's output to insight_1..insight_4 of the gather step.")
    added = []
    for ins in insights:
        for tool in TOOLS:
            src = Path(ins) / tool
            if src.is_dir() and _tool_computed(src):
                shutil.rmtree(dash / tool, ignore_errors=True)
                shutil.copytree(src, dash / tool)
                added.append(tool)
    rai = RAIInsights.load(str(dash))  # proves the assembled dashboard loads
    Path(a.ux_json).mkdir(parents=True, exist_ok=True)
    (Path(a.ux_json) / "ux.json").write_text(json.dumps(rai.get_data(), default=serialize_json_safe))
    _record(dash, added)
    print(f"gathered: {', '.join(added)}")


def _tool_computed(folder: Path) -> bool:
    """A manager folder holds results once its tool was computed (more than an empty config)."""
    return any(p.is_dir() for p in folder.iterdir()) or any(p.stat().st_size > 2 for p in folder.glob("*.json")
                                                              if p.name != "config.json")


def _record(dash: Path, tools: list) -> None:
    """Record the dashboard against the registered model whose files the constructor loaded (the model's
    Responsible AI tab on Azure)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    if not uri.startswith("sqlite:///"):
        return
    from ..core import uris
    from ..core.store import Store

    store = Store(Path(uri[len("sqlite:///"):]).parent)
    info = json.loads((dash / "dp100lab_rai.json").read_text())
    model_path = Path(info["model_path"]).resolve()
    for row in store.list("model"):
        try:
            path = uris.resolve_path(store, row["spec"]["path"], kind="model").resolve()
        except Exception:  # noqa: BLE001
            continue
        if path == model_path or model_path.is_relative_to(path):
            store.put("rai_insights", f"{row['name']}:{row['version']}", str(os.environ.get("AZUREML_RUN_ID", "")),
                      {"model": row["name"], "version": row["version"], "dashboard": str(dash), "tools": tools,
                       "title": info.get("title")})
            print(f"dashboard registered against model {row['name']}:{row['version']}")
            return


def scorecard(a):
    from .scorecard import render

    out = Path(a.pdf_output_path)
    out.mkdir(parents=True, exist_ok=True)
    config = json.loads(Path(_file(a.pdf_generation_config)).read_text())
    cohorts = json.loads(Path(_file(a.predefined_cohorts_json)).read_text()) if a.predefined_cohorts_json else []
    pdf = render(a.rai_insights_dashboard, config, cohorts, out)
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
