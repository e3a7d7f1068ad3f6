"""Free text people type (a display name, an occupation, an address, a reason): one check for every form, import
and API, so that no screen, PDF or trail ever carries markup or control characters."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from residence.core.errors import ValidationError


def clean_text(value: str, field: str, *, length: int = 100, required: bool = False) -> str:
    """`value` in NFKC with runs of white space made one space; refused, naming `field`, when it is longer than
    `length`, holds < > or a control character, or is empty and `required`."""
    value = " ".join(unicodedata.normalize("NFKC", value or "").split())
    if required and not value:
        raise ValidationError(_("Required."), code="required", field=field)
    if len(value) > length or any(unicodedata.category(ch).startswith("C") or ch in "<>" for ch in value):
        raise ValidationError(_("At most %(n)d characters, without < > or control characters.") % {"n": length},
                              code="text", field=field)
    return value
