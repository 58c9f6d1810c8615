"""Coverage-guided fuzzing (atheris) of the intake rule and the document check, and the replay
of every input kept in tests/fuzz/crashes/ (fast, without atheris).

The slow test runs each harness for FUZZ_SECONDS on a copy of its seed corpus
(tests/fuzz/corpus/<target>/); a crash fails the test and names the artifact to keep."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.fuzz import contracts

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FUZZ_SECONDS = int(os.environ.get("IDC_FUZZ_SECONDS", "20"))
TARGETS = {"intake": contracts.intake, "document": contracts.document}


def kept(target: str) -> list[Path]:
    return sorted(p for p in (HERE / "crashes" / target).iterdir() if p.is_file())


@pytest.mark.parametrize(
    ("target", "path"),
    [(t, p) for t in TARGETS for p in kept(t)],
    ids=[f"{t}/{p.name}" for t in TARGETS for p in kept(t)],
)
def test_a_kept_crash_input_is_accepted_or_refused(target: str, path: Path) -> None:
    TARGETS[target](path.read_bytes())


@pytest.mark.django_db
@pytest.mark.parametrize("path", kept("document"), ids=[p.name for p in kept("document")])
def test_a_kept_document_imports_or_is_refused_with_a_message(path: Path) -> None:
    try:
        call_command("import_workflow", str(path), stdout=open(os.devnull, "w"))  # noqa: SIM115
    except CommandError as exc:
        assert str(exc).strip()


@pytest.mark.slow
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="uses no database: run once per `make test`, in its PostgreSQL pass",
)
@pytest.mark.parametrize("target", list(TARGETS))
def test_atheris_finds_no_crash_in_bounded_time(target: str, tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    work = tmp_path / "corpus"
    shutil.copytree(HERE / "corpus" / target, work)  # new inputs go here, not into the repo
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "idconfluence.settings_test"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            f"tests.fuzz.fuzz_{target}",
            f"-max_total_time={FUZZ_SECONDS}",
            "-rss_limit_mb=1024",
            "-timeout=10",
            f"-artifact_prefix={artifacts}/",
            str(work),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=FUZZ_SECONDS + 60,
        check=False,
    )
    found = sorted(p.name for p in artifacts.iterdir())
    tail = result.stderr[-3000:]
    assert result.returncode == 0 and not found, (
        f"atheris found a crash in {target}: {found}; copy it into tests/fuzz/crashes/{target}/\n"
        + tail
    )
    assert "Done " in result.stderr, tail
