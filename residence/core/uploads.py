"""The two steps of importing a table, shared by every import page: upload and check (a preview with per-row
errors, nothing written), then confirm (all rows, only when none has an error; or exactly the valid rows).

The uploaded bytes wait in var/imports/<token>.<ext> between the two steps and are deleted once imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.core.errors import DomainError
from residence.core.tabular import MAX_BYTES, Preview

ALL, VALID_ROWS = "all", "valid_rows"


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))


class ConfirmForm(forms.Form):
    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    mode = forms.ChoiceField(choices=[(ALL, gettext_lazy("Import all rows")),
                                      (VALID_ROWS, gettext_lazy("Import the valid rows only"))])


def _store() -> Path:
    return settings.VAR_DIR / "imports"


def table_import_page(
    request: HttpRequest, *, title: str, columns_help: str, again: str,
    check: Callable[[str, bytes], Preview[Any]], commit: Callable[[str, bytes, str], Preview[Any]],
    done: Callable[[Preview[Any]], str],
) -> HttpResponse:
    """Render and run one import page. `check(filename, data)` previews; `commit(filename, data, mode)` writes;
    both raise DomainError for a file-level problem. `again` is the page's URL name; `done` words the result."""
    if request.method == "POST" and "token" in request.POST:
        confirm = ConfirmForm(request.POST)
        if not confirm.is_valid():
            raise Http404
        stored = next(_store().glob(f"{confirm.cleaned_data['token']}.*"), None)
        if stored is None:
            messages.error(request, _("The upload has expired; upload the file again."))
            return redirect(again)
        try:
            result = commit(stored.name, stored.read_bytes(), confirm.cleaned_data["mode"])
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(again)
        stored.unlink(missing_ok=True)
        messages.success(request, done(result))
        return redirect(again)
    form = UploadForm(request.POST or None, request.FILES or None)
    form.fields["file"].help_text = columns_help
    preview = token = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(MAX_BYTES + 1)
        try:
            preview = check(upload.name, data)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            _store().mkdir(parents=True, exist_ok=True)
            token = uuid.uuid4().hex
            suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
            (_store() / f"{token}{suffix}").write_bytes(data)
    return render(request, "core/import.html", {"title": title, "form": form, "preview": preview, "token": token,
                                                "again": again})
