from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from residence.core.errors import NotFound


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database reachability, for load balancers and monitoring."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return JsonResponse({"status": "error", "database": "unreachable", "detail": type(exc).__name__},
                            status=503)
    return JsonResponse({"status": "ok", "database": "ok", "vendor": connection.vendor})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The CSRF refusal as a page of the site, in the user's language (Django's own is an English debug page)."""
    return render(request, "403_csrf.html", status=403)


def _job_context(request: HttpRequest, job_id: int) -> dict[str, object]:
    from residence.core.jobs import job_get_for_owner

    try:
        job = job_get_for_owner(user=request.user, job_id=job_id)
    except NotFound:
        raise Http404 from None
    back = job.result.get("back") or job.params.get("back") or ""
    return {"job": job, "back": back if str(back).startswith("/") and not str(back).startswith("//") else ""}


@login_required
@never_cache
def job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A large import's page: its progress bar, polled while it runs, then its outcome. Its owner's only."""
    return render(request, "core/job.html", _job_context(request, job_id))


@login_required
@never_cache
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress fragment the job's page polls (htmx)."""
    return render(request, "core/_job_progress.html", _job_context(request, job_id))
