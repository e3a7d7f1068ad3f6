"""Large imports run by the worker, with a progress bar the owner's page polls.

An import page hands a confirmed upload to `job_create` when it has more rows than IMPORT_JOB_ROWS: the file goes
to the import store (encrypted, under jobs/), an `ImportJob` row records who asked and what for, and the task
`core.tasks.import_job_run` is queued once that row is committed. The worker (`residence worker`, django-tasks'
database backend) calls `job_run`, which claims the job, reads the file and calls the runner registered for the
job's kind (`@job_runner("registrations.declarations")`; upper apps register theirs when they load, since core
imports none of them). The runner returns a result dict, shown by the job's page:
`{"summary": "…", "errors": ["第 3 行…", …], "errors_more": n}`.

All or nothing. A runner writes everything in ONE transaction, in chunks (so that memory stays bounded and
progress can be reported between them), and raises on any problem: the transaction rolls back and the job is
marked failed with the reason, so a failed job leaves nothing half-written. We chose one long transaction over
committed chunks with a compensating clean-up because the clean-up could itself fail (or the worker be killed),
leaving half an upload behind; the price is that the rows are invisible until the end, which is what an
all-or-nothing import wants anyway.

Progress while that transaction is open: `Progress` writes the job's `phase` and `done` outside it. Outside a
transaction it is a plain autocommit UPDATE. Inside one, on PostgreSQL, it uses a second connection of its own in
autocommit (the UPDATE skips a row locked by someone else rather than wait, so it can never deadlock with the
job's own transaction). SQLite has one writer at a time, so there the progress inside the transaction goes to a
small file beside the database instead (var/jobs/<id>.json; the demo's server and worker share the machine),
which `job_get_for_owner` reads while the job runs. Updates are throttled to a few per second.

Only the owner sees a job (`job_get_for_owner`): anyone else is answered "not found". Queuing a job and its
failure are audited; core sits below audit, so the audit app hands its `event_record` to `job_events_record` when
it loads.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from residence.core.errors import DomainError, NotFound
from residence.core.models import ImportJob

log = logging.getLogger(__name__)

Runner = Callable[[ImportJob, bytes, "Progress"], dict[str, Any]]
RUNNERS: dict[str, Runner] = {}
_recorder: list[Callable[..., Any]] = []


def job_events_record(recorder: Callable[..., Any]) -> None:
    """Set how jobs record their audit events (audit.services.event_record, from the audit app's ready())."""
    _recorder[:] = [recorder]


def _event(**kwargs: Any) -> None:
    if not _recorder:
        raise RuntimeError("no audit recorder: the audit app is not installed")
    _recorder[0](**kwargs)
PROGRESS_EVERY_SECONDS = 0.3


def job_runner(kind: str) -> Callable[[Runner], Runner]:
    """Register the function that runs jobs of `kind`: runner(job, data, progress) → result dict."""
    def register(fn: Runner) -> Runner:
        RUNNERS[kind] = fn
        return fn
    return register


def job_create(*, owner: Any, kind: str, filename: str, data: bytes, total: int,
               params: dict[str, Any] | None = None) -> ImportJob:
    """Queue a job of `kind` on the uploaded `data` (`total` rows) for the worker; audited. The task is queued when
    the job's row is committed, so the worker never looks for a job that is not there yet."""
    from residence.core.tasks import import_job_run

    if kind not in RUNNERS:
        raise ValueError(f"no runner for {kind!r}")  # a programming error
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    store = storages["imports"]
    name = store.save(f"jobs/{uuid.uuid4().hex}{suffix}", ContentFile(data))
    with transaction.atomic():
        job = ImportJob.objects.create(owner=owner, kind=kind, filename=filename[:120], upload=name, total=total,
                                       params={**(params or {}), "language": translation.get_language()})
        _event(actor=owner, action="import.job.queued", subject_type="import_job", subject_id=job.pk,
                     data={"kind": kind, "rows": total})
        transaction.on_commit(lambda: import_job_run.enqueue(job.pk))
    return job


def job_get_for_owner(*, user: Any, job_id: int) -> ImportJob:
    """The job, when `user` owns it; anyone else's, or none, is "not found". A running job's progress is read
    from the side file when the database cannot hold it yet (SQLite, see the module's docstring)."""
    job = ImportJob.objects.filter(pk=job_id, owner_id=getattr(user, "pk", None)).first()
    if job is None:
        raise NotFound(_("No such job."))
    if job.status == ImportJob.Status.RUNNING:
        try:
            side = json.loads(_side_file(job.pk).read_text())
        except (OSError, ValueError):
            side = None
        if isinstance(side, dict) and int(side.get("done", 0)) >= job.done:
            job.phase, job.done = str(side.get("phase", job.phase)), int(side["done"])
    return job


def _side_file(job_id: int) -> Path:
    return Path(settings.VAR_DIR) / "jobs" / f"{int(job_id)}.json"


class Progress:
    """How a runner says how far it got: `progress.phase("writing")`, then `progress(done)` as rows are done.
    Written outside the job's data transaction (see the module's docstring); throttled."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.current = ImportJob.Phase.CHECKING.value
        self.done = 0
        self._last = 0.0
        self._side: BaseDatabaseWrapper | None = None

    def phase(self, phase: str, done: int = 0) -> None:
        self.current, self.done = phase, done
        self._write(force=True)

    def __call__(self, done: int) -> None:
        self.done = done
        self._write(force=False)

    def _write(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job_id).update(phase=self.current, done=self.done,
                                                            updated_at=timezone.now())
        elif connection.vendor == "postgresql":
            if self._side is None:
                self._side = connections.create_connection("default")
            with self._side.cursor() as cur:
                cur.execute("UPDATE core_importjob SET phase = %s, done = %s, updated_at = %s WHERE id = "
                            "(SELECT id FROM core_importjob WHERE id = %s FOR UPDATE SKIP LOCKED)",
                            [self.current, self.done, timezone.now(), self.job_id])
        else:  # SQLite inside the transaction: one writer at a time, so a file beside the database
            path = _side_file(self.job_id)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"phase": self.current, "done": self.done}))
            temporary.replace(path)  # whole or not at all, for the page that reads it

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
        _side_file(self.job_id).unlink(missing_ok=True)


def job_run(job_id: int) -> ImportJob | None:
    """Run a queued job (the worker's task): claim it, run its kind's runner, record the outcome. A job already
    claimed, or gone, is left alone (None). A failure marks the job failed with the reason; the runner's
    transaction has rolled back, so nothing of it is written."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, phase=ImportJob.Phase.CHECKING, done=0, started_at=now, updated_at=now)
    if not claimed:
        return None
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    progress = Progress(job.pk)
    store = storages["imports"]
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        try:
            with store.open(job.upload) as f:
                data = f.read()
            result = RUNNERS[job.kind](job, data, progress)
        except DomainError as exc:
            _fail(job, exc.message, type(exc).__name__)
        except Exception as exc:  # the job must end failed, whatever went wrong; the worker goes on
            log.exception("import job %s failed", job.pk)
            _fail(job, _("The import stopped on an unexpected error (%(kind)s); nothing was written.")
                  % {"kind": type(exc).__name__}, type(exc).__name__)
        else:
            job.status, job.phase, job.done, job.result = (ImportJob.Status.DONE, ImportJob.Phase.FINISHED,
                                                           job.total, result)
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "phase", "done", "result", "finished_at", "updated_at"])
        finally:
            progress.close()
            if job.upload and store.exists(job.upload):
                store.delete(job.upload)
    return job


def _fail(job: ImportJob, message: str, kind: str) -> None:
    job.status, job.phase, job.error = ImportJob.Status.FAILED, ImportJob.Phase.FINISHED, message[:500]
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save(update_fields=["status", "phase", "error", "finished_at", "updated_at"])
        _event(actor=job.owner, action="import.job.failed", subject_type="import_job", subject_id=job.pk,
                     data={"kind": job.kind, "error": kind})
