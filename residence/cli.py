"""The `residence` console script: Django's management commands, plus `rules`, which runs without Django.

    residence demo [--persons N] [--seed S] [--port P] [--no-serve]
    residence serve [--port P] [--workers N]
    residence worker
    residence migrate
    residence createuser USERNAME --role ROLE --jurisdiction CODE
    residence audit verify | seal
    residence bench
    residence rules test|explain|params|compare|bench …
    residence rules explain --person N --as-of DATE   (from the database)
"""

from __future__ import annotations

import os
import sys


def routed(args: list[str]) -> list[str]:
    """`rules explain --person N`: a person in the database, which the Django side explains (explain_person)."""
    if args[1:3] == ["rules", "explain"] and any(a == "--person" or a.startswith("--person=") for a in args[3:]):
        return [args[0], "explain_person", *args[3:]]
    return args


def main(argv: list[str] | None = None) -> int:
    args = routed(list(sys.argv if argv is None else argv))
    if len(args) > 1 and args[1] == "rules":
        from residence_rules.cli import main as rules_main

        return rules_main(args[2:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    args[0] = "residence"
    execute_from_command_line(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
