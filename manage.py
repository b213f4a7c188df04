#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from config.deploy_guard import UnsafeDeployConfig

    try:
        execute_from_command_line(sys.argv)
    except UnsafeDeployConfig as exc:
        # A refused start-up is an operator error, not a crash: print the list, no traceback.
        sys.stderr.write(f"{exc}\n")
        sys.exit(78)


if __name__ == "__main__":
    main()
