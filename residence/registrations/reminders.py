"""The daily reminder of overdue departures: one a day per obligor that has any, shown on its pages and texted to
its business phone when it has one. Run by the worker (workbench/schedule.py); running it twice on a day sends
nothing the second time (one row per obligor, kind and day, claimed by a unique key)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import ngettext

from residence.audit.services import event_record
from residence.core.bulk import bulk_insert_new
from residence.core.sms import sms_send
from residence.places.models import Obligor, Reminder
from residence.registrations.compliance import registrations_overdue
from residence.stays.compliance import stays_overdue

STAYS_LOOKBACK_DAYS = 120  # check-ins older than this are not looked at for open stays (a partition bound)


def overdue_by_obligor(*, now: dt.datetime | None = None) -> dict[int, int]:
    """How many departures are overdue now, per obligor: its open registrations and its open stays, set-based."""
    now = now or timezone.now()
    out: dict[int, int] = {}
    for obligor_id, n in (registrations_overdue(now=now).values("unit__obligor_id").order_by()
                          .annotate(n=Count("id")).values_list("unit__obligor_id", "n")):
        out[obligor_id] = out.get(obligor_id, 0) + n
    stays = stays_overdue(now=now).filter(declared_at__gte=now - dt.timedelta(days=STAYS_LOOKBACK_DAYS))
    for obligor_id, n in stays.values("obligor_id").order_by().annotate(n=Count("id")).values_list("obligor_id", "n"):
        out[obligor_id] = out.get(obligor_id, 0) + n
    return out


def departure_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind each obligor with overdue departures, once today; returns how many were reminded by this run."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    overdue = overdue_by_obligor(now=now)
    with transaction.atomic():
        rows = [(obligor_id, Reminder.Kind.DEPARTURES_OVERDUE, today, n, False, now)
                for obligor_id, n in sorted(overdue.items())]
        new = bulk_insert_new(Reminder, ["obligor_id", "kind", "day", "count", "texted", "created_at"], rows,
                              conflict=["obligor_id", "kind", "day"], returning="obligor_id")
        phones = dict(Obligor.objects.filter(pk__in=new).exclude(phone="").values_list("pk", "phone"))
        with translation.override(settings.LANGUAGE_CODE):
            for obligor_id, phone in sorted(phones.items()):
                n = overdue[obligor_id]
                sms_send(phone=phone, text=ngettext(
                    "Residence registration: %(n)d departure at your premises is overdue. Please declare it.",
                    "Residence registration: %(n)d departures at your premises are overdue. Please declare them.",
                    n) % {"n": n})
        if phones:
            Reminder.objects.filter(day=today, kind=Reminder.Kind.DEPARTURES_OVERDUE,
                                    obligor_id__in=list(phones)).update(texted=True)
        if overdue:  # one event a run that found anything overdue (a run twice a day records its 0 reminded)
            event_record(actor=None, action="registration.reminders.sent", subject_type="job",
                         subject_id="reminders.departures",
                         data={"day": today.isoformat(), "reminded": len(new), "texted": len(phones),
                               "already": len(overdue) - len(new)})
    return len(new)
