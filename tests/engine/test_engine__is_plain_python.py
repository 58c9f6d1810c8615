"""The engine core loads without Django, django-q2 or the other apps: testable anywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
import workflows.engine.runner, workflows.engine.validate, workflows.engine.deadline
import workflows.engine.program, workflows.engine.graph, workflows.engine.expressions
loaded = sorted({m.split('.')[0] for m in sys.modules} & {
    'django', 'rest_framework', 'django_q', 'guardian', 'connectors', 'audit', 'approvals'})
print(','.join(loaded))
"""


def test_engine_imports_nothing_from_django_or_other_apps() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == ""
