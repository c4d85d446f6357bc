"""Azure AutoML settings under FLAML's names: tasks, primary metrics, algorithms, limits and validation.

Where Azure has a setting FLAML lacks, the local run follows Azure or says so in one line (`notes`).
"""

from __future__ import annotations

from typing import Any, Optional

from ...core.errors import invalid

# Azure's metric name (as the SDK's dict form spells it) -> (name logged to MLflow as Azure logs it, FLAML metric or
# None for a scikit-learn callable, goal). Ranking is unchanged by the normalisation Azure applies to (N)RMSE/MAE.
METRICS = {
    "accuracy": ("accuracy", "accuracy", "max"),
    "auc_weighted": ("AUC_weighted", "roc_auc_weighted", "max"),
    "norm_macro_recall": ("norm_macro_recall", None, "max"),
    "average_precision_score_weighted": ("average_precision_score_weighted", None, "max"),
    "precision_score_weighted": ("precision_score_weighted", None, "max"),
    "r2_score": ("r2_score", "r2", "max"),
    "normalized_root_mean_squared_error": ("normalized_root_mean_squared_error", "rmse", "min"),
    "normalized_mean_absolute_error": ("normalized_mean_absolute_error", "mae", "min"),
    "spearman_correlation": ("spearman_correlation", None, "max"),
}
TASK_METRICS = {
    "classification": ("accuracy", "auc_weighted", "norm_macro_recall", "average_precision_score_weighted",
                       "precision_score_weighted"),
    "regression": ("spearman_correlation", "normalized_root_mean_squared_error", "r2_score",
                   "normalized_mean_absolute_error"),
}
TASK_METRICS["forecasting"] = TASK_METRICS["regression"]

# Azure algorithm name (ClassificationModels / RegressionModels / ForecastingModels) -> FLAML estimator
ALGORITHMS = {
    "logistic_regression": "lrl2", "sgd": "sgd", "svm": "svc", "linear_svm": "svc", "knn": "kneighbor",
    "random_forest": "rf", "extreme_random_trees": "extra_tree", "light_gbm": "lgbm", "gradient_boosting": "histgb",
    "xg_boost_classifier": "xgboost", "xg_boost_regressor": "xgboost", "elastic_net": "enet", "lasso_lars": "lassolars",
    "auto_arima": "arima", "arimax": "sarimax", "exponential_smoothing": "holt-winters", "prophet": "prophet",
}
AZURE_NAME = {"lrl2": "LogisticRegression", "lrl1": "LogisticRegression", "sgd": "SGD", "svc": "SVM", "kneighbor": "KNN",
              "rf": "RandomForest", "extra_tree": "ExtremeRandomTrees", "lgbm": "LightGBM", "histgb": "GradientBoosting",
              "xgboost": "XGBoost", "xgb_limitdepth": "XGBoost", "enet": "ElasticNet", "lassolars": "LassoLars",
              "arima": "AutoArima", "sarimax": "Arimax", "holt-winters": "ExponentialSmoothing", "prophet": "Prophet"}
DEFAULT = {"classification": ["lgbm", "rf", "xgboost", "extra_tree", "lrl2"],
           "regression": ["lgbm", "rf", "xgboost", "extra_tree", "enet"],
           "forecasting": ["lgbm", "rf", "xgboost", "extra_tree"]}


def _snake(name: str) -> str:
    out = ""
    for i, ch in enumerate(str(name)):
        if ch.isupper() and i and (not name[i - 1].isupper()):
            out += "_"
        out += ch.lower()
    return out.replace("x_g_boost", "xg_boost").replace("xgboost", "xg_boost")


def estimators(task: str, allowed: Optional[list], blocked: Optional[list], notes: list) -> list[str]:
    """FLAML estimators for Azure's allowed/blocked lists; algorithms FLAML lacks are said in one line."""
    def mapped(names: list) -> list[str]:
        out = []
        for n in names:
            key = _snake(n)
            if key not in ALGORITHMS:
                notes.append(f"algorithm {n} has no FLAML counterpart: it is not tried locally (Azure would try it).")
                continue
            out.append(ALGORITHMS[key])
        return out

    chosen = mapped(allowed) if allowed else list(DEFAULT[task])
    if blocked:
        drop = set(mapped(blocked))
        chosen = [e for e in chosen if e not in drop]
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise invalid("No training algorithm is left to try: allowed_training_algorithms / "
                      "blocked_training_algorithms exclude every algorithm the local AutoML has "
                      f"({', '.join(sorted(set(AZURE_NAME.values())))}). Allow at least one of them.", kind="job")
    return chosen


def metric(task: str, primary: Optional[str]) -> str:
    key = _snake(primary or "").replace("a_u_c", "auc") if primary else ""
    key = {"aucweighted": "auc_weighted", "auc__weighted": "auc_weighted"}.get(key, key)
    if not key:
        key = "accuracy" if task == "classification" else "normalized_root_mean_squared_error"
    if key not in TASK_METRICS[task]:
        names = ", ".join(METRICS[m][0] for m in TASK_METRICS[task])
        raise invalid(f"primary_metric '{primary}' is not a {task} metric; use one of {names}.", kind="job")
    return key


def validation(n_rows: int, cfg: dict, has_validation_data: bool) -> dict:
    """FLAML's eval settings for Azure's validation options (and Azure's defaults when none is given)."""
    n_cv = cfg.get("n_cross_validations")
    if isinstance(n_cv, dict):
        n_cv = n_cv.get("value")
    if has_validation_data:
        return {"eval_method": "holdout", "how": "validation_data"}
    if n_cv not in (None, "auto", "Auto"):
        return {"eval_method": "cv", "n_splits": int(n_cv), "how": f"{int(n_cv)}-fold cross-validation"}
    if cfg.get("validation_data_size"):
        s = float(cfg["validation_data_size"])
        return {"eval_method": "holdout", "split_ratio": s, "how": f"{s:.0%} of the training data held out"}
    # Azure's default split (how-to-configure-cross-validation-data-splits)
    if n_rows > 20000:
        return {"eval_method": "holdout", "split_ratio": 0.1, "how": "10% of the training data held out (default)"}
    folds = 10 if n_rows < 1000 else 3
    return {"eval_method": "cv", "n_splits": folds, "how": f"{folds}-fold cross-validation (default)"}


def minutes(value: Any) -> Optional[float]:
    if value in (None, 0):
        return None
    return float(value) * 60
