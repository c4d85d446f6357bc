"""The Responsible AI score card as a PDF (what Azure's score-card component generates), from a gathered dashboard
and the documented pdf_generation_config: Model, Metrics (with target thresholds), FeatureImportance top_n,
DataExplorer features, Fairness (metric, sensitive_features, fairness_evaluation_kind), Cohorts.
Rendered with matplotlib's PdfPages: the layout is ours, the content is the one the docs list.
"""

from __future__ import annotations

import operator
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_CLS = {"accuracy_score", "precision_score", "recall_score", "f1_score", "error_rate", "selection_rate"}
_REG = {"mean_absolute_error", "mean_squared_error", "median_absolute_error", "r2_score"}


class ConfigError(ValueError):
    """pdf_generation_config (or a cohort) names something the dashboard does not have: one line, with the fix."""


def _check(config: dict, cohorts: list, columns: list) -> None:
    """The names the config uses, against the docs' metric lists and the test data's columns."""
    cols = ", ".join(map(str, columns))
    fair = config.get("Fairness") or {}
    for name in [*(config.get("Metrics") or {}), *fair.get("metric", [])]:
        if name.lower() not in _CLS | _REG:
            raise ConfigError(f"Score card metric '{name}' is not one the score card computes; use one of "
                              f"{', '.join(sorted(_CLS | _REG))}.")
    for section, feats in (("Fairness.sensitive_features", fair.get("sensitive_features", [])),
                           ("DataExplorer.features", (config.get("DataExplorer") or {}).get("features", [])),
                           *((f"cohort '{c.get('name')}'", [f["column"] for f in c.get("cohort_filter_list", [])])
                             for c in cohorts)):
        absent = [f for f in feats if f not in columns]
        if absent:
            raise ConfigError(f"{section}: {', '.join(map(repr, absent))} not a column of the dashboard's test data "
                              f"({cols}); name columns of the data the dashboard was built on.")


def _metric(name: str, y, p) -> float:
    from sklearn import metrics as M

    name = name.lower()
    if name == "error_rate":
        return float(np.mean(np.asarray(y) != np.asarray(p)))
    if name == "selection_rate":
        return float(np.mean(np.asarray(p) == 1))
    if name in ("median_absolute_error",):
        return float(M.median_absolute_error(y, p))
    return float(getattr(M, name)(y, p))


def _target(text: str):
    m = re.match(r"^\s*(>=|<=|>|<)\s*(-?[0-9.]+)\s*$", str(text or ""))
    return (m.group(1), float(m.group(2))) if m else None


def _cohort_mask(frame: pd.DataFrame, cohort: dict) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for f in cohort.get("cohort_filter_list", []):
        col, arg, method = f["column"], f["arg"], f["method"]
        col_values = frame[col]
        mask &= {"greater": lambda: col_values > arg[0], "less": lambda: col_values < arg[0],
                 "greater_and_equal": lambda: col_values >= arg[0], "less_and_equal": lambda: col_values <= arg[0],
                 "equal": lambda: col_values == arg[0], "includes": lambda: col_values.isin(arg),
                 "excludes": lambda: ~col_values.isin(arg),
                 "in the range of": lambda: col_values.between(arg[0], arg[1])}[method]()
    return mask


def render(dashboard: str, config: dict, cohorts: list, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    from responsibleai import RAIInsights

    rai = RAIInsights.load(dashboard)
    test, target = rai.test, rai.target_column
    _check(config, cohorts, list(test.columns))
    X, y = test.drop(columns=[target]), test[target]
    pred = rai.model.predict(X)
    model = config.get("Model", {})
    pdf_path = out / "scorecard.pdf"
    with PdfPages(pdf_path) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        fig.text(0.08, 0.95, f"Responsible AI score card: {model.get('ModelName', 'model')}", fontsize=16,
                 weight="bold")
        fig.text(0.08, 0.92, f"{model.get('ModelType', rai.task_type)} — {model.get('ModelSummary', '')}",
                 fontsize=9, wrap=True)
        rows = []
        for name, spec in (config.get("Metrics") or {}).items():
            value = _metric(name, y, pred)
            tgt = _target((spec or {}).get("threshold"))
            ok = "" if tgt is None else ("met" if _OPS[tgt[0]](value, tgt[1]) else "NOT met")
            rows.append([name, f"{value:.3f}", (spec or {}).get("threshold", ""), ok])
        fair = config.get("Fairness") or {}
        for feat in fair.get("sensitive_features", []):
            for m in fair.get("metric", []):
                per = {g: _metric(m, y[idx], pred[np.asarray(idx)]) for g, idx in
                       ((g, (test[feat] == g).to_numpy()) for g in sorted(test[feat].unique()))}
                vals = list(per.values())
                kind = fair.get("fairness_evaluation_kind", "difference")
                agg = max(vals) - min(vals) if kind == "difference" else (min(vals) / max(vals) if max(vals) else 0)
                rows.append([f"{m} {kind} by {feat}", f"{agg:.3f}", fair.get("threshold", ""),
                             ", ".join(f"{g}: {v:.2f}" for g, v in per.items())])
        ax = fig.add_axes([0.05, 0.45, 0.9, 0.42])
        ax.axis("off")
        if rows:
            table = ax.table(cellText=rows, colLabels=["metric", "value", "target", "result / groups"],
                             loc="upper left", colWidths=[0.35, 0.12, 0.12, 0.41])
            table.auto_set_font_size(False)
            table.set_fontsize(7)
        top_n = min(int((config.get("FeatureImportance") or {}).get("top_n", 0) or 0), 10)
        if top_n and rai.explainer.get():
            imp = rai.explainer.get()[0].get_feature_importance_dict()
            items = sorted(imp.items(), key=lambda kv: kv[1], reverse=True)[:top_n]
            ax2 = fig.add_axes([0.3, 0.08, 0.6, 0.3])
            ax2.barh([k for k, _ in items][::-1], [v for _, v in items][::-1])
            ax2.set_title(f"Top {top_n} features by importance", fontsize=9)
        pdf.savefig(fig)
        plt.close(fig)
        feats = (config.get("DataExplorer") or {}).get("features", [])
        if feats or cohorts:
            fig, axes = plt.subplots(max(len(feats), 1) + (1 if cohorts else 0), 1, figsize=(8.27, 11.69),
                                     squeeze=False)
            for ax, feat in zip(axes[:, 0], feats):
                ax.hist(test[feat], bins=20)
                ax.set_title(f"Data explorer: {feat}", fontsize=9)
            if cohorts:
                names = [c["name"] for c in cohorts]
                acc = [float(np.mean(np.asarray(y)[m] == np.asarray(pred)[m])) if m.any() else float("nan")
                       for m in (_cohort_mask(test, c).to_numpy() for c in cohorts)]
                axes[-1, 0].bar(names, acc)
                axes[-1, 0].set_title("Accuracy by cohort", fontsize=9)
            fig.tight_layout()
            pdf.savefig(fig)
            plt.close(fig)
    return pdf_path
