"""Badge rendering: every QR printed on every layout reads back as its URL, and names render.

Pure rendering tests: no app, no database. PDFs are rasterised with pypdfium2 and the codes
decoded with zxing-cpp, the way a phone camera would see the printed sheet.
"""

from __future__ import annotations

import io
import math
import string
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pypdfium2 as pdfium
import pytest
import qrcode
import zxingcpp
from PIL import Image

from conference.badges.rendering import (
    LAYOUTS,
    QR_BORDER,
    QR_ERROR_CORRECTION,
    BadgeCard,
    fit_font_size,
    qr_matrix,
    qr_png,
    qr_svg,
    render_badges_pdf,
)

DPI = 200
MM_PER_INCH = 25.4
BASE_URL = "http://127.0.0.1:5000/b/"
PER_PAGE = {"a4-4xa6": 4, "a4-8cards": 8, "a6": 1}
# The smallest printed QR (without its quiet zone) that still scans from a comfortable distance.
MIN_QR_MM = {"a4-4xa6": 30, "a4-8cards": 22, "a6": 30}

NAMES = [
    "Maria Schmidt",
    "Zoë Łukasz",
    "José Ñúñez",
    "Дмитрий Соколов",
    "Αλέξανδρος Παπαδόπουλος",
    "田中太郎",
    "김민준",
    "Maximilian Alexander Friedrich Wilhelm von Hohenzollern-Sigmaringen",
    "Zoë 田中",
]
# Names short enough to stay on one line on every layout, so the text layer holds them whole.
ONE_LINE_NAMES = ["Zoë Łukasz", "José Ñúñez", "Дмитрий", "Αλέξανδρος", "田中太郎", "김민준"]


def token(index: int) -> str:
    """A fixed 32-character token, so failures are reproducible."""
    alphabet = string.ascii_letters + string.digits
    return "".join(alphabet[(index * 7 + position * 13) % len(alphabet)] for position in range(32))


def make_cards(names: list[str]) -> list[BadgeCard]:
    return [
        BadgeCard(
            name=name,
            company="" if index % 3 == 2 else f"Company {index} GmbH",
            handle="" if index % 2 else f"@person_{index}",
            url=f"{BASE_URL}{token(index)}",
            event_name="PyCon Europe 2026",
        )
        for index, name in enumerate(names)
    ]


def render(cards: list[BadgeCard], layout: str) -> bytes:
    out = io.BytesIO()
    # A generator, as callers stream cards from a query: the renderer must not need a list.
    count = render_badges_pdf((card for card in cards), out, layout=layout)
    assert count == len(cards)
    return out.getvalue()


def rasterise(pdf_bytes: bytes) -> Iterator[Image.Image]:
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                yield page.render(scale=DPI / 72, grayscale=True).to_pil()
            finally:
                page.close()
    finally:
        pdf.close()


def page_texts(pdf_bytes: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(pdf_bytes)
    texts: list[str] = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return texts


def page_count(pdf_bytes: bytes) -> int:
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        return len(pdf)
    finally:
        pdf.close()


def decode(image: Image.Image) -> list[zxingcpp.Result]:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def side_mm(result: zxingcpp.Result) -> float:
    position = result.position
    pixels = math.dist(
        (position.top_left.x, position.top_left.y), (position.top_right.x, position.top_right.y)
    )
    return pixels / DPI * MM_PER_INCH


@pytest.fixture(scope="module")
def cards() -> list[BadgeCard]:
    return make_cards(NAMES)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_qr_on_every_page_decodes_to_its_url(layout: str, cards: list[BadgeCard]) -> None:
    pdf_bytes = render(cards, layout)
    assert pdf_bytes.startswith(b"%PDF-")
    assert page_count(pdf_bytes) == math.ceil(len(cards) / PER_PAGE[layout])

    decoded: list[str] = []
    for image in rasterise(pdf_bytes):
        results = decode(image)
        decoded.extend(result.text for result in results)
        for result in results:
            assert side_mm(result) >= MIN_QR_MM[layout]
    assert sorted(decoded) == sorted(card.url for card in cards)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_names_are_in_the_text_layer(layout: str) -> None:
    cards = make_cards(ONE_LINE_NAMES)
    text = " ".join(page_texts(render(cards, layout)))
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    for card in cards:
        assert card.name in text
        if card.handle:
            assert card.handle in text


def test_decomposed_accents_are_composed_before_drawing() -> None:
    decomposed = unicodedata.normalize("NFD", "Zoë Ñúñez")
    assert decomposed != "Zoë Ñúñez"
    card = BadgeCard(name=decomposed, company="", handle="", url=f"{BASE_URL}{token(1)}")
    assert "Zoë Ñúñez" in page_texts(render([card], "a6"))[0]


def test_long_names_are_wrapped_or_shortened_never_dropped() -> None:
    long_name = NAMES[7]
    card = BadgeCard(name=long_name, company="", handle="", url=f"{BASE_URL}{token(2)}")
    for layout in LAYOUTS:
        text = " ".join(page_texts(render([card], layout))[0].split())
        # Either the whole name over two lines, or its start with an ellipsis.
        assert long_name in text or ("Maximilian" in text and "\u2026" in text)


def test_a4_layouts_have_cut_marks_at_the_card_corners() -> None:
    card = BadgeCard(name="Ada", company="", handle="", url=f"{BASE_URL}{token(3)}")

    def darkest_near(image: Image.Image, x_mm: float, y_mm: float) -> int:
        x, y = (round(v / MM_PER_INCH * DPI) for v in (x_mm, y_mm))
        low, _high = image.crop((x - 3, y - 3, x + 4, y + 4)).getextrema()
        return int(low)

    # Four A6 on A4: the marks cross at the page centre (105 mm, 148.5 mm).
    [sheet] = rasterise(render([card] * 4, "a4-4xa6"))
    assert darkest_near(sheet, 105 + 2, 148.5) < 200
    assert darkest_near(sheet, 105, 148.5 + 2) < 200
    # Eight cards: the first card's top-left corner is at (15 mm, 23.5 mm); marks stand off
    # it in the margin, and the card itself stays blank there.
    [sheet] = rasterise(render([card] * 8, "a4-8cards"))
    assert darkest_near(sheet, 15 - 3, 23.5) < 200
    assert darkest_near(sheet, 15, 23.5 - 3) < 200
    assert darkest_near(sheet, 15 + 2, 23.5 + 2) > 250
    # One badge per A6 page is not cut: no marks.
    [page] = rasterise(render([card], "a6"))
    assert darkest_near(page, 2, 2) > 250


def test_empty_input_renders_a_valid_pdf() -> None:
    out = io.BytesIO()
    assert render_badges_pdf(iter(()), out, layout="a6") == 0
    assert page_count(out.getvalue()) == 1


def test_unknown_layout_is_rejected_before_anything_is_written() -> None:
    out = io.BytesIO()
    with pytest.raises(ValueError, match="unknown badge layout"):
        render_badges_pdf(make_cards(["Ada"]), out, layout="letter-10up")
    assert out.getvalue() == b""


def test_layouts_are_described() -> None:
    assert set(LAYOUTS) == {"a4-4xa6", "a4-8cards", "a6"}
    assert all(description for description in LAYOUTS.values())


def test_qr_svg_is_one_path_in_an_svg_document() -> None:
    url = f"{BASE_URL}{token(4)}"
    svg = qr_svg(url)
    root = ET.fromstring(svg)  # noqa: S314 (our own output, not untrusted input)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")
    paths = root.findall("{http://www.w3.org/2000/svg}path")
    assert len(paths) == 1
    assert paths[0].get("d")


def test_qr_png_decodes_to_the_url_and_matches_the_matrix() -> None:
    url = f"{BASE_URL}{token(5)}"
    box_size = 6
    image = Image.open(io.BytesIO(qr_png(url, box_size=box_size)))
    assert image.format == "PNG"
    [result] = decode(image)
    assert result.text == url

    # The PNG and the PDF draw the same symbol, module for module.
    matrix = qr_matrix(url)
    assert image.size == (len(matrix) * box_size, len(matrix) * box_size)
    grey = image.convert("L")
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            centre = (col_index * box_size + box_size // 2, row_index * box_size + box_size // 2)
            assert (grey.getpixel(centre) == 0) == dark


@pytest.mark.parametrize(
    "url",
    [f"{BASE_URL}{token(i)}" for i in range(12)]
    + ["https://known.example.org/b/" + "x" * length for length in (1, 40, 90, 150)],
)
def test_qr_matrix_is_exactly_what_qrcode_itself_makes(url: str) -> None:
    # The fast mask selection must choose the same mask as qrcode's own best_mask_pattern.
    reference = qrcode.QRCode(error_correction=QR_ERROR_CORRECTION, border=QR_BORDER)
    reference.add_data(url)
    reference.make(fit=True)
    assert qr_matrix(url) == reference.get_matrix()


def test_qr_has_the_required_quiet_zone() -> None:
    matrix = qr_matrix(f"{BASE_URL}{token(6)}")
    assert QR_BORDER >= 4
    for edge in (matrix[:QR_BORDER], matrix[-QR_BORDER:]):
        assert not any(any(row) for row in edge)
    assert not any(any(row[:QR_BORDER]) or any(row[-QR_BORDER:]) for row in matrix)


def test_fit_font_size_shrinks_long_names() -> None:
    short = fit_font_size("Ada Lovelace", "Known-Sans-Bold", 250, 30, 12)
    long = fit_font_size("Ada Augusta King, Countess of Lovelace", "Known-Sans-Bold", 250, 30, 12)
    assert short == 30
    assert 12 <= long < short


def test_fit_font_size_fits_the_width_in_half_points() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    text = "Αλέξανδρος Παπαδόπουλος"
    size = fit_font_size(text, "Known-Sans-Bold", 200, 40, 6)
    assert 6 < size < 40
    assert size * 2 == int(size * 2)
    assert stringWidth(text, "Known-Sans-Bold", size) <= 200
    assert stringWidth(text, "Known-Sans-Bold", size + 0.5) > 200


def test_fit_font_size_stops_at_the_minimum() -> None:
    assert fit_font_size("W" * 200, "Known-Sans-Bold", 100, 30, 14) == 14
    assert fit_font_size("", "Known-Sans-Bold", 100, 30, 14) == 30


def test_absurdly_long_fields_are_shortened_and_the_qr_still_reads() -> None:
    url = f"{BASE_URL}{token(7)}"
    card = BadgeCard(name="A" * 5000, company="田" * 5000, handle="@" + "x" * 5000, url=url)
    pdf_bytes = render([card], "a4-8cards")
    text = page_texts(pdf_bytes)[0]
    assert "\u2026" in text
    assert len(text) < 1000
    [image] = rasterise(pdf_bytes)
    assert [result.text for result in decode(image)] == [url]
