"""`load_demo` and `send_sample` without servers: a second load queues no demo run; `--targets`
wires the connectors to the demo targets, installs the templates and gives each webhook a secret
(and refuses without the demo token); `send_sample --curl` prints a request whose signature the
product's own check accepts; every refusal names what is wrong."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connectors.models import Connector
from workflows.models import Run, Workflow
from workflows.models_triggers import WebhookEndpoint
from workflows.services.triggers import endpoint_path, endpoint_secrets
from workflows.triggers.auth import authenticate

pytestmark = pytest.mark.django_db
PUBLISHED_WITHOUT_LDAP = {"joiner", "mover", "quarterly-access-review", "role-grant-approval"}


def command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDC_DEMO_SCIM_TOKEN", "demo-token-123")
    monkeypatch.setenv("IDC_DEMO_SCIM_PORT", "18030")
    monkeypatch.setenv("IDC_DEMO_SMTP_PORT", "18025")


def test_a_second_load_queues_no_second_demo_run() -> None:
    assert "demo run" in command("load_demo")
    assert "demo run" not in command("load_demo")
    assert Run.objects.count() == 1


def test_targets_need_the_demo_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IDC_DEMO_SCIM_TOKEN", raising=False)
    with pytest.raises(CommandError, match="IDC_DEMO_SCIM_TOKEN"):
        command("load_demo", "--no-run", "--targets")


@pytest.mark.usefixtures("demo_env")
def test_targets_wire_the_connectors_install_the_templates_and_give_secrets() -> None:
    command("load_demo", "--no-run", "--targets")
    scim = Connector.objects.get(name="scim-directory")
    assert scim.config["base_url"] == "http://127.0.0.1:18030/v2"
    assert scim.get_secrets() == {"token": "demo-token-123"}
    assert Connector.objects.get(name="mail").config["port"] == 18025
    published = set(
        Workflow.objects.filter(versions__state="published").values_list("slug", flat=True)
    )
    assert published - {"joiner-standard-access"} == PUBLISHED_WITHOUT_LDAP
    assert all(e.has_secret for e in WebhookEndpoint.objects.filter(active=True))
    before = list(WebhookEndpoint.objects.values_list("pk", "secret_encrypted"))
    command("load_demo", "--no-run", "--targets")  # again: the secrets are kept
    assert list(WebhookEndpoint.objects.values_list("pk", "secret_encrypted")) == before


@pytest.mark.usefixtures("demo_env")
def test_the_printed_curl_line_carries_a_signature_the_product_accepts() -> None:
    command("load_demo", "--no-run", "--targets")
    words = shlex.split(command("send_sample", "joiner", "--curl", "--url", "http://demo:1"))
    endpoint = WebhookEndpoint.objects.get(workflow__slug="joiner")
    assert words[:5] == ["curl", "-sS", "-X", "POST", f"http://demo:1{endpoint_path(endpoint)}"]
    pairs = [words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H"]
    headers = {name.lower(): value for name, value in pairs}
    body = words[words.index("--data-binary") + 1]
    msg_id = authenticate(
        auth={"mode": "standard"},
        secrets=endpoint_secrets(endpoint, datetime.now(UTC)),
        headers=headers,
        body=body.encode(),
    )
    assert msg_id == headers["webhook-id"]
    assert json.loads(body)["eventId"] != "7f3c9a52-1d4e-4f0b-9b6e-2c5e8d1a4f10"  # a new event
    same = shlex.split(command("send_sample", "joiner", "--curl", "--same-id"))
    assert json.loads(same[-1])["eventId"] == "7f3c9a52-1d4e-4f0b-9b6e-2c5e8d1a4f10"


@pytest.mark.usefixtures("demo_env")
def test_a_header_secret_template_sends_its_secret_in_that_header() -> None:
    command("load_demo", "--no-run", "--targets")
    words = shlex.split(command("send_sample", "mover", "--curl"))
    [secret] = endpoint_secrets(
        WebhookEndpoint.objects.get(workflow__slug="mover"), datetime.now(UTC)
    )
    assert f"X-Hook-Secret: {secret}" in words


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no template named 'nope'; webhook templates: contractor-expiry, joiner"),
        (["quarterly-access-review"], "starts on a schedule, not a webhook"),
        (["leaver"], "'leaver' has no active webhook: install and publish it first"),
        (["joiner", "--workflow", "other"], "'other' has no active webhook"),
    ],
)
def test_send_sample_refusals_say_what_is_wrong(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as refused:
        command("send_sample", *args)
    assert message in str(refused.value)


def test_send_sample_without_a_secret_says_how_to_make_one() -> None:
    Connector.objects.create(
        name="scim-directory", type="scim", config={"base_url": "http://127.0.0.1:9/v2"}
    )
    assert "published" in command("install_templates", "joiner", "--publish")
    with pytest.raises(CommandError, match=r"no secret yet: manage\.py webhook_secret joiner"):
        command("send_sample", "joiner")
