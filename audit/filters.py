"""The auditors' filters, one meaning everywhere: the admin list, the API, exports and commands.

Dates are whole days in the auditor's time zone (the `tz` parameter, else the zone the browser
sent in the `idc_tz` cookie, else settings.TIME_ZONE): `to` includes its last second and
nothing of the day after, whatever the DST shifts in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEvent

TZ_PARAM, TZ_COOKIE = "tz", "idc_tz"
PARAMS = ("preset", "from", "to", "tz", "actor", "action", "workflow", "target_type", "target_id")
# The parameters compared with stored text (the others are dates, a preset or a zone name).
SEARCHED = ("actor", "action", "workflow", "target_type", "target_id", "q")
PRESETS = {
    "today": "Today",
    "last_7_days": "Last 7 days",
    "last_month": "Previous month",
    "last_quarter": "Previous quarter",
}


class FilterError(ValueError):
    """A filter parameter that cannot be understood; the message says which and why."""


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone this machine knows, for the zone picker."""
    return tuple(sorted(available_timezones()))


def zone_named(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def auditor_zone(request: Any) -> ZoneInfo:
    """The zone dates are read in: explicit parameter, then the browser's, then the site's."""
    params = getattr(request, "GET", {})
    cookies = getattr(request, "COOKIES", {})
    return (
        zone_named(params.get(TZ_PARAM))
        or zone_named(unquote(cookies.get(TZ_COOKIE) or ""))  # timezone.js encodes the "/"
        or ZoneInfo(settings.TIME_ZONE)
    )


def day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def preset_days(name: str, today: date) -> tuple[date, date]:
    """First and last day (inclusive) of a preset window, relative to `today`."""
    if name == "today":
        return today, today
    if name == "last_7_days":
        return today - timedelta(days=6), today
    if name == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if name == "last_quarter":
        this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        last = this_quarter - timedelta(days=1)
        return date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), last
    raise FilterError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise FilterError(f"{name!r} must be a date like 2026-01-31, not {value!r}") from None


@dataclass(frozen=True)
class EventFilter:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    zone: str = "UTC"
    actor: str = ""
    action: str = ""
    workflow: str = ""
    target_type: str = ""
    target_id: str = ""
    q: str = ""

    def describe(self) -> dict[str, Any]:
        """JSON-ready, for export manifests."""
        described = asdict(self)
        for key in ("start", "end"):
            value = described[key]
            described[key] = value.isoformat() if value else None
        return described

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.start is not None:
            events = events.filter(occurred_at__gte=self.start)
        if self.end is not None:
            events = events.filter(occurred_at__lt=self.end)
        exact = {
            "actor_label": self.actor,
            "target_type": self.target_type,
            "target_id": self.target_id,
        }
        events = events.filter(**{k: v for k, v in exact.items() if v})
        if self.action.endswith("*"):
            events = events.filter(action__startswith=self.action[:-1])
        elif self.action:
            events = events.filter(action=self.action)
        if self.workflow:
            events = events.filter(workflow_id=_workflow_id(self.workflow))
        if self.q:
            words = Q()
            for field in ("action", "actor_label", "target_label", "target_id"):
                words |= Q(**{f"{field}__icontains": self.q})
            events = events.filter(words)
        return events


def _workflow_id(value: str) -> int:
    if value.isdigit():
        return int(value)
    from audit.selectors import workflow_id_for_slug

    return workflow_id_for_slug(value) or -1


def parse(params: Mapping[str, Any], zone: ZoneInfo, *, today: date | None = None) -> EventFilter:
    """An EventFilter from query parameters (preset, from, to, actor, action, workflow, ...)."""
    get = {k: str(params.get(k) or "").strip() for k in (*PARAMS, "q")}
    for name in SEARCHED:
        if "\x00" in get[name]:  # PostgreSQL refuses NUL in a query: a 500 otherwise
            raise FilterError(f"{name!r} cannot contain NUL (\\u0000)")
    if get["tz"] and zone_named(get["tz"]) is None:
        raise FilterError(f"unknown time zone {get['tz']!r}: pick one from the list")
    first = _day(get["from"], "from") if get["from"] else None
    last = _day(get["to"], "to") if get["to"] else None
    if get["preset"] and not (first or last):
        first, last = preset_days(get["preset"], today or timezone.now().astimezone(zone).date())
    if first and last and first > last:
        raise FilterError(f"'from' ({first}) is after 'to' ({last}): no day is in that window")
    return EventFilter(
        start=day_start(first, zone) if first else None,
        end=day_start(last + timedelta(days=1), zone) if last else None,
        zone=str(zone.key),
        actor=get["actor"],
        action=get["action"],
        workflow=get["workflow"],
        target_type=get["target_type"],
        target_id=get["target_id"],
        q=get["q"],
    )


def from_request(request: Any, *, with_search: bool = True) -> EventFilter:
    params = {k: request.GET.get(k) for k in (*PARAMS, "q") if with_search or k != "q"}
    return parse(params, auditor_zone(request))
