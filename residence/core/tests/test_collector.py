"""The served application and the task worker set the garbage collector up for a long-running process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from residence.core.collector import GEN0_THRESHOLD

ROOT = Path(__file__).resolve().parents[3]


def test_the_served_application_freezes_what_it_loaded_and_collects_less_often() -> None:
    probe = ("import gc; import config.wsgi; "
             "print(gc.get_threshold()[0], gc.get_freeze_count(), callable(config.wsgi.application))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=dict(os.environ), capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    threshold, frozen, served = int(out[0]), int(out[1]), out[2]
    assert threshold == GEN0_THRESHOLD
    assert frozen > 50_000  # Django and the project, out of the collector's sight
    assert served == "True"
