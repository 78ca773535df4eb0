"""CSV downloads that spreadsheets open safely: every export of Known goes through here.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets, so an attendee called ``=HYPERLINK(...)`` could
run something on the organiser's machine. Following OWASP's advice ("CSV Injection"), such a
cell gets a leading single quote, which spreadsheets show as text. That includes negative
numbers: ``-2`` is written ``'-2``; exports here hold names, handles and dates, not figures to
sum, so safety wins over arithmetic.

Files are UTF-8 with a byte-order mark (without it Excel reads ``Zoë`` as ``ZoÃ«``), with CRLF
line ends as RFC 4180 says.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from urllib.parse import quote

from flask import Response, has_request_context, stream_with_context

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
MIMETYPE = "text/csv"  # Werkzeug adds "; charset=utf-8"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_cell(value: object) -> str:
    """``value`` as CSV cell text: None -> "", dates in ISO 8601, formula starts neutralised."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime | date) else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _line(row: Sequence[object]) -> str:
    buffer = io.StringIO()
    # QUOTE_MINIMAL with "\r\n": cells holding commas, quotes or newlines are quoted (RFC 4180).
    csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def iter_csv(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """The CSV file in chunks: the BOM and header first, then one chunk per row."""
    yield (BOM + _line(header)).encode("utf-8")
    for row in rows:
        yield _line(row).encode("utf-8")


def csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    """The whole CSV file as bytes (for small exports and tests)."""
    return b"".join(iter_csv(header, rows))


def content_disposition(filename: str) -> str:
    """An ``attachment`` header with an ASCII fallback name and the UTF-8 name (RFC 6266)."""
    fallback = _UNSAFE_FILENAME.sub("_", filename).strip("._") or "export.csv"
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def csv_response(
    filename: str, header: Sequence[object], rows: Iterable[Sequence[object]]
) -> Response:
    """A streamed CSV download; ``rows`` may be a generator over a query (read as it streams)."""
    chunks: Iterator[bytes] = iter_csv(header, rows)
    if has_request_context():
        # Keeps the request (and so the database session) alive while a generator streams.
        chunks = stream_with_context(chunks)
    response = Response(chunks, mimetype=MIMETYPE)
    response.headers["Content-Disposition"] = content_disposition(filename)
    # Exports hold personal data (and sometimes login links): never keep them in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response
