"""Writes on places other than imports. Each records its audit event in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Kind
from residence.audit.services import event_record
from residence.core.errors import NotFound, ValidationError
from residence.places.models import Obligor


def obligor_account_bind(*, actor: User | None, obligor_id: int, username: str) -> Obligor:
    """Bind a declaration obligor (landlord, employer, hotel, hourly rental) to its log-in account, so that the
    account sees that obligor's premises. The account's role must be the obligor's kind; one account per obligor."""
    obligor = Obligor.objects.filter(pk=obligor_id).first()
    if obligor is None:
        raise NotFound(_("No such obligor."))
    user = User.objects.filter(username=username, kind=Kind.OBLIGOR).first()
    if user is None:
        raise ValidationError(_("No obligor account has this user name."), field="username")
    if user.role != obligor.kind:
        raise ValidationError(_("The account's role (%(role)s) is not the obligor's kind (%(kind)s).")
                              % {"role": user.get_role_display(), "kind": obligor.get_kind_display()},
                              field="username")
    if obligor.account_id not in (None, user.pk):
        raise ValidationError(_("This obligor already has another account."), field="obligor")
    with transaction.atomic():
        Obligor.objects.filter(account=user).exclude(pk=obligor.pk).update(account=None)
        obligor.account = user
        obligor.save(update_fields=["account"])
        event_record(actor=actor, action="place.obligor.bound", subject_type="obligor", subject_id=obligor.pk,
                     data={"account": user.username})
    return obligor
