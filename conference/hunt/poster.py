"""The printable A4 poster of a checkpoint: a big QR code of ``<base>/h/<token>`` and where it is.

Pure rendering (no Flask, no database), with the badge fonts and the badge QR matrix, so the
poster's code is module-for-module the symbol the badge pages would draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from conference.badges import rendering

BRAND = (0x3B / 255, 0x2F / 255, 0xC9 / 255)
MARGIN = 18 * mm


@dataclass(frozen=True)
class Poster:
    """What one checkpoint poster shows."""

    event_name: str
    hunt_name: str
    title: str
    place: str
    url: str


def _fonts() -> tuple[str, str]:
    """(regular, bold): the badge fonts, or reportlab's built-ins if they are not installed."""
    try:
        rendering.fit_font_size("x", "Known-Sans", 10, 10, 10)
    except rendering.FontsMissingError:
        return "Helvetica", "Helvetica-Bold"
    return "Known-Sans", "Known-Sans-Bold"


def _centred(
    canvas: Canvas, text: str, font: str, y: float, max_size: float, min_size: float
) -> float:
    width, _ = A4
    room = width - 2 * MARGIN
    size = rendering.fit_font_size(text, font, room, max_size, min_size)
    while len(text) > 1 and canvas.stringWidth(text, font, size) > room:
        text = text[:-2].rstrip() + "…"
    canvas.setFont(font, size)
    canvas.drawCentredString(width / 2, y, text)
    return size


def render_poster(poster: Poster, out: BinaryIO) -> None:
    """Write the poster as a one-page A4 PDF to ``out``."""
    regular, bold = _fonts()
    width, height = A4
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"{poster.title} — checkpoint poster")
    canvas.setAuthor("Known")

    band = 34 * mm
    canvas.setFillColorRGB(*BRAND)
    canvas.rect(0, height - band, width, band, stroke=0, fill=1)
    canvas.setFillGray(1)
    _centred(canvas, poster.event_name, bold, height - band + 19 * mm, 22, 10)
    _centred(
        canvas, f"Hunt checkpoint · {poster.hunt_name}", regular, height - band + 9 * mm, 14, 8
    )

    canvas.setFillGray(0.1)
    _centred(canvas, poster.title, bold, height - band - 22 * mm, 40, 14)
    if poster.place:
        canvas.setFillGray(0.35)
        _centred(canvas, poster.place, regular, height - band - 34 * mm, 20, 10)

    size = 130 * mm
    x, y = (width - size) / 2, height - band - 44 * mm - size
    _draw_qr(canvas, poster.url, x, y, size)

    canvas.setFillGray(0.1)
    _centred(canvas, "Scan with your phone's camera", bold, y - 14 * mm, 26, 12)
    canvas.setFillGray(0.35)
    _centred(
        canvas, "Log in to Known first: the mission completes for you.", regular, y - 24 * mm, 14, 8
    )
    canvas.setFillGray(0.5)
    _centred(canvas, poster.url, regular, MARGIN, 9, 6)
    canvas.showPage()
    canvas.save()


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    matrix = rendering.qr_matrix(url)
    modules = len(matrix)
    cell = size / modules
    canvas.saveState()
    canvas.setFillGray(1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillGray(0)
    path = canvas.beginPath()
    for row, cells in enumerate(matrix):
        col = 0
        while col < modules:
            if not cells[col]:
                col += 1
                continue
            start = col
            while col < modules and cells[col]:
                col += 1
            # One rectangle per horizontal run, overlapping by a hair so no seams show.
            path.rect(
                x + start * cell,
                y + size - (row + 1) * cell,
                (col - start) * cell + 0.05,
                cell + 0.05,
            )
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
