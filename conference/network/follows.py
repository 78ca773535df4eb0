"""Reading a follow list: pasted handles, Mastodon's follows CSV, LinkedIn's Connections.csv.

Pure functions, no Flask and no database. Every line that is not a handle is reported with its
line number, its text and why, never dropped silently; the same account written twice (``@ana``
and ``https://x.com/ana``) counts once.

- pasted text: one handle or profile link per line, or several separated by commas. Anything
  ``parse_handle(text, None)`` accepts is read; bare names (``@maria``) are ambiguous, so they
  are read as ``default_platform`` when the attendee chose one, and reported otherwise;
- Mastodon (Preferences → Import and export → Follows): the ``Account address`` column,
  ``user@server`` each;
- LinkedIn (Get a copy of your data → Connections): the ``URL`` column, below a preamble that
  ``importing.read_table`` skips.

A file with neither header but a single column is read like pasted text (a .txt of handles).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from conference.people.handles import PLATFORM_LABELS, Handle, HandleError, parse_handle
from conference.people.importing import ImportFileError, Table, read_table

PASTED = "pasted"
MASTODON = "mastodon"
LINKEDIN = "linkedin"
SOURCE_LABELS = {
    PASTED: "your list",
    MASTODON: "your Mastodon follows",
    LINKEDIN: "your LinkedIn connections",
}

MAX_FOLLOWS = 20_000  # LinkedIn caps connections at 30,000; nobody recognises that many faces
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PASTED_CHARS = 500_000
_SHOWN_TEXT = 120  # a reported line is cut to this length on the page

_SEPARATORS = re.compile(r"[,\n]")
_MASTODON_HEADER = "account address"
_LINKEDIN_HEADER = "url"
_LINKEDIN_NAME_HEADERS = ("first name", "last name")


class FollowListError(ValueError):
    """The upload is not a follow list we can read; ``message`` is for the attendee."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class BadLine:
    """A line that is not a handle: where, what it said, and why."""

    line: int
    text: str
    reason: str


@dataclass
class FollowList:
    """The distinct handles read from one paste or file, and the lines that were not handles."""

    source: str
    handles: list[Handle] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    duplicates: int = 0
    _keys: set[str] = field(default_factory=set, repr=False)

    def add(self, handle: Handle) -> None:
        """Keep ``handle`` unless the same account is already in the list."""
        if handle.key in self._keys:
            self.duplicates += 1
            return
        self._keys.add(handle.key)
        self.handles.append(handle)

    def reject(self, line: int, text: str, reason: str) -> None:
        """Report ``text`` on ``line`` as not a handle."""
        shown = text if len(text) <= _SHOWN_TEXT else text[: _SHOWN_TEXT - 1] + "…"
        self.bad.append(BadLine(line=line, text=shown, reason=reason))

    @property
    def bad_text(self) -> str:
        """The rejected entries, one per line, to put back in the box for correcting."""
        return "\n".join(bad.text for bad in self.bad)


def parse_entry(text: str, default_platform: str | None = None) -> Handle:
    """One pasted entry; bare names are read as ``default_platform`` when one is given."""
    try:
        return parse_handle(text, None)
    except HandleError:
        # Links and addresses say their platform themselves; only bare names take the default.
        if default_platform is None or "/" in text or "@" in text.strip().lstrip("@"):
            raise
        return parse_handle(text, default_platform)


def parse_pasted(text: str, default_platform: str | None = None) -> FollowList:
    """Handles and links, one per line or comma-separated."""
    if default_platform is not None and default_platform not in PLATFORM_LABELS:
        raise ValueError(f"unknown platform {default_platform!r}")
    if len(text) > MAX_PASTED_CHARS:
        raise FollowListError(
            "too_long", "That is more text than a follow list; paste at most 500,000 characters."
        )
    result = FollowList(source=PASTED)
    for number, line in enumerate(text.splitlines(), start=1):
        for part in _SEPARATORS.split(line):
            entry = part.strip()
            if not entry:
                continue
            try:
                result.add(parse_entry(entry, default_platform))
            except HandleError as err:
                result.reject(number, entry, err.message)
    _check_size(result)
    return result


def parse_file(data: bytes, default_platform: str | None = None) -> FollowList:
    """Mastodon's following_accounts.csv, LinkedIn's Connections.csv or a text file of handles."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise FollowListError("file_too_large", "The file is larger than 5 MB.")
    if not data.strip():
        raise FollowListError("empty_file", "The file is empty.")
    try:
        table = read_table(data, max_rows=MAX_FOLLOWS)
    except ImportFileError as err:
        if err.code == "too_many_rows":
            raise _too_many() from None
        if err.code in ("not_text", "spreadsheet_file"):
            raise FollowListError(
                "not_text",
                "This is not a CSV or text file. Upload Mastodon's following_accounts.csv or "
                "LinkedIn's Connections.csv as they come out of the export.",
            ) from None
        table = None  # no header row: a plain list of handles
    if table is not None and table.rows:
        headers = [h.strip().casefold() for h in table.headers]
        if _MASTODON_HEADER in headers:
            return _column(table, headers.index(_MASTODON_HEADER), MASTODON, "mastodon")
        if _LINKEDIN_HEADER in headers and all(h in headers for h in _LINKEDIN_NAME_HEADERS):
            return _column(table, headers.index(_LINKEDIN_HEADER), LINKEDIN, "linkedin")
        if len(table.headers) > 1:
            raise FollowListError(
                "unknown_file",
                "We do not recognise this file. Upload Mastodon's following_accounts.csv or "
                "LinkedIn's Connections.csv, or paste the handles instead.",
            )
    return parse_pasted(_decode(data), default_platform)


def _column(table: Table, index: int, source: str, platform: str) -> FollowList:
    result = FollowList(source=source)
    headers = [h.strip().casefold() for h in table.headers]
    name_columns = [headers.index(h) for h in _LINKEDIN_NAME_HEADERS if h in headers]
    for row_index, row in enumerate(table.rows):
        cell = row[index].strip()
        line = table.line_of(row_index)
        who = " ".join(row[i].strip() for i in name_columns if row[i].strip())
        if not cell:
            result.reject(line, who or ",".join(row), "This row has no profile address.")
            continue
        try:
            result.add(parse_handle(cell, platform))
        except HandleError as err:
            result.reject(line, f"{who}: {cell}" if who else cell, err.message)
    _check_size(result)
    return result


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _too_many() -> FollowListError:
    return FollowListError(
        "too_many_follows",
        f"That is more than {MAX_FOLLOWS:,} accounts; import the people you would recognise.",
    )


def _check_size(result: FollowList) -> None:
    if len(result.handles) > MAX_FOLLOWS:
        raise _too_many()


def keys_of(handles: Iterable[Handle]) -> list[str]:
    """The matching keys (``platform:handle``) of ``handles``, in order."""
    return [h.key for h in handles]
