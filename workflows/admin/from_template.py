"""*New from template* in the console: the template library listed with descriptions; choosing one
with a name and slug makes a new workflow whose draft is the template's graph
(workflows.services.templates). Extends the registered WorkflowAdmin through get_urls and
re-registers it, as run_now does; needs the add-workflow permission."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

import workflows.admin.triggers  # noqa: F401 - registers the admin this one extends
from workflows.documents import DocumentError
from workflows.models import Workflow
from workflows.services.templates import (
    TemplateRefused,
    template_get,
    template_list,
    workflow_from_template,
)

BaseWorkflowAdmin: type[admin.ModelAdmin] = type(admin.site._registry[Workflow])  # type: ignore[type-arg]


class FromTemplateForm(forms.Form):
    template = forms.ChoiceField(widget=forms.RadioSelect)
    name = forms.CharField(max_length=200, help_text="Shown in lists; the template's by default.")
    slug = forms.SlugField(
        max_length=100, help_text="Letters, digits, - and _; unique. Webhook addresses use it."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = [(t.name, t.title) for t in template_list()]

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if Workflow.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"A workflow with the slug {slug!r} already exists.")
        return slug


class FromTemplateWorkflowAdmin(BaseWorkflowAdmin):  # type: ignore[misc, valid-type]
    change_list_template = "workflows/admin/workflow_change_list.html"

    def get_urls(self) -> list[Any]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_from_template"
        view = self.admin_site.admin_view(self.from_template_view)
        return [path("from-template/", view, name=name), *super().get_urls()]

    def from_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = FromTemplateForm(request.POST or None, initial={"template": request.GET.get("t")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                version = workflow_from_template(
                    template=template_get(data["template"]),
                    slug=data["slug"],
                    name=data["name"],
                    actor=request.user,
                )
            except TemplateRefused as exc:
                form.add_error(exc.field or None, str(exc))
            except DocumentError as exc:  # e.g. a control character the name may not hold
                for error in exc.errors:
                    where, _, message = error.partition(": ")
                    form.add_error("name" if where == "workflow/name" else None, message or error)
            else:
                uses = ", ".join(template_get(data["template"]).connectors)
                then = (
                    f"; it uses the connectors {uses}: configure them, then publish" if uses else ""
                )
                made = f"draft v{version.number} made from the template"
                self.message_user(request, f"{version.workflow.name}: {made}{then}.")
                return HttpResponseRedirect(
                    reverse("admin:workflows_workflowversion_change", args=[version.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "templates": template_list(),
            "title": "New workflow from a template",
        }
        return TemplateResponse(request, "workflows/admin/from_template.html", context)


admin.site.unregister(Workflow)
admin.site.register(Workflow, FromTemplateWorkflowAdmin)
