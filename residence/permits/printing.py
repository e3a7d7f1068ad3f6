"""The card centre's files for a production batch: the XLSX manifest (one row per card) and the PDF print sheet
(one box per card: a photo placeholder, the card's fields, and the QR code of the card's signed e-permit token,
`epermit.services.card_token` of card 1 of the permit, made and kept as a `PermitCard` the first time it is asked
for, so a sheet printed again carries the same bytes). The token is up to 350 bytes: a version 13 QR code at level
M, 69 modules and a quiet zone, drawn 28 mm wide (0.38 mm a module) so that a phone reads it off the card. The PDF
embeds the CJK TrueType font as the registration certificate does (`registrations.certificate`: a subset of
WenQuanYi Micro Hei).

Both take cards from `production.py`; the ID numbers are whatever the cards carry: masked, or full in the one
manifest `batch_reveal` answers."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from residence.core.pdf import draw_qr, pdf_font, wrap_lines
from residence.permits.epermit.services import card_for, card_token
from residence.permits.models import ProductionBatch
from residence.permits.production import Card

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GREY = Color(0.55, 0.55, 0.55)


def manifest_columns() -> list[str]:
    return [_("Permit number"), _("Name"), _("Sex"), _("Ethnicity"), _("Birth date"), _("ID number"),
            _("Household-registration address"), _("Residence address"), _("Issuing authority"),
            _("Acceptance point code"), _("Acceptance point"), _("Application"), _("Photo on record")]


def manifest_xlsx(batch: ProductionBatch, cards: list[Card]) -> bytes:
    """One row per card, the fields the card centre needs, in the order of the acceptance points."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook has its sheet
    ws.title = str(batch)
    headers = manifest_columns()
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    yes, no = _("yes"), _("no")
    for c in cards:
        ws.append([c.number, c.name, c.sex, c.ethnicity, c.birth_date.isoformat(), c.id_number, c.hukou_address,
                   c.residence_address, c.issuing_authority, c.point_code, c.point_name, f"SQ{c.application_id:08d}",
                   yes if c.has_photo else no])
    widths = [22, 10, 6, 8, 12, 20, 36, 36, 24, 14, 24, 12, 8]
    for i, width in enumerate(widths, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = width
        for cell in ws[letter]:
            cell.number_format = "@"  # text: the long numbers must not become floats
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# the print sheet: A4, two columns by three rows of card boxes; in each box's right column the photo above the QR
BOX_W, BOX_H = 90 * mm, 84 * mm
COLUMNS_PER_PAGE, ROWS_PER_PAGE = 2, 3
QR_SIZE = 28 * mm  # a version 13 code (a 350-byte token) at 0.38 mm a module, its quiet zone included


def card_qr_text(card: Card) -> str:
    """What the card's QR code carries: the signed token of the permit's first card."""
    return card_token(card_for(permit_number=card.number, seq=1, name=card.name))


def print_sheet_pdf(batch: ProductionBatch, cards: list[Card]) -> bytes:
    font = pdf_font()
    buf = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    title = _("Residence permit print sheet") + " " + str(batch)
    c.setTitle(title)
    made = timezone.localtime(batch.created_at).date().isoformat()
    per_page = COLUMNS_PER_PAGE * ROWS_PER_PAGE
    pages = max(1, -(-len(cards) // per_page))
    left = (width - COLUMNS_PER_PAGE * BOX_W) / 2
    for page in range(pages):
        c.setFont(font, 12)
        c.drawString(left, height - 16 * mm, title)
        c.setFont(font, 8)
        c.drawRightString(width - left, height - 16 * mm, _("Made on %(date)s · page %(page)d of %(pages)d") % {
            "date": made, "page": page + 1, "pages": pages})
        for k, card in enumerate(cards[page * per_page:(page + 1) * per_page]):
            col, row = k % COLUMNS_PER_PAGE, k // COLUMNS_PER_PAGE
            x = left + col * BOX_W
            y = height - 22 * mm - (row + 1) * BOX_H
            _card_box(c, font, card, x, y, made)
        c.showPage()
    c.save()
    return buf.getvalue()


def _card_box(c: canvas.Canvas, font: str, card: Card, x: float, y: float, made: str) -> None:
    pad = 3 * mm
    c.setStrokeColor(black)
    c.setLineWidth(0.6)
    c.rect(x + 1 * mm, y + 1 * mm, BOX_W - 2 * mm, BOX_H - 2 * mm, stroke=1, fill=0)
    top = y + BOX_H - 1 * mm - pad
    c.setFont(font, 9)
    c.drawString(x + 1 * mm + pad, top - 2 * mm, _("Residence permit"))
    c.setFont(font, 7)
    c.drawRightString(x + BOX_W - 1 * mm - pad, top - 2 * mm, card.number)
    # the right column: the photo, a placeholder box (the photo itself comes from the card centre's capture), and
    # below it the QR code
    right_edge = x + BOX_W - 1 * mm - pad
    pw, ph = 22 * mm, 28 * mm
    px, py = right_edge - pw - (QR_SIZE - pw) / 2, top - 5 * mm - ph
    c.setStrokeColor(GREY)
    c.setDash(2, 2)
    c.rect(px, py, pw, ph, stroke=1, fill=0)
    c.setDash()
    c.setFillColor(GREY)
    c.drawCentredString(px + pw / 2, py + ph / 2, _("Photo"))
    c.setFillColor(black)
    c.setStrokeColor(black)
    fields = [
        (_("Name"), card.name), (_("Sex"), f"{card.sex}  {_('Ethnicity')} {card.ethnicity}"),
        (_("Birth date"), card.birth_date.isoformat()), (_("ID number"), card.id_number),
        (_("Household-registration address"), card.hukou_address or "—"),
        (_("Residence address"), card.residence_address or "—"),
        (_("Issuing authority"), card.issuing_authority), (_("Made on"), made),
        (_("Collect at"), card.point_name),
    ]
    label_w = 19 * mm
    line = top - 7 * mm
    right = right_edge - QR_SIZE - 2 * mm  # the values stay clear of the photo and of the QR code
    for label, value in fields:
        c.setFont(font, 6)
        c.drawString(x + 1 * mm + pad, line, label)
        c.setFont(font, 7)
        lines = wrap_lines(value, font, 7, right - (x + 1 * mm + pad + label_w))[:2]
        for i, text in enumerate(lines):
            c.drawString(x + 1 * mm + pad + label_w, line - i * 8.5, text)
        line -= 8.5 * len(lines) + 1.5
    c.setFont(font, 5)
    c.drawCentredString(right_edge - QR_SIZE / 2, y + 1 * mm + pad - 0.5 * mm, _("Scan to check"))
    draw_qr(c, card_qr_text(card), right_edge - QR_SIZE, y + 1 * mm + pad + 1.5 * mm, QR_SIZE)
