"""`run_workflow --input FILE` reads the file through the JSON intake rule: a NUL or a NaN in the
input is a clear error naming the path, and no run is started."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.support.documents import four_step
from tests.support.factories import journal_connector, published
from workflows.models import Run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"user": "a\\u0000"}', r"\$\.user: a string holding NUL .*\(no_nul\)"),
        (b'{"n": NaN}', r"\$\.n: NaN is not a number JSON can store \(finite_numbers\)"),
        (
            b'{"d": ' + b"[" * 2000 + b"]" * 2000 + b"}",
            r"\$\.d\[0\].*: nested more than 64 .*\(max_depth=64\)",
        ),
    ],
    ids=["NUL", "NaN", "2,000 deep"],
)
def test_input_breaking_the_rule_is_refused_naming_the_path(
    tmp_path: Path, body: bytes, expected: str
) -> None:
    journal_connector(tmp_path)
    published(four_step())
    event = tmp_path / "event.json"
    event.write_bytes(body)
    with pytest.raises(CommandError, match=f"cannot be used as input: {expected}"):
        call_command("run_workflow", "four-step", "--input", str(event), stdout=StringIO())
    assert not Run.objects.exists()
