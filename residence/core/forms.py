"""Form helpers shared by the pages."""

from __future__ import annotations

from django import forms

from residence.core.errors import DomainError


def form_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form: beside the field it names, or above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
