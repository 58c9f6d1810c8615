"""Every page carries the Content-Security-Policy: the admin's pages we ship and the hooks'
answers. No template has an inline script, style or event handler the policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "object-src 'none'",
    "base-uri 'none'",
}
TEMPLATE_DIRS = [*ROOT.glob("*/templates"), *ROOT.glob("*/*/templates")]  # each app carries its own
INLINE = [
    ("inline <script>", re.compile(r"<script\b(?![^>]*\b(?:src|nonce)=)[^>]*>", re.I)),
    ("inline <style>", re.compile(r"<style\b(?![^>]*\bnonce=)[^>]*>", re.I)),
    ("style attribute", re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)),
    ("event handler attribute", re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)),
    ("javascript: URL", re.compile(r"javascript:", re.I)),
]


def policy_of(response: object) -> set[str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {directive.strip() for directive in header.split(";") if directive.strip()}


@pytest.fixture
def operator(db: None) -> Client:
    user = User.objects.create_superuser("csp-operator", "op@example.test", "pw-not-used")
    client = Client()
    client.force_login(user)
    return client


def test_every_admin_page_we_ship_carries_the_policy(operator: Client) -> None:
    pages = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        pages.append(reverse("admin:app_list", args=[meta.app_label]))
    answered = 0
    for page in sorted(set(pages)):
        response = operator.get(page)
        assert response.status_code in (200, 403), (page, response.status_code)
        assert policy_of(response) >= POLICY, page
        answered += response.status_code == 200
    assert answered > 10
    assert policy_of(Client().get(reverse("admin:login"))) >= POLICY


def test_the_audit_console_loads_its_time_zone_script_from_static(operator: Client) -> None:
    content = operator.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert '<script src="/static/audit/timezone.js"></script>' in content
    assert (ROOT / "audit" / "static" / "audit" / "timezone.js").is_file()


@pytest.mark.django_db
def test_the_hooks_answers_carry_the_policy() -> None:
    client = Client()
    hook = client.post("/hooks/no-such-token/", data=b"{}", content_type="application/json")
    resume = client.post("/hooks/resume/no-such-token/")
    for response in (hook, resume, client.get("/hooks/no-such-token/")):
        assert policy_of(response) >= POLICY


def test_no_template_has_inline_code_the_policy_would_block() -> None:
    templates = [path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html")]
    assert len(templates) >= 6  # the admin overrides are found
    found = [
        f"{path.relative_to(ROOT)}: {what}: {match.group(0)[:60]}"
        for path in templates
        for what, pattern in INLINE
        for match in pattern.finditer(path.read_text())
    ]
    assert found == []
