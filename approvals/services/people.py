"""Who a task goes to: a configured value resolved to an address, a user, or a group; out-of-office
delegation followed to a depth limit without loops; and the run's subject, who never decides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from approvals.models import Delegation

DELEGATION_DEPTH = 3


@dataclass
class Person:
    label: str
    email: str = ""
    user: Any = None
    group: Group | None = None
    on_behalf_of: str = ""


def resolve(value: Any) -> Person | None:
    """`user:<name>`, `group:<name>`, an address (a user too if exactly one active user has it),
    or a username. None when nobody matches."""
    text = str(value or "").strip()
    users = get_user_model().objects.filter(is_active=True)
    if text.startswith("group:"):
        group = Group.objects.filter(name=text[6:]).first()
        return Person(label=text, group=group) if group else None
    if text.startswith("user:") or ("@" not in text and text):
        name = text.removeprefix("user:")
        user = users.filter(username=name).first()
        if user is None or not user.email:
            return None
        return Person(label=user.email, email=user.email, user=user)
    if "@" in text:
        matches = list(users.filter(email__iexact=text)[:2])
        return Person(label=text, email=text, user=matches[0] if len(matches) == 1 else None)
    return None


def is_subject(person: Person, subject: str) -> bool:
    """Whether `person` is whom the run is about (by address or username)."""
    subject = subject.strip().lower()
    if not subject or person.group is not None:
        return False
    names = {person.email.lower()}
    if person.user is not None:
        names |= {person.user.get_username().lower(), (person.user.email or "").lower()}
    return subject in names


def delegated(person: Person, *, today: dt.date, subject: str = "") -> Person:
    """Follow out-of-office delegations active `today`, at most DELEGATION_DEPTH hops, never
    back to someone already passed, never to the subject; "on behalf of" names the assignee."""
    if person.user is None:
        return person
    seen = {person.user.pk}
    current = person
    for _ in range(DELEGATION_DEPTH):
        away = (
            Delegation.objects.filter(user=current.user, starts_on__lte=today, ends_on__gte=today)
            .select_related("delegate")
            .order_by("-created_at")
            .first()
        )
        if away is None or away.delegate.pk in seen or not away.delegate.email:
            break
        nxt = Person(label=away.delegate.email, email=away.delegate.email, user=away.delegate)
        if is_subject(nxt, subject):
            break
        seen.add(away.delegate.pk)
        current = Person(
            label=nxt.label,
            email=nxt.email,
            user=nxt.user,
            on_behalf_of=person.on_behalf_of or person.email,
        )
    return current


def first_eligible(
    candidates: list[Any], *, subject: str, start: int = 0
) -> tuple[int, Person] | None:
    """The first candidate from index `start` that resolves and is not the subject."""
    for index in range(start, len(candidates)):
        person = resolve(candidates[index])
        if person is not None and not is_subject(person, subject):
            return index, person
    return None


def recipients(task: Any) -> list[Person]:
    """Everyone the task's link goes to: the assignee, or each member of its group (with an
    address, never the subject)."""
    if task.assignee_group_id:
        members = task.assignee_group.user_set.filter(is_active=True).exclude(email="")
        people = [Person(label=u.email, email=u.email, user=u) for u in members.order_by("pk")]
        return [p for p in people if not is_subject(p, task.subject)]
    if not task.assignee_email:
        return []
    return [
        Person(
            label=task.assignee_email,
            email=task.assignee_email,
            user=task.assignee_user,
            on_behalf_of=task.on_behalf_of,
        )
    ]
