"""Pause, resume and fire now on a schedule's page (buttons) and its list (actions), each
permission-checked (change on the workflow) and audited by its service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from workflows.access import WORKFLOWS
from workflows.engine.schedule import ScheduleError
from workflows.models_triggers import TriggerSchedule
from workflows.services.schedule_controls import (
    ScheduleRefused,
    schedule_fire_now,
    schedule_pause,
    schedule_resume,
)

CONTROLS = {"pause": schedule_pause, "resume": schedule_resume}


class ScheduleControls:
    def control_urls(self: Any) -> list[Any]:
        view = self.admin_site.admin_view(self.control_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_control"
        return [path("<path:object_id>/control/<str:control>/", view, name=name)]

    def has_control_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        workflow = obj.workflow if obj is not None else None
        return WORKFLOWS.can(request.user, "change", workflow)

    def _control(self: Any, request: HttpRequest, schedule: TriggerSchedule, control: str) -> None:
        if not self.has_control_permission(request, schedule):
            self.message_user(request, f"You may not change {schedule.workflow}.", messages.ERROR)
            return
        try:
            if control == "fire":
                run = schedule_fire_now(schedule=schedule, actor=request.user)
                url = reverse("admin:workflows_run_change", args=[run.pk])
                text = format_html(
                    '{}: fired now, <a href="{}">{}</a>.', schedule.workflow, url, run
                )
                self.message_user(request, text, messages.SUCCESS)
            else:
                CONTROLS[control](schedule=schedule, actor=request.user)
                self.message_user(request, f"{schedule.workflow}: {control}d.", messages.SUCCESS)
        except (ScheduleRefused, ScheduleError) as exc:
            self.message_user(request, str(exc), messages.ERROR)

    def control_view(self: Any, request: HttpRequest, object_id: str, control: str) -> HttpResponse:
        if control not in {*CONTROLS, "fire"}:
            raise Http404(f"no control {control!r}")
        schedule = self.get_object(request, unquote(object_id))
        if schedule is None:
            raise Http404(f"no schedule {object_id!r}")
        if request.method == "POST":
            self._control(request, schedule, control)
        url = reverse("admin:workflows_triggerschedule_change", args=[schedule.pk])
        return HttpResponseRedirect(url)

    @admin.action(permissions=["control"], description="Pause")
    def pause(self: Any, request: HttpRequest, queryset: QuerySet[TriggerSchedule]) -> None:
        for schedule in queryset.select_related("workflow"):
            self._control(request, schedule, "pause")

    @admin.action(permissions=["control"], description="Resume (from the next fire time)")
    def resume(self: Any, request: HttpRequest, queryset: QuerySet[TriggerSchedule]) -> None:
        for schedule in queryset.select_related("workflow"):
            self._control(request, schedule, "resume")

    @admin.action(permissions=["control"], description="Fire now (one run, outside the schedule)")
    def fire_now(self: Any, request: HttpRequest, queryset: QuerySet[TriggerSchedule]) -> None:
        for schedule in queryset.select_related("workflow"):
            self._control(request, schedule, "fire")

    @admin.display(description="State")
    def schedule_state(self, obj: TriggerSchedule) -> str:
        if not obj.active:
            return "Stopped (the published trigger is not a schedule)"
        if obj.paused_at is not None:
            return f"Paused since {obj.paused_at:%Y-%m-%d %H:%M} UTC"
        return "Running"

    @admin.display(description="Calendar")
    def calendar(self, obj: TriggerSchedule) -> str:
        calendar = obj.config.get("calendar") or {}
        parts = ["no weekends"] if calendar.get("skip_weekends") else []
        if calendar.get("holidays"):
            parts.append(f"no {calendar['holidays']} holidays")
        dates = [obj.config.get(k) for k in ("start_date", "end_date")]
        if any(dates):
            parts.append(f"from {dates[0] or 'now'} to {dates[1] or 'no end'}")
        return ", ".join(parts) or "every day the cron matches"
