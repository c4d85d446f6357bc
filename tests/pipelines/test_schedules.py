"""ml_client.schedules: entities, lifecycle rules, the scheduler process firing on time."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.ai.ml import Input, dsl, load_component
from azure.ai.ml.entities import CronTrigger, JobSchedule, RecurrenceTrigger
from azure.ai.ml.exceptions import ValidationException
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from dp100lab.workspace.core import servers


def _job():
    prep = load_component(source="prep.yml")

    @dsl.pipeline(default_compute="serverless")
    def p(raw):
        prep(raw_data=raw)

    return p(raw=Input(type="uri_file", path="raw.csv"))


def test_lifecycle_as_azure(ml_client, project):
    with pytest.raises(ValidationException, match="does not parse"):
        ml_client.schedules.begin_create_or_update(JobSchedule(name="bad", trigger=CronTrigger(expression="5 * *"),
                                                               create_job=_job()))
    sched = ml_client.schedules.begin_create_or_update(JobSchedule(
        name="weekly", trigger=CronTrigger(expression="0 6 * * 1"), create_job=_job())).result()
    assert (type(sched).__name__, sched.name, sched.is_enabled) == ("JobSchedule", "weekly", True)
    assert type(sched.create_job).__name__ == "PipelineJob"
    assert [s.name for s in ml_client.schedules.list()] == ["weekly"]
    with pytest.raises(HttpResponseError, match="disabled before it is deleted"):
        ml_client.schedules.begin_delete("weekly")
    assert ml_client.schedules.begin_disable("weekly").result().is_enabled is False
    assert ml_client.schedules.list() == []
    assert [s.name for s in ml_client.schedules.list(list_view_type="DisabledOnly")] == ["weekly"]
    ml_client.schedules.begin_delete("weekly").result()
    with pytest.raises(ResourceNotFoundError):
        ml_client.schedules.get("weekly")


def test_scheduler_fires_on_time_and_exits_when_nothing_is_enabled(ml_client, project):
    start = datetime.now(timezone.utc) - timedelta(seconds=50)  # due times every minute from 50 s ago
    ml_client.schedules.begin_create_or_update(JobSchedule(
        name="every-minute", trigger=RecurrenceTrigger(frequency="minute", interval=1, start_time=start),
        create_job=_job())).result()
    srv = servers.get(ml_client.store, "scheduler")
    assert srv is not None and srv.alive and srv.port is None
    deadline = time.monotonic() + 150
    fired = ""
    while time.monotonic() < deadline and not fired:
        fired = ml_client.schedules.get("every-minute").properties.get("dp100lab.triggered_jobs", "")
        time.sleep(1)
    assert fired, "the scheduler did not fire within its minute"
    job = ml_client.jobs.get(fired.split(",")[0])
    assert job.display_name.startswith("every-minute-") and job.display_name.endswith("Z")
    ml_client.schedules.begin_disable("every-minute").result()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and srv.alive:
        time.sleep(0.5)
    assert not srv.alive
