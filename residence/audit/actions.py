"""Every audit action the system writes, with words a manager reads on the trail page.

Actions are dotted and past tense (`person.record.viewed`). A test checks that every action written anywhere in
the code is listed here, so that no event shows up on the trail as a bare code.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

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
    "person.read_hold.placed": _("Placed an investigation hold on a person's read log"),
    "place.addresses.imported": _("Imported addresses"),
    "place.obligor.bound": _("Bound a declaration obligor to its account"),
    "place.residents.listed": _("Listed the residents of a building or unit"),
    "registration.residents.imported": _("Imported residents"),
    "registration.arrival.declared": _("Declared an arrival"),
    "registration.departure.declared": _("Declared a departure"),
    "registration.area.restamped": _("Moved the open registrations of a redrawn grid to its new area"),
    "registration.confirmed": _("Confirmed a registration a resident declared"),
    "registration.pending.listed": _("Listed residents' own declarations awaiting a check"),
    "registration.cancelled": _("Withdrew a registration"),
    "registration.corrected": _("Corrected a registration"),
    "registration.door.checked": _("Checked a registration at the door"),
    "registration.reminders.sent": _("Reminded obligors of overdue departures"),
    "obligor.compliance.viewed": _("Opened an obligor's late and missing declarations"),
    "person.items.updated": _("Updated a person's items"),
    "registration.certificate.printed": _("Printed a residence registration certificate"),
    "import.uploads.purged": _("Removed uploads that were never imported"),
    "import.job.queued": _("Queued a large import for the worker"),
    "import.job.failed": _("A large import failed; nothing of it was written"),
    "registration.declarations.uploaded": _("Uploaded declarations of arrivals and departures"),
    # stays at hotels and hourly rentals
    "stay.checked_in": _("Declared check-ins"),
    "stay.checked_out": _("Declared check-outs"),
    "demo.city.generated": _("Generated the demo city"),
    # administration
    "account.user.deactivated": _("Deactivated a staff account"),
    "account.user.reactivated": _("Reactivated a staff account"),
    "account.password_code.issued": _("Issued a one-time code for a new password"),
    "account.password_code.used": _("Set a new password with a one-time code"),
    "place.obligor.created": _("Created a declaration obligor"),
    "place.obligors.imported": _("Imported declaration obligors with their units"),
    # log-ins and refused reads
    "account.login.succeeded": _("Logged in"),
    "account.login.failed": _("A log-in failed"),
    "account.login.locked_out": _("Log-ins locked out after repeated failures"),
    "account.login.failures_unrecorded": _("Too many failed log-ins to record each one"),
    "account.logged_out": _("Logged out"),
    "access.refused": _("Was refused a page"),
    "access.refusals_unrecorded": _("Too many refused pages to record each one"),
    "audit.trail.viewed": _("Browsed the audit trail"),
    "eligibility.batch.assessed": _("Assessed eligibility in a batch"),
    "eligibility.explained": _("Explained a person's permit eligibility"),
    "permit.application.submitted": _("Submitted a permit application"),
    "permit.application.accepted": _("Accepted a permit application"),
    "permit.application.review_started": _("Started reviewing a permit application"),
    "permit.application.information_requested": _("Asked for information on a permit application"),
    "permit.application.information_provided": _("Provided information on a permit application"),
    "permit.application.approved": _("Approved a permit application"),
    "permit.application.refused": _("Refused a permit application"),
    "permit.application.sent_to_production": _("Sent a permit application to production"),
    "permit.application.made_ready": _("Marked a permit card ready"),
    "permit.application.issued": _("Issued a residence permit"),
    "permit.application.withdrawn": _("Withdrew a permit application"),
    # a permit's life after issue
    "permit.endorsed": _("Endorsed a residence permit"),
    "permit.restored": _("Endorsed a residence permit late, restoring it"),
    "permit.changed": _("Recorded a change of a residence permit's address or workplace"),
    "permit.card.replaced": _("Replaced a damaged residence permit card"),
    "permit.card.reissued": _("Reissued a lost residence permit card"),
    "permit.cancelled": _("Cancelled a residence permit"),
    "permit.suspended": _("A residence permit was suspended: not endorsed in time"),
    "permit.dormant": _("A residence permit went dormant"),
    "permit.activated": _("A dormant residence permit woke up"),
    "permit.daily.run": _("The daily run of residence permits"),
    "permit.production.listed": _("Listed the approved permit applications waiting for a batch"),
    "permit.batch.created": _("Made a permit production batch"),
    "permit.batch.downloaded": _("Downloaded a production batch's file"),
    "permit.batch.revealed": _("Revealed the full ID numbers of a production batch"),
    "permit.batch.ready": _("Marked a production batch's cards ready"),
    "permit.card.issued": _("Handed over or mailed a residence permit card"),
    "permit.verified": _("An electronic residence permit was verified"),
    "permit.department_verified": _("A department verified an electronic residence permit"),
    "permit.key.retired": _("Retired an e-permit signing key"),
    "employment.evidence.recorded": _("Recorded evidence seen for a person"),
    "employment.evidence.withdrawn": _("Withdrew a person's evidence"),
    "employment.hire.reported": _("Reported a hire"),
    "employment.separation.reported": _("Reported a separation"),
    "employment.reports.uploaded": _("Uploaded hires and separations"),
}

# Kinds of event a manager filters the trail by: each a set of actions.
KINDS = {
    "logins": (_("Log-ins and log-outs"), ("account.login.succeeded", "account.login.failed",
                                           "account.login.locked_out", "account.login.failures_unrecorded",
                                           "account.logged_out")),
    "failed_logins": (_("Failed log-ins and lockouts"), ("account.login.failed", "account.login.locked_out",
                                                         "account.login.failures_unrecorded")),
    "refused": (_("Refused pages"), ("access.refused", "access.refusals_unrecorded")),
    "person_reads": (_("Reads of persons"), ("person.record.viewed", "person.identity.unmasked", "person.searched",
                                              "obligor.compliance.viewed")),
    "accounts": (_("Account changes"), ("account.user.created", "account.locked", "account.unlocked",
                                        "account.otp.reset", "account.token.issued", "account.token.rotated",
                                        "account.token.revoked", "account.api_client.created",
                                        "account.user.deactivated", "account.user.reactivated",
                                        "account.password_code.issued", "account.password_code.used")),
    "trail": (_("Browsing of the trail"), ("audit.trail.viewed",)),
}

# How each event reads on the trail page: %(actor)s is the actor's role and name ("Counter clerk Zhang San"),
# %(subject)s what the event is about by name, the other keys the event's data in words (sentences.py). A key
# "action:variant" is the sentence for a variant that sentences.py picks (a subject that is unknown, say).
SENTENCES = {
    "account.user.created": _("%(actor)s created the account %(subject)s"),
    "key.rotated": _("%(actor)s rotated the %(kind)s key"),
    "job.failed": _("The scheduled job %(subject)s failed (%(error)s)"),
    "account.api_client.created": _("%(actor)s created the department client %(subject)s"),
    "account.token.issued": ngettext_lazy(
        "%(actor)s issued the API token %(token)s to %(subject)s, valid for %(days)d day",
        "%(actor)s issued the API token %(token)s to %(subject)s, valid for %(days)d days", "days"),
    "account.token.rotated": _("%(actor)s replaced the API token %(token)s of %(subject)s by %(replaced_by)s"),
    "account.token.revoked": _("%(actor)s revoked the API token %(token)s of %(subject)s, reason: %(reason)s"),
    "account.resident.code_sent": _("A code was texted to the phone on the record of %(subject)s (%(purpose)s)"),
    "account.resident.code_withheld": _("No code was texted (%(purpose)s): %(reason)s"),
    "account.resident.opened": _("%(actor)s opened a resident account"),
    "account.resident.password_reset": _("%(actor)s set a new password"),
    "account.otp.enrolment_started": _("%(actor)s started setting up an authenticator app"),
    "account.otp.enrolled": _("%(actor)s set up an authenticator app"),
    "account.otp.removed": _("%(actor)s removed their authenticator app"),
    "account.otp.reset": _("%(actor)s removed the authenticator app of %(subject)s, reason: %(reason)s"),
    "account.locked": _("Alert: the account %(subject)s was locked: %(reason)s"),
    "account.unlocked": _("%(actor)s unlocked the account %(subject)s, reason: %(reason)s"),
    "person.created": _("%(actor)s created the record of %(subject)s"),
    "person.searched": ngettext_lazy("%(actor)s searched for persons (%(by)s) and found %(results)d",
                                     "%(actor)s searched for persons (%(by)s) and found %(results)d", "results"),
    "person.record.viewed": _("%(actor)s opened the record of %(subject)s, purpose: %(purpose)s"),
    "registration.arrival.declared": _("%(actor)s declared the arrival of %(subject)s at %(unit)s (%(channel)s)"),
    "registration.departure.declared": _("%(actor)s declared the departure of %(subject)s (%(channel)s)"),
    "registration.confirmed": _("%(actor)s confirmed the registration %(subject)s declared"),
    "registration.pending.listed": ngettext_lazy(
        "%(actor)s listed residents' own declarations awaiting a check: %(results)d shown",
        "%(actor)s listed residents' own declarations awaiting a check: %(results)d shown", "results"),
    "registration.cancelled": _("%(actor)s withdrew a registration of %(subject)s (%(reason)s)"),
    "registration.corrected": _("%(actor)s corrected a registration of %(subject)s"),
    "registration.door.checked": _("%(actor)s checked %(subject)s at the door: %(outcome)s"),
    "registration.reminders.sent": ngettext_lazy(
        "Reminded %(reminded)d obligor of overdue departures (%(texted)d by text message)",
        "Reminded %(reminded)d obligors of overdue departures (%(texted)d by text message)", "reminded"),
    "obligor.compliance.viewed": ngettext_lazy(
        "%(actor)s opened the late and missing declarations of %(subject)s: %(declarations)d shown",
        "%(actor)s opened the late and missing declarations of %(subject)s: %(declarations)d shown",
        "declarations"),
    "person.items.updated": _("%(actor)s updated the items of %(subject)s"),
    "registration.certificate.printed": _("%(actor)s printed the residence registration certificate %(certificate)s "
                                          "of %(subject)s"),
    "place.residents.listed": ngettext_lazy("%(actor)s listed the residents of %(subject)s: %(results)d shown",
                                            "%(actor)s listed the residents of %(subject)s: %(results)d shown",
                                            "results"),
    "registration.area.restamped": ngettext_lazy(
        "%(actor)s redrew the grid %(subject)s: %(registrations)d open registration now carries its new area",
        "%(actor)s redrew the grid %(subject)s: %(registrations)d open registrations now carry its new area",
        "registrations"),
    "person.read_hold.placed": _("%(actor)s held back the read log of %(subject)s from them until %(until)s, "
                                 "reason: %(reason)s"),
    "person.identity.unmasked": _("%(actor)s revealed the full ID and phone numbers of %(subject)s, purpose: "
                                  "%(purpose)s"),
    "person.identity.unmasked:bulk": ngettext_lazy(
        "%(actor)s revealed the full ID numbers of %(persons)d person, purpose: %(purpose)s",
        "%(actor)s revealed the full ID numbers of %(persons)d persons, purpose: %(purpose)s", "persons"),
    "place.addresses.imported": ngettext_lazy(
        "%(actor)s imported %(units)d unit from the file %(subject)s (%(mode)s), %(rows_with_errors)d rows with "
        "errors",
        "%(actor)s imported %(units)d units from the file %(subject)s (%(mode)s), %(rows_with_errors)d rows with "
        "errors", "units"),
    "place.obligor.bound": _("%(actor)s bound the declaration obligor %(subject)s to the account %(account)s"),
    "registration.residents.imported": ngettext_lazy(
        "%(actor)s imported %(persons)d resident from the file %(subject)s (%(mode)s), %(rows_with_errors)d rows "
        "with errors",
        "%(actor)s imported %(persons)d residents from the file %(subject)s (%(mode)s), %(rows_with_errors)d rows "
        "with errors", "persons"),
    "import.uploads.purged": ngettext_lazy(
        "%(actor)s removed %(removed)d upload that was never imported",
        "%(actor)s removed %(removed)d uploads that were never imported", "removed"),
    "import.job.queued": ngettext_lazy("%(actor)s queued an import of %(rows)d row for the worker (%(kind)s)",
                                       "%(actor)s queued an import of %(rows)d rows for the worker (%(kind)s)",
                                       "rows"),
    "import.job.failed": _("The import job %(subject)s of %(actor)s failed (%(error)s); nothing of it was written"),
    "registration.declarations.uploaded": ngettext_lazy(
        "%(actor)s uploaded %(rows)d declaration from the file %(subject)s (%(mode)s): %(arrivals)d arrivals, "
        "%(departures)d departures, %(rows_with_errors)d rows with errors",
        "%(actor)s uploaded %(rows)d declarations from the file %(subject)s (%(mode)s): %(arrivals)d arrivals, "
        "%(departures)d departures, %(rows_with_errors)d rows with errors", "rows"),
    "demo.city.generated": ngettext_lazy("%(actor)s generated the demo city with %(persons)d person",
                                         "%(actor)s generated the demo city with %(persons)d persons", "persons"),
    # stays at hotels and hourly rentals
    "stay.checked_in": ngettext_lazy("%(actor)s declared %(count)d check-in (%(channel)s), %(rejected)d refused",
                                     "%(actor)s declared %(count)d check-ins (%(channel)s), %(rejected)d refused",
                                     "count"),
    "stay.checked_out": ngettext_lazy("%(actor)s declared %(count)d check-out (%(channel)s), %(rejected)d refused",
                                      "%(actor)s declared %(count)d check-outs (%(channel)s), %(rejected)d refused",
                                      "count"),
    # administration
    "account.user.deactivated": _("%(actor)s deactivated the account %(subject)s, reason: %(reason)s"),
    "account.user.reactivated": _("%(actor)s reactivated the account %(subject)s, reason: %(reason)s"),
    "account.password_code.issued": ngettext_lazy(
        "%(actor)s issued a one-time code for a new password of %(subject)s, valid for %(hours)d hour",
        "%(actor)s issued a one-time code for a new password of %(subject)s, valid for %(hours)d hours", "hours"),
    "account.password_code.used": _("%(actor)s set a new password with a one-time code"),
    "place.obligor.created": _("%(actor)s created the declaration obligor %(subject)s"),
    "place.obligors.imported": ngettext_lazy(
        "%(actor)s imported %(obligors)d declaration obligor with %(units)d units",
        "%(actor)s imported %(obligors)d declaration obligors with %(units)d units", "obligors"),
    # log-ins and refused reads
    "account.login.succeeded": _("%(actor)s logged in from %(address)s"),
    "account.login.failed": _("A log-in as %(subject)s from %(address)s failed: %(reason)s"),
    "account.login.failed:unknown": _("A log-in from %(address)s failed: no account has the user name typed"),
    "account.login.locked_out": ngettext_lazy(
        "Log-ins from %(address)s were locked out after %(failures)d failure, the last as %(subject)s",
        "Log-ins from %(address)s were locked out after %(failures)d failures, the last as %(subject)s",
        "failures"),
    "account.login.locked_out:unknown": ngettext_lazy(
        "Log-ins from %(address)s were locked out after %(failures)d failure",
        "Log-ins from %(address)s were locked out after %(failures)d failures", "failures"),
    "account.login.failures_unrecorded": _("More than %(limit)d failed log-ins in a minute: the rest of that minute's "
                                           "are not recorded one by one (the lockout still counts them)"),
    "account.logged_out": _("%(actor)s logged out"),
    "access.refused": _("%(actor)s tried to open %(subject)s and was refused: not in their area (page %(page)s)"),
    "access.refused:missing": _("%(actor)s tried to open %(kind)s that does not exist (page %(page)s)"),
    "access.refused:role": _("%(actor)s tried to open a page that their role may not see (page %(page)s)"),
    "access.refusals_unrecorded": _("%(actor)s was refused more than %(limit)d pages in a minute: the rest of that "
                                    "minute's are not recorded one by one"),
    "eligibility.explained": _("%(actor)s explained the permit eligibility of %(subject)s as of %(as_of)s"),
    "eligibility.batch.assessed": _("%(actor)s assessed the eligibility of %(persons)d persons as of %(as_of)s"),
    "permit.application.submitted": _("%(actor)s submitted a permit application for %(subject)s (%(channel)s)"),
    "permit.application.accepted": _("%(actor)s accepted the permit application of %(subject)s"),
    "permit.application.review_started": _("%(actor)s started reviewing the permit application of %(subject)s"),
    "permit.application.information_requested": _("%(actor)s asked for information on the permit application of "
                                                  "%(subject)s"),
    "permit.application.information_provided": _("%(actor)s provided information on the permit application of "
                                                 "%(subject)s"),
    "permit.application.approved": _("%(actor)s approved the permit application of %(subject)s"),
    "permit.application.refused": _("%(actor)s refused the permit application of %(subject)s"),
    "permit.application.sent_to_production": _("%(actor)s sent the permit of %(subject)s to production"),
    "permit.application.made_ready": _("%(actor)s marked the permit card of %(subject)s ready"),
    "permit.application.issued": _("%(actor)s issued the residence permit of %(subject)s"),
    "permit.application.withdrawn": _("%(actor)s withdrew the permit application of %(subject)s"),
    "permit.endorsed": _("%(actor)s endorsed the residence permit %(permit)s of %(subject)s"),
    "permit.restored": _("%(actor)s endorsed the residence permit %(permit)s of %(subject)s late: restored"),
    "permit.changed": _("%(actor)s recorded a change of the residence permit %(permit)s of %(subject)s"),
    "permit.card.replaced": _("%(actor)s replaced the card of the residence permit %(permit)s of %(subject)s, "
                              "receipt %(receipt)s"),
    "permit.card.reissued": _("%(actor)s reissued the card of the residence permit %(permit)s of %(subject)s, "
                              "receipt %(receipt)s"),
    "permit.cancelled": _("%(actor)s cancelled the residence permit %(permit)s of %(subject)s"),
    "permit.suspended": _("The residence permit %(permit)s of %(subject)s was suspended: not endorsed in time"),
    "permit.dormant": _("The residence permit %(permit)s of %(subject)s went dormant"),
    "permit.activated": _("The residence permit %(permit)s of %(subject)s woke up"),
    "permit.daily.run": _("The daily run of residence permits: %(suspended)s suspended, %(dormant)s dormant, "
                          "%(activated)s woken, %(reminded)s reminded"),
    "permit.production.listed": _("%(actor)s listed the approved permit applications waiting for a batch "
                                  "(%(results)s shown)"),
    "permit.batch.created": ngettext_lazy("%(actor)s made the production batch %(subject)s of %(count)d card",
                                          "%(actor)s made the production batch %(subject)s of %(count)d cards",
                                          "count"),
    "permit.batch.downloaded": _("%(actor)s downloaded the %(file)s of the production batch %(subject)s "
                                 "(%(count)s cards, ID numbers masked)"),
    "permit.batch.revealed": ngettext_lazy(
        "%(actor)s revealed the full ID numbers of the production batch %(subject)s (%(count)d card), purpose: "
        "%(purpose)s",
        "%(actor)s revealed the full ID numbers of the production batch %(subject)s (%(count)d cards), purpose: "
        "%(purpose)s", "count"),
    "permit.batch.ready": ngettext_lazy("%(actor)s marked the %(count)d card of the production batch %(subject)s "
                                        "ready at its acceptance point",
                                        "%(actor)s marked the %(count)d cards of the production batch %(subject)s "
                                        "ready at their acceptance points", "count"),
    "permit.card.issued": _("%(actor)s issued the residence permit %(permit)s to %(subject)s (%(delivery)s, "
                            "%(issue_status)s)"),
    "permit.verified": _("The electronic residence permit %(permit)s of %(subject)s was verified: %(result)s"),
    "permit.department_verified": _("%(actor)s verified the electronic residence permit %(permit)s of %(subject)s "
                                    "for %(purpose)s: %(result)s"),
    "permit.key.retired": _("%(actor)s retired the e-permit signing key %(subject)s; %(cards)s cards must be "
                            "reissued"),
    "employment.evidence.recorded": _("%(actor)s recorded evidence seen for %(subject)s"),
    "employment.evidence.withdrawn": _("%(actor)s withdrew evidence of %(subject)s"),
    "employment.hire.reported": _("%(actor)s reported the hire of %(subject)s"),
    "employment.separation.reported": _("%(actor)s reported that %(subject)s left"),
    "employment.reports.uploaded": ngettext_lazy(
        "%(actor)s uploaded %(rows)d report of hires and separations from the file %(subject)s (%(mode)s): "
        "%(hires)d hires, %(separations)d separations, %(late)d late, %(rows_with_errors)d rows with errors",
        "%(actor)s uploaded %(rows)d reports of hires and separations from the file %(subject)s (%(mode)s): "
        "%(hires)d hires, %(separations)d separations, %(late)d late, %(rows_with_errors)d rows with errors",
        "rows"),
    "audit.trail.viewed": ngettext_lazy("%(actor)s browsed the audit trail (%(filters)s), %(shown)d event shown",
                                        "%(actor)s browsed the audit trail (%(filters)s), %(shown)d events shown",
                                        "shown"),
}

# The words for values that events record as codes.
VALUES = {
    "by": {"id_number": _("by ID number"), "phone": _("by phone"), "name": _("by name"),
           "initials": _("by pinyin initials")},
    "purpose": {"record.opened": _("viewing on the workbench"), "registration.opened": _("viewing a registration"),
                "api.read": _("read by a department system"),
                "self-service": _("their own record"), "signup": _("opening an account"),
                "reset": _("resetting the password"), "permit.issue": _("issuing a permit card"),
                "permit.receipt": _("printing a permit issue receipt")},
    "mode": {"all": _("all rows"), "valid_rows": _("valid rows only")},
    "channel": {"api": _("through the API"), "web": _("on the web"), "upload": _("by bulk upload"),
                "counter": _("at the counter"), "phone": _("on a phone"), "online": _("online"),
                "grid_worker": _("by a grid worker")},
    "kind": {"field": _("field encryption"), "index": _("blind index"), "audit": _("audit"),
             "permit": _("e-permit signing"),
             "registrations.declarations": _("declarations of arrivals and departures")},
    "code_withheld": {"no_match": _("the ID number and phone matched no one"),
                      "exists": _("an account is already open"), "no_account": _("no account is open yet"),
                      "too_soon": _("a code was sent less than a minute ago"),
                      "too_many": _("too many codes sent today")},
    "file": {"manifest": _("manifest"), "print_sheet": _("print sheet")},
    "delivery": {"counter": _("at the counter"), "mail": _("by mail")},
    "issue_status": {"on_time": _("on time"), "late": _("late")},
    "result": {"valid": _("valid"), "suspended": _("suspended"), "dormant": _("dormant"), "revoked": _("revoked"),
               "expired": _("expired"), "invalid": _("invalid")},
    "outcome": {"present": _("lives here"), "moved_out": _("moved out"), "not_found": _("not found")},
    "cancel_reason": {"error": _("declared in error"), "never_arrived": _("the person never lived here"),
                      "duplicate": _("declared twice"), "refused": _("not confirmed")},
    "locked": {"failed_lookups": _("too many searches by ID number or phone that found nobody today")},
    "login_failed": {"password": _("wrong user name or password"), "otp": _("wrong or missing one-time code"),
                     "door": _("this kind of account logs in elsewhere"),
                     "inactive": _("the account is locked or switched off")},
}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))
