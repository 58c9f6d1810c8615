"""Block types by (kind, type name): the one place that says which blocks exist."""

from __future__ import annotations

from workflows.engine.blocks.action import ACTION_OPERATIONS, Action, ConnectorCall
from workflows.engine.blocks.base import BlockType
from workflows.engine.blocks.human_input import Approval
from workflows.engine.blocks.logic import Condition, NoOp, SetValues, StopForReview, Switch
from workflows.engine.blocks.trigger import ManualTrigger, ScheduleTrigger, WebhookTrigger
from workflows.engine.errors import GraphError

KINDS = ("trigger", "action", "logic", "integration", "human_input")

_REGISTRY: dict[tuple[str, str], BlockType] = {}


def register(block_type: BlockType) -> BlockType:
    if block_type.kind not in KINDS:
        raise ValueError(f"unknown block kind {block_type.kind!r}")
    _REGISTRY[(block_type.kind, block_type.name)] = block_type
    return block_type


def get(kind: str, name: str) -> BlockType:
    try:
        return _REGISTRY[(kind, name)]
    except KeyError:
        raise GraphError(f"unknown block type {kind}/{name}") from None


def all_types() -> dict[tuple[str, str], BlockType]:
    return dict(_REGISTRY)


for _type in (
    ManualTrigger(),
    ScheduleTrigger(),
    WebhookTrigger(),
    Condition(),
    Switch(),
    SetValues(),
    NoOp(),
    StopForReview(),
    ConnectorCall(),
    Approval(),
    *(Action(op) for op in ACTION_OPERATIONS),
):
    register(_type)
