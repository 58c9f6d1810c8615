"""*Import document* in the console: a workflow JSON document uploaded or pasted, checked by the
same rules as `import_workflow` (workflows.services.versions.workflow_import), every problem
listed on the page with its path; nothing is written unless all of it is accepted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from workflows import documents
from workflows.access import WORKFLOWS
from workflows.models import Workflow
from workflows.services.versions import DraftExists, workflow_import

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ImportDocumentForm(forms.Form):
    file = forms.FileField(required=False, help_text="A .json workflow document (export format).")
    text = forms.CharField(
        required=False,
        label="Or paste it",
        widget=forms.Textarea(attrs={"rows": 16, "cols": 90, "class": "idc-mono"}),
    )
    replace_draft = forms.BooleanField(
        required=False, help_text="If the workflow already has a draft, replace its content."
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        upload, text = cleaned.get("file"), (cleaned.get("text") or "").strip()
        if bool(upload) == bool(text):
            raise forms.ValidationError("Upload a file or paste a document (one of the two).")
        if upload is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is over {MAX_UPLOAD_BYTES // 1024} KiB.")
        data = upload.read() if upload is not None else text
        try:
            cleaned["document"] = documents.check(documents.parse(data))
        except documents.DocumentError as exc:
            raise forms.ValidationError(exc.errors) from None
        return cleaned


class ImportDocumentAdmin:
    """Mixed into the workflow admin: the import page and its permission rule."""

    def import_urls(self: Any) -> list[Any]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        return [path("import/", self.admin_site.admin_view(self.import_view), name=name)]

    def import_view(self: Any, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) or WORKFLOWS.can(request.user, "change")):
            raise PermissionDenied
        form = ImportDocumentForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            document = form.cleaned_data["document"]
            existing = Workflow.objects.filter(slug=document["workflow"]["slug"]).first()
            allowed = (
                WORKFLOWS.can(request.user, "change", existing)
                if existing is not None
                else self.has_add_permission(request)
            )
            if not allowed:
                form.add_error(None, f"You may not change the workflow {existing}.")
            else:
                try:
                    version = workflow_import(
                        document=document,
                        actor=request.user,
                        replace_draft=form.cleaned_data["replace_draft"],
                    )
                except DraftExists as exc:
                    form.add_error(None, f"{exc}. Tick 'replace draft' to overwrite it.")
                except documents.DocumentError as exc:
                    form.add_error(None, exc.errors)
                else:
                    self.message_user(
                        request,
                        f"Imported {version.workflow.name} as draft v{version.number}.",
                        messages.SUCCESS,
                    )
                    url = reverse("admin:workflows_workflowversion_change", args=[version.pk])
                    return HttpResponseRedirect(url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": "Import a workflow document",
        }
        return TemplateResponse(request, "workflows/admin/import_document.html", context)
