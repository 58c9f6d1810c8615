"""The wheel installs and runs without the source tree: built from a copy of the project,
installed into a fresh venv, it passes `check --deploy`, migrates a private PostgreSQL database,
loads the demo from its package data and performs one demo run, from a directory outside the
source, and its templates, schema and static files are found where it was installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", ".venv", "db.sqlite3*", ".env",
    "staticfiles", "bench", ".mypy_cache", ".ruff_cache", ".hypothesis",
)  # fmt: skip

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def private_database() -> Iterator[str]:
    """A database of its own on the suite's PostgreSQL server, dropped afterwards."""
    settings = connection.settings_dict
    server = (
        f"postgresql://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}"
    )
    name = f"idc_wheel_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_wheel_checks_migrates_and_runs_the_demo_alone(
    tmp_path: Path, private_database: str
) -> None:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            ".",
        ],
        source,
    )
    (wheel,) = (tmp_path / "dist").glob("idconfluence-*.whl")
    shutil.rmtree(source)  # nothing of the source tree is left to fall back on

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "IDC_", "PYTHON", "VIRTUAL_ENV")) and k != "DATABASE_URL"
    }
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "idconfluence.settings",
        "DJANGO_SECRET_KEY": "wheel-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "DJANGO_ALLOWED_HOSTS": "idc.acme.example",
        "IDC_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "IDC_DOTENV": "",
        "DATABASE_URL": private_database,
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    idc = str(venv / "bin" / "idconfluence")

    where = run(
        [str(venv / "bin" / "python"), "-c", "import workflows; print(workflows.__file__)"],
        elsewhere,
        env,
    )
    package = Path(where.strip()).parent
    assert package.is_relative_to(venv), package

    assert "no issues" in run([idc, "check", "--deploy", "--fail-level", "WARNING"], elsewhere, env)
    run([idc, "migrate", "--noinput"], elsewhere, env)
    run([idc, "load_demo", "--no-run"], elsewhere, env)
    sample = package / "demo" / "samples" / "workday-hire.json"
    summary = json.loads(
        run(
            [idc, "run_workflow", "joiner-standard-access", "--inline", "--input", str(sample)],
            elsewhere,
            env,
        )
    )
    assert summary["state"] == "succeeded", summary
    installed = run([idc, "install_templates"], elsewhere, env)  # the library is in the wheel
    assert "joiner -> joiner: draft" in installed and "mover -> mover: draft" in installed

    run([idc, "collectstatic", "--noinput"], elsewhere, env)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    assert "audit/timezone.js" in manifest["paths"]
    templates = (
        "workflows/admin/run_now.html",
        "admin/audit/auditevent/change_list.html",
        "admin/jobs/progress.html",
    )
    script = (
        "from django.template.loader import get_template; "
        f"print([get_template(n).origin.name for n in {templates!r}])"
    )
    origins = run([idc, "shell", "-c", script], elsewhere, env)
    assert origins.count(str(venv)) == len(templates), origins
