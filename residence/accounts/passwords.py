"""Password rules (AUTH_PASSWORD_VALIDATORS): at least 12 characters (ASVS 2.1.1), with the message in our own
catalogue, since Django 5.2's Chinese catalogue misses the current wording of its length message."""

from __future__ import annotations

from django.contrib.auth.password_validation import MinimumLengthValidator as DjangoMinimumLength
from django.utils.translation import ngettext


class MinimumLengthValidator(DjangoMinimumLength):
    def __init__(self, min_length: int = 12) -> None:
        super().__init__(min_length=min_length)

    def get_error_message(self) -> str:
        return ngettext("This password is too short. It must contain at least %(min_length)d character.",
                        "This password is too short. It must contain at least %(min_length)d characters.",
                        self.min_length) % {"min_length": self.min_length}
