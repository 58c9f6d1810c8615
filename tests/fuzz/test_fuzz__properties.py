"""Property-based (Hypothesis) intake of hostile JSON: deep, wide, NUL, lone surrogates (escaped
and as raw bytes), huge integers, NaN/Infinity, duplicate keys, broken bytes. Whatever arrives,
parse_json, the document check, a signed webhook delivery and `import_workflow` either accept it
or refuse it with a message naming the problem; never a 500, never a traceback."""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idconfluence.intake import IntakeError, parse_json
from tests.fuzz import contracts
from tests.fuzz.strategies import DOCUMENT_BYTES, JSON_BYTES, NESTED, SCALARS, plausible_document
from tests.triggers.conftest import WORKDAY_HIRES, Sender, sample, webhook_sender
from workflows.services.triggers import endpoint_path

FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
HTTP = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
IMPORTS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(JSON_BYTES)
def test_parse_json_accepts_storable_json_or_refuses_with_path_and_limit(body: bytes) -> None:
    contracts.intake(body)


@FAST
@given(DOCUMENT_BYTES)
def test_the_document_check_accepts_or_lists_each_problem(body: bytes) -> None:
    contracts.document(body)


def sign(secret: str, msg_id: str, body: bytes) -> dict[str, str]:
    """Standard Webhooks v1 signature over the raw bytes (the library's sign() needs text)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    stamp = str(int(datetime.now(UTC).timestamp()))
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }


@pytest.fixture
def plain(db: None, client: Client) -> Sender:
    return webhook_sender(client, slug="fuzz-plain")


@pytest.mark.django_db
def test_a_signed_delivery_of_any_bytes_is_202_or_a_4xx_naming_the_problem(
    plain: Sender,
) -> None:
    ids = itertools.count()

    @HTTP
    @given(JSON_BYTES)
    def deliver(body: bytes) -> None:
        msg_id = f"msg_{next(ids)}"
        response = plain.client.post(
            endpoint_path(plain.endpoint),
            data=body,
            content_type="application/json",
            headers=sign(plain.secret, msg_id, body),
            CONTENT_TYPE="application/json",  # the test client drops it for an empty body
        )
        answer: dict[str, Any] = response.json()  # always JSON, never a debug page
        try:
            expected: Any = parse_json(body)
        except IntakeError as exc:
            expected = exc
        if isinstance(expected, IntakeError) and expected.limit == "utf8":
            # The signature is checked on text first: refused 401, naming why.
            assert response.status_code == 401, answer
            assert "UTF-8" in answer["error"]
        elif isinstance(expected, IntakeError):
            assert response.status_code == 400, answer
            assert (answer["status"], answer["path"], answer["limit"]) == (
                "refused",
                expected.path,
                expected.limit,
            )
            assert answer["error"].startswith(expected.path + ": ")
        else:
            assert response.status_code in (202, 400), answer
            if response.status_code == 400:  # a value the trigger cannot take, said so
                assert answer["status"] == "refused" and answer["error"]
            else:
                assert answer["status"] == "accepted", answer

    deliver()


@pytest.mark.django_db
def test_import_workflow_imports_a_file_or_refuses_with_a_message(tmp_path: Path) -> None:
    files = itertools.count()

    @IMPORTS
    @given(DOCUMENT_BYTES)
    def import_file(body: bytes) -> None:
        path = tmp_path / f"doc-{next(files)}.json"
        path.write_bytes(body)
        checked = contracts.document(body)
        try:
            call_command("import_workflow", str(path), "--replace-draft", stdout=_Null())
        except CommandError as exc:
            assert str(exc).strip()
            assert isinstance(checked, Exception) or "edges" in str(exc) or "key" in str(exc), exc
        else:
            assert not isinstance(checked, Exception), checked

    import_file()


class _Null:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


HIRE_FIELDS = st.sampled_from([b'"eventType"', b'"eventId"', b'"worker"', b'"extra"'])


@pytest.fixture
def hires(db: None, client: Client) -> Sender:
    return webhook_sender(client, slug="fuzz-hires", **WORKDAY_HIRES)


@pytest.mark.django_db
def test_a_hostile_hire_through_filter_and_mapping_is_answered_not_raised(hires: Sender) -> None:
    """The trigger's CEL filter, idempotency key and mapping see fuzzed members of a real hire."""
    ids = itertools.count()
    statuses: collections.Counter[int] = collections.Counter()

    @HTTP
    @given(st.dictionaries(HIRE_FIELDS, st.one_of(SCALARS, NESTED), max_size=3))
    def deliver(members: dict[bytes, bytes]) -> None:
        # The fuzzed members replace the sample's (a repeated key would only be refused).
        kept = {
            k: v for k, v in sample("workday-hire").items() if json.dumps(k).encode() not in members
        }
        pieces = [json.dumps(k).encode() + b":" + json.dumps(v).encode() for k, v in kept.items()]
        body = b"{" + b",".join(pieces + [k + b":" + v for k, v in members.items()]) + b"}"
        response = hires.client.post(
            endpoint_path(hires.endpoint),
            data=body,
            content_type="application/json",
            headers=sign(hires.secret, f"msg_{next(ids)}", body),
        )
        answer = response.json()
        assert response.status_code in (200, 202, 400, 401), answer
        if response.status_code >= 400:
            assert answer["status"] == "refused" and answer["error"], answer
        statuses[response.status_code] += 1

    deliver()
    assert statuses[202] and statuses[400], statuses  # both outcomes were reached


@pytest.mark.django_db
def test_import_and_publish_publishes_or_names_each_refusal(tmp_path: Path) -> None:
    files = itertools.count()

    @IMPORTS
    @given(plausible_document())
    def publish(body: bytes) -> None:
        path = tmp_path / f"doc-{next(files)}.json"
        path.write_bytes(body)
        try:
            call_command("import_workflow", str(path), "--publish", stdout=_Null())
        except CommandError as exc:
            assert str(exc).strip()

    publish()
