"""The worker's schedule: periodic jobs, each run every so many seconds by `residence worker`.

Add a job here when a later feature needs one (the daily suspensions of the permit work, for example). A job is a
function of no arguments returning a count for the log; a job that fails is logged and recorded on the audit trail,
and the others go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.management import call_command

from residence.audit.services import audit_seal, event_record
from residence.core.ratelimit import ratelimit_purge_expired
from residence.core.uploads import upload_purge_expired
from residence.permits.epermit.services import status_list_refresh
from residence.permits.tasks import permits_daily
from residence.registrations.reminders import departure_reminders_send
from residence.stays.partitions import stay_partitions_ahead
from residence.stays.services import stay_keys_purge

log = logging.getLogger(__name__)


def _run_tasks() -> int:
    call_command("db_worker", batch=True, no_startup_delay=False, verbosity=0)
    return 0


def _seal() -> int:
    n = 0
    while (block := audit_seal()) is not None:
        n += block.event_count
    return n


@dataclass
class Job:
    name: str
    every: float  # seconds
    run: Callable[[], int]
    last: float = field(default=float("-inf"))

    def due(self, now: float) -> bool:
        return now - self.last >= self.every


def jobs() -> list[Job]:
    return [
        Job("tasks", 0, _run_tasks),
        Job("audit.seal", 0, _seal),
        Job("ratelimit.purge", 3600, ratelimit_purge_expired),
        Job("uploads.purge", 300, upload_purge_expired),
        Job("stays.partitions", 24 * 3600, stay_partitions_ahead),
        Job("stays.keys.purge", 3600, stay_keys_purge),
        Job("reminders.departures", 24 * 3600, departure_reminders_send),
        Job("permits.daily", 24 * 3600, permits_daily),  # suspensions, dormancy, waking, endorsement reminders
        Job("permits.status_list", 30, status_list_refresh),  # the published list is never a minute old
    ]


def run_due(schedule: list[Job], *, now: float | None = None, say: Callable[[str], None] = log.info) -> None:
    """Run every job that is due; a failure is recorded and does not stop the others."""
    now = time.monotonic() if now is None else now
    for job in schedule:
        if not job.due(now):
            continue
        job.last = now
        try:
            n = job.run()
        except Exception as exc:  # a job's failure must not stop the worker (sealing above all)
            log.exception("job %s failed", job.name)
            event_record(actor=None, action="job.failed", subject_type="job", subject_id=job.name,
                         data={"error": type(exc).__name__})
            continue
        if n:
            say(f"{job.name}: {n}")
