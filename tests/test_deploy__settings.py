"""Production settings pass `check --deploy`; without DEBUG the settings refuse to start unsafe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "IDC_"))}
    base.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "idconfluence.settings", "IDC_DOTENV": "", **env},
        check=False,
    )


PRODUCTION = {
    "DJANGO_SECRET_KEY": "k9$-" + "Zq7vXw2pL0mN4bR8tY1uI5oP3aS6dF9gH2jK7lQ0wE4rT8yU",
    "DJANGO_ALLOWED_HOSTS": "idc.acme.example",
    "IDC_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DJANGO_DEBUG": "0",
}


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "IDC_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_secrets(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_DEBUG is off" in result.stderr
