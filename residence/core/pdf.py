"""Drawing the project's PDFs (the registration certificate, the permit print sheet) with ReportLab: the CJK
TrueType font they embed (a subset of WenQuanYi Micro Hei, Debian's fonts-wqy-microhei), QR codes drawn as vector
squares (segno), Chinese text wrapped to a width."""

from __future__ import annotations

from pathlib import Path

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib.colors import black
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

# The one place that says where the CJK font is (settings.CERTIFICATE_FONT overrides it).
CERTIFICATE_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT_NAME = "WenQuanYiMicroHei"


def font_path() -> Path:
    """The CJK TrueType font the PDFs embed; a clear error when it is not installed."""
    path = Path(getattr(settings, "CERTIFICATE_FONT", CERTIFICATE_FONT))
    if not path.is_file():
        raise ImproperlyConfigured(
            f"The CJK font for certificates and print sheets is missing: {path}. Install Debian's fonts-wqy-microhei "
            "(apt-get install fonts-wqy-microhei) or set CERTIFICATE_FONT to a TrueType font with Chinese glyphs.")
    return path


def pdf_font() -> str:
    """The CJK font's name in ReportLab, registered on first use."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(font_path()), subfontIndex=0))  # a TTC: its first face
    return FONT_NAME


def draw_qr(c: canvas.Canvas, text: str, x: float, y: float, size: float) -> None:
    """A QR code of `text` drawn as squares (vector, no image), its lower left corner at (x, y)."""
    qr = segno.make(text, micro=False, error="m")
    rows = list(qr.matrix_iter(border=2))
    cell = size / len(rows)
    c.setFillColor(black)
    for i, row in enumerate(rows):
        for j, dark in enumerate(row):
            if dark:
                c.rect(x + j * cell, y + size - (i + 1) * cell, cell, cell, stroke=0, fill=1)


def wrap_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """`text` in lines no wider than `width` (Chinese breaks between any two characters)."""
    lines, line = [], ""
    for ch in text:
        if pdfmetrics.stringWidth(line + ch, font, size) > width and line:
            lines.append(line)
            line = ch
        else:
            line += ch
    return [*lines, line] if line or not lines else lines
