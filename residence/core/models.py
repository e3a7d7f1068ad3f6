"""The few tables that belong to no domain: the shared rate limiter's counters, and the jobs of large imports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCounter(models.Model):
    """One fixed-window counter of `residence.core.ratelimit`. The key is a keyed digest of (scope, key),
    so no ID number or address is stored in clear; `expires_at` is seconds since the epoch."""

    key = models.CharField(max_length=64, primary_key=True)
    count = models.IntegerField()
    expires_at = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:12]}… = {self.count}"


class ImportJob(models.Model):
    """A large import run by the worker (core/jobs.py): who asked for it, what kind, how far it got, and its
    outcome. Only its owner sees it. `done` counts the rows of the current `phase` (checking, then writing) and is
    written outside the job's data transaction, so that the page can read it while the job runs."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        WAITING = "waiting", _("Waiting for the worker")
        CHECKING = "checking", _("Checking the rows")
        WRITING = "writing", _("Writing the rows")
        FINISHED = "finished", _("Finished")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=40)  # the runner registered under this name (jobs.job_runner)
    filename = models.CharField(max_length=120, blank=True)
    upload = models.CharField(max_length=80, blank=True)  # the stored file's name in the import store
    params = models.JSONField(default=dict)  # what the runner needs besides the file (e.g. the mode)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.WAITING)
    total = models.IntegerField(default=0)
    done = models.IntegerField(default=0)
    result = models.JSONField(default=dict)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "created_at"], name="import_job_owner")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status} {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
