"""Navigation per role, for the base template."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from residence.accounts.roles import Capability, Kind, can

_NAV = [
    ("workbench:home", _("Workbench"), None),
    ("people:search", _("Persons"), Capability.PERSON_SEARCH),
    ("places:browse", _("Addresses"), Capability.PLACE_BROWSE),
    ("places:import", _("Import addresses"), Capability.ADDRESS_IMPORT),
    ("registrations:import", _("Import residents"), Capability.RESIDENT_IMPORT),
    ("audit:trail", _("Audit trail"), Capability.AUDIT_BROWSE),
    ("places:premises", _("My premises"), Capability.PREMISES_OWN),
    ("registrations:mine", _("Residents"), Capability.PREMISES_OWN),
    ("stays:desk", _("Guests"), Capability.STAY_DECLARE),
    ("employment:mine", _("Workers"), Capability.EMPLOYMENT_REPORT),
    ("me:record", _("My record"), Capability.RECORD_OWN),
    ("permits:epermit", _("My e-permit"), Capability.RECORD_OWN),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    # the workbench (no capability) is the staff's home; residents and obligors have their own page instead
    items: list[dict[str, Any]] = [
        {"url": reverse(name), "label": label} for name, label, cap in _NAV
        if (cap is None and user.kind == Kind.STAFF) or (cap is not None and can(user, cap))
    ]
    # the longest matching entry is the current one (/places/import/ rather than /places/)
    path = request.path
    matches = [i["url"] for i in items if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))]
    current = max(matches, key=len, default="")
    for item in items:
        item["active"] = item["url"] == current
    return {"nav": items}
