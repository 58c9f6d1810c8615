"""Fixtures the fault tests share: a real qcluster against the test database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cluster import Process, start_cluster


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Process]:
    process = start_cluster(tmp_path)
    yield process
    process.stop()
