"""When schedules are due, with an injected clock: cron and recurrence as Azure documents them; missed triggers."""
from datetime import datetime, timedelta, timezone

import pytest
from azure.ai.ml.entities import CronTrigger, RecurrencePattern, RecurrenceTrigger
from azure.ai.ml.exceptions import ValidationException

from dp100lab.workspace.schedules import scheduler, triggers

UTC = timezone.utc
T0 = datetime(2026, 12, 1, 10, 0, 30, tzinfo=UTC)  # a Tuesday


def test_cron_every_five_minutes():
    trig = CronTrigger(expression="*/5 * * * *")
    assert triggers.next_time(trig, T0, created=T0) == datetime(2026, 12, 1, 10, 5, tzinfo=UTC)


def test_cron_days_and_months_are_ignored_as_on_azure():
    # "15 16 1 1 1": Azure treats DAYS and MONTHS as *, so this is every Monday 16:15, not only Monday January 1st
    trig = CronTrigger(expression="15 16 1 1 1")
    assert triggers.next_time(trig, T0, created=T0) == datetime(2026, 12, 7, 16, 15, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["61 * * * *", "* * *", "every monday", "0 25 * * *"])
def test_cron_that_does_not_parse_is_refused(bad):
    with pytest.raises(ValidationException, match="does not parse"):
        triggers.azure_cron(bad)


def test_cron_in_a_time_zone():
    trig = CronTrigger(expression="0 9 * * *", time_zone="Pacific Standard Time")
    assert triggers.next_time(trig, T0, created=T0) == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # 09:00 PST


def test_recurrence_every_minute_from_start():
    start = T0 - timedelta(minutes=10, seconds=30)  # 09:50:00, in the past: next calculated time
    trig = RecurrenceTrigger(frequency="minute", interval=1, start_time=start)
    assert triggers.next_time(trig, T0, created=T0) == datetime(2026, 12, 1, 10, 1, tzinfo=UTC)


def test_recurrence_weekly_pattern():
    trig = RecurrenceTrigger(frequency="week", interval=1,
                             schedule=RecurrencePattern(hours=7, minutes=30, week_days=["monday"]))
    assert triggers.next_time(trig, T0, created=T0) == datetime(2026, 12, 7, 7, 30, tzinfo=UTC)


def test_recurrence_every_two_days_at_hours():
    trig = RecurrenceTrigger(frequency="day", interval=2, start_time=datetime(2026, 12, 1, tzinfo=UTC),
                             schedule=RecurrencePattern(hours=[6, 18], minutes=0))
    first = triggers.next_time(trig, T0, created=T0)
    assert first == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    assert triggers.next_time(trig, first, created=T0) == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def test_end_time_ends_the_schedule():
    trig = RecurrenceTrigger(frequency="hour", interval=1, start_time=T0, end_time=T0 + timedelta(minutes=90))
    first = triggers.next_time(trig, T0, created=T0)
    assert first == T0 + timedelta(hours=1)
    assert triggers.next_time(trig, first, created=T0) is None


class _Store:
    """The two registry calls tick() makes, in memory."""

    def __init__(self):
        self.rows = {}

    def get(self, kind, name, **_):
        return self.rows.get((kind, name))

    def put(self, kind, name, version, spec):
        self.rows[(kind, name)] = {"name": name, "spec": spec}


def _row(trigger, created):
    from azure.ai.ml.entities import JobSchedule, PipelineJob

    from dp100lab.workspace import _sdk
    sched = JobSchedule(name="s", trigger=trigger, create_job=PipelineJob(jobs={}))
    _sdk.set_schedule_enabled(sched, True)
    return {"name": "s", "spec": {"rest": _sdk.schedule_to_rest_dict(sched), "enabled": True,
                                  "created": created.isoformat()}}


def test_tick_fires_a_due_time_once_and_lists_missed_ones_without_firing_them():
    store, fired = _Store(), []
    trig = RecurrenceTrigger(frequency="minute", interval=1, start_time=T0)
    row = _row(trig, T0)
    submit = lambda t: fired.append(t) or "job"  # noqa: E731
    # 10 minutes pass with no scheduler, then it looks at 10:10:40: 10:01..10:09 are missed, 10:10:30 is on time
    scheduler.tick(store, row, T0 + timedelta(minutes=10, seconds=10), submit)
    assert fired == [T0 + timedelta(minutes=10)]
    state = store.get(scheduler.STATE, "s")["spec"]
    assert len(state["missed"]) == 9 and state["missed"][0] == "2026-12-01T10:01:30Z"
    scheduler.tick(store, row, T0 + timedelta(minutes=10, seconds=20), submit)  # nothing new is due
    assert len(fired) == 1
