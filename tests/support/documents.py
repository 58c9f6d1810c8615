"""Workflow documents declared in tests, in the same format import/export use."""

from __future__ import annotations

from typing import Any


def block(key: str, kind: str, type_: str, **config: Any) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "type": type_,
        "label": key.replace("_", " "),
        "config": config,
        "position": {"x": 0, "y": 0},
    }


def edge(source: str, target: str, outcome: str = "next") -> dict[str, Any]:
    return {"from": source, "to": target, "outcome": outcome}


def document(
    slug: str, blocks: list[dict[str, Any]], edges: list[dict[str, Any]], name: str = ""
) -> dict[str, Any]:
    return {
        "format": "idconfluence.workflow/v1",
        "workflow": {
            "slug": slug,
            "name": name or slug.replace("-", " ").title(),
            "description": "",
        },
        "blocks": blocks,
        "edges": edges,
    }


def grant_by_department(slug: str = "finance-joiner", connector: str = "journal") -> dict[str, Any]:
    """Trigger -> condition on department -> two actions (4 blocks; a Finance joiner takes 3)."""
    return document(
        slug,
        [
            block("start", "trigger", "manual"),
            block("is_finance", "logic", "condition", expression="event.department == 'Finance'"),
            block(
                "grant_finance",
                "action",
                "add_group_member",
                connector=connector,
                args={"user": "=event.user", "group": "Finance-Analysts"},
            ),
            block(
                "grant_default",
                "action",
                "add_group_member",
                connector=connector,
                args={"user": "=event.user", "group": "Staff"},
            ),
        ],
        [
            edge("start", "is_finance"),
            edge("is_finance", "grant_finance", "true"),
            edge("is_finance", "grant_default", "false"),
        ],
    )


def four_step(slug: str = "four-step", connector: str = "journal") -> dict[str, Any]:
    """Trigger -> condition -> action -> action: a run walks all four blocks."""
    return document(
        slug,
        [
            block("start", "trigger", "manual"),
            block("is_joiner", "logic", "condition", expression="event.type == 'HIRE'"),
            block(
                "add_staff",
                "action",
                "add_group_member",
                connector=connector,
                args={"user": "=event.user", "group": "Staff"},
            ),
            block(
                "notify",
                "action",
                "notify",
                connector=connector,
                args={
                    "to": "it@acme.example",
                    "subject": "Joiner {{ event.user }}",
                    "body": "Added {{ event.user }} to Staff",
                },
            ),
            block("skip", "logic", "noop"),
        ],
        [
            edge("start", "is_joiner"),
            edge("is_joiner", "add_staff", "true"),
            edge("is_joiner", "skip", "false"),
            edge("add_staff", "notify"),
        ],
    )


def ticket_sign_off(slug: str = "ticket-sign-off") -> dict[str, Any]:
    """Manual trigger -> an approval waiting for a callback (or a person) -> one no-op per
    outcome: a run started with it waits at `sign_off`."""
    return document(
        slug,
        [
            block("start", "trigger", "manual"),
            block("sign_off", "human_input", "approval", assignee="itsm", title="Ticket"),
            *(block(name, "logic", "noop") for name in ("granted", "refused", "expired")),
        ],
        [
            edge("start", "sign_off"),
            edge("sign_off", "granted", "approved"),
            edge("sign_off", "refused", "rejected"),
            edge("sign_off", "expired", "timeout"),
        ],
    )
