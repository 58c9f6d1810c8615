"""atheris harness for idconfluence.intake.parse_json:
`python -m tests.fuzz.fuzz_intake -max_total_time=20 tests/fuzz/corpus/intake`."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import idconfluence.intake  # noqa: F401

from tests.fuzz.contracts import intake


def test_one_input(data: bytes) -> None:
    intake(data)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
