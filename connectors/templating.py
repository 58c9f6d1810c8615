"""Operator-written templates over a block's input (REST requests, email config): Django syntax.

`{{ user }}`, `{{ user.email|lower }}`, `{% if manager %}...{% endif %}`, no autoescape. Only
connector configuration (and presets) is ever compiled here; never text that came from a block
or a payload. The block input is the context: its values are inserted as data, never parsed
again, so a value `{% now "Y" %}` or `{{ settings.SECRET_KEY }}` lands verbatim. Values rendered
into a URL are percent-encoded, so an input like "../admin" cannot change the path it lands in;
a JSON body's strings become JSON strings (a body string that is exactly one `{{ name }}` keeps
the value's type: a list stays a list).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from django.template import Context, Engine, Template, TemplateSyntaxError

from connectors.base import ConnectorError

_SINGLE = re.compile(r"^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$")


@lru_cache(maxsize=1)
def _engine() -> Engine:
    # Plain text and JSON, not HTML: escaping would corrupt "&" and quotes.
    return Engine(
        autoescape=False,
        libraries={},
        builtins=["django.template.defaultfilters", "django.template.defaulttags"],
    )


@lru_cache(maxsize=512)
def _compile(source: str) -> Template:
    try:
        return _engine().from_string(source)
    except TemplateSyntaxError as exc:
        raise ConnectorError(f"template {source!r} is invalid: {exc}") from exc


def render(source: str, context: dict[str, Any]) -> str:
    """Render an operator's template `source`; the values in `context` are data."""
    return str(_compile(source).render(Context(context, autoescape=False)))


def _lookup(context: dict[str, Any], dotted: str) -> Any:
    value: Any = context
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return ""
    return value


def render_json(value: Any, context: dict[str, Any]) -> Any:
    """Render every string of a JSON-like structure (keys too)."""
    if isinstance(value, str):
        single = _SINGLE.match(value)
        return _lookup(context, single.group(1)) if single else render(value, context)
    if isinstance(value, dict):
        return {render(str(k), context): render_json(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render_json(item, context) for item in value]
    return value


def _quoted(value: Any) -> Any:
    if isinstance(value, str):
        return quote(value, safe="")
    if isinstance(value, dict):
        return {key: _quoted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_quoted(item) for item in value]
    return value


def render_url(source: str, context: dict[str, Any], *, raw: tuple[str, ...] = ()) -> str:
    """Render a URL or path; input values are percent-encoded, except the keys named in `raw`."""
    quoted = {key: value if key in raw else _quoted(value) for key, value in context.items()}
    return render(source, quoted)
