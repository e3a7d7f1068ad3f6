"""The two steps of importing a table, shared by every import page: upload and check (a preview with per-row
errors, nothing written), then confirm (all rows, only when none has an error; or exactly the valid rows).

The uploaded bytes wait in the import store (`storages["imports"]`, var/imports/<token>.<ext>: encrypted, mode 0600,
see core/storage.py) between the two steps. They are deleted once imported, and after UPLOAD_TTL_MINUTES whether
or not they were: a confirm after that answers that the upload has expired, and `upload_purge_expired` (run by the
worker) removes what is left.

An import that declares its columns (core/columns.py) passes them as `columns=`; its page then offers the template
(下载模板: `?template=xlsx` on the page's own URL, behind the page's own permission check, the example row completed
by `example()`) and shows the first rows of the preview with each cell's errors beside it. Without `columns` the
page lists the errors only, as before.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.audit.services import event_record
from residence.core.columns import Column, template_xlsx
from residence.core.errors import DomainError
from residence.core.models import ImportJob
from residence.core.tabular import MAX_BYTES, Preview, RowError, check_size

ALL, VALID_ROWS = "all", "valid_rows"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_LISTED = 500  # errors of rows beyond the shown ones, listed below the table
_ROWS_KEY = "import-rows-"  # the session remembers how many rows a checked upload has, by its token


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


@dataclass
class ShownCell:
    value: str
    errors: list[str]


@dataclass
class ShownRow:
    row: int
    cells: list[ShownCell]
    errors: list[str]  # errors not of one of the columns

    columns: list[str]  # the labels of the cells with errors, named where the row starts (a phone shows no more)

    @property
    def ok(self) -> bool:
        return not self.errors and not any(c.errors for c in self.cells)


def preview_rows(preview: Preview[Any], columns: Sequence[Column]) -> tuple[list[ShownRow], list[RowError]]:
    """The preview's first rows as the page shows them (each cell masked as its column's kind says, its errors
    beside it), and the errors of the rows after them."""
    by_row: dict[int, list[RowError]] = {}
    for e in preview.errors:
        by_row.setdefault(e.row, []).append(e)
    labels = {c.label for c in columns}
    shown = []
    for n, raw in preview.sample:
        errors = by_row.pop(n, [])
        cells = [ShownCell(c.show(raw.get(c.name, "")), [e.message for e in errors if e.column == c.label])
                 for c in columns]
        shown.append(ShownRow(n, cells, [e.text for e in errors if e.column not in labels],
                              [c.label for c, cell in zip(columns, cells, strict=True) if cell.errors]))
    later = [e for n in sorted(by_row) for e in by_row[n]]
    return shown, later


def _template(title: str, columns: Sequence[Column], example: Mapping[str, str]) -> HttpResponse:
    filename = _("%(title)s template") % {"title": title} + ".xlsx"
    return HttpResponse(template_xlsx(columns, example), content_type=XLSX, headers={
        "Content-Disposition": content_disposition_header(as_attachment=True, filename=filename),
        "Cache-Control": "no-store"})


def table_import_page(
    request: HttpRequest, *, title: str, columns_help: str = "", again: str,
    check: Callable[[str, bytes], Preview[Any]], commit: Callable[[str, bytes, str], Preview[Any]],
    done: Callable[[Preview[Any]], str], columns: Sequence[Column] | None = None,
    example: Callable[[], Mapping[str, str]] | None = None,
    background: Callable[[str, bytes, str, int], ImportJob] | None = None, intro: str = "",
) -> HttpResponse:
    """Render and run one import page. `check(filename, data)` previews; `commit(filename, data, mode)` writes;
    both raise DomainError for a file-level problem. `again` is the page's URL name; `done` words the result.
    `columns` (optional) gives the page its template download and the preview table; `example()` completes the
    template's example row for this user; `columns_help` defaults to the list of columns. With `background`, a
    file of more than IMPORT_JOB_ROWS rows is handed to `background(filename, data, mode, rows)` (which queues a
    job, core/jobs.py) and the page goes to the job's progress page. `intro` is a line above the form."""
    if columns and request.method == "GET" and request.GET.get("template") == "xlsx":
        return _template(title, columns, example() if example else {})
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
        rows = request.session.pop(_ROWS_KEY + confirm.cleaned_data["token"], 0)
        if background is not None and rows > settings.IMPORT_JOB_ROWS:
            job = background(stored, data, confirm.cleaned_data["mode"], rows)
            _store().delete(stored)
            return redirect("core:job", job_id=job.pk)
        try:
            result = commit(stored, data, confirm.cleaned_data["mode"])
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(again)
        _store().delete(stored)
        messages.success(request, done(result))
        return redirect(again)
    form = UploadForm(request.POST or None, request.FILES or None)
    form.fields["file"].help_text = columns_help or (_columns_help(columns) if columns else "")
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
            request.session[_ROWS_KEY + token] = preview.total  # whether the confirm runs here or in the worker
    shown, later = preview_rows(preview, columns) if preview is not None and columns else ([], [])
    return render(request, "core/import.html", {
        "title": title, "form": form, "preview": preview, "token": token, "again": again, "columns": columns,
        "intro": intro, "in_background": bool(background and preview and preview.total > settings.IMPORT_JOB_ROWS),
        "shown": shown, "later": later[:ERRORS_LISTED], "later_more": max(0, len(later) - ERRORS_LISTED)})


def _columns_help(columns: Sequence[Column]) -> str:
    return _("Columns: %(cols)s (required: %(required)s). UTF-8 or GBK CSV, or XLSX; at most %(mb)d MB.") % {
        "cols": "、".join(c.label for c in columns), "required": "、".join(c.label for c in columns if c.required),
        "mb": MAX_BYTES // (1024 * 1024)}
