"""Pure badge rendering: QR codes as SVG/PNG and printable PDF badge sheets.

No Flask and no database here: callers pass plain ``BadgeCard`` values (usually from a
generator over a query) and a binary file object to write to.

The QR matrix always comes from the ``qrcode`` package, so the SVG, the PNG and the vector
QR drawn into the PDF are module-for-module the same symbol.

Fonts come from npm packages installed into ``node_modules/`` by ``npm ci`` (see
``package.json``); they are never fetched at run time:

- ``dejavu-fonts-ttf``: DejaVu Sans (Latin with accents, Greek, Cyrillic);
- ``@expo-google-fonts/noto-sans-kr``: Noto Sans KR as TrueType outlines, which covers
  Hangul, kana and about 8,000 Han characters (enough for most Japanese and Korean names).

reportlab embeds only the glyphs actually used (it subsets on embed), so the PDF stays small
even though the CJK files are about 6 MB each.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import BinaryIO, Literal

import qrcode
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage
from qrcode.util import mask_func
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from conference.config import PROJECT_ROOT

__all__ = [
    "LAYOUTS",
    "BadgeCard",
    "FontsMissingError",
    "fit_font_size",
    "qr_matrix",
    "qr_png",
    "qr_svg",
    "render_badges_pdf",
]


@dataclass(frozen=True)
class BadgeCard:
    """What one printed badge shows."""

    name: str
    company: str
    handle: str  # primary handle as displayed, e.g. "@maria_dev" (may be "")
    url: str  # what the QR encodes, e.g. "http://127.0.0.1:5000/b/AbC..."
    event_name: str = ""


# --- QR codes ---------------------------------------------------------------------------------

# Q (25 % recovery) rather than M: badges get bent, scratched and half-covered by lanyard clips,
# and a typical badge URL (~60 bytes) still fits version 5 (37 modules), so modules stay large.
QR_ERROR_CORRECTION = ERROR_CORRECT_Q
# The QR spec requires a quiet zone of 4 modules; phones fail on busy surroundings without it.
QR_BORDER = 4


def _qr_code(url: str, *, box_size: int = 10) -> qrcode.QRCode[PilImage]:
    qr = qrcode.QRCode(
        error_correction=QR_ERROR_CORRECTION,
        border=QR_BORDER,
        box_size=box_size,
        image_factory=PilImage,
    )
    qr.add_data(url)
    qr.best_fit()
    # Instead of qr.make(): the same symbol (tests compare it with qrcode's own), about 3x
    # faster; qrcode's mask selection was 90 % of the time to render a badge sheet.
    _make_with_best_mask(qr)
    return qr


@cache
def _data_cells(version: int) -> tuple[int, ...]:
    """Per row, a bitmask (bit c = column c) of the cells that carry masked data."""
    probe = qrcode.QRCode(version=version)
    size = version * 4 + 17
    # The same steps as QRCode.makeImpl before it maps the data: whatever is still None then
    # is a data cell, and only data cells are masked.
    probe.modules_count = size
    probe.modules = [[None] * size for _ in range(size)]
    probe.setup_position_probe_pattern(0, 0)
    probe.setup_position_probe_pattern(size - 7, 0)
    probe.setup_position_probe_pattern(0, size - 7)
    probe.setup_position_adjust_pattern()
    probe.setup_timing_pattern()
    probe.setup_type_info(True, 0)
    if version >= 7:
        probe.setup_type_number(True)
    return tuple(
        sum(1 << col for col, cell in enumerate(row) if cell is None) for row in probe.modules
    )


@cache
def _mask_bits(size: int, pattern: int) -> tuple[int, ...]:
    """Per row, a bitmask of the cells that mask ``pattern`` inverts."""
    function = mask_func(pattern)
    return tuple(sum(1 << col for col in range(size) if function(row, col)) for row in range(size))


_RUN = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=10111010000|00001011101)")


def _penalty(rows: Sequence[int], size: int) -> int:
    """qrcode's ``util.lost_point`` (the ISO 18004 mask penalty) on rows held as bitmasks.

    Regular expressions over row and column strings and bitwise 2x2 tests do in C what
    ``lost_point`` does cell by cell in Python.
    """
    row_strings = [format(row, f"0{size}b")[::-1] for row in rows]
    columns = ("".join(column) for column in zip(*row_strings, strict=True))
    # All rows and columns in one string, separated by "|" so no match spans two lines: one
    # regular-expression pass each instead of one per line.
    lines = "|".join(itertools.chain(row_strings, columns))
    # N1: a run of five or more same-coloured modules costs its length minus two.
    runs = _RUN.findall(lines)
    points = sum(map(len, runs)) - 2 * len(runs)
    # N3: 1:1:3:1:1 finder-like patterns with four light modules on one side.
    points += 40 * len(_FINDER_LIKE.findall(lines))
    # N2: every 2x2 block of one colour costs 3.
    pairs = (1 << (size - 1)) - 1
    for upper, lower in itertools.pairwise(rows):
        same_vertical = ~(upper ^ lower)
        points += (
            3 * (same_vertical & (same_vertical >> 1) & ~(upper ^ (upper >> 1)) & pairs).bit_count()
        )
    # N4: 10 points for every full 5 % that the dark share departs from 50 %; the same
    # float arithmetic as qrcode, so ties are broken identically.
    dark = sum(row.bit_count() for row in rows)
    points += int(abs(float(dark) / (size**2) * 100 - 50) / 5) * 10
    return points


def _make_with_best_mask(qr: qrcode.QRCode[PilImage]) -> None:
    """Finish ``qr`` with the mask that ``QRCode.best_mask_pattern`` would choose.

    qrcode maps the data nine times (eight trial masks, then the chosen one); here it is mapped
    once, unmasked by XOR, and each mask is applied to whole rows at a time.
    """
    qr.makeImpl(True, 0)
    size = qr.modules_count
    data = _data_cells(qr.version)
    mask0 = _mask_bits(size, 0)
    powers = [1 << col for col in range(size)]
    unmasked = [
        sum(itertools.compress(powers, row)) ^ (mask0[index] & data[index])
        for index, row in enumerate(qr.modules)
    ]
    best_pattern, best_points, best_rows = 0, -1, unmasked
    for pattern in range(8):
        bits = _mask_bits(size, pattern)
        rows = [row ^ (bits[index] & data[index]) for index, row in enumerate(unmasked)]
        points = _penalty(rows, size)
        # Strictly lower only: on a tie the lower pattern wins, as in qrcode.
        if best_points < 0 or points < best_points:
            best_pattern, best_points, best_rows = pattern, points, rows
    # What makeImpl(False, best_pattern) would produce: the masked data cells, then the real
    # format (and version) information in place of the blank test-mode areas.
    for modules, row, columns in zip(qr.modules, best_rows, _data_columns(qr.version), strict=True):
        for col in columns:
            modules[col] = bool(row >> col & 1)
    qr.setup_type_info(False, best_pattern)
    if qr.version >= 7:
        qr.setup_type_number(False)
    qr.mask_pattern = best_pattern


@cache
def _data_columns(version: int) -> tuple[tuple[int, ...], ...]:
    """Per row, the columns of the data cells (the bits of ``_data_cells``)."""
    return tuple(
        tuple(col for col in range(row.bit_length()) if row >> col & 1)
        for row in _data_cells(version)
    )


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR modules for ``url``, quiet zone included (True = dark), top row first."""
    return _qr_code(url).get_matrix()


def qr_svg(url: str) -> str:
    """A standalone SVG document of the QR for ``url``: one ``<path>`` on a white background."""
    # The "fill" variant paints the background white so the code stays scannable on dark pages.
    image = _qr_code(url).make_image(image_factory=SvgPathFillImage)
    svg = image.to_string(encoding="unicode")
    assert isinstance(svg, str)
    return svg


def qr_png(url: str, *, box_size: int = 10) -> bytes:
    """PNG bytes of the QR for ``url``; ``box_size`` is the pixel size of one module."""
    image = _qr_code(url, box_size=box_size).make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


_DARK_RUN = re.compile(rb"\x01+")


def _module_rects(matrix: Sequence[Sequence[bool]]) -> Iterator[tuple[int, int, int, int]]:
    """Dark areas of ``matrix`` as (col, row, width, height) rectangles, in module units.

    Runs of dark modules in a row become one rectangle, and identical runs in consecutive rows
    are stacked into one taller rectangle: under half the operators of one square per dark
    module, which keeps the page streams (held in memory until ``save``) small.
    """
    open_runs: dict[tuple[int, int], int] = {}  # (col, width) -> first row
    for row_index in range(len(matrix) + 1):
        runs: set[tuple[int, int]] = set()
        if row_index < len(matrix):
            # bytes() of a list of bools is one byte per module, scanned by the regex in C.
            for run in _DARK_RUN.finditer(bytes(matrix[row_index])):
                runs.add((run.start(), run.end() - run.start()))
        for key in [key for key in open_runs if key not in runs]:
            first = open_runs.pop(key)
            yield key[0], first, key[1], row_index - first
        for key in runs:
            open_runs.setdefault(key, row_index)


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR for ``url`` as vector rectangles in the square (x, y, size), quiet zone in."""
    matrix = qr_matrix(url)
    modules = len(matrix)
    canvas.saveState()
    # White under the whole symbol so the quiet zone survives any future card background.
    canvas.setFillGray(1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    # Draw in module units with the origin at the top-left corner: coordinates become small
    # integers ("12 3 4 1 re"), so the content stream is short whatever the physical size.
    canvas.translate(x, y + size)
    canvas.scale(size / modules, -size / modules)
    canvas.setFillGray(0)
    # The rectangles go in as literal operators: reportlab's path API formats every number
    # through its pure-Python float formatter, which took about a fifth of the render time.
    # One fill for the whole symbol also means rasterisers leave no hairline seams between
    # adjacent rectangles.
    rects = [
        f"{col} {row} {width} {height} re" for col, row, width, height in _module_rects(matrix)
    ]
    canvas.addLiteral("\n".join(rects) + "\nf")
    canvas.restoreState()


# --- fonts ------------------------------------------------------------------------------------

NODE_MODULES = PROJECT_ROOT / "node_modules"
_DEJAVU_DIR = NODE_MODULES / "dejavu-fonts-ttf" / "ttf"
_NOTO_KR_DIR = NODE_MODULES / "@expo-google-fonts" / "noto-sans-kr"

FONT_FILES: dict[str, Path] = {
    "Known-Sans": _DEJAVU_DIR / "DejaVuSans.ttf",
    "Known-Sans-Bold": _DEJAVU_DIR / "DejaVuSans-Bold.ttf",
    "Known-CJK": _NOTO_KR_DIR / "400Regular" / "NotoSansKR_400Regular.ttf",
    "Known-CJK-Bold": _NOTO_KR_DIR / "700Bold" / "NotoSansKR_700Bold.ttf",
}
# Fallback chains: a text is set in the first font that has every character; a text no single
# font covers is split into runs, each in the first font that has its characters.
REGULAR_FONTS = ("Known-Sans", "Known-CJK")
BOLD_FONTS = ("Known-Sans-Bold", "Known-CJK-Bold")
ELLIPSIS = "\u2026"
_MAX_CHARS = 200  # per text line on a badge, before fitting


class FontsMissingError(RuntimeError):
    """The badge fonts are not installed (they come from npm: run ``npm ci``)."""


@cache
def _font_coverage() -> dict[str, frozenset[int]]:
    """Register the badge fonts with reportlab once per process; code points each one has."""
    missing = [str(path) for path in FONT_FILES.values() if not path.is_file()]
    if missing:
        raise FontsMissingError(
            "badge fonts not found: " + ", ".join(missing) + " (run `npm ci` in the project root;"
            " package.json lists dejavu-fonts-ttf and @expo-google-fonts/noto-sans-kr)"
        )
    coverage: dict[str, frozenset[int]] = {}
    for name, path in FONT_FILES.items():
        font = TTFont(name, str(path))
        pdfmetrics.registerFont(font)
        coverage[name] = frozenset(font.face.charToGlyph)
    return coverage


_Run = tuple[str, str]  # (font name, text)


def _runs(text: str, fonts: Sequence[str]) -> list[_Run]:
    coverage = _font_coverage()
    for font in fonts:
        if all(ord(char) in coverage[font] for char in text):
            return [(font, text)]
    runs: list[_Run] = []
    for char in text:
        # Spaces and punctuation stay in the current run's font when it has them, so a mixed
        # name such as "Zoë 田中" switches font once, not around every space.
        if runs and ord(char) in coverage[runs[-1][0]] and not char.isalnum():
            font = runs[-1][0]
        else:
            # Nothing has the character: the first font draws its "missing glyph" box, which at
            # least shows that something is missing instead of silently dropping it.
            font = next((f for f in fonts if ord(char) in coverage[f]), fonts[0])
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + char)
        else:
            runs.append((font, char))
    return runs


def _width(text: str, fonts: Sequence[str], size: float) -> float:
    return sum(pdfmetrics.stringWidth(part, font, size) for font, part in _runs(text, fonts))


def _fit_size(width_at_1pt: float, max_width: float, max_size: float, min_size: float) -> float:
    if width_at_1pt <= 0:
        return max_size
    # Half-point steps: stable, readable sizes, and always on the "fits" side of the limit.
    size = math.floor(max_width / width_at_1pt * 2) / 2
    return max(min_size, min(max_size, size))


def fit_font_size(
    text: str, font: str, max_width: float, max_size: float, min_size: float
) -> float:
    """The largest size in half points, between ``min_size`` and ``max_size``, at which ``text``
    in ``font`` is at most ``max_width`` points wide; ``min_size`` when even that is too wide.

    ``font`` is a registered reportlab font name (the badge fonts are registered on first use).
    """
    if font in FONT_FILES:
        _font_coverage()
    width = pdfmetrics.stringWidth(text, font, 1.0)
    return _fit_size(width, max_width, max_size, min_size)


def _ellipsize(text: str, fonts: Sequence[str], size: float, max_width: float) -> str:
    if _width(text, fonts, size) <= max_width:
        return text
    # Binary search for the longest prefix that fits with the ellipsis after it.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _width(text[:middle].rstrip() + ELLIPSIS, fonts, size) <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def _is_wide(char: str) -> bool:
    # CJK characters may be broken between any two of them; Latin words may not.
    return unicodedata.east_asian_width(char) in ("W", "F")


def _best_split(text: str, fonts: Sequence[str]) -> tuple[str, str] | None:
    """Split ``text`` into the two most balanced lines, at a space, after a hyphen, or between
    two CJK characters; None when there is nowhere to break."""
    candidates: list[tuple[str, str]] = []
    for index, char in enumerate(text):
        if char == " ":
            candidates.append((text[:index], text[index + 1 :]))
        elif char == "-" and 0 < index < len(text) - 1:
            candidates.append((text[: index + 1], text[index + 1 :]))
        elif index > 0 and (_is_wide(char) or _is_wide(text[index - 1])):
            candidates.append((text[:index], text[index:]))
    candidates = [(a.strip(), b.strip()) for a, b in candidates if a.strip() and b.strip()]
    if not candidates:
        return None
    return min(
        candidates, key=lambda pair: max(_width(pair[0], fonts, 1), _width(pair[1], fonts, 1))
    )


def _fit_line(
    text: str, fonts: Sequence[str], max_width: float, max_size: float, min_size: float
) -> tuple[str, float]:
    """One line: shrink from ``max_size`` down to ``min_size``, then ellipsize."""
    size = _fit_size(_width(text, fonts, 1), max_width, max_size, min_size)
    return _ellipsize(text, fonts, size, max_width), size


def _fit_name(
    name: str, max_width: float, max_size: float, min_size: float, floor_size: float
) -> tuple[list[str], float]:
    """Name lines and their size: one line down to ``min_size``; then two balanced lines at most
    ``min_size`` and at least ``floor_size``; whatever still does not fit is ellipsized."""
    size = _fit_size(_width(name, BOLD_FONTS, 1), max_width, max_size, min_size)
    if _width(name, BOLD_FONTS, size) <= max_width:
        return [name], size
    split = _best_split(name, BOLD_FONTS)
    if split is None:
        return [_ellipsize(name, BOLD_FONTS, size, max_width)], size
    widest = max(_width(line, BOLD_FONTS, 1) for line in split)
    size = _fit_size(widest, max_width, min_size, floor_size)
    return [_ellipsize(line, BOLD_FONTS, size, max_width) for line in split], size


# --- layouts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CardStyle:
    """Sizes inside one badge; lengths in points, font sizes in points."""

    padding: float
    qr_size: float  # the QR square, quiet zone included
    qr_at: Literal["bottom", "right"]
    qr_inset: float  # from the card edge to the QR square (its quiet zone is white anyway)
    event_size: float
    name_max: float
    name_min: float  # smallest single-line size; below it the name wraps to two lines
    name_floor: float  # smallest two-line size; below it the lines are ellipsized
    company_size: float
    handle_size: float


@dataclass(frozen=True)
class _Geometry:
    description: str
    page_size: tuple[float, float]
    card_size: tuple[float, float]
    cols: int
    rows: int
    gap: tuple[float, float]  # between cards (x, y)
    cut_marks: bool
    style: _CardStyle


# A6 portrait (105 x 148 mm): the QR square is 60 mm with its quiet zone, so the code itself is
# about 49 mm for a version-5 symbol (37 + 8 modules): scannable from well over a metre.
_PORTRAIT = _CardStyle(
    padding=7 * mm,
    qr_size=60 * mm,
    qr_at="bottom",
    qr_inset=4 * mm,
    event_size=9,
    name_max=30,
    name_min=18,
    name_floor=12,
    company_size=13,
    handle_size=12,
)
# Business card landscape (85 x 55 mm): text on the left, QR on the right. The 36 mm square
# leaves a code of about 29.6 mm (version 5); 43.5 mm of width remain for the text.
_LANDSCAPE = _CardStyle(
    padding=4.5 * mm,
    qr_size=36 * mm,
    qr_at="right",
    qr_inset=1 * mm,
    event_size=6.5,
    name_max=16,
    name_min=11,
    name_floor=8,
    company_size=8.5,
    handle_size=8,
)

_GEOMETRY: dict[str, _Geometry] = {
    # A4 (210 x 297 mm) holds 2 x 2 A6 (105 x 148 mm) with no gap: 210 x 296 mm, centred, so
    # 0.5 mm is left above and below. The cut marks cross on the shared cut lines.
    "a4-4xa6": _Geometry(
        description="A4, four A6 badges",
        page_size=A4,
        card_size=A6,
        cols=2,
        rows=2,
        gap=(0, 0),
        cut_marks=True,
        style=_PORTRAIT,
    ),
    # A4 holds 2 x 4 business cards (85 x 55 mm) with 10 mm gutters: 180 x 250 mm, centred,
    # leaving 15 mm at the sides and 23.5 mm at top and bottom, inside any printer's margins.
    # The gutters leave room for cut marks that never touch a card.
    "a4-8cards": _Geometry(
        description="A4, eight business-card badges (85 × 55 mm)",  # noqa: RUF001 (a real multiplication sign)
        page_size=A4,
        card_size=(85 * mm, 55 * mm),
        cols=2,
        rows=4,
        gap=(10 * mm, 10 * mm),
        cut_marks=True,
        style=_LANDSCAPE,
    ),
    # A6 page (105 x 148 mm), one badge per page, for desk badge printers: no cutting.
    "a6": _Geometry(
        description="One A6 badge per page (desk printer)",
        page_size=A6,
        card_size=A6,
        cols=1,
        rows=1,
        gap=(0, 0),
        cut_marks=False,
        style=_PORTRAIT,
    ),
}

LAYOUTS: dict[str, str] = {key: geometry.description for key, geometry in _GEOMETRY.items()}

_CUT_MARK_LENGTH = 4 * mm
_CUT_MARK_OFFSET = 1.5 * mm  # gap between a card corner and its marks, when there is a gutter


# --- drawing ----------------------------------------------------------------------------------


def _draw_text(
    canvas: Canvas,
    text: str,
    fonts: Sequence[str],
    size: float,
    x: float,
    y: float,
    *,
    centred: bool,
) -> None:
    runs = _runs(text, fonts)
    if centred:
        x -= sum(pdfmetrics.stringWidth(part, font, size) for font, part in runs) / 2
    for font, part in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, part)
        x += pdfmetrics.stringWidth(part, font, size)


def _draw_cut_marks(canvas: Canvas, geometry: _Geometry, x: float, y: float) -> None:
    width, height = geometry.card_size
    # With a gutter the marks stand off the corner, so a slightly-off cut leaves no ink on the
    # card; without one they lie on the cut lines themselves and are cut away.
    offset = _CUT_MARK_OFFSET if min(geometry.gap) > 0 else 0.0
    end = offset + _CUT_MARK_LENGTH
    canvas.saveState()
    canvas.setStrokeGray(0.45)
    canvas.setLineWidth(0.3)
    lines: list[tuple[float, float, float, float]] = []
    for corner_x, dx in ((x, -1), (x + width, 1)):
        for corner_y, dy in ((y, -1), (y + height, 1)):
            lines.append((corner_x + dx * offset, corner_y, corner_x + dx * end, corner_y))
            lines.append((corner_x, corner_y + dy * offset, corner_x, corner_y + dy * end))
    canvas.lines(lines)
    canvas.restoreState()


@dataclass(frozen=True)
class _BlockLine:
    text: str
    fonts: Sequence[str]
    size: float
    grey: float
    space_before: float


def _draw_card(canvas: Canvas, geometry: _Geometry, card: BadgeCard, x: float, y: float) -> None:
    style = geometry.style
    width, height = geometry.card_size
    # NFC: reportlab does not compose "e" + combining diaeresis, it would draw them apart.
    # The cap keeps fitting cheap for absurd input; no badge line can show that much anyway.
    name, company, handle, event_name = (
        unicodedata.normalize("NFC", text.strip())[:_MAX_CHARS]
        for text in (card.name, card.company, card.handle, card.event_name)
    )

    if style.qr_at == "bottom":
        qr_x = x + (width - style.qr_size) / 2
        qr_y = y + style.qr_inset
        text_left, text_right = x + style.padding, x + width - style.padding
        text_bottom = qr_y + style.qr_size
    else:
        qr_x = x + width - style.qr_inset - style.qr_size
        qr_y = y + (height - style.qr_size) / 2
        text_left, text_right = x + style.padding, qr_x - 1 * mm
        text_bottom = y + style.padding
    centred = style.qr_at == "bottom"
    text_x = (text_left + text_right) / 2 if centred else text_left
    text_width = text_right - text_left

    _draw_qr(canvas, card.url, qr_x, qr_y, style.qr_size)

    top = y + height - style.padding
    if event_name:
        line, size = _fit_line(
            event_name, REGULAR_FONTS, text_width, style.event_size, style.event_size * 0.75
        )
        top -= size
        canvas.setFillGray(0.35)
        _draw_text(canvas, line, REGULAR_FONTS, size, text_x, top, centred=centred)
        top -= size  # a blank line's worth between the event and the person

    # Lay everything out first, then centre the block vertically in the space that is left.
    block: list[_BlockLine] = []
    if name:
        lines, size = _fit_name(name, text_width, style.name_max, style.name_min, style.name_floor)
        block.extend(
            _BlockLine(line, BOLD_FONTS, size, 0.0, size * 0.2 if index else 0.0)
            for index, line in enumerate(lines)
        )
    for text, base in ((company, style.company_size), (handle, style.handle_size)):
        if text:
            line, size = _fit_line(text, REGULAR_FONTS, text_width, base, base * 0.75)
            # More air between the name and what follows than between the smaller lines.
            space = (
                (block[-1].size * 0.5 if block[-1].fonts is BOLD_FONTS else size * 0.35)
                if block
                else 0.0
            )
            block.append(_BlockLine(line, REGULAR_FONTS, size, 0.25, space))
    block_height = sum(entry.space_before + entry.size for entry in block)
    baseline = top - max(0.0, (top - text_bottom - block_height) / 2)
    for entry in block:
        baseline -= entry.space_before + entry.size
        canvas.setFillGray(entry.grey)
        _draw_text(canvas, entry.text, entry.fonts, entry.size, text_x, baseline, centred=centred)

    if geometry.cut_marks:
        _draw_cut_marks(canvas, geometry, x, y)


def render_badges_pdf(cards: Iterable[BadgeCard], out: BinaryIO, *, layout: str = "a4-4xa6") -> int:
    """Write a PDF of badges for ``cards`` to ``out``; return how many badges it holds.

    ``cards`` is consumed once, as an iterator, and each page is finished (``showPage``) as
    soon as it is full, so a generator over a database query never has to be materialised.
    Raises ValueError for a layout that is not a key of ``LAYOUTS``, before writing anything.
    """
    geometry = _GEOMETRY.get(layout)
    if geometry is None:
        raise ValueError(f"unknown badge layout {layout!r}; choose one of: {', '.join(LAYOUTS)}")
    _font_coverage()
    # pageCompression: reportlab keeps every finished page's content until save(); compressed
    # streams keep the PDF about a third of the size (the held page text is small either way,
    # see _module_rects and bench/badges.py for measurements).
    canvas = Canvas(out, pagesize=geometry.page_size, pageCompression=1)
    canvas.setTitle("Known badges")
    canvas.setCreator("Known")
    page_width, page_height = geometry.page_size
    card_width, card_height = geometry.card_size
    gap_x, gap_y = geometry.gap
    grid_width = geometry.cols * card_width + (geometry.cols - 1) * gap_x
    grid_height = geometry.rows * card_height + (geometry.rows - 1) * gap_y
    left = (page_width - grid_width) / 2
    top = page_height - (page_height - grid_height) / 2
    per_page = geometry.cols * geometry.rows

    count = 0
    for card in cards:
        slot = count % per_page
        if slot == 0 and count:
            canvas.showPage()
        col, row = slot % geometry.cols, slot // geometry.cols
        x = left + col * (card_width + gap_x)
        y = top - (row + 1) * card_height - row * gap_y
        _draw_card(canvas, geometry, card, x, y)
        count += 1
    # Finish the last page; with no cards at all this makes one blank page, since a PDF with
    # no pages is one that many viewers (and pdfium) refuse to open.
    canvas.showPage()
    canvas.save()
    return count
