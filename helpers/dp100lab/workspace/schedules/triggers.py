"""When a schedule's trigger is due: pure functions of the trigger and a time, so tests inject the clock.

As how-to-schedule-pipeline-job documents: cron fields MINUTES HOURS DAYS MONTHS DAYS-OF-WEEK, where DAYS and
MONTHS values are not supported and are treated as `*`; recurrence by frequency (minute, hour, day, week, month)
and interval, with an optional pattern of hours, minutes and weekdays; start_time (default: creation time; a start
in the past fires first at the next calculated time), end_time (none: until disabled), time_zone (default UTC).
croniter parses cron expressions; the recurrence arithmetic is small enough to write here (no library does
Azure's pattern rules).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core.errors import invalid

# Azure takes Windows time-zone names (azure.ai.ml.constants.TimeZone); a few common ones mapped to IANA names.
# Kept small on purpose: any IANA name also works, others fall back to UTC with one line (schedules.py says so).
WINDOWS_TZ = {"UTC": "UTC", "Pacific Standard Time": "America/Los_Angeles",
              "Mountain Standard Time": "America/Denver", "Central Standard Time": "America/Chicago",
              "Eastern Standard Time": "America/New_York", "GMT Standard Time": "Europe/London",
              "W. Europe Standard Time": "Europe/Berlin", "Romance Standard Time": "Europe/Paris",
              "Central European Standard Time": "Europe/Warsaw", "India Standard Time": "Asia/Kolkata",
              "China Standard Time": "Asia/Shanghai", "Tokyo Standard Time": "Asia/Tokyo",
              "AUS Eastern Standard Time": "Australia/Sydney", "E. South America Standard Time": "America/Sao_Paulo"}
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1),
          "week": timedelta(weeks=1)}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def zone(name: Any) -> tuple[Any, bool]:
    """(tzinfo, known) for an Azure time-zone value; unknown names give UTC and known=False."""
    text = str(getattr(name, "value", name) or "UTC")
    if text in WINDOWS_TZ:
        return ZoneInfo(WINDOWS_TZ[text]), True
    try:
        return ZoneInfo(text), True
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc, False


def parse_time(value: Any, tz: Any) -> Optional[datetime]:
    if value in (None, ""):
        return None
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)


def azure_cron(expression: str) -> str:
    """The expression Azure evaluates: DAYS and MONTHS treated as `*`. Refuses what does not parse."""
    from croniter import croniter

    fields = str(expression).split()
    if len(fields) != 5 or not croniter.is_valid(str(expression)):
        raise invalid(f"The cron expression '{expression}' does not parse. Azure ML takes five space-separated "
                      f"fields MINUTES HOURS DAYS MONTHS DAYS-OF-WEEK, for example '15 16 * * 1' (4:15 PM every "
                      f"Monday) or '*/5 * * * *' (every 5 minutes).", kind="schedule")
    fields[2] = fields[3] = "*"
    return " ".join(fields)


def next_time(trigger: Any, after: datetime, created: datetime) -> Optional[datetime]:
    """The first due time strictly after `after` (UTC), or None when the trigger has ended."""
    tz, _ = zone(getattr(trigger, "time_zone", None))
    start = parse_time(getattr(trigger, "start_time", None), tz) or created
    end = parse_time(getattr(trigger, "end_time", None), tz)
    after = max(after, start - timedelta(microseconds=1))
    if getattr(trigger, "expression", None):
        from croniter import croniter

        due = croniter(azure_cron(trigger.expression), after.astimezone(tz)).get_next(datetime)
    else:
        due = _next_recurrence(trigger, after.astimezone(tz), start.astimezone(tz))
    if due is None or (end is not None and due > end):
        return None
    return due.astimezone(timezone.utc)


def _next_recurrence(trigger: Any, after: datetime, start: datetime) -> Optional[datetime]:
    freq = str(trigger.frequency).lower().rstrip("s")
    interval = int(trigger.interval or 1)
    pattern = getattr(trigger, "schedule", None)
    hours = _as_list(getattr(pattern, "hours", None))
    minutes = _as_list(getattr(pattern, "minutes", None))
    days = [d.lower() for d in _as_list(getattr(pattern, "week_days", None))]
    if freq in ("minute", "hour") or not (hours or minutes or days):
        return _stepping(freq, interval, after, start)
    for offset in range(0, 366 * interval + 7):  # the pattern's times, day by day, on the allowed days
        day = (after + timedelta(days=offset)).date()
        if not _day_allowed(freq, interval, day, start.date(), days):
            continue
        for h in sorted(hours or [start.hour]):
            for m in sorted(minutes or [0]):
                t = datetime(day.year, day.month, day.day, h, m, tzinfo=after.tzinfo)
                if t > after and t >= start:
                    return t
    return None


def _stepping(freq: str, interval: int, after: datetime, start: datetime) -> datetime:
    if freq == "month":
        from dateutil.relativedelta import relativedelta

        k, t = 0, start
        while t <= after:
            k += interval
            t = start + relativedelta(months=k)
        return t
    step = _UNITS[freq] * interval
    if after < start:
        return start
    k = int((after - start) / step) + 1
    return start + k * step


def _day_allowed(freq: str, interval: int, day: Any, start_day: Any, days: list) -> bool:
    if days and _WEEKDAYS[day.weekday()] not in days:
        return False
    if freq == "day":
        return (day - start_day).days % interval == 0
    if freq == "week":
        return ((day - start_day).days // 7) % interval == 0
    return True  # month: the pattern's weekdays in every month (interval counted by the caller's start)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def missed_between(trigger: Any, last: datetime, now: datetime, created: datetime, limit: int = 50) -> list:
    """Due times in (last, now]: the triggers nothing was running to fire."""
    found, t = [], last
    while len(found) < limit:
        t = next_time(trigger, t, created)
        if t is None or t > now:
            break
        found.append(t)
    return found
