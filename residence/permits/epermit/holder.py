"""The holder's own permit, for their phone token: read for a resident account linked to the person, never for
anyone else. Not logged (the token is the holder's own, and their page's opening is logged by `person_own`); a page
left open refreshes it every few minutes."""

from __future__ import annotations

from residence.accounts.models import User
from residence.accounts.roles import Capability, can
from residence.permits.models import Permit, PermitStatus


def holder_permit(*, user: User) -> Permit | None:
    """The standing (not cancelled) permit of the resident `user` is linked to; None for anyone else."""
    if not getattr(user, "is_authenticated", False) or not can(user, Capability.RECORD_OWN) \
            or user.person_id is None:
        return None
    return (Permit.objects.select_related("person").filter(person_id=user.person_id)
            .exclude(status=PermitStatus.CANCELLED).order_by("-created_at", "-pk").first())
