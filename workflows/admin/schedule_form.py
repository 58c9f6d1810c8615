"""The schedule of a workflow as a form, not JSON: cron, the zone (a picker), the business
calendar (skip weekends; holidays of a market or a country, picked from the `holidays` package),
the dates it runs between, with a preview of the next fire times in the trigger's own zone.
Saving writes the draft's trigger; publishing the draft applies it."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import holidays
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from workflows.access import WORKFLOWS
from workflows.engine.schedule import ScheduleError
from workflows.models import Workflow
from workflows.services.schedule_controls import schedule_preview
from workflows.services.versions import draft_trigger_set

DEFAULT_CRON = "0 9 * * 1-5"
_FIELD_OF_ERROR = (
    ("cron", "cron"),
    ("unknown time zone", "timezone"),
    ("holiday calendar", "holidays"),
    ("unknown holiday calendar", "holidays"),
    ("end_date", "end_date"),
    ("start_date", "start_date"),
)


def _words(class_name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)


@lru_cache(maxsize=1)
def zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in sorted(available_timezones())]


@lru_cache(maxsize=1)
def holiday_choices() -> list[tuple[str, Any]]:
    """Markets (NYSE, XLON, ...) and countries with their regions (US, US-NY, ...)."""
    markets = sorted(
        (codes[1], f"{_words(codes[0])} ({codes[1]})")
        for codes in holidays.registry.FINANCIAL.values()
    )
    names = {codes[1]: _words(codes[0]) for codes in holidays.registry.COUNTRIES.values()}
    countries: list[tuple[str, str]] = []
    for code, regions in sorted(holidays.list_supported_countries().items()):
        name = names.get(code, code)
        countries.append((code, f"{name} ({code})"))
        countries += [(f"{code}-{r}", f"{name}: {r} ({code}-{r})") for r in regions]
    return [("", "No holidays"), ("Markets", markets), ("Countries and regions", countries)]


class ScheduleForm(forms.Form):
    cron = forms.CharField(
        max_length=100,
        help_text="minute hour day-of-month month day-of-week, e.g. 0 9 * * 1-5 "
        "(09:00 on weekdays), in the zone below.",
        widget=forms.TextInput(attrs={"class": "idc-mono", "size": 24}),
    )
    timezone = forms.ChoiceField(choices=zone_choices, help_text="The trigger's own zone.")
    skip_weekends = forms.BooleanField(required=False)
    holidays = forms.ChoiceField(
        choices=holiday_choices, required=False, help_text="No fire on these days."
    )
    start_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="First day."
    )
    end_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Last day."
    )
    max_lateness_minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=10080,
        help_text="After an outage, an instant later than this is parked for review, not run.",
    )

    def __init__(self, *args: Any, keep: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keep = keep or {}  # config keys this form does not edit (the sample)
        self.preview: list[tuple[str, str]] = []  # (in the trigger's zone, in UTC)

    def config(self) -> dict[str, Any]:
        data = self.cleaned_data
        config: dict[str, Any] = {**self.keep, "cron": " ".join(data["cron"].split())}
        config["timezone"] = data["timezone"]
        for name in ("start_date", "end_date"):
            if data.get(name):
                config[name] = data[name].isoformat()
        calendar = {"skip_weekends": True} if data.get("skip_weekends") else {}
        if data.get("holidays"):
            calendar["holidays"] = data["holidays"]
        if calendar:
            config["calendar"] = calendar
        if data.get("max_lateness_minutes"):
            config["max_lateness_minutes"] = data["max_lateness_minutes"]
        return config

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.preview = [
                (local.strftime("%a %Y-%m-%d %H:%M %Z"), utc.strftime("%Y-%m-%d %H:%M UTC"))
                for local, utc in schedule_preview(self.config(), now=timezone.now())
            ]
        except ScheduleError as exc:
            message = str(exc)
            field = next((f for prefix, f in _FIELD_OF_ERROR if message.startswith(prefix)), None)
            self.add_error(field, message)
        return cleaned


def initial_from(config: dict[str, Any]) -> dict[str, Any]:
    calendar = config.get("calendar") or {}
    return {
        "cron": config.get("cron") or DEFAULT_CRON,
        "timezone": config.get("timezone") or settings.TIME_ZONE,
        "skip_weekends": bool(calendar.get("skip_weekends")),
        "holidays": str(calendar.get("holidays") or "").upper(),
        "start_date": config.get("start_date"),
        "end_date": config.get("end_date"),
        "max_lateness_minutes": config.get("max_lateness_minutes"),
    }


def _current_trigger(workflow: Workflow) -> tuple[str, dict[str, Any]]:
    """The trigger being edited: the draft's, else the published one's."""
    version = workflow.draft or workflow.published_version
    trigger = version.blocks.filter(kind="trigger").first() if version else None
    return (trigger.type, dict(trigger.config)) if trigger else ("", {})


class ScheduleFormAdmin:
    """Mixed into the workflow admin: /<id>/schedule/."""

    def schedule_urls(self: Any) -> list[Any]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_schedule"
        view = self.admin_site.admin_view(self.schedule_view)
        return [path("<path:object_id>/schedule/", view, name=name)]

    def schedule_view(self: Any, request: HttpRequest, object_id: str) -> HttpResponse:
        workflow = self.get_object(request, unquote(object_id))
        if workflow is None:
            raise Http404(f"no workflow {object_id!r}")
        WORKFLOWS.require(request.user, "change", workflow)
        kind, config = _current_trigger(workflow)
        keep = {"sample": config["sample"]} if "sample" in config else {}
        source = config if kind == "schedule" else {}
        form = ScheduleForm(request.POST or None, initial=initial_from(source), keep=keep)
        if request.method == "POST" and form.is_valid() and "_save" in request.POST:
            draft = draft_trigger_set(
                workflow=workflow, type_name="schedule", config=form.config(), actor=request.user
            )
            self.message_user(
                request,
                f"Schedule saved to draft v{draft.number}: publish it for the new times to apply.",
                messages.SUCCESS,
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": workflow,
            "form": form,
            "was_schedule": kind == "schedule",
            "trigger_kind": kind,
            "draft_url": reverse("admin:workflows_workflowversion_change", args=[workflow.draft.pk])
            if workflow.draft
            else "",
            "title": f"Schedule of {workflow.name}",
        }
        return TemplateResponse(request, "workflows/admin/schedule_form.html", context)
