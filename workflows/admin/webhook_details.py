"""A webhook endpoint's page says what a sender needs: the full URL (scheme and host from the
IDC_SITE_URL setting, else from the request), the authentication mode and the payload mapping
of the published trigger; and a button that sends a signed test delivery and shows the answer."""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from workflows.access import WORKFLOWS
from workflows.engine.blocks.trigger import WebhookTrigger
from workflows.models_triggers import WebhookEndpoint
from workflows.services.triggers import endpoint_path
from workflows.services.webhook_test import endpoint_test_send, endpoint_trigger_config

_request: ContextVar[HttpRequest | None] = ContextVar("webhook_admin_request", default=None)


def endpoint_url(endpoint: WebhookEndpoint, request: HttpRequest | None) -> str:
    """What a sender posts to: IDC_SITE_URL when set (behind a proxy), else this request's."""
    base = getattr(settings, "IDC_SITE_URL", "")
    if base:
        return base.rstrip("/") + endpoint_path(endpoint)
    if request is None:
        return endpoint_path(endpoint)
    return request.build_absolute_uri(endpoint_path(endpoint))


class WebhookDetails:
    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.test_send_view)  # type: ignore[attr-defined]
        name = "workflows_webhookendpoint_test_send"
        return [path("<path:object_id>/test-send/", view, name=name), *super().get_urls()]  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        token = _request.set(request)
        try:
            response: HttpResponse = super().changelist_view(request, extra_context)  # type: ignore[misc]
            if hasattr(response, "render"):
                response.render()
            return response
        finally:
            _request.reset(token)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        endpoint = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        can_send = endpoint is not None and WORKFLOWS.can(request.user, "change", endpoint.workflow)
        token = _request.set(request)
        try:
            response: HttpResponse = super().change_view(  # type: ignore[misc]
                request, object_id, form_url, {"can_test_send": can_send, **(extra_context or {})}
            )
            if hasattr(response, "render"):
                response.render()
            return response
        finally:
            _request.reset(token)

    def test_send_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        endpoint = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if endpoint is None:
            raise Http404(f"no webhook endpoint {object_id!r}")
        WORKFLOWS.require(request.user, "change", endpoint.workflow)
        if request.method == "POST":
            answer = endpoint_test_send(
                endpoint=endpoint, url=endpoint_url(endpoint, request), actor=request.user
            )
            level = messages.SUCCESS if answer.status and answer.status < 300 else messages.ERROR
            status = f"HTTP {answer.status}" if answer.status else "no answer"
            self.message_user(  # type: ignore[attr-defined]
                request, f"Test delivery answered {status}: {answer.text}", level
            )
        url = reverse("admin:workflows_webhookendpoint_change", args=[endpoint.pk])
        return HttpResponseRedirect(url)

    @admin.display(description="URL")
    def address(self, obj: WebhookEndpoint) -> str:
        url = endpoint_url(obj, _request.get())
        return format_html('<code class="idc-mono" id="webhook-url">{}</code>', url)

    @admin.display(description="Authentication")
    def auth_mode(self, obj: WebhookEndpoint) -> str:
        auth = WebhookTrigger.auth(endpoint_trigger_config(obj))
        mode = auth.get("mode", "standard")
        if mode == "header":
            return f"shared secret in the {auth['header']} header"
        if mode == "basic":
            return f"HTTP basic, user {auth['username']!r}, the secret as password"
        return "Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature)"

    @admin.display(description="Payload mapping")
    def mapping(self, obj: WebhookEndpoint) -> str:
        config = endpoint_trigger_config(obj)
        shown = {k: config[k] for k in ("filter", "idempotency_key", "mapping") if k in config}
        if not shown:
            return "none: the payload is the run's event as sent"
        text = json.dumps(shown, indent=2, ensure_ascii=False)
        return format_html('<pre id="webhook-mapping">{}</pre>', text)
