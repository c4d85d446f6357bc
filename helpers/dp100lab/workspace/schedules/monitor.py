"""A MonitorSchedule given to ml_client.schedules: what azure-ai-ml's ScheduleOperations does before the service
stores it, and the monitoring run each trigger starts.

As ScheduleOperations.begin_create_or_update (_resolve_monitor_schedule_arm_id): the monitoring target's deployment
is looked up (a deployment that does not exist is refused); with no monitoring_signals the out-of-box signals (data
drift, prediction drift, data quality) are used, which needs the deployment to collect model inputs and outputs; a
signal without production or reference data takes the deployment's collected data, else the monitor is refused;
local data paths are recorded absolute (Azure uploads them). Then the definition is read the way a monitoring run
reads it (thresholds are numbers, signal types the local workspace runs), so a bad monitor fails at creation with
one line instead of at its first trigger.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from azure.ai.ml import Input
from azure.ai.ml.constants import MonitorDatasetContext
from azure.ai.ml.entities import (BaselineDataRange, CategoricalDriftMetrics, DataDriftMetricThreshold,
                                  DataDriftSignal, DataQualityMetricsCategorical, DataQualityMetricsNumerical,
                                  DataQualityMetricThreshold, DataQualitySignal, FADProductionData,
                                  FeatureAttributionDriftSignal, MonitorDefinition, MonitorSchedule,
                                  NumericalDriftMetrics, PredictionDriftMetricThreshold, PredictionDriftSignal,
                                  ProductionData, ReferenceData, ServerlessSparkCompute)
from azure.ai.ml.exceptions import ErrorCategory, ErrorTarget, ScheduleException

from ..core.errors import invalid, note
from ..monitoring import signals as S

KIND = "schedule"
SPARK_RUNTIMES = ("3.4", "3.5")  # ServerlessSparkCompute's supported runtime versions (azure-ai-ml 1.35)
# Synapse's Spark 3.4 runtime reached end of support on 2026-03-31; the SDK (and Azure's monitoring how-to) still
# take "3.4", so a monitor with it is kept, with one line pointing to 3.5.
SPARK_RETIRED = {"3.4": "2026-03-31"}
_EXAMPLE = ("MonitorDefinition(compute=ServerlessSparkCompute(instance_type='standard_e4s_v3', runtime_version='3.5'),"
            " monitoring_target=MonitoringTarget(ml_task='classification'), monitoring_signals={...})")


def _refuse(message: str) -> ScheduleException:
    return ScheduleException(message=message, no_personal_data_message=message.split(":")[0],
                             target=ErrorTarget.SCHEDULE, error_category=ErrorCategory.USER_ERROR)


def _drift_defaults(cls: type) -> Any:
    """Azure's default drift metrics: normalized Wasserstein (numerical), Jensen-Shannon (categorical), 0.1 each."""
    (num, num_t), (cat, cat_t) = S.DEFAULT_DRIFT[S.NUMERICAL], S.DEFAULT_DRIFT[S.CATEGORICAL]
    return cls(numerical=NumericalDriftMetrics(**{num: num_t}), categorical=CategoricalDriftMetrics(**{cat: cat_t}))


def _quality_defaults() -> DataQualityMetricThreshold:
    rates = {m: S.DEFAULT_QUALITY for m in S.QUALITY_METRICS}
    return DataQualityMetricThreshold(numerical=DataQualityMetricsNumerical(**rates),
                                      categorical=DataQualityMetricsCategorical(**rates))


def _collected(client: Any, target: Any) -> Optional[dict]:
    """collection -> data asset ref of the target deployment's enabled collections; None without a deployment."""
    ep = getattr(target, "endpoint_deployment_id", None)
    if not ep:
        return None
    text = str(ep).removeprefix("azureml:")
    if "/onlineEndpoints/" in text:  # an ARM id, as the SDK also accepts
        endpoint, deployment = text.split("/onlineEndpoints/")[1].split("/deployments/")
    elif text.count(":") == 1:
        endpoint, deployment = text.split(":")
    else:
        raise invalid(f"monitoring_target.endpoint_deployment_id '{ep}' must look like "
                      f"azureml:<endpoint-name>:<deployment-name>.", kind=KIND)
    from ..monitoring.collection import collections_for

    found = client.online_deployments.get(name=deployment, endpoint_name=endpoint)  # not found: refused, as Azure
    cols = collections_for(endpoint, deployment, found.data_collector) if found.data_collector else {}
    return {name: f"azureml:{c['asset']}:{c['version']}" for name, c in cols.items() if c["enabled"]}


def _out_of_box() -> dict:
    """The three signals Azure's out-of-box monitor adds (how-to-monitor-model-performance), default thresholds."""
    return {"data_drift": DataDriftSignal(features="all_features",
                                          metric_thresholds=_drift_defaults(DataDriftMetricThreshold)),
            "prediction_drift": PredictionDriftSignal(
                metric_thresholds=_drift_defaults(PredictionDriftMetricThreshold)),
            "data_quality": DataQualitySignal(features="all_features", metric_thresholds=_quality_defaults())}


def _rolling(size: str, offset: str) -> BaselineDataRange:
    return BaselineDataRange(lookback_window_size=size, lookback_window_offset=offset)


def _fill_attribution(name: str, sig: Any, collected: dict) -> Optional[str]:
    if sig.production_data:
        return None
    if not {"model_inputs", "model_outputs"} <= set(collected):
        return (f"Signal '{name}' (feature_attribution_drift): give production_data=[FADProductionData(...)] with "
                f"the model inputs and outputs, or target a deployment that collects both.")
    sig.production_data = [FADProductionData(input_data=Input(type="uri_folder", path=collected[c]), data_context=ctx,
                                             data_window=_rolling("default", "P0D"))
                           for c, ctx in (("model_inputs", MonitorDatasetContext.MODEL_INPUTS),
                                          ("model_outputs", MonitorDatasetContext.MODEL_OUTPUTS))]
    return None


def _fill_data(name: str, sig: Any, collected: dict) -> Optional[str]:
    """Production and reference data left out: the deployment's collected data, as the SDK fills them in."""
    if isinstance(sig, FeatureAttributionDriftSignal):
        return _fill_attribution(name, sig, collected)
    if not isinstance(sig, (DataDriftSignal, PredictionDriftSignal, DataQualitySignal)):
        return None  # custom signals name their own inputs
    kind = str(getattr(sig.type, "value", sig.type))
    collection = "model_outputs" if kind == "prediction_drift" else "model_inputs"
    if sig.production_data and sig.reference_data:
        return None
    asset = collected.get(collection)
    if asset is None:
        return (f"Signal '{name}' ({kind}): give production_data and reference_data, or target a deployment that "
                f"collects {collection} (monitoring_target.endpoint_deployment_id with a DataCollector).")
    context = MonitorDatasetContext.MODEL_OUTPUTS if kind == "prediction_drift" else MonitorDatasetContext.MODEL_INPUTS
    if not sig.production_data:
        sig.production_data = ProductionData(input_data=Input(type="uri_folder", path=asset), data_context=context,
                                             data_window=_rolling("default", "P0D"))
    if not sig.reference_data:  # recent past production data, the window before the production window
        sig.reference_data = ReferenceData(input_data=Input(type="uri_folder", path=asset), data_context=context,
                                           data_window=_rolling("default", "default"))
    return None


def _defaults(sig: Any) -> None:
    """Thresholds left out get Azure's defaults, so the stored monitor says what its runs compare against."""
    th = getattr(sig, "metric_thresholds", None)
    if isinstance(sig, (DataDriftSignal, PredictionDriftSignal)):
        cls = DataDriftMetricThreshold if isinstance(sig, DataDriftSignal) else PredictionDriftMetricThreshold
        if th is None or (not isinstance(th, list) and th.numerical is None and th.categorical is None):
            sig.metric_thresholds = _drift_defaults(cls)
    elif isinstance(sig, DataQualitySignal) and th is None:
        sig.metric_thresholds = _quality_defaults()


def _contexts(sig: Any) -> None:
    """A data_context left out is recorded as the one a run assumes (definition.py): the SDK's get reads it back
    unconditionally, so a stored monitor without it could not be read."""
    outputs = isinstance(sig, PredictionDriftSignal)
    prod = getattr(sig, "production_data", None)
    for data in prod if isinstance(prod, list) else [prod]:
        if data is not None and not data.data_context:
            data.data_context = MonitorDatasetContext.MODEL_OUTPUTS if outputs else MonitorDatasetContext.MODEL_INPUTS
    ref = getattr(sig, "reference_data", None)
    if ref is not None and not ref.data_context:
        ref.data_context = MonitorDatasetContext.TRAINING


def _absolute(data: Any) -> None:
    """A local file or folder as an absolute path (Azure uploads it at creation); it must exist now."""
    inp = getattr(data, "input_data", None)
    path = getattr(inp, "path", None)
    if path is None:
        return
    text = str(path)
    if text.startswith(("azureml:", "http://", "https://", "wasbs://", "abfss://", "adl://")) or "://" in text:
        return
    local = Path(text.removeprefix("file:")).expanduser()
    local = local if local.is_absolute() else Path.cwd() / local
    if not local.exists():
        raise invalid(f"Monitor input '{text}' does not exist on this machine (looked for {local}). Check the path "
                      f"or register the data and use azureml:<name>:<version>.", kind=KIND)
    inp.path = str(local.resolve())


def prepare(client: Any, schedule: MonitorSchedule) -> MonitorSchedule:
    """A checked, resolved copy of `schedule`, ready to store; raises one clear error for a bad monitor."""
    from ..monitoring.definition import plan_for

    name = schedule.name
    if not isinstance(schedule.create_monitor, MonitorDefinition):
        raise invalid(f"MonitorSchedule '{name}' has no create_monitor: give it create_monitor={_EXAMPLE}.", kind=KIND)
    if schedule.trigger is None:
        raise invalid(f"MonitorSchedule '{name}' has no trigger: give it trigger=RecurrenceTrigger(frequency='day', "
                      f"interval=1) or CronTrigger(expression='15 3 * * *').", kind=KIND)
    compute = schedule.create_monitor.compute
    if not isinstance(compute, ServerlessSparkCompute):
        raise invalid(f"MonitorSchedule '{name}': create_monitor.compute must be ServerlessSparkCompute("
                      f"instance_type='standard_e4s_v3', runtime_version='3.5'), the serverless Spark a monitor "
                      f"runs on.", kind=KIND)
    if str(compute.runtime_version) not in SPARK_RUNTIMES:
        raise invalid(f"MonitorSchedule '{name}': Spark runtime_version '{compute.runtime_version}' is not supported "
                      f"for monitors; use one of {', '.join(SPARK_RUNTIMES)}.", kind=KIND)
    schedule = copy.deepcopy(schedule)  # the caller's entity stays as written
    definition = schedule.create_monitor
    collected = _collected(client, definition.monitoring_target)
    if not definition.monitoring_signals:
        if not collected or not {"model_inputs", "model_outputs"} <= set(collected):
            raise _refuse("An ARM id for a deployment with data collector enabled for model inputs and outputs must "
                          "be given if monitoring_signals is None: set monitoring_target.endpoint_deployment_id to "
                          "such a deployment, or list the monitoring_signals with their production and reference "
                          "data.")
        definition.monitoring_signals = _out_of_box()
    problems = []
    for signal_name, sig in definition.monitoring_signals.items():
        problems.append(_fill_data(signal_name, sig, collected or {}))
        _defaults(sig)
        _contexts(sig)
        prod = getattr(sig, "production_data", None)
        for data in (prod if isinstance(prod, list) else [prod]) + [getattr(sig, "reference_data", None)]:
            if data is not None:
                _absolute(data)
    problems = [p for p in problems if p]
    if problems:
        raise _refuse(" ".join(problems))
    plan_for(client, name, definition, schedule.trigger)  # thresholds, signal types: as each run will read them
    retired = SPARK_RETIRED.get(str(compute.runtime_version))
    if retired:  # kept, as the SDK keeps it, and said once, at creation
        note(f"MonitorSchedule '{name}': Azure Synapse's Spark {compute.runtime_version} runtime reached end of support "
             f"on {retired}; use runtime_version='3.5'.")
    return schedule


def start_run(client: Any, schedule: MonitorSchedule, when: datetime) -> str:
    """Start one monitoring run of a stored monitor for trigger time `when`; returns the job name at once."""
    from ..jobs.kinds.monitoring import TRIGGER_TIME
    from ..jobs.submit import submit

    fired = copy.copy(schedule)
    setattr(fired, TRIGGER_TIME, when.astimezone(timezone.utc))
    return submit(client, fired)
