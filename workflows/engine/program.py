"""A version compiled for running: the graph plus each block's compiled config, built once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from workflows.engine import blocks
from workflows.engine.blocks import BlockType
from workflows.engine.graph import Block, Graph


@dataclass(frozen=True)
class Program:
    graph: Graph
    types: Mapping[str, BlockType]
    configs: Mapping[str, Mapping[str, Any]]

    def block(self, key: str) -> Block:
        return self.graph.block(key)


def compile_graph(graph: Graph) -> Program:
    """Compile every block's expressions; raises EngineError for a graph that never validated."""
    types = {key: blocks.get(b.kind, b.type) for key, b in graph.blocks.items()}
    configs = {key: types[key].compile(b.config) for key, b in graph.blocks.items()}
    return Program(graph, MappingProxyType(types), MappingProxyType(configs))


def program_connectors(program: Program) -> list[tuple[str, str]]:
    """Every (connector, operation) the program's blocks may call."""
    return [
        ref
        for key, block in program.graph.blocks.items()
        for ref in program.types[key].connector_refs(block.config)
    ]
