"""Reading an organiser's attendee CSV: decode, find the header, guess the columns, check rows.

Pure functions over the uploaded bytes; nothing here touches Flask or the database. The flow is
``read_table`` -> ``guess_mapping`` (the organiser may correct it) -> ``mapping_problems`` ->
``validate_rows``; the service then imports every row whose ``RowResult.ok`` is true, whole.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice

from conference.people.handles import (
    PLATFORM_LABELS,
    PLATFORMS,
    Handle,
    HandleError,
    detect_platform,
    parse_handle,
)

FIELDS = ("name", "first_name", "last_name", "email", "company", "job_title", "pronouns", "bio")
HANDLE_PREFIX = "handle:"
HANDLE_FIELDS = tuple(HANDLE_PREFIX + platform for platform in PLATFORMS)
IGNORE = "ignore"
MAPPABLE_FIELDS = (*FIELDS, *HANDLE_FIELDS, IGNORE)

FIELD_LABELS: dict[str, str] = {
    "name": "Full name",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "E-mail",
    "company": "Company",
    "job_title": "Job title",
    "pronouns": "Pronouns",
    "bio": "Bio",
    **{HANDLE_PREFIX + p: PLATFORM_LABELS.get(p, p) for p in PLATFORMS},
    IGNORE: "Don't import",
}

MAX_LENGTHS: dict[str, int] = {
    "name": 200,
    "company": 200,
    "job_title": 200,
    "pronouns": 40,
    "bio": 1000,
}
MAX_EMAIL_LENGTH = 254
DEFAULT_MAX_ROWS = 20_000

DELIMITERS = (",", ";", "\t", "|")
# The delimiter and the header are decided from the top of the file; a preamble longer than
# this (LinkedIn's is three lines) is not a preamble any exporter writes.
_SNIFF_CHARS = 64 * 1024
_SNIFF_ROWS = 100
_HEADER_SCAN_ROWS = 20
_WIDTH_SAMPLE_ROWS = 50
_CONTENT_SAMPLE_ROWS = 200

# Pragmatic, not RFC 5322: one @, no spaces or list separators, a dotted domain whose last label
# starts with a letter. \w keeps internationalised domains and local parts acceptable.
EMAIL_RE = re.compile(
    r"^[^\s@\"(),:;<>\[\]\\]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_](?:[\w-]*[^\W_])?$"
)

# What people type into an optional handle question when they have none; rejecting a whole
# attendee because they wrote "n/a" would only make the organiser edit the file.
_NO_HANDLE = frozenset({"-", "--", "\u2013", "\u2014", "/", ".", "n/a", "na", "none", "no", "nil"})


class ImportFileError(ValueError):
    """The upload cannot be read as an attendee table; ``message`` is for the organiser."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Table:
    """A decoded CSV: unique header labels, data rows as wide as the header, and how it was read.

    ``lines`` holds each row's line number as a spreadsheet shows it (a record, so a quoted cell
    spanning several text lines still counts once); empty when a caller builds a table by hand.
    """

    headers: list[str]
    rows: list[list[str]]
    encoding: str
    delimiter: str
    skipped_preamble: int
    lines: list[int] = field(default_factory=list)

    def line_of(self, index: int) -> int:
        """The line number of data row ``index`` (0-based), as the organiser sees it."""
        if len(self.lines) == len(self.rows):
            return self.lines[index]
        return self.skipped_preamble + 2 + index


@dataclass
class AttendeeRow:
    """One attendee ready to import; optional text fields are "" when absent."""

    name: str
    email: str
    company: str
    job_title: str
    pronouns: str
    bio: str
    handles: list[Handle]
    line: int


@dataclass
class RowResult:
    """The verdict on one data row: an ``AttendeeRow``, or the problems that reject it whole."""

    line: int
    row: AttendeeRow | None
    problems: list[str]
    raw: dict[str, str]

    @property
    def ok(self) -> bool:
        """True when the row will be imported."""
        return self.row is not None and not self.problems


# --- reading the file ----------------------------------------------------------------------


def read_table(data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS) -> Table:
    """Decode ``data`` as a delimited table, skipping any preamble before the header row."""
    if not data.strip():
        raise ImportFileError("empty_file", "The file is empty.")
    text, encoding = _decode(data)
    delimiter = detect_delimiter(text)
    records = _read_records(text, delimiter, limit=max_rows + _HEADER_SCAN_ROWS + 1)
    header_at = _find_header(records)
    if header_at is None:
        raise ImportFileError(
            "no_header",
            "No header row found: the first row should name the columns (for example "
            "name and email), separated by commas or semicolons.",
        )
    header_line, header_cells = records[header_at]
    body = records[header_at + 1 :]
    if len(body) > max_rows:
        raise ImportFileError(
            "too_many_rows",
            f"The file has more than {max_rows:,} attendee rows; split it into smaller files.",
        )
    width = len(header_cells)
    rows: list[list[str]] = []
    lines: list[int] = []
    for line, cells in body:
        row = (cells + [""] * width)[:width]
        if any(row):
            rows.append(row)
            lines.append(line)
    headers, rows = _drop_blank_columns(header_cells, rows)
    return Table(
        headers=_label_headers(headers),
        rows=rows,
        encoding=encoding,
        delimiter=delimiter,
        skipped_preamble=header_line - 1,
        lines=lines,
    )


def _decode(data: bytes) -> tuple[str, str]:
    """Return the text and the name of the encoding it was read with."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "spreadsheet_file",
            "This is a spreadsheet workbook, not a CSV file: save it as CSV (File > Save as > "
            "CSV UTF-8) and upload that.",
        )
    # UTF-32 LE's BOM begins with UTF-16 LE's, so the longer one is tried first.
    boms = (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    )
    for bom, encoding in boms:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding.removesuffix("-sig"))
            except UnicodeDecodeError:
                raise _not_text() from None
            return _checked_text(text), encoding
    if b"\x00" in data:
        raise _not_text()
    # cp1252 is what Excel on Windows writes as "CSV"; latin-1 decodes anything, so it is last.
    for encoding in ("utf-8", "cp1252"):
        try:
            return _checked_text(data.decode(encoding)), encoding
        except UnicodeDecodeError:
            continue
    return _checked_text(data.decode("latin-1")), "latin-1"


def _not_text() -> ImportFileError:
    return ImportFileError(
        "not_text",
        "This does not look like a CSV file (it contains binary data): export the attendee "
        "list as CSV and upload that.",
    )


def _checked_text(text: str) -> str:
    """Refuse text that is mostly control characters: a binary file that happened to decode."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ImportFileError("empty_file", "The file is empty.")
    head = text[:4096]
    controls = sum(1 for ch in head if ch not in "\t\r\n\f\v" and unicodedata.category(ch) == "Cc")
    if "\x00" in head or controls > max(2, len(head) // 100):
        raise _not_text()
    return text


def detect_delimiter(text: str) -> str:
    """The delimiter among ``DELIMITERS`` that splits the most rows into the same width.

    csv.Sniffer guesses from character frequencies and is easily fooled by commas inside
    quoted cells; counting cells per parsed record respects the quoting. Ties go to the
    earlier delimiter, so a file with a single column reads as comma-separated.
    """
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best, best_score = DELIMITERS[0], 0
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        try:
            widths = [len(row) for row in islice(reader, _SNIFF_ROWS) if len(row) > 1]
        except csv.Error:
            continue
        if not widths:
            continue
        _, score = Counter(widths).most_common(1)[0]
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_records(text: str, delimiter: str, *, limit: int) -> list[tuple[int, list[str]]]:
    """The non-empty records as (line number, stripped cells); at most ``limit`` of them."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    try:
        for line, raw in enumerate(reader, start=1):
            # NFC so a name typed on a Mac (decomposed accents) matches the same name typed
            # elsewhere, and headers meet their synonyms.
            cells = [unicodedata.normalize("NFC", cell.strip()) for cell in raw]
            if not any(cells):
                continue
            records.append((line, cells))
            if len(records) > limit:
                # The header is among the first rows, so this many rows are too many whatever
                # the preamble; stopping here keeps a huge upload from being read to the end.
                break
    except csv.Error as exc:
        raise ImportFileError("bad_csv", f"The file could not be read as CSV: {exc}.") from None
    return records


def _find_header(records: Sequence[tuple[int, list[str]]]) -> int | None:
    """Index of the header: the first row naming ≥ 2 columns, as wide as most rows below it.

    Exporters put notes above the header (LinkedIn: "Notes:", a quoted notice, a blank line);
    those rows are narrower than the table. "As wide" means at least as wide, because hand-typed
    rows often stop at their last value. Failing that, the first row naming two columns is
    taken, so a ragged hand-made sheet still reads.
    """
    fallback: int | None = None
    for index, (_, cells) in enumerate(records[:_HEADER_SCAN_ROWS]):
        if sum(1 for cell in cells if cell) < 2:
            continue
        following = [len(c) for _, c in records[index + 1 : index + 1 + _WIDTH_SAMPLE_ROWS]]
        if following and len(cells) >= Counter(following).most_common(1)[0][0]:
            return index
        if fallback is None:
            fallback = index
    return fallback


def _drop_blank_columns(
    headers: list[str], rows: list[list[str]]
) -> tuple[list[str], list[list[str]]]:
    """Remove columns with neither a title nor any value (trailing commas in Excel exports)."""
    keep = [i for i, title in enumerate(headers) if title or any(row[i] for row in rows)]
    if len(keep) == len(headers):
        return headers, rows
    return [headers[i] for i in keep], [[row[i] for i in keep] for row in rows]


def _label_headers(headers: Sequence[str]) -> list[str]:
    """Unique, non-empty labels: untitled columns become "Column N", repeats get " (2)"."""
    labels: list[str] = []
    seen: set[str] = set()
    for index, title in enumerate(headers):
        label = title or f"Column {index + 1}"
        candidate, n = label, 2
        while candidate.casefold() in seen:
            candidate, n = f"{label} ({n})", n + 1
        seen.add(candidate.casefold())
        labels.append(candidate)
    return labels


# --- guessing what each column holds -------------------------------------------------------


def _key(header: str) -> str:
    """Header reduced to lower-case ASCII letters and digits: "E-mail" and "Email" meet."""
    return "".join(_tokens(header))


def _tokens(header: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", header.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9]+", plain)


_SYNONYMS: dict[str, str] = {
    key: target
    for target, names in {
        "name": (
            "name",
            "fullname",
            "attendeename",
            "participantname",
            "yourname",
            "displayname",
            "nameonbadge",
            "badgename",
        ),
        "first_name": (
            "firstname",
            "givenname",
            "forename",
            "attendeenamegivenname",
            "attendeefirstname",
        ),
        "last_name": (
            "lastname",
            "familyname",
            "surname",
            "attendeenamefamilyname",
            "attendeelastname",
        ),
        "email": ("email", "emailaddress", "mail", "attendeeemail", "attendeeemailaddress"),
        "company": (
            "company",
            "companyname",
            "organisation",
            "organization",
            "organisationname",
            "organizationname",
            "employer",
            "affiliation",
        ),
        "job_title": ("jobtitle", "position", "role", "jobrole", "occupation"),
        "pronouns": ("pronouns", "pronoun", "yourpronouns"),
        "bio": ("bio", "biography", "shortbio", "about", "aboutme", "aboutyou"),
        IGNORE: (
            "order",
            "ordercode",
            "ordernumber",
            "orderid",
            "secret",
            "barcode",
            "attendee",
            "attendeeid",
            "ticketid",
            "ticketnumber",
            "qrcode",
            "positionid",
        ),
    }.items()
    for key in names
}

_PLATFORM_WORDS: dict[str, str] = {
    "twitter": "x",
    "x": "x",
    "linkedin": "linkedin",
    "mastodon": "mastodon",
    "fediverse": "mastodon",
    "fedi": "mastodon",
    "bluesky": "bluesky",
    "bsky": "bluesky",
    "github": "github",
    "threads": "threads",
    "instagram": "instagram",
    "insta": "instagram",
    "website": "website",
    "homepage": "website",
    "webpage": "website",
    "blog": "website",
}
# A handle column's title is a platform word plus filler. Anything else ("Have you used GitHub
# before?") is a question about the platform, not a handle, and is left to the content check.
_HANDLE_FILLER = frozenset(
    {
        "handle",
        "handles",
        "username",
        "user",
        "name",
        "account",
        "profile",
        "address",
        "url",
        "link",
        "id",
        "com",
        "your",
        "personal",
        "optional",
        "or",
        "and",
        "the",
        "on",
        "at",
    }
)


def _header_field(header: str) -> str | None:
    """The field a column title names, or None when the title is not recognised."""
    synonym = _SYNONYMS.get(_key(header))
    if synonym is not None:
        return synonym
    tokens = _tokens(header)
    platforms = {_PLATFORM_WORDS[t] for t in tokens if t in _PLATFORM_WORDS}
    rest = [t for t in tokens if t not in _PLATFORM_WORDS and t not in _HANDLE_FILLER]
    if len(platforms) == 1 and not rest:
        return HANDLE_PREFIX + platforms.pop()
    return None


def _content_field(cells: Sequence[str], *, email_free: bool) -> str | None:
    """The field most of a column's cells look like: an e-mail, or one platform's handles."""
    values = [cell for cell in cells if cell]
    if not values:
        return None
    majority = len(values) // 2 + 1
    # "ana@example.com" and a Mastodon "ana@example.social" look alike. A column of mostly bare
    # user@host is far more often e-mail: the e-mail column when none is titled as such, else a
    # second address (billing, assistant) that must not become everyone's Mastodon handle.
    if sum(1 for v in values if EMAIL_RE.match(v)) >= majority:
        return "email" if email_free else IGNORE
    platforms = Counter(p for p in map(detect_platform, values) if p is not None)
    if platforms:
        platform, count = platforms.most_common(1)[0]
        if count >= majority:
            return HANDLE_PREFIX + platform
    return None


def guess_mapping(table: Table) -> dict[int, str]:
    """Map every column index to a field, by its title, else by what its cells look like.

    Unrecognised columns map to ``IGNORE``. A non-handle field goes to one column only (the
    first that claims it). When both a full-name column and first/last columns exist (pretix),
    the full name wins and the parts are ignored: the exporter composed it following the
    event's name scheme (title, family-name-first order), which re-joining the parts would lose.
    """
    guessed: dict[int, str | None] = {i: _header_field(h) for i, h in enumerate(table.headers)}
    sample = table.rows[:_CONTENT_SAMPLE_ROWS]
    email_free = "email" not in guessed.values()
    for index, found in guessed.items():
        if found is None:
            guessed[index] = _content_field([row[index] for row in sample], email_free=email_free)
            email_free = email_free and guessed[index] != "email"

    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index in range(len(table.headers)):
        target = guessed[index] or IGNORE
        if target in FIELDS:
            if target in taken:
                target = IGNORE
            else:
                taken.add(target)
        mapping[index] = target
    if "name" in taken:
        for index, target in mapping.items():
            if target in ("first_name", "last_name"):
                mapping[index] = IGNORE
    return mapping


def mapping_problems(mapping: dict[int, str]) -> list[str]:
    """What stops a mapping from importing anyone, in words for the organiser; [] when fine."""
    problems: list[str] = []
    unknown = sorted({f for f in mapping.values() if f not in MAPPABLE_FIELDS})
    problems.extend(f"Unknown field {f!r}" for f in unknown)
    counts = Counter(f for f in mapping.values() if f in FIELDS)
    problems.extend(
        f"{FIELD_LABELS[f]} is chosen for {n} columns; choose it for one"
        for f, n in counts.items()
        if n > 1
    )
    if not counts.keys() & {"name", "first_name", "last_name"}:
        problems.append("Map a name column (full name, or first and last name)")
    if "email" not in counts:
        problems.append("Map a column to E-mail")
    return problems


# --- checking the rows ---------------------------------------------------------------------


def validate_rows(table: Table, mapping: dict[int, str]) -> list[RowResult]:
    """Check every data row against ``mapping``; each row is either importable whole or rejected.

    Call ``mapping_problems`` first: here unknown fields and out-of-range columns are skipped and
    a field chosen twice reads from its first column. The full-name cell wins over first + last;
    the parts (either alone is fine) fill in when it is empty. An e-mail seen earlier in the file
    rejects the later row, even when the earlier row is itself rejected, so both get looked at.
    """
    width = len(table.headers)
    columns: dict[str, int] = {}
    handle_columns: list[tuple[int, str]] = []
    for index in sorted(mapping):
        target = mapping[index]
        if not 0 <= index < width:
            continue
        if target in FIELDS:
            columns.setdefault(target, index)
        elif target in HANDLE_FIELDS:
            handle_columns.append((index, target.removeprefix(HANDLE_PREFIX)))

    def cell(row: list[str], name: str) -> str:
        index = columns.get(name)
        return row[index] if index is not None else ""

    first_line_of: dict[str, int] = {}
    results: list[RowResult] = []
    for position, cells in enumerate(table.rows):
        # read_table already pads rows; a table built by hand may not be.
        row = (cells + [""] * width)[:width]
        line = table.line_of(position)
        problems: list[str] = []

        name = " ".join(cell(row, "name").split())
        if not name:
            name = " ".join(f"{cell(row, 'first_name')} {cell(row, 'last_name')}".split())
        if not name:
            problems.append("Name is missing")

        email = cell(row, "email").lower()
        if not email:
            problems.append("E-mail is missing")
        elif len(email) > MAX_EMAIL_LENGTH:
            problems.append(f"E-mail is longer than {MAX_EMAIL_LENGTH} characters")
        elif not EMAIL_RE.match(email):
            problems.append(f'E-mail "{_shorten(email)}" is not valid')
        elif email in first_line_of:
            problems.append(f"E-mail also on line {first_line_of[email]}")
        else:
            first_line_of[email] = line

        values = {
            "name": name,
            "company": cell(row, "company"),
            "job_title": cell(row, "job_title"),
            "pronouns": cell(row, "pronouns"),
            "bio": cell(row, "bio"),
        }
        problems.extend(
            f"{FIELD_LABELS[f]} is longer than {limit} characters"
            for f, limit in MAX_LENGTHS.items()
            if len(values[f]) > limit
        )

        handles, handle_problems = _parse_handles((row[i], p) for i, p in handle_columns)
        problems.extend(handle_problems)

        attendee = None
        if not problems:
            attendee = AttendeeRow(email=email, handles=handles, line=line, **values)
        raw = dict(zip(table.headers, row, strict=False))
        results.append(RowResult(line=line, row=attendee, problems=problems, raw=raw))
    return results


def _parse_handles(cells: Iterable[tuple[str, str]]) -> tuple[list[Handle], list[str]]:
    """Parse (cell, platform) pairs: the distinct handles, and a problem per unparsable cell."""
    handles: list[Handle] = []
    keys: set[str] = set()
    problems: list[str] = []
    for text, platform in cells:
        if not text or text.casefold() in _NO_HANDLE:
            continue
        try:
            handle = parse_handle(text, platform)
        except HandleError as exc:
            problems.append(f"{PLATFORM_LABELS.get(platform, platform)}: {exc.message}")
            continue
        if handle.key not in keys:
            keys.add(handle.key)
            handles.append(handle)
    return handles, problems


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
