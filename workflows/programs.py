"""Compiled programs per published version, cached per process: a version never changes, so its
graph is loaded and its expressions compiled once, not once per execution."""

from __future__ import annotations

from collections import OrderedDict

from workflows import documents
from workflows.engine.graph import Graph
from workflows.engine.program import Program, compile_graph
from workflows.models import WorkflowVersion

_CACHE_SIZE = 256
_cache: OrderedDict[tuple[int, str], Program] = OrderedDict()


def load_program(version: WorkflowVersion) -> Program:
    key = (version.pk, version.checksum)
    program = _cache.get(key)
    if program is not None and not version.is_draft:
        _cache.move_to_end(key)
        return program
    program = compile_graph(Graph.from_document(documents.version_document(version)))
    if not version.is_draft:
        _cache[key] = program
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return program
