"""Roles and what each may do: the one place where capabilities are granted.

Staff roles are bound to a jurisdiction and see it and everything below it. Obligors are bound to their premises,
residents to themselves. Department clients (other departments' systems) are bound to a jurisdiction like staff,
act through an account of kind "department", and hold only the capabilities their token's scopes name.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    STAFF = "staff", _("Staff")
    OBLIGOR = "obligor", _("Declaration obligor")
    RESIDENT = "resident", _("Resident")
    DEPARTMENT = "department", _("Department system")


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    CLERK = "clerk", _("Counter clerk")
    REVIEWER = "reviewer", _("Reviewer")
    PRODUCTION = "production", _("Production")
    GRID_WORKER = "grid_worker", _("Grid worker")
    ENFORCEMENT = "enforcement", _("Enforcement officer")
    MANAGER = "manager", _("Manager")
    LANDLORD = "landlord", _("Landlord")
    EMPLOYER = "employer", _("Employer with a dormitory")
    HOTEL = "hotel", _("Hotel")
    HOURLY_RENTAL = "hourly_rental", _("Hourly rental")
    RESIDENT = "resident", _("Resident")
    DEPARTMENT = "department", _("Department system")


STAFF_ROLES = frozenset({Role.ADMIN, Role.CLERK, Role.REVIEWER, Role.PRODUCTION, Role.GRID_WORKER,
                         Role.ENFORCEMENT, Role.MANAGER})
OBLIGOR_ROLES = frozenset({Role.LANDLORD, Role.EMPLOYER, Role.HOTEL, Role.HOURLY_RENTAL})
# Accounts bound to a jurisdiction, who see it and everything below it.
AREA_KINDS = frozenset({Kind.STAFF, Kind.DEPARTMENT})


class Capability(StrEnum):
    PERSON_SEARCH = "person.search"
    PERSON_VIEW = "person.view"
    PERSON_UNMASK = "person.unmask"
    PLACE_BROWSE = "place.browse"
    ADDRESS_IMPORT = "address.import"
    RESIDENT_IMPORT = "resident.import"
    AUDIT_BROWSE = "audit.browse"
    PREMISES_OWN = "premises.own"
    RECORD_OWN = "record.own"
    READ_HOLD = "person.read_hold"  # hold back a person's read log from them during an investigation
    STAY_DECLARE = "stay.declare"  # hotels and hourly rentals: check-ins and check-outs through the API
    ACCOUNT_MANAGE = "account.manage"  # staff accounts inside one's area (/manage/accounts/)
    OBLIGOR_MANAGE = "obligor.manage"  # declaration obligors inside one's area (/manage/obligors/)
    CLIENT_MANAGE = "client.manage"  # department API clients inside one's area (/manage/clients/)
    REGISTRATION_RECORD = "registration.record"  # register, correct and end registrations of one's area
    COMPLIANCE_VIEW = "compliance.view"  # which obligors of one's area are behind their duty to declare
    APPLICATION_FILE = "permit.application.file"  # file a permit application for a person of one's area
    APPLICATION_ACCEPT = "permit.application.accept"  # accept applications at one's acceptance point, issue cards
    APPLICATION_REVIEW = "permit.application.review"  # review applications of one's area: approve, refuse, ask
    PERMIT_PRODUCE = "permit.produce"  # make production batches of approved applications (card centre)
    EVIDENCE_RECORD = "employment.evidence.record"  # enter (and withdraw) evidence seen for a person of one's area
    EMPLOYMENT_REPORT = "employment.report"  # an employer reports its hires and separations
    PERMIT_MAINTAIN = "permit.maintain"  # at the counter: endorse, change, replace, reissue, cancel a permit
    PERMIT_LAPSED = "permit.lapsed"  # the lapsed permits of one's area, per district or street (HB)
    PERMIT_VERIFY = "permit.verify"  # a department verifying an e-permit learns more than anyone (its scope's fields)


GRANTS: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability) - {Capability.PREMISES_OWN, Capability.RECORD_OWN, Capability.STAY_DECLARE,
                                         Capability.EMPLOYMENT_REPORT},
    Role.CLERK: frozenset({Capability.PERSON_SEARCH, Capability.PERSON_VIEW, Capability.PERSON_UNMASK,
                           Capability.PLACE_BROWSE, Capability.REGISTRATION_RECORD, Capability.APPLICATION_FILE,
                           Capability.APPLICATION_ACCEPT, Capability.EVIDENCE_RECORD, Capability.PERMIT_MAINTAIN}),
    Role.REVIEWER: frozenset({Capability.PERSON_SEARCH, Capability.PERSON_VIEW, Capability.PERSON_UNMASK,
                              Capability.PLACE_BROWSE, Capability.APPLICATION_REVIEW}),
    Role.PRODUCTION: frozenset({Capability.PERSON_SEARCH, Capability.PERSON_VIEW, Capability.PERMIT_PRODUCE}),
    Role.GRID_WORKER: frozenset({Capability.PERSON_SEARCH, Capability.PERSON_VIEW, Capability.PLACE_BROWSE,
                                 Capability.REGISTRATION_RECORD, Capability.APPLICATION_FILE}),
    Role.ENFORCEMENT: frozenset({Capability.PERSON_SEARCH, Capability.PERSON_VIEW, Capability.PLACE_BROWSE,
                                 Capability.READ_HOLD, Capability.COMPLIANCE_VIEW}),
    # a district manager administers the staff and the obligors of their district; department clients (systems
    # that read personal data in bulk under a data-sharing agreement) are the administrator's alone
    Role.MANAGER: frozenset({Capability.PERSON_SEARCH, Capability.PERSON_VIEW, Capability.PLACE_BROWSE,
                             Capability.AUDIT_BROWSE, Capability.ACCOUNT_MANAGE, Capability.OBLIGOR_MANAGE,
                             Capability.COMPLIANCE_VIEW,
                             Capability.PERMIT_LAPSED}),
    **{role: frozenset({Capability.PREMISES_OWN}) for role in OBLIGOR_ROLES},
    Role.EMPLOYER: frozenset({Capability.PREMISES_OWN, Capability.EMPLOYMENT_REPORT}),
    Role.HOTEL: frozenset({Capability.PREMISES_OWN, Capability.STAY_DECLARE}),
    Role.HOURLY_RENTAL: frozenset({Capability.PREMISES_OWN, Capability.STAY_DECLARE}),
    Role.RESIDENT: frozenset({Capability.RECORD_OWN}),
    # the most a department client may hold; each client's token narrows it to its scopes
    Role.DEPARTMENT: frozenset({Capability.PERSON_SEARCH, Capability.PERSON_VIEW, Capability.PERMIT_VERIFY}),
}


# Who may administer whom: an administrator any staff role, a manager any staff role but the administrator's.
# Nobody grants, or acts on an account of, a role ranked above their own.
ROLE_RANK: dict[str, int] = {Role.ADMIN: 2, Role.MANAGER: 1}


def role_rank(role: str) -> int:
    return ROLE_RANK.get(role, 0)


def grantable_roles(actor: object) -> list[str]:
    """The staff roles `actor` may give an account, in the order of Role."""
    rank = role_rank(getattr(actor, "role", ""))
    return [r for r in Role.values if r in STAFF_ROLES and role_rank(r) <= rank]


def can(user: object, capability: Capability) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if capability not in GRANTS.get(getattr(user, "role", ""), frozenset()):
        return False
    scopes = getattr(user, "api_scopes", None)  # set when the request came with a token (accounts.api_auth)
    if scopes is not None or getattr(user, "role", "") == Role.DEPARTMENT:  # a department only through a token
        return capability in (scopes or ())  # and only what the token was given
    return True
