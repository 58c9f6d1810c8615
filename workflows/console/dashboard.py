"""The figures of the console's front page, for one person (only the workflows, connectors and
tasks they may view): runs today by state, parked executions awaiting review, approvals past
their deadline, the next scheduled fires, connector health, and runs per hour by state over
the last days (drawn as server-side SVG: no script, no CDN)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from approvals.access import TASKS
from approvals.selectors import tasks_open_overdue_first
from connectors.access import CONNECTORS
from workflows.access import WORKFLOWS
from workflows.models import Execution, Run
from workflows.models_triggers import TriggerSchedule
from workflows.services.schedules import schedule_upcoming
from workflows.status import ExecutionState, RunState

CHART_DAYS = 3
CHART_STATES = [s.value for s in RunState]
BAR_W, CHART_H, AXIS = 10, 120, 18


@dataclass(frozen=True)
class Fire:
    workflow: str
    local: datetime
    utc: datetime


@dataclass(frozen=True)
class Dashboard:
    runs_today: dict[str, int]
    parked: int
    approvals_overdue: int | None  # None: the person may not view approval tasks
    next_fires: list[Fire]
    connectors: list[Any]
    hourly: dict[datetime, Counter[str]]
    chart_start: datetime

    @property
    def runs_today_total(self) -> int:
        return sum(self.runs_today.values())


def dashboard_figures(user: Any, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    workflows = WORKFLOWS.visible(user).filter(deleted_at__isnull=True)
    runs = Run.objects.filter(workflow__in=workflows)
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    today = dict(
        runs.filter(created_at__gte=midnight, created_at__lte=now)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    start = (now - timedelta(days=CHART_DAYS)).replace(minute=0, second=0, microsecond=0)
    start = start + timedelta(hours=1)
    hourly: dict[datetime, Counter[str]] = {}
    rows = (
        runs.filter(created_at__gte=start, created_at__lte=now)
        .annotate(hour=TruncHour("created_at"))
        .values_list("hour", "state")
        .annotate(n=Count("pk"))
    )
    for hour, state, n in rows:
        hourly.setdefault(hour, Counter())[state] += n
    overdue: int | None = None
    if TASKS.can(user, "view"):
        tasks = tasks_open_overdue_first().filter(due_at__lt=now, run__workflow__in=workflows)
        overdue = tasks.count()
    return Dashboard(
        runs_today={state: today.get(state, 0) for state in CHART_STATES},
        parked=Execution.objects.filter(
            state=ExecutionState.PARKED, run__workflow__in=workflows
        ).count(),
        approvals_overdue=overdue,
        next_fires=_next_fires(workflows, now),
        connectors=list(CONNECTORS.visible(user).order_by("name")[:50]),
        hourly=hourly,
        chart_start=start,
    )


def _next_fires(workflows: Any, now: datetime, count: int = 5) -> list[Fire]:
    schedules = TriggerSchedule.objects.filter(
        active=True, next_fire_at__isnull=False, workflow__in=workflows
    ).select_related("workflow")
    fires: list[Fire] = []
    for schedule in schedules.order_by("next_fire_at")[:count]:
        fires += [
            Fire(schedule.workflow.slug, local, utc)
            for local, utc in schedule_upcoming(schedule, now=now, count=count)
        ]
    return sorted(fires, key=lambda f: f.utc)[:count]


def hourly_chart(board: Dashboard) -> str:
    """Runs per hour, one stacked bar per hour (a class per state), as one <svg>."""
    hours = [board.chart_start + timedelta(hours=i) for i in range(CHART_DAYS * 24)]
    tallest = max((sum(board.hourly.get(h, Counter()).values()) for h in hours), default=0)
    scale = CHART_H / max(tallest, 1)
    bars = []
    for i, hour in enumerate(hours):
        counts = board.hourly.get(hour, Counter())
        y = CHART_H
        for state in CHART_STATES:
            n = counts.get(state, 0)
            if not n:
                continue
            height = max(round(n * scale), 1)
            y -= height
            bars.append(
                format_html(
                    '<rect class="bar state-{}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}: {} {}</title></rect>",
                    state,
                    i * BAR_W,
                    y,
                    BAR_W - 2,
                    height,
                    timezone.localtime(hour).strftime("%a %H:00"),
                    n,
                    state,
                )
            )
    ticks = format_html_join(
        "",
        '<text class="tick" x="{}" y="{}">{}</text>',
        (
            (i * BAR_W, CHART_H + AXIS - 4, timezone.localtime(h).strftime("%a %H:00"))
            for i, h in enumerate(hours)
            if i % 12 == 0
        ),
    )
    width = len(hours) * BAR_W
    return format_html(
        '<svg class="runs-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        'viewBox="0 0 {} {}" width="{}" height="{}" aria-label="runs per hour by state, '
        'highest {}"><line class="axis" x1="0" y1="{}" x2="{}" y2="{}"/>{}{}</svg>',
        width,
        CHART_H + AXIS,
        width,
        CHART_H + AXIS,
        tallest,
        CHART_H,
        width,
        CHART_H,
        format_html_join("", "{}", ((b,) for b in bars)),
        ticks,
    )
