"""`manage.py run_workflow`: Run now and dry run from a shell, printing the run as JSON."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.support.connector_types import journal_lines
from tests.support.documents import four_step
from tests.support.factories import journal_connector, published

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> dict:
    out = StringIO()
    call_command("run_workflow", *args, stdout=out)
    return json.loads(out.getvalue())


def test_run_inline_prints_id_state_and_steps(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    published(four_step())
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"type": "HIRE", "user": "jane.doe"}))
    result = run("four-step", "--input", str(event), "--inline")
    assert result["state"] == "succeeded"
    assert [s["block"] for s in result["steps"]] == ["start", "is_joiner", "add_staff", "notify"]
    assert isinstance(result["id"], int)


def test_dry_run_shows_what_actions_would_do_and_sends_nothing(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    published(four_step())
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"type": "HIRE", "user": "jane.doe"}))
    result = run("four-step", "--input", str(event), "--inline", "--dry-run")
    assert result["dry_run"] is True
    outputs = {s["block"]: s["output"] for s in result["steps"]}
    assert outputs["add_staff"]["outcome"] == "would_change"
    assert journal_lines(tmp_path / "journal.jsonl") == []


def test_without_a_cluster_the_run_is_reported_queued(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    published(four_step())
    result = run("four-step")
    assert result["executions"][0]["state"] == "queued"


def test_bad_input_is_refused_clearly(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    published(four_step())
    with pytest.raises(CommandError, match="no workflow with slug 'nope'"):
        run("nope")
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")
    with pytest.raises(CommandError, match="must hold a JSON object, not list"):
        run("four-step", "--input", str(listing))
