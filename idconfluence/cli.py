"""The `idconfluence` command of an installed wheel: `manage.py` without the source tree."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idconfluence.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
