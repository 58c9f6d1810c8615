"""`{% dashboard %}` on the admin index: the figures for the person signed in."""

from __future__ import annotations

from typing import Any

from django import template

from workflows.console.dashboard import dashboard_figures, hourly_chart

register = template.Library()


@register.inclusion_tag("workflows/admin/dashboard.html", takes_context=True)
def dashboard(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    board = dashboard_figures(request.user)
    return {"board": board, "chart": hourly_chart(board), "request": request}
