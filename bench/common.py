"""What every benchmark shares: a throwaway PostgreSQL database and the production-like
environment its processes run with."""

from __future__ import annotations

import subprocess

PG = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/7"


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{PG}/{db}", "-Atc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def fresh_database(name: str) -> None:
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"CREATE DATABASE {name}")


def environment(db: str, broker: str, **extra: str) -> dict[str, str]:
    """Production settings (DEBUG off) on database `db` and the chosen django-q2 broker."""
    from cryptography.fernet import Fernet

    env = {
        "DATABASE_URL": f"{PG}/{db}",
        "DJANGO_SETTINGS_MODULE": "idconfluence.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "IDC_DOTENV": "",  # no developer .env
        "IDC_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "IDC_LOG_LEVEL": "WARNING",
        **extra,
    }
    if broker == "redis":
        env["REDIS_URL"] = REDIS_URL
    return env
