"""ml_client.schedules for the local workspace: JobSchedule and MonitorSchedule with CronTrigger or RecurrenceTrigger,
as Azure.

Returns real azure.ai.ml Schedule entities (rebuilt with the SDK's own loader from the REST form the service
stores). The job a schedule creates is resolved at creation as Azure does (inline components registered, code
snapshotted, local inputs made absolute), so later edits do not change what fires. As how-to-schedule-pipeline-job
documents: a schedule must be disabled before it is deleted; triggered jobs are named <schedule>-YYYYMMDDThhmmssZ.
A MonitorSchedule is checked and resolved as the SDK does (monitor.py); each of its triggers starts a monitoring run
(jobs/kinds/monitoring.py). A small scheduler process (scheduler.py) fires them while enabled schedules exist;
triggers that fell while it was not running are listed in the schedule's properties, never fired in a burst.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any, Iterable

from azure.ai.ml.entities import (CommandJob, Job, JobSchedule, MonitorSchedule, PipelineJob, Schedule,
                                  ScheduleTriggerResult)
from azure.core.exceptions import HttpResponseError

from .. import _sdk
from ..core.errors import invalid, not_found, note
from ..core.poller import LocalPoller
from ..core.store import now
from . import monitor, scheduler, triggers

KIND = "schedule"
STATE = scheduler.STATE


def resolve_job(client: Any, job: Any) -> Job:
    """The job a schedule creates, resolved now (as Azure resolves and uploads it at schedule creation)."""
    from ..jobs import prepare as resolve

    if isinstance(job, str):  # an existing job's name or id: its definition is copied
        job = client.jobs.get(job.split("/jobs/")[-1].replace("azureml:", ""))
        job.name = None
    if isinstance(job, PipelineJob):
        from ..jobs.kinds.pipeline import to_job

        job = to_job(job)
        for node in (job.jobs or {}).values():
            comp = getattr(node, "_component", None)
            if comp is not None and not isinstance(comp, str):
                node._component = client.components.register_anonymous(comp)
    elif isinstance(job, CommandJob) or hasattr(job, "_to_job"):
        job = _sdk.node_to_job(job) if hasattr(job, "_to_job") else copy.deepcopy(job)
        if job.code:
            job.code = client.components._snapshot(job)  # the code as it is now, content-addressed
    else:
        raise invalid(f"A JobSchedule creates a pipeline or command job; got {type(job).__name__}.", kind=KIND)
    resolve.resolve_inputs(client, job)
    return job


class ScheduleOperations:
    """begin_create_or_update, get, list, begin_enable, begin_disable, begin_delete, trigger — as the SDK's."""

    def __init__(self, client: Any):
        self._client, self._store = client, client.store
        if self._enabled_names():  # the lab is open again: enabled schedules fire from now on
            scheduler.ensure_running(self._store)

    def _enabled_names(self) -> list[str]:
        return [r["name"] for r in self._store.list(KIND) if r["spec"]["enabled"]]

    # ---- create / update -----------------------------------------------------------------------------
    def begin_create_or_update(self, schedule: Schedule, **kwargs: Any) -> LocalPoller:
        if not isinstance(schedule, (JobSchedule, MonitorSchedule)):
            raise invalid(f"schedules.begin_create_or_update takes a JobSchedule or a MonitorSchedule; got "
                          f"{type(schedule).__name__}.", kind=KIND)
        if isinstance(schedule, JobSchedule):
            _sdk.validate_schedule(schedule)
        trig = schedule.trigger
        if getattr(trig, "expression", None):
            fields = str(trig.expression).split()
            triggers.azure_cron(trig.expression)
            if len(fields) == 5 and (fields[2] != "*" or fields[3] != "*"):
                note(f"cron '{trig.expression}': Azure ignores the DAYS and MONTHS fields (treated as *), and so "
                     f"does the local scheduler.")
        if not triggers.zone(getattr(trig, "time_zone", None))[1]:
            note(f"time zone '{trig.time_zone}' is not known locally: the local scheduler uses UTC for it (Azure "
                 f"uses the zone).")
        if isinstance(schedule, MonitorSchedule):
            schedule = monitor.prepare(self._client, schedule)
        else:
            schedule = copy.copy(schedule)
            schedule.create_job = resolve_job(self._client, schedule.create_job)
        enabled = schedule.is_enabled is not False
        _sdk.set_schedule_enabled(schedule, enabled)
        rest = _sdk.schedule_to_rest_dict(schedule)
        old = self._store.get(KIND, schedule.name)
        created = old["spec"]["created"] if old else now()
        self._store.put(KIND, schedule.name, None, {"rest": rest, "enabled": enabled, "created": created})
        if not old:
            self._store.put(STATE, schedule.name, None, {"last": created})
        if enabled:
            scheduler.ensure_running(self._store)
        return LocalPoller(lambda: self.get(schedule.name))

    def _set_enabled(self, name: str, enabled: bool) -> LocalPoller:
        row = self._row(name)
        spec = row["spec"]
        spec["enabled"] = enabled
        spec["rest"]["properties"]["isEnabled"] = enabled
        self._store.put(KIND, name, None, spec)
        if enabled:  # triggers while disabled are not missed ones: they were not meant to fire
            state = self._state(name)
            state["last"] = now()
            self._store.put(STATE, name, None, state)
            scheduler.ensure_running(self._store)
        return LocalPoller(lambda: self.get(name))

    def begin_enable(self, name: str, **kwargs: Any) -> LocalPoller:
        return self._set_enabled(name, True)

    def begin_disable(self, name: str, **kwargs: Any) -> LocalPoller:
        return self._set_enabled(name, False)

    def begin_delete(self, name: str, **kwargs: Any) -> LocalPoller:
        row = self._row(name)
        if row["spec"]["enabled"]:
            raise HttpResponseError(message=f"Schedule '{name}' is enabled: a schedule must be disabled before it "
                                            f"is deleted. Call ml_client.schedules.begin_disable('{name}').result() "
                                            f"first.")
        self._store.delete(KIND, name)
        self._store.delete(STATE, name)
        return LocalPoller(lambda: None)

    def trigger(self, name: str, **kwargs: Any) -> ScheduleTriggerResult:
        """Trigger the schedule once (schedules.trigger): its job, or for a monitor a monitoring run, starts now.

        `schedule_time` (ISO 8601, default now, as the SDK's) is the time the run is for: a monitor's rolling data
        windows end there, as for the run its trigger would have started then. Returns the SDK's
        ScheduleTriggerResult (job_name, schedule_action_type)."""
        row = self._row(name)
        if not row["spec"]["enabled"]:
            raise HttpResponseError(message=f"Schedule '{name}' is disabled: only an enabled schedule is triggered. "
                                            f"Call ml_client.schedules.begin_enable('{name}').result() first.")
        when = triggers.parse_time(kwargs.pop("schedule_time", None), timezone.utc) or datetime.now(timezone.utc)
        schedule = self.get(name)
        job = scheduler.fire(self._client, schedule, when, self._store)
        action = "CreateMonitor" if isinstance(schedule, MonitorSchedule) else "CreateJob"
        return ScheduleTriggerResult(job_name=job, schedule_action_type=action)

    # ---- read ----------------------------------------------------------------------------------------
    def _row(self, name: str) -> dict:
        row = self._store.get(KIND, name)
        if row is None:
            raise not_found(KIND, name, available=self._store.names(KIND),
                            hint="Create it with ml_client.schedules.begin_create_or_update(JobSchedule(...) or "
                                 "MonitorSchedule(...)).result().")
        return row

    def _state(self, name: str) -> dict:
        row = self._store.get(STATE, name)
        return dict(row["spec"]) if row else {}

    def get(self, name: str, **kwargs: Any) -> Schedule:
        row = self._row(name)
        rest = copy.deepcopy(row["spec"]["rest"])
        rest["properties"]["provisioningState"] = "Succeeded"  # wire (camelCase) names, as the service sends
        rest["properties"]["isEnabled"] = row["spec"]["enabled"]
        rest["systemData"] = {"createdBy": "local user", "createdByType": "User",
                              "createdAt": row["spec"]["created"], "lastModifiedAt": row["updated_at"]}
        with _sdk.quiet_experimental():  # rebuilt from the stored form: the learner wrote none of this
            entity = _sdk.schedule_from_rest_dict(rest)
        state = self._state(name)
        extra = {"dp100lab.next_trigger_time": state.get("next") or "",
                 "dp100lab.triggered_jobs": ",".join(state.get("jobs", [])[-20:]),
                 "dp100lab.missed_triggers": ",".join(state.get("missed", [])[-20:])}
        entity.properties = {**(entity.properties or {}), **{k: v for k, v in extra.items() if v}}
        return entity

    def list(self, *, list_view_type: Any = "EnabledOnly", **kwargs: Any) -> Iterable[Schedule]:
        view = str(getattr(list_view_type, "value", list_view_type)).lower()
        names = [r["name"] for r in self._store.list(KIND)
                 if view.startswith("all") or (r["spec"]["enabled"] == view.startswith("enabled"))]
        return [self.get(n) for n in names]
