"""Runs are found by the person or event they concern (their input, on both databases; the GIN
index answers on PostgreSQL) and are named after them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.console_newuser.support import demo_joiner, demo_sample
from tests.support.factories import admin_user
from workflows.models import Run
from workflows.run_subjects import (
    PERSON_KEYS,
    _paths,
    input_matches,
    run_subject,
    runs_concerning,
)
from workflows.services.runs import run_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs() -> tuple[Run, Run]:
    workflow = demo_joiner().workflow
    hire = run_start(workflow=workflow, input=demo_sample("workday-hire"))
    leave = run_start(workflow=workflow, input=demo_sample("workday-termination"))
    return hire, leave


@pytest.mark.parametrize(
    "term",
    [
        "jane.doe",
        "Jane.Doe",
        "jane.doe@acme.example",
        "21004",
        "7f3c9a52-1d4e-4f0b-9b6e-2c5e8d1a4f10",
    ],
)
def test_a_person_or_event_finds_their_run_only(runs: tuple[Run, Run], term: str) -> None:
    hire, _ = runs
    assert list(runs_concerning(Run.objects.all(), term)) == [hire]


def test_no_partial_or_hostile_match(runs: tuple[Run, Run]) -> None:
    for term in ("jane", "%", "' OR 1=1 --", "Finance", "raj.patel"):
        assert list(runs_concerning(Run.objects.all(), term)) == [], term


def test_runs_are_named_after_the_person_and_the_time(runs: tuple[Run, Run]) -> None:
    hire, leave = runs
    assert str(hire).startswith(f"Joiner: standard access #{hire.pk} for jane.doe, 20")
    assert f"#{leave.pk} for li.wei, " in str(leave)
    assert run_subject({"email": "x@y.example"}) == "x@y.example"
    assert run_subject({"count": 3}) == "" and run_subject([1]) == ""


def _read_along(event: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        event = event.get(key) if isinstance(event, dict) else None
    return event


@pytest.mark.parametrize(
    "event",
    [
        {"userName": "top", "worker": {"email": "below"}},
        {"worker": {"email": "below"}, "user": {"login": "other"}},
        {"user": {"user": "same key", "mail": "m@x"}},
        {"user": "a string", "worker": {"userName": "w"}},
        {"email": "  ", "data": {"username": " padded "}},
        {"target": {"login": "last parent"}, "n": 1},
        {"worker": "not an object", "employee": {"user_name": "e"}},
        {"n": 1},
    ],
)
def test_the_subject_is_the_first_person_key_along_the_searched_paths(event: Any) -> None:
    expected = next(
        (
            value.strip()[:80]
            for path in _paths(PERSON_KEYS)
            if isinstance(value := _read_along(event, path), str) and value.strip()
        ),
        "",
    )
    assert run_subject(event) == expected


def test_the_run_list_search_box_reads_the_input(runs: tuple[Run, Run]) -> None:
    _, leave = runs
    client = Client()
    client.force_login(admin_user())
    page = client.get("/admin/workflows/run/", {"q": "li.wei@acme.example"})
    assert [r.pk for r in page.context["cl"].result_list] == [leave.pk]


@pytest.mark.postgres
def test_on_postgres_the_input_search_uses_the_gin_index(runs: tuple[Run, Run]) -> None:
    query = Run.objects.filter(input_matches("jane.doe")).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "workflows_run_input_gin" in plan
