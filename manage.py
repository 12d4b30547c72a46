#!/usr/bin/env python
"""Django's command-line utility for the atlas catalogue."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from config.bootstrap import prepare_var_dir

    prepare_var_dir()  # var/ for SQLite and static files: made here, by the command-line entry point, not at import

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
