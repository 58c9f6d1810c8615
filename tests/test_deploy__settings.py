"""Production settings pass `check --deploy`; without DEBUG the settings refuse to start unsafe."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
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


EVERYTHING = {  # what deploy/systemd/idconfluence.env.example and the web unit set
    **PRODUCTION,
    "DATABASE_URL": "postgresql://idc:pw@db.internal:5432/idc",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "DB_POOL_MAX_SIZE": "8",
    "DB_POOL_TIMEOUT": "5",
    "IDC_LOG_FORMAT": "json",
    "IDC_METRICS_TOKEN": "scrape-" + "x" * 32,
    "DJANGO_STATIC_ROOT": "/var/lib/idconfluence/static",
}


@pytest.mark.parametrize("env", [PRODUCTION, EVERYTHING], ids=["minimal", "everything"])
def test_check_deploy_is_clean_with_production_settings(env: dict[str, str]) -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "IDC_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_secrets(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_DEBUG is off" in result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET as the TLS proxy forwards it (X-Forwarded-Proto), without decoding the body."""
    response = requests.get(
        url, headers={"X-Forwarded-Proto": "https", **headers}, timeout=5, stream=True
    )
    return response.status_code, dict(response.headers), response.raw.read()


@pytest.mark.slow
def test_gunicorn_serves_collected_static_files_without_debug(tmp_path: Path) -> None:
    """The deploy/ recipe: collectstatic into DJANGO_STATIC_ROOT, then gunicorn with
    deploy/gunicorn.conf.py serves hashed, compressed files with a far-future cache header."""
    env = {**PRODUCTION, "DJANGO_STATIC_ROOT": str(tmp_path / "static")}
    result = manage("collectstatic", "--noinput", **env)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    assert (tmp_path / "static" / f"{hashed}.gz").is_file()

    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "IDC_"))}
    base.pop("DATABASE_URL", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env={
            **base,
            **env,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "idconfluence.settings",
            "IDC_DOTENV": "",
            "IDC_WEB_BIND": f"127.0.0.1:{port}",
            "IDC_WEB_WORKERS": "1",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, headers, body = get(
                    f"http://127.0.0.1:{port}/static/{hashed}", **{"Accept-Encoding": "identity"}
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        assert status == 200
        assert b"body" in body
        assert "immutable" in headers["Cache-Control"]
        status, headers, _ = get(
            f"http://127.0.0.1:{port}/static/{hashed}", **{"Accept-Encoding": "gzip"}
        )
        assert headers.get("Content-Encoding") == "gzip"
    finally:
        server.terminate()
        server.wait(20)


def test_deploy_recipes_only_run_commands_that_exist() -> None:
    """compose.yaml and the systemd units name real management commands."""
    from django.core.management import get_commands

    commands = set(get_commands())
    texts = [ROOT / "deploy" / "compose.yaml", *sorted((ROOT / "deploy" / "systemd").glob("*"))]
    named = set()
    for path in texts:
        text = path.read_text()
        named |= set(re.findall(r'(?:bin/idconfluence |\["idconfluence", ")([a-z_]+)', text))
    assert {"migrate", "qcluster", "watchdog", "collectstatic"} <= named
    assert named <= commands, named - commands
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    for service in ("postgres", "redis", "migrate", "web", "worker", "watchdog"):
        assert f"\n  {service}:\n" in compose


def test_the_pool_settings_size_the_web_processes_pool() -> None:
    script = (
        "import json; from django.conf import settings; d = settings.DATABASES['default']; "
        "print(json.dumps([d['OPTIONS']['pool'], d['CONN_MAX_AGE'], "
        "d['DISABLE_SERVER_SIDE_CURSORS']]))"
    )
    result = manage("shell", "-c", script, **EVERYTHING, DB_PGBOUNCER="1")
    assert result.returncode == 0, result.stderr
    pool, max_age, no_cursors = json.loads(result.stdout.strip().splitlines()[-1])
    assert pool == {"min_size": 1, "max_size": 8, "timeout": 5}
    assert max_age == 0 and no_cursors is True  # the pool keeps connections; PgBouncer-safe
