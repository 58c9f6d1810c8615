"""`import_workflow` reads files through the JSON intake rule: NaN, 1e400, 2,000 deep, NUL, a lone
surrogate, a duplicate key or invalid UTF-8 is a validation error naming the path, never a
traceback, and nothing is imported; `workflow_import` applies the same rule to a document given
as a value."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.support.documents import four_step
from workflows.documents import DocumentError
from workflows.models import Workflow, WorkflowVersion
from workflows.services.versions import workflow_import

pytestmark = pytest.mark.django_db
MARK = '"@@bad@@"'


def with_bad_value(value: str) -> bytes:
    document = four_step()
    document["blocks"][0]["config"]["x"] = "@@bad@@"
    return json.dumps(document).replace(MARK, value).encode()


BAD = [
    ("NaN", with_bad_value("NaN"), "$.blocks[0].config.x", "finite_numbers"),
    ("1e400", with_bad_value("1e400"), "$.blocks[0].config.x", "finite_numbers"),
    ("2,000 deep", with_bad_value("[" * 2000 + "]" * 2000), "$.blocks[0].config.x", "max_depth=64"),
    ("NUL", with_bad_value('"a\\u0000"'), "$.blocks[0].config.x", "no_nul"),
    ("lone surrogate", with_bad_value('"\\ud800"'), "$.blocks[0].config.x", "no_lone_surrogates"),
    ("400 digits", with_bad_value("7" * 400), "$.blocks[0].config.x", "max_int_digits=30"),
    ("duplicate key", with_bad_value('1, "x": 2'), "$.blocks[0].config.x", "unique_keys"),
    ("invalid UTF-8", with_bad_value('"@@ff@@"').replace(b"@@ff@@", b"\xff"), "$", "utf8"),
]


@pytest.mark.parametrize(("body", "path", "limit"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_a_file_the_intake_rule_refuses_is_a_validation_error_and_imports_nothing(
    tmp_path: Path, body: bytes, path: str, limit: str
) -> None:
    file = tmp_path / "bad.json"
    file.write_bytes(body)
    with pytest.raises(CommandError) as caught:
        call_command("import_workflow", str(file), "--publish", stdout=StringIO())
    message = str(caught.value)
    assert message.startswith(f"{file} cannot be imported: ")
    if limit == "max_depth=64":
        assert path in message
    else:
        assert f"{path}: " in message
    assert f"({limit})" in message
    assert not Workflow.objects.exists()
    assert not WorkflowVersion.objects.exists()


def test_a_document_value_breaking_the_rule_is_refused_naming_the_path() -> None:
    document = four_step()
    document["blocks"][1]["config"]["weight"] = float("nan")
    with pytest.raises(DocumentError) as caught:
        workflow_import(document=document, actor=None)
    assert caught.value.errors == [
        "$.blocks[1].config.weight: nan is not a number JSON can store (finite_numbers)"
    ]
    assert not Workflow.objects.exists()


def test_a_good_file_still_imports(tmp_path: Path) -> None:
    file = tmp_path / "good.json"
    file.write_bytes(json.dumps(four_step(), ensure_ascii=False).encode())
    out = StringIO()
    call_command("import_workflow", str(file), stdout=out)
    assert out.getvalue().strip() == "four-step v1 draft"
