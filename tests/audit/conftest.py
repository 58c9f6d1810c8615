"""Fixtures for the audit tests: users and a way to put events at chosen instants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from audit.models import AuditEvent
from audit.services import record


@pytest.fixture
def user(db: None) -> Any:
    return get_user_model().objects.create_user("alice", "alice@example.com", "pw-alice-123!")


@pytest.fixture
def superuser(db: None) -> Any:
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123!")


@pytest.fixture
def event_at(db: None) -> Callable[..., AuditEvent]:
    """Record an event as if at `when` (events must be made in time order: time never goes back)."""

    def make(when: datetime, **fields: Any) -> AuditEvent:
        fields.setdefault("action", "test.event")
        with time_machine.travel(when, tick=False):
            return record(**fields)

    return make


@pytest.fixture
def auditor(db: None) -> Any:
    """A member of the Auditors group the migration creates: staff, view permission only."""
    from django.contrib.auth.models import Group

    person = get_user_model().objects.create_user("ann", "ann@example.com", "pw-ann-123!")
    person.is_staff = True
    person.save()
    person.groups.add(Group.objects.get(name="Auditors"))
    return person


def signed_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client
