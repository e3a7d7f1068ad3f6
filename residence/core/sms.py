"""Text messages to phones: the system's edge to an SMS gateway, and the one place tests use a fake.

`settings.SMS_BACKEND` chooses where messages go:
- "console" (development and the demo): written to the server's standard error, so whoever runs it reads the code;
- "memory" (tests): appended to `outbox`.
A deployment adds its operator's gateway here as one more backend; nothing else changes.
"""

from __future__ import annotations

import sys

from django.conf import settings

from residence.core.errors import DomainError

outbox: list[tuple[str, str]] = []  # (phone, text) for the "memory" backend


def sms_send(*, phone: str, text: str) -> None:
    backend = settings.SMS_BACKEND
    if backend == "memory":
        outbox.append((phone, text))
    elif backend == "console":
        sys.stderr.write(f"[SMS to {phone[:3]}****{phone[-4:]}] {text}\n")
        sys.stderr.flush()
    else:
        raise DomainError(f"unknown SMS backend {backend!r}", code="sms_backend")
