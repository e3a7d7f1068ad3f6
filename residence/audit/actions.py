"""Every audit action the system writes, with words a manager reads on the trail page.

Actions are dotted and past tense (`person.record.viewed`). A test checks that every action written anywhere in
the code is listed here, so that no event shows up on the trail as a bare code.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "account.user.created": _("Created an account"),
    "key.rotated": _("Rotated a key"),
    "job.failed": _("A scheduled job failed"),
    "account.api_client.created": _("Created a department API client"),
    "account.token.issued": _("Issued an API token"),
    "account.token.rotated": _("Rotated an API token"),
    "account.token.revoked": _("Revoked an API token"),
    "account.resident.code_sent": _("Sent a sign-up code by text message"),
    "account.resident.code_withheld": _("Sent no code: the ID number and phone matched no one who may get one now"),
    "account.resident.opened": _("A resident opened an account"),
    "account.resident.password_reset": _("A resident set a new password"),
    "account.otp.enrolment_started": _("Started setting up an authenticator app"),
    "account.otp.enrolled": _("Set up an authenticator app"),
    "account.otp.removed": _("Removed an authenticator app"),
    "account.otp.reset": _("An administrator removed a staff member's authenticator app"),
    "account.locked": _("Alert: an account was locked"),
    "account.unlocked": _("An administrator unlocked an account"),
    "person.created": _("Created a person's record"),
    "person.searched": _("Searched for persons"),
    "person.record.viewed": _("Opened a person's record"),
    "person.identity.unmasked": _("Revealed full ID and phone numbers"),
    "place.addresses.imported": _("Imported addresses"),
    "place.obligor.bound": _("Bound a declaration obligor to its account"),
    "place.residents.listed": _("Listed the residents of a building or unit"),
    "registration.residents.imported": _("Imported residents"),
    "registration.area.restamped": _("Moved the open registrations of a redrawn grid to its new area"),
    "import.uploads.purged": _("Removed uploads that were never imported"),
    "demo.city.generated": _("Generated the demo city"),
}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))
