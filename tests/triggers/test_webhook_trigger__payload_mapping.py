"""The webhook trigger without a database: filter, idempotency key and mapping over the sample HR
payloads, and the workflow templates that ship with those samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workflows import documents
from workflows.engine import blocks
from workflows.engine.blocks.trigger import WebhookTrigger
from workflows.engine.errors import ExpressionError
from workflows.engine.graph import Graph

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
LIBRARY = Path(__file__).resolve().parents[2] / "workflows" / "library"
WEBHOOK: WebhookTrigger = blocks.get("trigger", "webhook")  # type: ignore[assignment]
HIRES_ONLY = {
    "filter": "payload.eventType == 'HIRE'",
    "idempotency_key": "payload.eventId",
    "mapping": {
        "user": "=payload.worker.userName",
        "department": "=payload.worker.organization.name",
        "manager": "=payload.worker.manager.email",
        "greeting": "Welcome {{ payload.worker.legalName.first }}",
    },
}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def receive(config: dict[str, Any], payload: Any) -> Any:
    return WEBHOOK.receive(WEBHOOK.compile(config), payload)


def test_a_workday_hire_is_mapped_into_the_event_and_keyed_by_its_event_id() -> None:
    received = receive(HIRES_ONLY, sample("workday-hire"))
    assert received.event == {
        "user": "jane.doe",
        "department": "Finance",
        "manager": "raj.patel@acme.example",
        "greeting": "Welcome Jane",
    }
    assert received.key == "7f3c9a52-1d4e-4f0b-9b6e-2c5e8d1a4f10"


def test_the_filter_turns_other_events_away() -> None:
    assert receive(HIRES_ONLY, sample("workday-termination")).event is None


def test_without_a_mapping_the_payload_is_the_event() -> None:
    assert receive({}, sample("sap-role-change")).event == sample("sap-role-change")
    with pytest.raises(ExpressionError, match="not a JSON object"):
        receive({}, [1, 2])


def test_a_payload_missing_a_mapped_field_is_an_error_naming_the_field() -> None:
    with pytest.raises(ExpressionError, match="mapping"):
        receive(HIRES_ONLY, {"eventType": "HIRE", "eventId": "x"})


def test_a_filter_must_answer_true_or_false() -> None:
    with pytest.raises(ExpressionError, match="not true or false"):
        receive({"filter": "payload.eventType"}, sample("workday-hire"))


def test_publish_checks_the_mapping_against_the_sample() -> None:
    config = {**HIRES_ONLY, "sample": sample("workday-termination")}
    errors = WEBHOOK.config_errors(config)
    assert errors == ["config sample: the filter turns the sample payload away"]
    config = {"mapping": {"user": "=payload.nobody.name"}, "sample": sample("workday-hire")}
    assert "cannot read its own sample" in WEBHOOK.config_errors(config)[0]
    assert WEBHOOK.config_errors({"auth": {"mode": "header"}}) == [
        "config auth: mode 'header' needs the header's name"
    ]


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.json")), ids=lambda p: p.stem)
def test_library_templates_are_valid_documents_whose_triggers_read_their_samples(
    path: Path,
) -> None:
    document = documents.check(json.loads(path.read_text()))
    trigger = Graph.from_document(document).trigger()
    assert blocks.get("trigger", trigger.type).config_errors(trigger.config) == []
    if trigger.type == "webhook":
        assert receive(dict(trigger.config), trigger.config["sample"]).event


def test_the_samples_ship_with_the_templates() -> None:
    for path in SAMPLES.glob("*.json"):
        assert (LIBRARY / "samples" / path.name).read_text() == path.read_text()
