"""The AutoML run, inside the parent job's runner process: featurize, guardrails, FLAML search, best model.

FLAML writes one line per trial (log_type="all"); a thread turns each line into a child job as it appears, so
jobs.list(parent_job_name=...) and a progress bar see the trials while the search runs. The best trial's model
(featurizer + estimator, one scikit-learn pipeline) is saved as an MLflow model in that child's artifacts at
outputs/mlflow-model, and the parent's run gets the tag automl_best_child_run_id, as on Azure.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Optional

from ...core import tracking
from . import featurize, settings, trials

_FLAML_TASK = {"classification": "classification", "regression": "regression", "forecasting": "ts_forecast"}


def _load(path: Optional[str]) -> Any:
    if not path:
        return None
    import mltable

    return mltable.load(path).to_pandas_dataframe()


def _scorer(key: str, labels_range: float) -> Any:
    """FLAML metric for Azure's `key`: a FLAML name, or a callable returning (loss, {azure_name: value})."""
    name, flaml_name, goal = settings.METRICS[key]
    if flaml_name:
        return flaml_name
    import numpy as np
    from sklearn import metrics as m

    def custom(X_val, y_val, estimator, labels, X_train, y_train, *args, **kwargs):
        if key == "spearman_correlation":
            from scipy.stats import spearmanr

            value = float(spearmanr(y_val, estimator.predict(X_val)).correlation)
        elif key == "norm_macro_recall":
            r, chance = m.recall_score(y_val, estimator.predict(X_val), average="macro"), 1 / len(labels)
            value = (r - chance) / (1 - chance)
        elif key == "precision_score_weighted":
            value = m.precision_score(y_val, estimator.predict(X_val), average="weighted", zero_division=0)
        else:  # average_precision_score_weighted
            from sklearn.preprocessing import label_binarize

            proba = estimator.predict_proba(X_val)
            onehot = label_binarize(y_val, classes=list(labels))
            value = m.average_precision_score(onehot, proba[:, 1] if onehot.shape[1] == 1 else proba,
                                              average="weighted")
        return 1 - float(np.nan_to_num(value)), {name: value}

    return custom


def _value(key: str, loss: float, y_range: float) -> float:
    """Azure's metric value from FLAML's loss (FLAML minimises 1 - score for scores)."""
    _, flaml_name, goal = settings.METRICS[key]
    if goal == "max":
        return 1 - loss
    return loss / y_range if y_range else loss  # Azure normalises RMSE / MAE by the range of the target


class _Recorder(threading.Thread):
    """Tails FLAML's trial log and records each trial as a child job."""

    def __init__(self, store: Any, plan: Any, log: Path, key: str, y_range: float, preproc: str, say: Any):
        super().__init__(daemon=True)
        self.store, self.plan, self.path, self.key, self.y_range, self.preproc = store, plan, log, key, y_range, preproc
        self.say, self.done, self.rows, self.error = say, threading.Event(), [], None

    def run(self) -> None:
        offset = 0
        while True:
            final = self.done.is_set()
            try:
                with open(self.path) as f:
                    f.seek(offset)
                    chunk = f.read()
            except FileNotFoundError:
                chunk = ""
            lines = chunk.split("\n")
            offset += len(chunk) - len(lines[-1])
            for line in lines[:-1]:
                self._one(line)
            if final:
                return
            time.sleep(0.2)

    def _one(self, line: str) -> None:
        try:
            rec = json.loads(line)
        except ValueError:
            return
        if "learner" not in rec or rec.get("validation_loss") is None:
            return  # FLAML's closing line names the best config only
        name_, _, _ = settings.METRICS[self.key]
        value = _value(self.key, float(rec["validation_loss"]), self.y_range)
        algo = settings.AZURE_NAME.get(rec["learner"], rec["learner"])
        index = len(self.rows)
        try:
            child = trials.record(self.store, self.plan, index, algo, rec.get("config") or {}, {name_: value},
                                  float(rec.get("trial_time") or 0), self.preproc)
        except Exception as e:  # a trial that cannot be recorded must not stop the search; say which
            self.error = e
            self.say(f"could not record trial {index}: {e!r}")
            return
        self.rows.append({"name": child, "algorithm": algo, "value": value, "loss": float(rec["validation_loss"]),
                          "learner": rec["learner"]})
        self.say(f"trial {child}: {algo:<20} {name_}={value:.4f}")


def run(store: Any, plan: Any, cfg: dict, say: Any) -> tuple[str, Optional[dict]]:
    import numpy as np

    task, target, key = cfg["task"], cfg["target"], cfg["metric"]
    df = _load(cfg["training_data"])
    valid, test = _load(cfg.get("validation_data")), _load(cfg.get("test_data"))
    if test is None and cfg.get("test_data_size"):
        test = df.sample(frac=float(cfg["test_data_size"]), random_state=0)
        df = df.drop(index=test.index)
    X, y = df.drop(columns=[target]), df[target]
    notes = cfg.get("notes", [])
    val = settings.validation(len(df), cfg, valid is not None)
    feat_cfg = cfg.get("featurization") or {}
    if task == "forecasting":
        tcol = cfg["forecasting"]["time_column_name"]
        X = X.sort_values(tcol)
        y = y.loc[X.index]
        feat_cfg = {"mode": "off"}
    featurizer, kinds = featurize.build(X, feat_cfg)
    rails = featurize.guardrails(df, target, task, kinds, val["how"], (feat_cfg.get("mode") or "auto").lower())
    out = Path(plan.cwd) / "outputs"
    out.mkdir(parents=True, exist_ok=True)
    (out / "guardrails.json").write_text(json.dumps(rails, indent=1))
    say("Data guardrails:")
    for r in rails:
        say(f"  {r['guardrail']:<36} {r['status']:<8} {r['description']}")
    Xf = featurizer.fit_transform(X) if task != "forecasting" else X
    preproc = "SimpleImputer, OneHotEncoder" if (feat_cfg.get("mode") or "auto").lower() != "off" else ""
    y_range = float(np.ptp(y.to_numpy())) if task != "classification" else 0.0
    flaml_log = Path(plan.cwd) / "flaml_trials.log"
    rec = _Recorder(store, plan, flaml_log, key, y_range, preproc, say)
    rec.start()
    from flaml import AutoML

    automl = AutoML()
    fit = dict(task=_FLAML_TASK[task], metric=_scorer(key, y_range), estimator_list=cfg["estimators"],
               log_file_name=str(flaml_log), log_type="all", verbose=0, seed=int(cfg.get("seed", 0)),
               early_stop=bool(cfg.get("enable_early_termination")), ensemble=bool(cfg.get("enable_stack_ensemble")),
               time_budget=cfg.get("timeout_s") or -1,
               # FLAML's max_iter=1 trains its first config without scoring it (no trial): ask for two
               max_iter=max(int(cfg.get("max_trials") or 1000), 2), retrain_full=True)
    if val["eval_method"] == "cv":
        fit.update(eval_method="cv", n_splits=val["n_splits"])
    elif valid is not None:
        fit.update(eval_method="holdout", X_val=featurizer.transform(valid.drop(columns=[target])), y_val=valid[target])
    else:
        fit.update(eval_method="holdout", split_ratio=val["split_ratio"])
    if task == "forecasting":
        fit.update(period=int(cfg["forecasting"].get("forecast_horizon") or 1))
        fit.pop("eval_method", None)
    say(f"FLAML search: {', '.join(settings.AZURE_NAME.get(e, e) for e in cfg['estimators'])}; validation: {val['how']}")
    try:
        automl.fit(X_train=Xf, y_train=y, **fit)
    finally:
        rec.done.set()
        rec.join()
    if not rec.rows:
        return "Failed", {"code": "UserError", "message": (
            "AutoML finished without a single completed trial (the time budget ended before the first one). Raise "
            "set_limits(timeout_minutes=...) or lower the data size.")}
    best = min(rec.rows, key=lambda r: r["loss"])
    model = _best_model(featurizer, automl, X, Xf, task)
    _save_model(store, best["name"], model, X, y)
    from . import artifacts
    artifacts.write(_child_dir(store, best["name"]) / "outputs", model)  # model.pkl, conda env, scoring file
    extra = {}
    if cfg.get("enable_model_explainability"):
        extra["feature_importance"] = _explain(store, best["name"], model, valid if valid is not None else df,
                                               target, task)
    if test is not None:
        extra["test"] = _test(store, best["name"], model, test, target, key, y_range)
    mlc = tracking.client(store)
    mlc.set_tag(plan.run_id, "automl_best_child_run_id", best["name"])
    mlc.log_metric(plan.run_id, settings.METRICS[key][0], best["value"])
    row = store.get_job(plan.name)
    row["spec"]["properties"].setdefault("properties", {})["best_child_run_id"] = best["name"]
    store.update_job(plan.name, spec=row["spec"])
    (out / "leaderboard.json").write_text(json.dumps(rec.rows, indent=1))
    say(f"Best trial: {best['name']} ({best['algorithm']}) {settings.METRICS[key][0]}={best['value']:.4f}; "
        f"model at azureml://jobs/{best['name']}/outputs/artifacts/paths/outputs/mlflow-model/")
    for line in notes:
        say(f"note: {line}")
    return "Completed", None


def _best_model(featurizer: Any, automl: Any, X: Any, Xf: Any, task: str) -> Any:
    """One scikit-learn pipeline (featurizer + the best estimator) when it predicts as FLAML does, else FLAML's own
    model object behind the featurizer."""
    from sklearn.pipeline import Pipeline

    if task == "forecasting":
        return automl
    est = automl.model.estimator
    pipe = Pipeline([("featurizer", featurizer), ("model", est)])
    head = X.head(50)
    try:
        same = (pipe.predict(head) == automl.predict(featurizer.transform(head))).all()
    except Exception:
        same = False
    return pipe if same else Pipeline([("featurizer", featurizer), ("model", automl)])


def _child_dir(store: Any, child: str) -> Path:
    from ..plan import read_plan

    return tracking.artifact_dir(read_plan(store.job_dir(child)).artifact_uri)


def _save_model(store: Any, child: str, model: Any, X: Any, y: Any) -> None:
    import importlib.metadata as md

    import mlflow.sklearn
    from mlflow.models import infer_signature

    dest = _child_dir(store, child) / "outputs" / "mlflow-model"
    reqs = []
    for pkg in ("mlflow", "scikit-learn", "lightgbm", "xgboost", "flaml", "pandas"):
        try:
            reqs.append(f"{pkg}=={md.version(pkg)}")
        except md.PackageNotFoundError:
            pass
    head = X.head(5)
    mlflow.sklearn.save_model(model, str(dest), signature=infer_signature(head, model.predict(head)),
                              pip_requirements=reqs,  # listed, not inferred: inference runs a slow subprocess
                              serialization_format="cloudpickle")  # skops refuses the pipeline's sklearn internals


def _explain(store: Any, child: str, model: Any, df: Any, target: str, task: str) -> dict:
    """Global feature importance of the best model on raw features (scikit-learn permutation importance; Azure
    uses its own explainers, the idea is the same: how much the metric drops when a feature is shuffled)."""
    from sklearn.inspection import permutation_importance

    sample = df.sample(n=min(len(df), 500), random_state=0)
    X, y = sample.drop(columns=[target]), sample[target]
    r = permutation_importance(model, X, y, n_repeats=3, random_state=0)
    imp = {c: round(float(v), 4) for c, v in sorted(zip(X.columns, r.importances_mean), key=lambda t: -t[1])}
    path = _child_dir(store, child) / "outputs" / "feature_importance.json"
    path.write_text(json.dumps(imp, indent=1))
    return imp


def _test(store: Any, child: str, model: Any, test: Any, target: str, key: str, y_range: float) -> dict:
    from sklearn import metrics as m

    X, y = test.drop(columns=[target]), test[target]
    pred = model.predict(X)
    out = {}
    if key in settings.TASK_METRICS["classification"]:
        out["accuracy"] = float(m.accuracy_score(y, pred))
        if hasattr(model, "predict_proba"):
            proba = model.predict_proba(X)
            out["AUC_weighted"] = float(m.roc_auc_score(y, proba[:, 1] if proba.shape[1] == 2 else proba,
                                                        average="weighted", multi_class="ovr"))
    else:
        out["r2_score"] = float(m.r2_score(y, pred))
        rmse = float(m.mean_squared_error(y, pred) ** 0.5)
        out["normalized_root_mean_squared_error"] = rmse / y_range if y_range else rmse
    (_child_dir(store, child) / "outputs" / "test_metrics.json").write_text(json.dumps(out, indent=1))
    return out
