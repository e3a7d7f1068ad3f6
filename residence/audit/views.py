from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from residence.accounts.roles import Capability, can
from residence.audit.forms import TrailFilterForm
from residence.audit.selectors import TrailFilters, trail_read
from residence.audit.sentences import event_sentences

PAGE = 50


@login_required
def trail(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Capability.AUDIT_BROWSE):
        raise Http404
    form = TrailFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else TrailFilters()
    events = event_sentences(viewer=request.user, events=trail_read(viewer=request.user, filters=filters,
                                                                    limit=PAGE))
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "audit/trail.html", {
        "form": form, "events": events, "query": query.urlencode(),
        "next_before": events[-1].pk if len(events) == PAGE else None,
    }, status=400 if form.errors else 200)
