"""CSV exports: formula injection neutralised, UTF-8 with BOM, CRLF, attachment headers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from conference.csv_export import content_disposition, csv_bytes, csv_response, safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","click")', '\'=HYPERLINK("http://evil","click")'),
        ("+1", "'+1"),
        ("-2", "'-2"),  # negative numbers too: exports hold names and links, not sums
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (-5, "'-5"),
    ],
)
def test_cells_a_spreadsheet_would_run_get_a_leading_quote(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Zoë", "Zoë"),
        ("a=b", "a=b"),
        ("maria@example.com", "maria@example.com"),
        ("https://x.com/maria_dev", "https://x.com/maria_dev"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (date(2026, 6, 1), "2026-06-01"),
        (datetime(2026, 6, 1, 9, 30, tzinfo=UTC), "2026-06-01T09:30:00+00:00"),
    ],
)
def test_harmless_cells_are_kept_as_they_are(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_file_is_utf8_with_bom_crlf_and_quotes_what_needs_quoting() -> None:
    data = csv_bytes(
        ["name", "company"],
        [("Zoë Çelik", "=cmd|' /C calc'!A0"), ("Line\nbreak", 'Say "hi", all')],
    )
    assert data.startswith(b"\xef\xbb\xbfname,company\r\n")
    text = data.decode("utf-8-sig")
    assert text.count("\r\n") == 3  # header, two rows (the embedded \n stays inside quotes)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [
        ["name", "company"],
        ["Zoë Çelik", "'=cmd|' /C calc'!A0"],
        ["Line\nbreak", 'Say "hi", all'],
    ]


def test_header_cells_are_neutralised_too() -> None:
    assert csv_bytes(["=evil"], []).decode("utf-8-sig") == "'=evil\r\n"


def test_response_streams_an_attachment_that_no_cache_keeps() -> None:
    def rows():  # a generator, as exports over a query pass
        yield ["Zoë", "+49 30 1234"]

    response = csv_response("conf-attendees.csv", ["name", "phone"], rows())
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="conf-attendees.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    body = b"".join(response.response)  # type: ignore[arg-type]
    assert body.decode("utf-8-sig") == "name,phone\r\nZoë,'+49 30 1234\r\n"


def test_filenames_outside_ascii_get_a_fallback_and_the_utf8_name() -> None:
    header = content_disposition('Zoë "conf".csv')
    assert header.startswith('attachment; filename="Zo_conf_.csv"')
    assert "filename*=UTF-8''Zo%C3%AB%20%22conf%22.csv" in header
