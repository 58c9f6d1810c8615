"""atheris harness for the workflow-document check (workflows.documents.parse + check, no
database): `python -m tests.fuzz.fuzz_document -max_total_time=20 tests/fuzz/corpus/document`."""

from __future__ import annotations

import os
import sys

import atheris
import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idconfluence.settings_test")
with atheris.instrument_imports(include=["idconfluence", "workflows", "jsonschema", "json"]):
    django.setup()  # imports the models, and with them workflows.documents and the intake
    import workflows.documents  # noqa: F401

from tests.fuzz.contracts import document


def test_one_input(data: bytes) -> None:
    document(data)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
