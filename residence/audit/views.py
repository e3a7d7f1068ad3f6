from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from residence.accounts.roles import Capability, can
from residence.audit.actions import action_label
from residence.audit.forms import TrailFilterForm
from residence.audit.selectors import event_list, trail_scope


@login_required
def trail(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Capability.AUDIT_BROWSE):
        raise Http404
    form = TrailFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = event_list(
        scope=trail_scope(viewer=request.user), subject_type=filters.get("subject_type") or "",
        subject_id=filters.get("subject_id") or "", actor_label=filters.get("actor") or "",
        action=filters.get("action") or "", before_id=filters.get("before"),
    )
    for event in events:
        event.label = action_label(event.action)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "audit/trail.html", {
        "form": form, "events": events, "query": query.urlencode(),
        "next_before": events[-1].pk if len(events) == 50 else None,
    })
