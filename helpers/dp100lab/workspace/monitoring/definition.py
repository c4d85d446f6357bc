"""A MonitorDefinition (azure.ai.ml.entities) as the plain plan a monitoring run executes: signal by signal, the
metric and threshold chosen per feature type, and local paths of the production and reference data.

Azure's semantics (concept-model-monitoring, how-to-monitor-model-performance, reference-yaml-monitor):
- no monitoring_signals: the out-of-box monitor, data drift + prediction drift + data quality with smart defaults,
  recent past production data as reference;
- production data left out: the deployment's collected data, data assets <endpoint>-<deployment>-model_inputs
  (or -model_outputs for prediction drift), as the data collector registers them;
- reference data left out: recent past production data (its offset defaults to twice the production window);
- features: default top 10 by importance when the reference is training data with a target column, else all.
Thresholds are checked here, so a wrong type fails at submission with a message naming the metric.
"""

from __future__ import annotations

from typing import Any, Optional

from ..core import uris
from ..core.errors import invalid
from . import signals as S

_DRIFT_ORDER = {S.NUMERICAL: S.DRIFT_METRICS[S.NUMERICAL], S.CATEGORICAL: S.DRIFT_METRICS[S.CATEGORICAL]}
_FREQ = {"minute": "PT1M", "hour": "PT1H", "day": "P1D", "week": "P7D", "month": "P30D"}


def _val(x: Any) -> Any:
    return getattr(x, "value", x)


def _chosen(group: Any, kind: str, default: tuple) -> tuple:
    """(metric, threshold) set on a NumericalDriftMetrics / CategoricalDriftMetrics (first one set wins, as the SDK)."""
    if group is None:
        return default
    for metric in _DRIFT_ORDER[kind]:
        value = getattr(group, metric, None)
        if value is not None:
            return metric, S.check_threshold(metric, value)
    if getattr(group, "metric", None) and getattr(group, "metric_threshold", None) is not None:
        return str(group.metric), S.check_threshold(str(group.metric), group.metric_threshold)
    return default


def _quality(group: Any) -> dict:
    if group is None:
        return {}
    return {m: S.check_threshold(m, getattr(group, m)) for m in S.QUALITY_METRICS
            if getattr(group, m, None) is not None}


def _window(w: Any) -> Optional[dict]:
    if w is None:
        return None
    return {k: getattr(w, k, None) for k in ("window_start", "window_end", "lookback_window_size",
                                               "lookback_window_offset")}


def _data(client: Any, d: Any, default_asset: Optional[str], context: str) -> Optional[dict]:
    """A ProductionData / ReferenceData as {path, type, context, window, columns}; the collected asset if None."""
    if d is None:
        if default_asset is None:
            return None
        return {"ref": f"azureml:{default_asset}@latest", "type": "uri_folder", "context": context, "window": None,
                "columns": {}, "default": True}
    inp = d.input_data
    path = getattr(inp, "path", inp)
    return {"ref": str(path), "type": str(getattr(inp, "type", "uri_folder")), "window": _window(d.data_window),
            "context": str(_val(d.data_context) or context), "columns": dict(d.data_column_names or {}),
            "default": False}


def resolve_paths(client: Any, plan: dict) -> dict:
    """Turn every data reference into a local path now (the run process only reads files)."""
    for sig in plan["signals"].values():
        entries = [sig.get("reference")] + (sig["production"] if isinstance(sig.get("production"), list)
                                             else [sig.get("production")]) + list((sig.get("inputs") or {}).values())
        for i, d in enumerate(entries):
            key = "reference" if i == 0 else "production"
            if d and not d.get("path"):
                try:
                    d["path"] = str(uris.resolve_path(client, d["ref"], kind="data"))
                except Exception as e:  # noqa: BLE001  (absent collected data is a result, not a crash)
                    if key == "production" and d.get("default"):
                        d["path"], d["missing"] = None, str(e)
                    else:
                        raise
    return plan


def _features(f: Any) -> Any:
    if f is None or f == "all_features":
        return f
    if hasattr(f, "top_n_feature_importance"):
        return {"top_n": int(f.top_n_feature_importance)}
    return list(f)


def signal_plan(client: Any, name: str, sig: Any, target: dict) -> dict:
    kind = str(_val(getattr(sig, "type", "")))
    ep = target.get("endpoint_deployment_id")
    base = f"{ep[0]}-{ep[1]}" if ep else None
    out: dict = {"type": kind, "alert_enabled": bool(getattr(sig, "alert_enabled", False))}
    if kind in ("data_drift", "prediction_drift", "data_quality"):
        collection = "model_outputs" if kind == "prediction_drift" else "model_inputs"
        out["production"] = _data(client, sig.production_data, base and f"{base}-{collection}", collection)
        out["reference"] = _data(client, sig.reference_data, None, "training")
        if out["reference"] is None and out["production"] is not None:  # recent past production data
            out["reference"] = {**out["production"], "past": True, "context": collection}
        out["features"] = _features(getattr(sig, "features", None))
        out["override"] = {k: str(_val(v)) for k, v in (getattr(sig, "feature_type_override", None) or {}).items()}
        th = sig.metric_thresholds
        if isinstance(th, list):
            raise invalid(f"Signal '{name}': pass metric_thresholds as a {type(sig).__name__.replace('Signal', '')}"
                          f"MetricThreshold(numerical=..., categorical=...), as Azure's samples do.")
        if kind == "data_quality":
            out["thresholds"] = {S.NUMERICAL: _quality(getattr(th, "numerical", None)),
                                 S.CATEGORICAL: _quality(getattr(th, "categorical", None))}
        else:
            out["thresholds"] = {k: _chosen(getattr(th, k, None), k, S.DEFAULT_DRIFT[k])
                                 for k in (S.NUMERICAL, S.CATEGORICAL)}
    elif kind == "feature_attribution_drift":
        prods = sig.production_data or []
        out["production"] = [_data(client, p, None, "model_inputs_outputs") for p in prods] or \
            [_data(client, None, base and f"{base}-model_inputs", "model_inputs"),
             _data(client, None, base and f"{base}-model_outputs", "model_outputs")]
        out["production"] = [p for p in out["production"] if p is not None]
        out["reference"] = _data(client, sig.reference_data, None, "training")
        if out["reference"] is None or not out["reference"]["columns"].get("target_column"):
            raise invalid(f"Signal '{name}': feature attribution drift needs training data as reference_data with "
                          f"data_column_names={{'target_column': '<prediction column>'}} (reference-yaml-monitor).")
        th = getattr(sig.metric_thresholds, "normalized_discounted_cumulative_gain", None)
        out["thresholds"] = {"ndcg": S.check_threshold("normalized_discounted_cumulative_gain", th)
                             if th is not None else None}
    elif kind == "custom":
        out["component_id"] = sig.component_id
        out["inputs"] = {k: _data(client, v, None, "model_inputs") for k, v in (sig.input_data or {}).items()}
        out["thresholds"] = [(t.metric_name, S.check_threshold(t.metric_name, t.threshold))
                             for t in sig.metric_thresholds]
    else:
        raise invalid(f"Signal '{name}' is a {kind or type(sig).__name__} signal; the local workspace runs "
                      f"data_drift, prediction_drift, data_quality, feature_attribution_drift and custom signals "
                      f"(model performance and generative-AI signals need Azure).")
    return out


def plan_for(client: Any, monitor_name: str, definition: Any, trigger: Any = None) -> dict:
    """The run plan of one monitoring run of `definition` (a MonitorDefinition)."""
    from azure.ai.ml.entities import (DataDriftSignal, DataQualitySignal, PredictionDriftMetricThreshold,
                                      PredictionDriftSignal)

    t = definition.monitoring_target
    target = {"ml_task": str(_val(getattr(t, "ml_task", None)) or "classification").lower(),  # Azure: Classification
              "endpoint_deployment_id": None, "model_id": getattr(t, "model_id", None)}
    ep = getattr(t, "endpoint_deployment_id", None)
    if ep:
        text = str(ep).removeprefix("azureml:")
        parts = text.split("/onlineEndpoints/")[1].split("/deployments/") if "/onlineEndpoints/" in text \
            else text.split(":")
        if len(parts) != 2:
            raise invalid(f"endpoint_deployment_id '{ep}' must look like azureml:<endpoint-name>:<deployment-name>.")
        target["endpoint_deployment_id"] = parts
    sigs = definition.monitoring_signals
    if not sigs:  # out-of-box monitoring (how-to-monitor-model-performance)
        if not ep:
            raise invalid("A monitor without monitoring_signals needs monitoring_target.endpoint_deployment_id: "
                          "the out-of-box signals read the deployment's collected data.")
        sigs = {"data_drift": DataDriftSignal(alert_enabled=True),  # out-of-box monitors e-mail on any breach
                # thresholds left unset: signal_plan applies Azure's defaults (signals.DEFAULT_DRIFT)
                "prediction_drift": PredictionDriftSignal(alert_enabled=True,
                                                          metric_thresholds=PredictionDriftMetricThreshold()),
                "data_quality": DataQualitySignal(alert_enabled=True)}
    freq = getattr(trigger, "frequency", None)
    interval = int(getattr(trigger, "interval", 1) or 1)
    size = _FREQ.get(str(freq).lower(), "P7D")
    if interval > 1 and size.startswith("P") and size.endswith("D"):
        size = f"P{int(size[1:-1]) * interval}D"
    emails = list(getattr(definition.alert_notification, "emails", None) or [])
    return {"monitor": monitor_name, "target": target, "default_window": size, "emails": emails,
            "signals": {n: signal_plan(client, n, s, target) for n, s in sigs.items()}}
