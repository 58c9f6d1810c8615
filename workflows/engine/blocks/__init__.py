"""Block types, one small module per kind, registered by (kind, name)."""

from workflows.engine.blocks.base import CALL, PURE, WAIT, BlockType, Call, Wait
from workflows.engine.blocks.registry import KINDS, all_types, get, register

__all__ = [
    "CALL",
    "KINDS",
    "PURE",
    "WAIT",
    "BlockType",
    "Call",
    "Wait",
    "all_types",
    "get",
    "register",
]
