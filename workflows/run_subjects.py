"""Who and what a run concerns, read from its input: the person (userName, email, ...) and the
event id, so the console can name a run after them and find runs by them.

Inputs come from many senders (Workday, SAP, a person typing), so the names are a short list of
the usual keys, at the top of the input or one object down (`worker`, `user`, ...).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

PERSON_KEYS = ("userName", "username", "user_name", "login", "email", "mail", "user")
ID_KEYS = ("workerId", "employeeId", "employee_id")
EVENT_KEYS = ("eventId", "event_id", "id", "webhookId")
PARENTS = ("", "worker", "user", "person", "employee", "subject", "data", "target")


def _paths(keys: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    for parent in PARENTS:
        for key in keys:
            if parent != key:
                yield (parent, key) if parent else (key,)


SEARCHED = (*_paths(PERSON_KEYS), *_paths(ID_KEYS), *_paths(EVENT_KEYS))


def run_subject(event: Any) -> str:
    """The person the run is about ("jane.doe"), or "" when the input names nobody. Looked up
    in `_paths`' order, but only under the parents the input has: every run's label (an audit
    event's, a console row's) asks, and most inputs have none of them."""
    if not isinstance(event, Mapping):
        return ""
    for parent in PARENTS:
        scope = event.get(parent) if parent else event
        if not isinstance(scope, Mapping):
            continue
        for key in PERSON_KEYS:
            value = scope.get(key) if key != parent else None
            if isinstance(value, str) and value.strip():
                return value.strip()[:80]
    return ""


def _nested(path: tuple[str, ...], term: str) -> dict[str, Any]:
    value: Any = term
    for key in reversed(path):
        value = {key: value}
    return dict(value)


def input_matches(term: str) -> Q:
    """Runs whose input holds `term` at one of the searched keys (exact, as typed or in lower
    case). On PostgreSQL a containment (`@>`), answered by the run_input_gin index."""
    terms = {term, term.lower()}
    condition = Q()
    for path in SEARCHED:
        for value in terms:
            if connection.vendor == "postgresql":
                condition |= Q(input__contains=_nested(path, value))
            else:
                condition |= Q(**{"input__" + "__".join(path): value})
    return condition


def runs_concerning(queryset: QuerySet[Any], term: str) -> QuerySet[Any]:
    """The runs about a person or an event: their input, or the webhook delivery that started
    them (its event key)."""
    from workflows.models_triggers import WebhookDelivery

    term = term.strip()
    if not term:
        return queryset
    delivered = WebhookDelivery.objects.filter(event_key=term, run__isnull=False)
    return queryset.filter(
        input_matches(term) | Q(trigger_ref=term) | Q(pk__in=delivered.values("run_id"))
    )
