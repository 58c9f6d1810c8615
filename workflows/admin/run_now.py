"""*Run now* and *Dry run* on a published workflow: a JSON input (pre-filled from the trigger's
sample payload) handed to run_start. Extends the definitions' WorkflowAdmin through get_urls and
re-registers it, so its own module stays untouched; needs workflows.run_workflow. The workflow
page also shows its trigger: a schedule's next five fire times, or the webhook's address."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from idconfluence.access import Denied
from idconfluence.forms import IntakeJSONField
from workflows.access import WORKFLOWS
from workflows.admin import definitions
from workflows.models import Workflow
from workflows.models_triggers import TriggerSchedule, WebhookEndpoint
from workflows.services.runs import NotRunnable, run_start
from workflows.services.schedules import schedule_upcoming
from workflows.services.triggers import endpoint_path, trigger_sample
from workflows.status import TriggerKind

WHEN = "%a %Y-%m-%d %H:%M %Z"


def upcoming_table(schedule: TriggerSchedule) -> str:
    """The next five fire times, local and UTC, as a small table."""
    rows = schedule_upcoming(schedule, now=timezone.now(), count=5)
    if not rows:
        return "no further fire times"
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td></tr>",
        ((local.strftime(WHEN), utc.strftime("%Y-%m-%d %H:%M UTC")) for local, utc in rows),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>UTC</th></tr></thead><tbody>{}</tbody></table>",
        schedule.timezone,
        body,
    )


class IndentedJSONField(IntakeJSONField):
    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value  # what the person typed, shown back with its error
        return json.dumps(value, indent=2, ensure_ascii=False)


class RunNowForm(forms.Form):
    input = IndentedJSONField(
        widget=forms.Textarea(attrs={"rows": 20, "cols": 90, "class": "idc-mono"}),
        help_text="The run's event, as a JSON object.",
    )

    def clean_input(self) -> dict[str, Any]:
        value = self.cleaned_data["input"]
        if not isinstance(value, dict):
            raise forms.ValidationError("The input must be a JSON object ({...}).")
        return value


class RunNowWorkflowAdmin(definitions.WorkflowAdmin):
    change_form_template = "workflows/admin/workflow_change_form.html"  # type: ignore[misc]
    readonly_fields = ("trigger",)

    def get_urls(self) -> list[Any]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_run"
        view = self.admin_site.admin_view(self.run_now_view)
        return [path("<path:object_id>/run/", view, name=name), *super().get_urls()]

    def has_run_permission(self, request: HttpRequest, obj: Workflow | None = None) -> bool:
        return WORKFLOWS.can(request.user, "run", obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        workflow = self.get_object(request, unquote(object_id))
        extra = {"can_run": workflow is not None and self.has_run_permission(request, workflow)}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def run_now_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        workflow = self.get_object(request, unquote(object_id))
        if workflow is None:
            raise Http404(f"no workflow {object_id!r}")
        if not self.has_run_permission(request, workflow):
            raise PermissionDenied
        version = workflow.published_version
        form = RunNowForm(request.POST or None, initial={"input": trigger_sample(version)})
        if request.method == "POST" and form.is_valid():
            dry_run = "_dry_run" in request.POST
            try:
                run = run_start(
                    workflow=workflow,
                    trigger_kind=TriggerKind.MANUAL,
                    input=form.cleaned_data["input"],
                    actor=request.user,
                    dry_run=dry_run,
                )
            except (NotRunnable, Denied) as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                kind = "Dry run" if dry_run else "Run"
                self.message_user(request, f"{kind} {run.pk} started on v{run.version.number}.")
                return HttpResponseRedirect(reverse("admin:workflows_run_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": workflow,
            "version": version,
            "form": form,
            "title": f"Run {workflow.name}",
        }
        return TemplateResponse(request, "workflows/admin/run_now.html", context)

    @admin.display(description="Trigger")
    def trigger(self, obj: Workflow) -> str:
        if obj.pk is None:
            return "—"
        schedule = TriggerSchedule.objects.filter(workflow=obj, active=True).first()
        if schedule is not None:
            last = schedule.last_fired_at
            return format_html(
                "{} {} — last fired {}{}",
                schedule.cron,
                schedule.timezone,
                timezone.localtime(last).strftime("%Y-%m-%d %H:%M %Z") if last else "never",
                upcoming_table(schedule),
            )
        endpoint = WebhookEndpoint.objects.filter(workflow=obj, active=True).first()
        if endpoint is not None:
            return f"webhook at {endpoint_path(endpoint)}"
        return "manual (Run now)"


admin.site.unregister(Workflow)
admin.site.register(Workflow, RunNowWorkflowAdmin)
