"""The two steps of importing a table, shared by every import page: upload and check (a preview with per-row
errors, nothing written), then confirm (all rows, only when none has an error; or exactly the valid rows).

The uploaded bytes wait in the import store (`storages["imports"]`, var/imports/<token>.<ext>: encrypted, mode 0600,
see core/storage.py) between the two steps. They are deleted once imported, and after UPLOAD_TTL_MINUTES whether
or not they were: a confirm after that answers that the upload has expired, and `upload_purge_expired` (run by the
worker) removes what is left.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.audit.services import event_record
from residence.core.errors import DomainError
from residence.core.tabular import MAX_BYTES, Preview, check_size

ALL, VALID_ROWS = "all", "valid_rows"


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))


class ConfirmForm(forms.Form):
    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    mode = forms.ChoiceField(choices=[(ALL, gettext_lazy("Import all rows")),
                                      (VALID_ROWS, gettext_lazy("Import the valid rows only"))])


def _store() -> Storage:
    return storages["imports"]


def _expired(store: Storage, name: str, now: dt.datetime) -> bool:
    return store.get_modified_time(name) <= now - dt.timedelta(minutes=settings.UPLOAD_TTL_MINUTES)


def _stored(token: str) -> str | None:
    """The stored upload of `token`, or None when there is none or it has expired (then it is removed)."""
    store = _store()
    name = next((n for n in (f"{token}.csv", f"{token}.xlsx") if store.exists(n)), None)
    if name is not None and _expired(store, name, timezone.now()):
        store.delete(name)
        return None
    return name


def upload_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Remove every upload older than UPLOAD_TTL_MINUTES (never confirmed); return how many. When any was removed,
    an audit event says how many. For the worker's schedule."""
    store, now = _store(), now or timezone.now()
    try:
        names = store.listdir("")[1]
    except FileNotFoundError:
        return 0
    removed = 0
    with transaction.atomic():
        for name in names:
            if _expired(store, name, now):
                store.delete(name)
                removed += 1
        if removed:
            event_record(actor=None, action="import.uploads.purged", subject_type="import",
                         data={"removed": removed, "ttl_minutes": settings.UPLOAD_TTL_MINUTES})
    return removed


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
        stored = _stored(confirm.cleaned_data["token"])
        if stored is None:
            messages.error(request, _("The upload has expired; upload the file again."))
            return redirect(again)
        with _store().open(stored) as f:
            data = f.read()
        try:
            result = commit(stored, data, confirm.cleaned_data["mode"])
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(again)
        _store().delete(stored)
        messages.success(request, done(result))
        return redirect(again)
    form = UploadForm(request.POST or None, request.FILES or None)
    form.fields["file"].help_text = columns_help
    preview = token = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_size(upload.size)  # the real size: the upload handler keeps no more than the limit
            data = upload.read(MAX_BYTES + 1)
            preview = check(upload.name, data)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            token = uuid.uuid4().hex
            suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
            _store().save(f"{token}{suffix}", ContentFile(data))
    return render(request, "core/import.html", {"title": title, "form": form, "preview": preview, "token": token,
                                                "again": again})
