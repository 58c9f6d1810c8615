"""Triggers in the console: each schedule's next fire times (its own zone and UTC) and last fire,
webhook endpoints with secret rotation (shown once), and the read-only delivery log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from workflows.access import WORKFLOWS
from workflows.admin.common import ReadOnlyAdmin
from workflows.admin.run_now import WHEN, upcoming_table  # importing registers Run now
from workflows.admin.runs import ThroughWorkflow
from workflows.admin.schedule_controls import ScheduleControls
from workflows.admin.webhook_details import WebhookDetails
from workflows.models_triggers import (
    TriggerSchedule,
    UnknownHookSource,
    WebhookDelivery,
    WebhookEndpoint,
)
from workflows.services.schedules import schedule_upcoming
from workflows.services.triggers import (
    endpoint_new_address,
    endpoint_path,
    endpoint_rotate_secret,
)


@admin.register(TriggerSchedule)
class TriggerScheduleAdmin(ThroughWorkflow, ScheduleControls, ReadOnlyAdmin):
    list_display = (
        "workflow",
        "cron",
        "timezone",
        "schedule_state",
        "next_local",
        "next_utc",
        "last_fired_at",
    )
    list_filter = ("active", "timezone")
    actions = ["pause", "resume", "fire_now"]
    list_select_related = ("workflow",)
    search_fields = ("workflow__slug", "workflow__name")
    fields = (
        "workflow",
        "cron",
        "timezone",
        "calendar",
        "schedule_state",
        "upcoming",
        "last_fired_at",
        "last_scheduled_for",
        "max_lateness_seconds",
    )
    readonly_fields = fields

    def get_urls(self) -> list[Any]:
        return [*self.control_urls(), *super().get_urls()]

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        context["can_control"] = self.has_control_permission(request, kwargs.get("obj"))
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description="Next fire (local)", ordering="next_fire_at")
    def next_local(self, obj: TriggerSchedule) -> str:
        rows = schedule_upcoming(obj, now=timezone.now(), count=1) if obj.active else []
        return rows[0][0].strftime(WHEN) if rows else "—"

    @admin.display(description="Next fire (UTC)", ordering="next_fire_at")
    def next_utc(self, obj: TriggerSchedule) -> str:
        return obj.next_fire_at.strftime("%Y-%m-%d %H:%M UTC") if obj.next_fire_at else "—"

    @admin.display(description="Next five fire times")
    def upcoming(self, obj: TriggerSchedule) -> str:
        return upcoming_table(obj) if obj.paused_at is None else "none while paused"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ThroughWorkflow, WebhookDetails, ReadOnlyAdmin):
    list_display = ("workflow", "address", "active", "has_secret", "secret_rotated_at")
    list_filter = ("active",)
    list_select_related = ("workflow",)
    fields = (
        "workflow",
        "address",
        "auth_mode",
        "mapping",
        "active",
        "secret_rotated_at",
        "previous_valid_until",
        "created_at",
    )
    readonly_fields = fields
    actions = ["rotate_secret", "new_address"]

    @admin.display(description="Secret set", boolean=True)
    def has_secret(self, obj: WebhookEndpoint) -> bool:
        return obj.has_secret

    def has_rotate_permission(self, request: HttpRequest) -> bool:
        return WORKFLOWS.can_any(request.user, "change")

    def _changeable(
        self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]
    ) -> list[WebhookEndpoint]:
        """The selected endpoints whose workflow the user may change; the others are refused."""
        allowed = []
        for endpoint in queryset.select_related("workflow"):
            if WORKFLOWS.can(request.user, "change", endpoint.workflow):
                allowed.append(endpoint)
            else:
                self.message_user(
                    request,
                    f"{endpoint.workflow.slug}: you may not change this workflow's webhook",
                    messages.ERROR,
                )
        return allowed

    @admin.action(permissions=["rotate"], description="Rotate the signing secret (shown once)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in self._changeable(request, queryset):
            had_one = endpoint.has_secret
            secret = endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
            after = (
                "The previous secret keeps working for 24 hours."
                if had_one
                else "This is the endpoint's first secret: deliveries are refused until the "
                "sender signs with it."
            )
            self.message_user(
                request,
                f"{endpoint.workflow.slug}: new signing secret {secret} — copy it now, it is "
                f"not shown again. {after}",
                messages.WARNING,
            )

    @admin.action(permissions=["rotate"], description="New address (the old URL stops at once)")
    def new_address(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in self._changeable(request, queryset):
            endpoint_new_address(endpoint=endpoint, actor=request.user)
            self.message_user(
                request, f"{endpoint.workflow.slug}: new address {endpoint_path(endpoint)}"
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ThroughWorkflow, ReadOnlyAdmin):
    workflow_path = "endpoint__workflow"

    list_display = (
        "received_at",
        "workflow",
        "outcome",
        "status_code",
        "reason",
        "event_key",
        "body_size",
        "run_link",
    )
    list_filter = ("outcome", "status_code", "endpoint__workflow", "received_at")
    list_select_related = ("endpoint__workflow", "run")
    search_fields = ("event_key", "reason", "endpoint__workflow__slug")
    date_hierarchy = "received_at"
    show_full_result_count = False
    readonly_fields = (
        "endpoint",
        "received_at",
        "outcome",
        "status_code",
        "reason",
        "event_key",
        "headers",
        "body_size",
        "payload",
        "remote_addr",
        "run",
    )

    @admin.display(description="Workflow")
    def workflow(self, obj: WebhookDelivery) -> str:
        return obj.endpoint.workflow.slug if obj.endpoint else "(unknown address)"

    @admin.display(description="Run")
    def run_link(self, obj: WebhookDelivery) -> Any:
        if obj.run_id is None:
            return "—"
        url = reverse("admin:workflows_run_change", args=[obj.run_id])
        return format_html('<a href="{}">{}</a>', url, obj.run_id)


@admin.register(UnknownHookSource)
class UnknownHookSourceAdmin(ReadOnlyAdmin):
    """Who keeps posting to addresses that name no endpoint: one row per source."""

    list_display = ("source", "refusals", "first_at", "last_at")
    search_fields = ("source",)
    readonly_fields = ("source", "refusals", "first_at", "last_at")
