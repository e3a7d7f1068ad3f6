"""The served application sets the garbage collector up for a long-running process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_served_application_freezes_what_it_loaded() -> None:
    probe = "import gc; import config.wsgi; print(gc.get_freeze_count(), callable(config.wsgi.application))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=dict(os.environ), capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    frozen, served = int(out[0]), out[1]
    assert frozen > 50_000  # Django and the project, out of the collector's sight
    assert served == "True"
