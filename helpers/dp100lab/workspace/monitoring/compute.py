"""One monitoring run: compute every signal of a plan (definition.py), write each signal's results as soon as it
is done (a run stopped midway keeps the signals it finished), evaluate thresholds, and raise the alert.

Alerts follow Azure's evaluate-metrics-threshold component: a breach does not fail the run; the run gets the tag
azureml_modelmonitor_threshold_breached with "The signal '<name>' has failed due to one or more features
violating metric thresholds..." (what Event Grid subscriptions filter on to start a retraining pipeline).
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import pandas as pd

from . import data as D
from . import signals as S

BREACH_TAG = "azureml_modelmonitor_threshold_breached"
_META = ("correlationid", "xrequestid")


def _load(d: Optional[dict], default_window: str, now: datetime, past: bool = False) -> pd.DataFrame:
    if not d or not d.get("path"):
        return pd.DataFrame()
    size = D.iso_duration(default_window)
    window = None
    if d.get("type") != "mltable":
        offset = size * 2 if past else None  # reference from recent production: offset 2x the window (docs)
        w = dict(d.get("window") or {})
        if past and not w.get("lookback_window_offset") and offset is not None:
            start, end = D.window_bounds(w, size, now, default_offset=offset)
        else:
            start, end = D.window_bounds(w, size, now)
        window = (start, end)
    frame = D.read_table(Path(d["path"]), d.get("type", "uri_folder"), window)
    return frame.drop(columns=[c for c in _META if c in frame.columns])


def _distributions(ref: pd.DataFrame, prod: pd.DataFrame, types: dict, cols: list) -> dict:
    """What the studio's per-feature view plots: reference vs production histograms on shared bins."""
    out = {}
    for c in cols:
        r, p = ref[c].dropna(), prod[c].dropna()
        if not len(r) or not len(p):
            continue
        if types.get(c) == S.NUMERICAL:
            edges, rc, pc = S.histograms(r, p)
            out[c] = {"kind": "numerical", "edges": edges.tolist(), "reference": rc.tolist(), "production": pc.tolist()}
        else:
            cats, rc, pc = S.category_counts(r, p)
            out[c] = {"kind": "categorical", "categories": cats, "reference": rc.tolist(), "production": pc.tolist()}
    return out


def _select(sig: dict, ref: pd.DataFrame, prod: pd.DataFrame, task: str) -> list:
    target = (sig.get("reference") or {}).get("columns", {}).get("target_column")
    if sig["type"] == "prediction_drift" and target in prod.columns:
        return [target]  # the model's output against the labels; selection by importance is for inputs
    common = [c for c in ref.columns if c in prod.columns and c != target]
    feats = sig.get("features")
    if isinstance(feats, list):
        return [c for c in feats if c in common]
    top_n = feats.get("top_n") if isinstance(feats, dict) else (10 if target and feats is None else None)
    if top_n and target and target in ref.columns:
        imp = S.feature_importance(ref[common + [target]], target, task)
        return [c for c in imp.sort_values(ascending=False).index[:top_n]]
    return common


def _problem(ref: pd.DataFrame, prod: pd.DataFrame) -> Optional[str]:
    if prod.empty:
        return "The production data window has no rows: nothing was collected in the window (data quality)."
    if not set(ref.columns) & set(prod.columns):
        return (f"Production data has no column in common with the reference data (production: "
                f"{sorted(prod.columns)[:8]}, reference: {sorted(ref.columns)[:8]}); compared as data quality.")
    return None


def run_signal(name: str, sig: dict, plan: dict, now: datetime, child: Callable) -> dict:
    kind, task = sig["type"], plan["target"]["ml_task"]
    result: dict = {"signal": name, "type": kind, "alert_enabled": sig.get("alert_enabled", True), "problem": None,
                    "rows": [], "distributions": {}}
    if kind == "custom":
        result["rows"] = [r.as_row() for r in child(name, sig)]
        return result
    if kind == "feature_attribution_drift":
        prods = sig["production"]
        frames = [_load(p, plan["default_window"], now) for p in prods] or [pd.DataFrame()]
        prod = pd.concat(frames, axis=1) if len(frames) > 1 else frames[0]
        prod = prod.loc[:, ~prod.columns.duplicated()]
        ref = _load(sig["reference"], plan["default_window"], now)
        target = sig["reference"]["columns"]["target_column"]
        if prod.empty or target not in prod.columns:
            result["problem"] = (f"Production data needs the model inputs and the output column '{target}' "
                                 f"(collect model_outputs too); found columns {sorted(prod.columns)[:8]}.")
            return result
        cols = [c for c in ref.columns if c in prod.columns]
        res, base, prodimp = S.feature_attribution_drift(ref[cols], prod[cols], target,
                                                         threshold=sig["thresholds"]["ndcg"], task=task)
        result["rows"] = [res.as_row()]
        result["importance"] = {"baseline": base.round(6).to_dict(), "production": prodimp.round(6).to_dict()}
        return result
    prod = _load(sig["production"], plan["default_window"], now)
    ref = _load(sig["reference"], plan["default_window"], now, past=bool(sig["reference"].get("past")))
    target = sig["reference"].get("columns", {}).get("target_column")
    if kind == "prediction_drift" and target and target in ref.columns and target not in prod.columns \
            and prod.shape[1] == 1:
        prod = prod.rename(columns={prod.columns[0]: target})  # the single model output vs the labels
    if kind == "prediction_drift" and target in ref.columns:
        ref = ref[[target]]
    if ref.empty:
        result["problem"] = "The reference data is empty (for recent past production data: nothing collected then)."
        return result
    problem = _problem(ref, prod)
    types = S.feature_types(ref, sig.get("override"))
    if problem or kind == "data_quality":
        th = sig.get("thresholds") if kind == "data_quality" else {}
        feats = None if problem else _select(sig, ref, prod, task)
        rows = S.data_quality(ref.drop(columns=[target] if target in ref.columns and kind != "prediction_drift"
                                       else []), prod, numerical=th.get(S.NUMERICAL), categorical=th.get(S.CATEGORICAL),
                              features=feats, override=sig.get("override"))
        result.update(problem=problem, rows=[r.as_row() for r in rows])
        return result
    cols = _select(sig, ref, prod, task)
    th = sig["thresholds"]
    rows = S.data_drift(ref, prod, numerical=tuple(th[S.NUMERICAL]), categorical=tuple(th[S.CATEGORICAL]),
                        features=cols, override=sig.get("override"))
    result["rows"] = [r.as_row() for r in rows]
    result["distributions"] = _distributions(ref, prod, types, cols)
    result["rows_compared"] = {"reference": len(ref), "production": len(prod)}
    return result


def breach_message(signal: str, rows: list) -> str:
    """Azure's wording (model_monitor_evaluate_metrics_threshold), rows as group/metric_value/metric_name/threshold."""
    bad = [json.dumps({"group": r["feature"], "metric_value": r["value"], "metric_name": r["metric_name"],
                       "threshold_value": r["threshold"]}) for r in rows if r["status"] == "Fail"]
    return (f"The signal '{signal}' has failed due to one or more features violating metric thresholds.\n"
            f"The feature names and their corresponding computed metric values violating the threshold are \n"
            f"{bad}\n")


def write_atomic(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=1, default=str))
    os.replace(tmp, path)


def run_plan(plan: dict, out_dir: Path, child: Callable, log: Callable = print,
             now: Optional[datetime] = None) -> dict:
    """Compute each signal in order, writing outputs/signals/<name>.json after each. Returns the summary."""
    now = now or datetime.now(timezone.utc)
    summary = {"monitor": plan["monitor"], "time": now.isoformat(), "signals": {}, "breaches": {}}
    for name, sig in plan["signals"].items():
        started = time.monotonic()
        log(f"signal {name} ({sig['type']}): computing")
        res = run_signal(name, sig, plan, now, child)
        failed = [r for r in res["rows"] if r["status"] == "Fail"]
        res["status"] = "Fail" if failed or res["problem"] else "Pass"
        write_atomic(out_dir / "signals" / f"{name}.json", res)
        log(f"signal {name}: {res['status']} ({len(failed)} of {len(res['rows'])} metrics over threshold, "
            f"{time.monotonic() - started:.1f} s)" + (f"; {res['problem']}" if res["problem"] else ""))
        summary["signals"][name] = res["status"]
        if res["status"] == "Fail" and res["alert_enabled"]:
            summary["breaches"][name] = breach_message(f"{plan['monitor']}_{name}", res["rows"]) if failed else \
                f"The signal '{plan['monitor']}_{name}' has failed: {res['problem']}"
        write_atomic(out_dir / "summary.json", summary)
    return summary
