"""Monitoring runs: what a MonitorSchedule's trigger starts (schedules/monitor.py: each firing and each
ml_client.schedules.trigger(name) submits the stored monitor here).

On Azure a monitor run is a pipeline of Azure's monitoring components on serverless Spark; here it is one job
whose runner computes the signals with pandas and scipy (monitoring/compute.py), writes each signal's results to
outputs/signals/<signal>.json as soon as it is done, logs the metric values to the job's MLflow run, and tags the
job with azureml_modelmonitor_threshold_breached when a signal breaches, as Azure does. A run stopped midway is
Failed and keeps the signals it finished.
"""

from __future__ import annotations

import copy
import json
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from azure.ai.ml.entities import CommandJob, MonitorDefinition, MonitorSchedule

from ...core.errors import invalid, note
from ..submit import Prepared

KIND = "monitoring"
TRIGGER_TIME = "_dp100lab_trigger_time"  # set on a fired copy of the schedule (schedules/monitor.py): the run's time
_PLAN = "monitor.json"
_ENV = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"  # stands in for the Spark runtime


def to_job(entity: Any) -> CommandJob:
    """The job record of one monitor run; the definition rides along to prepare()."""
    if isinstance(entity, MonitorSchedule):
        monitor, definition, trigger = entity.name, entity.create_monitor, entity.trigger
    elif isinstance(entity, MonitorDefinition):
        monitor, definition, trigger = "monitor", entity, None
    else:
        raise invalid(f"A monitoring run takes a MonitorSchedule or MonitorDefinition, not {type(entity).__name__}.")
    if definition is None:
        raise invalid(f"MonitorSchedule '{monitor}' has no create_monitor: give it a MonitorDefinition.")
    when = getattr(entity, TRIGGER_TIME, None) or datetime.now(timezone.utc)  # the time the run is for
    stamp = when.strftime("%Y%m%d%H%M%S")
    job = CommandJob(command="echo monitoring run", environment=_ENV, experiment_name=monitor,
                     display_name=f"{monitor}-{stamp}", tags={"dp100lab_monitor": monitor},
                     properties={"azureml.modelmonitor": monitor})
    job._dp100lab_monitor = (monitor, copy.deepcopy(definition), copy.deepcopy(trigger), when)  # read by prepare()
    return job


def prepare(client: Any, job: Any, name: str, job_dir: Path) -> Prepared:
    from ...monitoring import definition as defn

    monitor, definition, trigger, when = job._dp100lab_monitor
    plan = defn.resolve_paths(client, defn.plan_for(client, monitor, definition, trigger))
    plan["trigger_time"] = when.isoformat()  # rolling data windows end here, as for a run the trigger started then
    job_dir.mkdir(parents=True, exist_ok=True)
    (job_dir / _PLAN).write_text(json.dumps(plan, indent=1, default=str))
    compute = getattr(definition, "compute", None)
    note(f"monitor runs use serverless Spark ({getattr(compute, 'instance_type', 'standard_e4s_v3')}) on Azure; "
         f"here the signals are computed in this machine's Python.")
    return Prepared(compute="serverless")


def _custom_child(store: Any, parent: str, wd: Path):
    """A custom signal runs its registered component as a child command job, as Azure's pipeline does."""
    def run(signal: str, sig: dict) -> list:
        import time

        from azure.ai.ml import Input

        from ...client import LocalMLClient
        from ...core import uris
        from ...core.store import TERMINAL_STATUSES
        from ...monitoring import data as D
        from ...monitoring import signals as S
        from ..submit import submit

        client = LocalMLClient(store.root, hold=False, set_mlflow=False)
        name, version, label = uris.parse_asset_ref(sig["component_id"])
        try:
            component = client.components.get(name, version=version, label=label if not version else None)
        except NotImplementedError as e:
            raise RuntimeError(f"Custom signal '{signal}' needs the registered component {sig['component_id']}; "
                               f"registering components arrives with module 08 ({e}).") from e
        inputs = {k: Input(type="mltable" if d["type"] == "mltable" else "uri_folder", path=d["path"])
                  for k, d in sig["inputs"].items()}
        inputs.update({f"{m}_threshold": t for m, t in sig["thresholds"]})
        child = submit(client, component(**inputs), parent=parent)
        while store.get_job(child)["status"] not in TERMINAL_STATUSES:
            time.sleep(0.5)
        if store.get_job(child)["status"] != "Completed":
            raise RuntimeError(f"Custom signal '{signal}': its component job {child} ended "
                               f"{store.get_job(child)['status']}; see its user_logs/std_log.txt.")
        table = D.read_table(uris.job_output_folder(store, child, "signal_metrics"))
        limits = dict(sig["thresholds"])
        return [S.MetricResult(str(r["group"]), "", str(r["metric_name"]), float(r["metric_value"]),
                               limits.get(r["metric_name"], r.get("threshold_value"))) for _, r in table.iterrows()]
    return run


def _record_breach(store: Any, plan: Any, monitor: str, breaches: dict, emails: list) -> None:
    from ...core import tracking
    from ...monitoring.compute import BREACH_TAG

    message = "\n".join(breaches.values())
    row = store.get_job(plan.name)
    spec = row["spec"]
    spec.setdefault("properties", {}).setdefault("tags", {})[BREACH_TAG] = message
    store.update_job(plan.name, spec=spec)
    tracking.client(store).set_tag(plan.run_id, BREACH_TAG, message[:5000])
    store.put("monitor_alert", f"{monitor}/{plan.name}", None,
              {"monitor": monitor, "job": plan.name, "signals": sorted(breaches), "message": message,
               "emails": emails, "time": datetime.now(timezone.utc).isoformat()})


def run(store: Any, plan: Any) -> tuple[str, Optional[dict]]:
    from ...core import tracking
    from ...monitoring import compute

    mplan = json.loads((store.job_dir(plan.name) / _PLAN).read_text())
    out = Path(plan.cwd) / "outputs"
    log_path = Path(plan.log)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a") as log:
        def say(msg: str) -> None:
            log.write(msg + "\n")
            log.flush()
        try:
            when = datetime.fromisoformat(mplan["trigger_time"]) if mplan.get("trigger_time") else None
            summary = compute.run_plan(mplan, out, _custom_child(store, plan.name, Path(plan.cwd)), say, now=when)
        except Exception as e:  # noqa: BLE001  (the signals finished before it stay in outputs/signals)
            say(traceback.format_exc())
            return "Failed", {"code": "UserError", "message": f"The monitoring run failed: {e}. Signals computed "
                              f"before the failure are in outputs/signals; see user_logs/std_log.txt."}
        mlc = tracking.client(store)
        for name in summary["signals"]:
            res = json.loads((out / "signals" / f"{name}.json").read_text())
            for r in res["rows"]:
                if r["value"] is not None:
                    mlc.log_metric(plan.run_id, f"{name}.{r['feature'] or 'all'}.{r['metric_name']}"[:250],
                                   float(r["value"]))
        if summary["breaches"]:
            _record_breach(store, plan, mplan["monitor"], summary["breaches"], mplan["emails"])
            if mplan["emails"]:
                say(f"[local] alert e-mail to {', '.join(mplan['emails'])} not sent: the local workspace records "
                    f"the alert in the store and on the job's tags instead.")
    return "Completed", None
