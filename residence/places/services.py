"""Writes on places other than imports. Each records its audit event in the same transaction."""

from __future__ import annotations

import posixpath
import re

from django.db import transaction
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.roles import Capability, Kind, can
from residence.accounts.services import account_fields_check, user_create
from residence.audit.services import event_record
from residence.core.errors import NotFound, PermissionDenied, ValidationError
from residence.core.text import clean_text
from residence.places.models import Jurisdiction, Obligor, ObligorKind, Unit
from residence.places.selectors import jurisdiction_path_for_user

OBLIGOR_CODE = re.compile(r"[0-9A-Za-z-]{4,32}")


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


# Administration of obligors in the UI (/manage/obligors/): an administrator or a district manager, for the
# obligors registered inside their area (Obligor.jurisdiction). Out of the area is "not found".

def _text(value: str, field: str, *, required: bool = True, length: int = 100) -> str:
    return clean_text(value, field, length=length, required=required)


def obligor_get_for(*, actor: User, obligor_id: int) -> Obligor:
    """An obligor registered inside the actor's area, for an actor who administers obligors; NotFound else."""
    path = jurisdiction_path_for_user(actor) if can(actor, Capability.OBLIGOR_MANAGE) else None
    found = None
    if path is not None:
        found = (Obligor.objects.select_related("jurisdiction", "account")
                 .filter(pk=obligor_id, jurisdiction__path__startswith=path).first())
    if found is None:
        raise NotFound(_("No such obligor."))
    return found


def obligor_create(*, actor: User, name: str, kind: str, jurisdiction_code: str, code: str = "") -> Obligor:
    """A declaration obligor registered in a jurisdiction inside the actor's area; `code` is the register's own
    number for it (optional, unique)."""
    if not can(actor, Capability.OBLIGOR_MANAGE):
        raise PermissionDenied(_("You may not do this."))
    name = _text(name, "name")
    code = _text(code, "code", required=False, length=32)
    if code and not OBLIGOR_CODE.fullmatch(code):
        raise ValidationError(_("4–32 letters, digits or hyphens."), field="code")
    if kind not in ObligorKind.values:
        raise ValidationError(_("Choose a kind."), field="kind")
    path = jurisdiction_path_for_user(actor) or "\x00"
    area = Jurisdiction.objects.filter(code=(jurisdiction_code or "").strip(), path__startswith=path).first()
    if area is None:
        raise ValidationError(_("No area inside yours has the code %(code)s.") % {"code": jurisdiction_code[:32]},
                              field="jurisdiction_code")
    if code and Obligor.objects.filter(code=code).exists():
        raise ValidationError(_("Another obligor has this code."), field="code")
    with transaction.atomic():
        obligor = Obligor.objects.create(name=name, kind=kind, jurisdiction=area, code=code or None)
        event_record(actor=actor, action="place.obligor.created", subject_type="obligor", subject_id=obligor.pk,
                     data={"kind": kind, "jurisdiction": area.code, "code": code})
    return obligor


def obligor_account_bind_for(*, actor: User, obligor_id: int, username: str) -> Obligor:
    """`obligor_account_bind` for an obligor inside the actor's area. An account bound to another obligor moves
    only when that obligor is inside the area too (else the account is "not found")."""
    obligor = obligor_get_for(actor=actor, obligor_id=obligor_id)
    username = (username or "").strip()
    other = Obligor.objects.filter(account__username=username).exclude(pk=obligor.pk).first()
    if other is not None:
        try:
            obligor_get_for(actor=actor, obligor_id=other.pk)
        except NotFound:
            raise ValidationError(_("No obligor account has this user name."), field="username") from None
    return obligor_account_bind(actor=actor, obligor_id=obligor.pk, username=username)


def obligor_account_create(*, actor: User, obligor_id: int, username: str, password: str) -> Obligor:
    """A new log-in account for an obligor inside the actor's area (its role the obligor's kind), bound to it."""
    obligor = obligor_get_for(actor=actor, obligor_id=obligor_id)
    username = (username or "").strip()
    if obligor.account_id is not None:
        raise ValidationError(_("This obligor already has another account."), field="username")
    account_fields_check(username=username, password=password, display_name=obligor.name)
    with transaction.atomic():
        user_create(actor=actor, username=username, password=password, role=obligor.kind,
                    display_name=obligor.name, check_password=False)
        return obligor_account_bind(actor=actor, obligor_id=obligor.pk, username=username)


def obligor_jurisdictions_derive() -> int:
    """Give each obligor without a jurisdiction the deepest area that holds all its units (for obligors written
    before they had one, like the demo's); returns how many were set."""
    paths: dict[int, list[str]] = {}
    for obligor_id, path in (Unit.objects.filter(obligor__jurisdiction__isnull=True)
                             .values_list("obligor_id", "building__grid__path").distinct()):
        paths.setdefault(obligor_id, []).append(path)
    by_path = dict(Jurisdiction.objects.values_list("path", "id"))
    changed = 0
    with transaction.atomic():
        for obligor_id, found in paths.items():
            common = posixpath.commonpath(found).rstrip("/") + "/"
            if common in by_path:
                changed += Obligor.objects.filter(pk=obligor_id).update(jurisdiction_id=by_path[common])
    return changed
