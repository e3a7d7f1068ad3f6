"""``python -m residence_rules …`` runs the same commands as ``residence rules …``."""

from residence_rules.cli import main

raise SystemExit(main())
