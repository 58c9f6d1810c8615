"""Who sees which console page, from ONE table: for each role (and a staff user with no rights,
and an anonymous visitor), each admin page of an object they own (were given) or not, the
status they get. 404 means "not yours, and we do not say it exists"; 403 means "you may see it,
not do this"; 302 is the sign-in page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.access.conftest import World, signed_in

pytestmark = pytest.mark.django_db

# page                      object   compliance operator approver auditor nobody anonymous
MATRIX = """
workflow list               -        200        200      403      200     403    302
workflow page               mine     200        200      404      200     404    302
workflow page               theirs   404        200      404      200     404    302
workflow sharing            mine     200        403      404      403     404    302
workflow sharing            theirs   404        403      404      403     404    302
run now                     mine     200        403      404      403     404    302
run now                     theirs   404        403      404      403     404    302
version page                mine     200        200      404      200     404    302
version page                theirs   404        200      404      200     404    302
publish review              mine     200        403      404      403     404    302
publish review              theirs   404        403      404      403     404    302
connector list              -        200        200      403      200     403    302
connector page              mine     200        200      404      200     404    302
connector page              theirs   404        200      404      200     404    302
connector sharing           mine     200        403      404      403     404    302
run page                    mine     200        200      404      200     404    302
run page                    theirs   404        200      404      200     404    302
execution page              mine     200        200      404      200     404    302
review queue                -        200        200      403      200     403    302
audit log                   -        403        403      403      200     403    302
audit export csv            -        403        403      403      200     403    302
approval tasks              -        200        200      200      200     200    302
"""
ROLES = ("compliance", "operator", "approver", "auditor", "nobody", "anonymous")

Url = Callable[[World, str], str]


def _pick(w: World, owned: str, name: str) -> Any:
    return getattr(w, f"{'my' if owned == 'mine' else 'their'}_{name}")


PAGES: dict[str, Url] = {
    "workflow list": lambda w, o: "/admin/workflows/workflow/",
    "workflow page": lambda w, o: f"/admin/workflows/workflow/{_workflow(w, o).pk}/change/",
    "workflow sharing": lambda w, o: f"/admin/workflows/workflow/{_workflow(w, o).pk}/permissions/",
    "run now": lambda w, o: f"/admin/workflows/workflow/{_workflow(w, o).pk}/run/",
    "version page": lambda w,
    o: f"/admin/workflows/workflowversion/{_pick(w, o, 'draft').pk}/change/",
    "publish review": lambda w,
    o: f"/admin/workflows/workflowversion/{_pick(w, o, 'draft').pk}/publish/",
    "connector list": lambda w, o: "/admin/connectors/connector/",
    "connector page": lambda w,
    o: f"/admin/connectors/connector/{_pick(w, o, 'connector').pk}/change/",
    "connector sharing": lambda w,
    o: f"/admin/connectors/connector/{_pick(w, o, 'connector').pk}/permissions/",
    "run page": lambda w, o: f"/admin/workflows/run/{_pick(w, o, 'run').pk}/change/",
    "execution page": lambda w,
    o: f"/admin/workflows/execution/{_pick(w, o, 'run').executions.get().pk}/change/",
    "review queue": lambda w, o: "/admin/workflows/parkedexecution/",
    "audit log": lambda w, o: "/admin/audit/auditevent/",
    "audit export csv": lambda w, o: "/admin/audit/auditevent/export/csv/",
    "approval tasks": lambda w, o: "/admin/approvals/approvaltask/",
}


def _workflow(w: World, owned: str) -> Any:
    return w.mine if owned == "mine" else w.theirs


def _rows() -> list[Any]:
    rows = []
    for line in MATRIX.strip().splitlines():
        *words, obj = line.split()[: -len(ROLES)]
        statuses = line.split()[-len(ROLES) :]
        page = " ".join(words)
        assert page in PAGES, page
        for role, status in zip(ROLES, statuses, strict=True):
            rows.append(pytest.param(page, obj, role, int(status), id=f"{page}-{obj}-{role}"))
    return rows


@pytest.mark.parametrize("page, owned, role, expected", _rows())
def test_status(world: World, page: str, owned: str, role: str, expected: int) -> None:
    client = Client() if role == "anonymous" else signed_in(world.people[role])
    url = PAGES[page](world, owned)
    response = client.get(url)
    assert response.status_code == expected, f"{role} GET {url}"
    if expected == 302:
        assert "/admin/login/" in response["Location"]


def test_lists_show_only_what_the_person_may_see(world: World) -> None:
    """The compliance manager's lists hold their own objects only; the operator's hold all."""
    mine = signed_in(world.people["compliance"])
    workflows = mine.get("/admin/workflows/workflow/").context["cl"].result_list
    assert [w.slug for w in workflows] == ["my-joiner"]
    connectors = mine.get("/admin/connectors/connector/").context["cl"].result_list
    assert [c.name for c in connectors] == ["my-directory"]
    runs = mine.get("/admin/workflows/run/").context["cl"].result_list
    assert [r.pk for r in runs] == [world.my_run.pk]

    operator = signed_in(world.people["operator"])
    workflows = operator.get("/admin/workflows/workflow/").context["cl"].result_list
    assert sorted(w.slug for w in workflows) == ["my-joiner", "their-joiner"]
