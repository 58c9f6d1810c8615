#!/usr/bin/env python
"""Django's command-line utility for idconfluence (the installed wheel's is `idconfluence`)."""

from idconfluence.cli import main

if __name__ == "__main__":
    main()
