"""The "居住证" section of a person's pages: the permit once there is one (its status, next endorsement, history,
the counter's actions), else the applications and the way to apply; on the holder's own page, the e-permit's QR
code first."""

from __future__ import annotations

from django.http import HttpRequest

from residence.accounts.models import User
from residence.people.models import Person
from residence.permits import lifecycle_views, views
from residence.permits.epermit.views import phone_section


def permit_section(request: HttpRequest, user: User, person: Person, own: bool) -> str:
    return (phone_section(request, user, person, own) + lifecycle_views.permit_section(request, user, person, own)
            or views.permit_section(request, user, person, own))
