"""Connector admin: configure a connector once, test its connection, see its health at a glance.

Secrets are write-only here (see connectors.forms); the list shows each connector's last health
check. LocalGrant rows are the built-in directory's state and are read-only.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from connectors.access import CONNECTORS
from connectors.forms import clear_input, connector_form_for, secret_input
from connectors.jobs import TEST_CONNECTION
from connectors.models import Connector, HealthStatus, LocalGrant
from connectors.registry import all_types
from connectors.schema_fields import config_input
from idconfluence.admin_access import RulesAdminMixin
from idconfluence.admin_base import ReadOnlyAdmin
from idconfluence.jobs.admin import start_in_background

_HEALTH_COLOURS = {HealthStatus.OK: "#2e7d32", HealthStatus.FAILING: "#c62828"}


@admin.register(Connector)
class ConnectorAdmin(RulesAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Lists and pages through CONNECTORS; the creator gets view/use/change on the connector and
    shares it (say, `use` with a workflow editor) from its *Object permissions* page."""

    rules = CONNECTORS
    change_form_template = "connectors/admin/connector_change_form.html"  # type: ignore[misc]
    list_display = ("name", "type", "enabled", "health", "health_checked_at", "health_summary")
    list_filter = ("type", "enabled", "health_status")
    search_fields = ("name", "description")
    readonly_fields = (
        "credentials_set",
        "config_reference",
        "health_status",
        "health_message",
        "health_checked_at",
        "created_at",
        "updated_at",
        "used_by",
    )
    actions = ["test_connection"]

    class Media:
        js = ("connectors/type_form.js",)

    def _type_of(self, request: HttpRequest, obj: Connector | None) -> str | None:
        return obj.type if obj is not None else request.POST.get("type") or request.GET.get("type")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = connector_form_for(self._type_of(request, obj))
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        form = connector_form_for(self._type_of(request, obj))
        credentials = [[secret_input(n), clear_input(n)] for n in form.secret_names]
        general = ["name", "type", "description", "enabled"]
        if obj is not None:
            general.append("confirm_disable")
        if form.typed:
            configuration = [config_input(name) for name in form.config_specs]
            note = "" if configuration else "This type needs no configuration."
        else:
            configuration, note = ["config", "config_reference"], "Choose a type for its form."
        fieldsets: list[tuple[str | None, dict[str, Any]]] = [
            (None, {"fields": general}),
            ("Configuration", {"fields": configuration, "description": note}),
            (
                "Credentials",
                {
                    "fields": [*credentials, "credentials_set"],
                    "description": "Write-only: stored encrypted, never shown again. "
                    "Leave blank to keep the current value.",
                },
            ),
        ]
        if obj is not None:
            fieldsets.append(("Used by", {"fields": ["used_by"]}))
            fieldsets.append(
                ("Health", {"fields": ["health_status", "health_message", "health_checked_at"]})
            )
        return fieldsets

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.test_connection_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_test"
        return [path("<path:object_id>/test/", view, name=name), *super().get_urls()]  # type: ignore[no-untyped-call]

    def test_connection_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's *Test connection* button: one connector, in the background."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        connector = self.get_object(request, unquote(object_id))
        if connector is None:
            raise Http404(f"no connector {object_id!r}")
        CONNECTORS.require(request.user, "change", connector)
        return start_in_background(self, request, TEST_CONNECTION, [(connector.pk, connector.name)])

    @admin.display(description="Published workflows using it")
    def used_by(self, obj: Connector) -> str:
        from workflows.selectors import published_workflows_using

        users = published_workflows_using(obj.name) if obj.pk else []
        if not users:
            return "None: disabling it stops no published workflow."
        links = format_html_join(
            "",
            '<li><a href="{}">{}</a></li>',
            ((reverse("admin:workflows_workflow_change", args=[w.pk]), w.name) for w in users),
        )
        return format_html('<ul id="used-by">{}</ul>', links)

    @admin.display(description="Credentials set")
    def credentials_set(self, obj: Connector) -> str:
        masked = obj.masked_secrets() if obj.pk else {}
        return ", ".join(f"{name}: {mask}" for name, mask in sorted(masked.items())) or "none"

    @admin.display(description="Configuration reference (JSON Schema)")
    def config_reference(self, obj: Connector) -> str:
        cls = all_types().get(obj.type) if obj.pk else None
        if cls is None:
            return "Choose a type and save to see its configuration keys."
        return format_html("<pre>{}</pre>", json.dumps(cls.config_schema, indent=2))

    @admin.display(description="Health", ordering="health_status")
    def health(self, obj: Connector) -> str:
        colour = _HEALTH_COLOURS.get(HealthStatus(obj.health_status), "#757575")
        return format_html(
            '<strong style="color:{}">{}</strong>', colour, obj.get_health_status_display()
        )

    @admin.display(description="Last check")
    def health_summary(self, obj: Connector) -> str:
        return Truncator(obj.health_message).chars(80)

    @admin.action(permissions=["change"], description="Test connection (in the background)")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[Connector]) -> HttpResponse:
        """Each test may wait a whole window on the network: never inside the request."""
        selected = queryset.order_by("name").values_list("pk", "name")
        return start_in_background(self, request, TEST_CONNECTION, selected)


@admin.register(LocalGrant)
class LocalGrantAdmin(ReadOnlyAdmin):
    """Read-only: grants change only through the local connector's operations (and are audited)."""

    list_display = ("connector", "user", "kind", "value", "granted_at")
    list_filter = ("connector", "kind")
    search_fields = ("user", "value")
