"""Two editors save the same revision at the same moment (PostgreSQL, one connection per
thread): exactly one save wins, the other is refused 409 naming the winner; no mixed draft;
and two first opens of a new workflow make one draft, not two (or an IntegrityError)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from workflows.models import Block, Workflow
from workflows.status import VersionState

from .conftest import API, EDITOR_PERMS, client_for, person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.parametrize("attempt", range(5))
def test_of_two_saves_of_one_revision_exactly_one_wins(joiner: Workflow, attempt: int) -> None:
    names = [f"ed{attempt}{n}" for n in (1, 2)]
    editors = [client_for(person(name, *EDITOR_PERMS, workflow=joiner)) for name in names]
    url = f"{API}workflows/{joiner.pk}/draft/"
    opened = editors[0].get(url).json()

    def save(client: Any, label: str) -> Any:
        document = {**opened["document"], "blocks": [dict(b) for b in opened["document"]["blocks"]]}
        for block in document["blocks"]:
            block["label"] = label
        return client.put(url, {"revision": opened["revision"], "document": document})

    answers = at_once([lambda: save(editors[0], "first"), lambda: save(editors[1], "second")])
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = "first" if answers[0].status_code == 200 else "second"
    loser = answers[1] if winner == "first" else answers[0]
    assert loser.json()["saved_by"] == (names[0] if winner == "first" else names[1])
    labels = set(
        Block.objects.filter(version__workflow=joiner, version__state="draft").values_list(
            "label", flat=True
        )
    )
    assert labels == {winner}


def test_two_first_opens_make_one_draft() -> None:
    workflow = Workflow.objects.create(slug="fresh", name="Fresh")
    clients = [client_for(person(f"op{n}", *EDITOR_PERMS, workflow=workflow)) for n in (1, 2)]
    url = f"{API}workflows/{workflow.pk}/draft/"
    answers = at_once([lambda c=c: c.get(url) for c in clients])  # type: ignore[misc]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["revision"] == answers[1].json()["revision"]
    assert workflow.versions.filter(state=VersionState.DRAFT).count() == 1
