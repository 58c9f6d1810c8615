"""A REST target that applies a POST and then answers 502 (a gateway losing the answer): the
change happens once. With a state check the connector reads the target back and reports the
change as reconciled; without one it answers UNKNOWN; a later reconciling call adds nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug import Request, Response

from connectors.base import Outcome
from connectors.types.rest import RestConnector

pytestmark = pytest.mark.servers
ADD = {"user": "u1", "group": "g1"}
KEY = "idc-42-add_staff"


@dataclass
class Target:
    """A group API: POST adds a member; `answer` decides each POST's reply (and whether the
    change is applied); a repeated Idempotency-Key is answered without applying again."""

    answers: list[tuple[bool, int]] = field(default_factory=list)  # (apply?, status) per POST
    members: list[str] = field(default_factory=list)
    posts: list[Request] = field(default_factory=list)
    seen_keys: set[str] = field(default_factory=set)

    def post(self, request: Request) -> Response:
        self.posts.append(request)
        key = request.headers.get("Idempotency-Key")
        if key and key in self.seen_keys:
            return Response(json.dumps({"replayed": True}), 201, content_type="application/json")
        apply, status = self.answers.pop(0) if self.answers else (True, 201)
        if apply:
            self.members.append(json.loads(request.data)["user"])
            if key:
                self.seen_keys.add(key)
        return Response(json.dumps({"ok": status < 300}), status, content_type="application/json")

    def groups(self, request: Request) -> Response:
        body = [{"id": "g1"}] if "u1" in self.members else []
        return Response(json.dumps(body), 200, content_type="application/json")


@pytest.fixture
def target(http_server: Any) -> Target:
    state = Target()
    http_server.expect_request("/groups/g1/members", "POST").respond_with_handler(state.post)
    http_server.expect_request("/users/u1/groups", "GET").respond_with_handler(state.groups)
    return state


def rest(http_server: Any, *, check: bool, **config: Any) -> RestConnector:
    spec: dict[str, Any] = {
        "method": "POST",
        "path": "/groups/{{ group }}/members",
        "json": {"user": "{{ user }}"},
        "success": [201],
    }
    if check:
        spec["check"] = {
            "method": "GET",
            "path": "/users/{{ user }}/groups",
            "present_value": "{{ group }}",
        }
    return RestConnector(
        name="rest",
        config={
            "base_url": http_server.url_for(""),
            "operations": {"add_group_member": spec},
            **config,
        },
        secrets={},
    )


def test_with_a_state_check_the_502_is_reconciled_by_reading_back(
    http_server: Any, target: Target
) -> None:
    target.answers = [(True, 502)]
    connector = rest(http_server, check=True)

    result = connector.call("add_group_member", ADD, timeout=3, idempotency_key=KEY)

    assert result.outcome == Outcome.CHANGED, result.message
    assert result.data["reconciled"] is True
    assert "reconciled: may have been applied: " in result.message
    assert "HTTP 502" in result.message and "the change is there" in result.message
    assert target.members == ["u1"] and len(target.posts) == 1

    again = connector.call("add_group_member", ADD, timeout=3, idempotency_key=KEY, reconcile=True)

    assert again.outcome == Outcome.CHANGED, again.message
    assert again.data["reconciled"] is True
    assert target.members == ["u1"] and len(target.posts) == 1  # nothing more applied


def test_without_a_state_check_the_502_is_unknown_and_never_resent(
    http_server: Any, target: Target
) -> None:
    target.answers = [(True, 502)]

    result = rest(http_server, check=False).call("add_group_member", ADD, timeout=3)

    assert result.outcome == Outcome.UNKNOWN
    assert result.message.startswith("may have been applied: add_group_member")
    assert "HTTP 502" in result.message
    assert target.members == ["u1"] and len(target.posts) == 1


def test_reconciling_without_a_check_resends_under_the_same_idempotency_key(
    http_server: Any, target: Target
) -> None:
    target.answers = [(True, 502)]
    connector = rest(http_server, check=False, idempotency_header="Idempotency-Key")

    first = connector.call("add_group_member", ADD, timeout=3, idempotency_key=KEY)
    again = connector.call("add_group_member", ADD, timeout=3, idempotency_key=KEY, reconcile=True)

    assert first.outcome == Outcome.UNKNOWN
    assert again.outcome == Outcome.CHANGED, again.message
    assert "not reconciled: no state check configured" in again.message
    assert [r.headers["Idempotency-Key"] for r in target.posts] == [KEY, KEY]
    assert target.members == ["u1"]  # the target recognised the repeat


def test_no_idempotency_header_unless_configured(http_server: Any, target: Target) -> None:
    rest(http_server, check=False).call("add_group_member", ADD, timeout=3, idempotency_key=KEY)

    assert "Idempotency-Key" not in target.posts[0].headers


def test_a_change_missing_on_read_back_is_applied_once_more(
    http_server: Any, target: Target
) -> None:
    target.answers = [(False, 502), (True, 201)]  # the first POST never reached the backend

    result = rest(http_server, check=True).call("add_group_member", ADD, timeout=3)

    assert result.outcome == Outcome.CHANGED, result.message
    assert result.data["reconciled"] is True
    assert "not there, applied again" in result.message
    assert result.attempts == 2
    assert target.members == ["u1"] and len(target.posts) == 2


def test_applied_again_only_once_then_unknown(http_server: Any, target: Target) -> None:
    target.answers = [(False, 502), (False, 502), (False, 502)]

    result = rest(http_server, check=True).call("add_group_member", ADD, timeout=3)

    assert result.outcome == Outcome.UNKNOWN
    assert "applied again once" in result.message
    assert len(target.posts) == 2
