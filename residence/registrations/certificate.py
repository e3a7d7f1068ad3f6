"""The registration certificate (居住登记凭证) as a PDF: ReportLab, with the CJK TrueType font embedded (a subset of
WenQuanYi Micro Hei, Debian's fonts-wqy-microhei) and a QR code of the certificate number (segno).

Certificate number: the county code of the registration's area (6 digits), the year the registration started (4)
and the registration's id (10 digits, zero-padded), e.g. 440308 2025 0000012345 → "44030820250000012345". Unique
(the id is), stable (none of the three changes for a registration: an area is re-stamped only for open
registrations of a redrawn grid, which keeps its county) and says where and since when at a glance.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A5
from reportlab.pdfgen import canvas

from residence.core.pdf import draw_qr, pdf_font, wrap_lines

MARK_RED = Color(0.75, 0.1, 0.1)


@dataclass(frozen=True)
class Certificate:
    """What a registration certificate says (the selector `registration_certificate` builds it, scoped)."""

    number: str
    name: str
    id_number_masked: str
    address: str
    registered_since: dt.date
    declared_by: str  # who declared (in words), "" for records imported before declarations were kept
    declared_at: dt.datetime | None
    issued_by: str  # the issuing jurisdiction (the registration's district)
    printed_on: dt.date
    register_only: bool  # registered only, no permit yet (the rules' 只登记不发证)
    register_only_below_days: int
    continuous_days: int


def certificate_number(*, area_code: str, started_on: dt.date, registration_id: int) -> str:
    """See the module's docstring."""
    return f"{area_code[:6]:0>6}{started_on.year:04d}{registration_id:010d}"


def certificate_pdf(cert: Certificate) -> bytes:
    """The certificate on one A5 page."""
    font = pdf_font()
    buf = io.BytesIO()
    width, height = A5
    c = canvas.Canvas(buf, pagesize=A5, invariant=True)
    c.setTitle(_("Residence registration certificate") + " " + cert.number)
    c.setAuthor(cert.issued_by)
    margin = 36.0
    c.setFont(font, 20)
    c.drawCentredString(width / 2, height - 60, _("Residence registration certificate"))
    c.setFont(font, 9)
    c.drawCentredString(width / 2, height - 78, _("Certificate number %(number)s") % {"number": cert.number})
    declared = ""
    if cert.declared_by:
        declared = cert.declared_by
        if cert.declared_at is not None:
            declared += " · " + f"{cert.declared_at:%Y-%m-%d %H:%M}"
    fields = [
        (_("Name"), cert.name),
        (_("ID number"), cert.id_number_masked),
        (_("Address"), cert.address),
        (_("Registered since"), cert.registered_since.isoformat()),
        (_("Declared by"), declared or "—"),
        (_("Issued by"), cert.issued_by),
        (_("Printed on"), cert.printed_on.isoformat()),
    ]
    y = height - 120
    for label, value in fields:
        c.setFont(font, 10)
        c.drawString(margin, y, label)
        c.setFont(font, 11)
        lines = wrap_lines(value, font, 11, width - margin - 130)
        for k, line in enumerate(lines):
            c.drawString(margin + 90, y - k * 15, line)
        y -= 15 * len(lines) + 12
    c.setLineWidth(0.5)
    c.line(margin, y + 4, width - margin, y + 4)
    y -= 22
    if cert.register_only:
        c.setFillColor(MARK_RED)
        c.setStrokeColor(MARK_RED)
        c.setLineWidth(1.5)
        c.rect(margin, y - 30, width - 2 * margin, 44, stroke=1, fill=0)
        c.setFont(font, 16)
        c.drawCentredString(width / 2, y - 6, _("Registered only, no permit yet"))
        c.setFont(font, 9)
        c.drawCentredString(width / 2, y - 22, _(
            "Continuously registered for %(days)d days, under the %(below)d days a residence permit needs.") % {
            "days": cert.continuous_days, "below": cert.register_only_below_days})
        c.setFillColor(black)
        c.setStrokeColor(black)
    else:
        c.setFont(font, 10)
        c.drawString(margin, y, _("Continuously registered for %(days)d days.") % {"days": cert.continuous_days})
    size = 96.0
    draw_qr(c, cert.number, width - margin - size, margin + 8, size)
    c.setFont(font, 8)
    c.drawString(margin, margin + 40, _("This certificate proves the residence registration above on the day it "
                                        "was printed."))
    c.drawString(margin, margin + 26, _("Check it with the certificate number at any acceptance point."))
    c.showPage()
    c.save()
    return buf.getvalue()
