"""The builder page of a workflow's draft: the admin page that loads the canvas bundle.

The bundle (workflows/static/workflows/builder/, built from workflows/builder/) is served by
the product itself: no CDN, no inline script (the CSP allows our own scripts only). The page
hands the bundle its workflow id, API root and CSRF token through data attributes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from workflows.access import WORKFLOWS
from workflows.admin.run_now import RunNowWorkflowAdmin
from workflows.models import Workflow


class BuilderWorkflowAdmin(RunNowWorkflowAdmin):
    change_form_template = "workflows/admin/workflow_change_form.html"  # type: ignore[misc]
    list_display = (*RunNowWorkflowAdmin.list_display, "builder_link")  # type: ignore[assignment]

    def get_urls(self) -> list[Any]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_builder"
        view = self.admin_site.admin_view(self.builder_view)
        return [path("<path:object_id>/builder/", view, name=name), *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        workflow = self.get_object(request, unquote(object_id))
        can = workflow is not None and WORKFLOWS.can(request.user, "view", workflow)
        extra = {"can_build": can}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    @admin.display(description="Builder")
    def builder_link(self, obj: Workflow) -> str:
        url = reverse("admin:workflows_workflow_builder", args=[obj.pk])
        return format_html('<a href="{}">Open builder</a>', url)

    def builder_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        workflow = self.get_object(request, unquote(object_id))
        if workflow is None:
            raise Http404(f"no workflow {object_id!r}")
        if not WORKFLOWS.can(request.user, "view", workflow):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": workflow,
            "title": f"Builder: {workflow.name}",
            "api_root": reverse("builder:block-types").removesuffix("block-types/"),
            "change_url": reverse("admin:workflows_workflow_change", args=[workflow.pk]),
        }
        return TemplateResponse(request, "workflows/admin/builder.html", context)


admin.site.unregister(Workflow)
admin.site.register(Workflow, BuilderWorkflowAdmin)
