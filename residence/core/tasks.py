"""Background tasks of core, run by `residence worker` (django-tasks, database backend)."""

from __future__ import annotations

from django_tasks import task

from residence.core.jobs import job_run


@task()
def import_job_run(job_id: int) -> None:
    """Run one queued import job (core/jobs.py)."""
    job_run(job_id)
