"""vCard 3.0 contacts of the people an attendee met, for any phone's address book.

Version 3.0 because every phone imports it (iOS Contacts reads 4.0 only partly). Text follows
the rules RFC 6350 §3.2 to 3.4 shares with RFC 2426: backslash, comma, semicolon and newline are
escaped (``\\\\``, ``\\,``, ``\\;``, ``\\n``); lines end in CRLF and are folded at 75 octets
with CRLF plus one space, never inside a UTF-8 character.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FOLD_OCTETS = 75
CRLF = "\r\n"


@dataclass(frozen=True)
class Contact:
    """What one card holds; empty fields are left out."""

    name: str
    company: str = ""
    title: str = ""
    urls: Sequence[str] = ()
    note: str = ""


def escape(text: str) -> str:
    """A property value with backslash, comma, semicolon and newlines escaped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def fold(line: str) -> str:
    """``line`` folded to at most 75 octets per physical line, joined by CRLF + space."""
    parts: list[str] = []
    current, size = "", 0
    limit = FOLD_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            # Continuation lines start with a space, which counts towards their 75 octets.
            current, size, limit = "", 0, FOLD_OCTETS - 1
        current += char
        size += width
    parts.append(current)
    return (CRLF + " ").join(parts)


def split_name(name: str) -> tuple[str, str]:
    """(family, given) for the N property: the first word is given, the rest family.

    A guess, but the one that fits most names on a badge ("Ana García Ruiz" → García Ruiz, Ana);
    FN keeps the name exactly as the person wrote it.
    """
    words = name.split()
    if len(words) < 2:
        return name.strip(), ""
    return " ".join(words[1:]), words[0]


def card(contact: Contact) -> str:
    """One ``BEGIN:VCARD`` … ``END:VCARD`` block, CRLF-terminated."""
    family, given = split_name(contact.name)
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"FN:{escape(contact.name)}",
        f"N:{escape(family)};{escape(given)};;;",
    ]
    if contact.company:
        lines.append(f"ORG:{escape(contact.company)}")
    if contact.title:
        lines.append(f"TITLE:{escape(contact.title)}")
    lines.extend(f"URL:{escape(url)}" for url in contact.urls)
    if contact.note:
        lines.append(f"NOTE:{escape(contact.note)}")
    lines.append("END:VCARD")
    return "".join(fold(line) + CRLF for line in lines)


def vcards(contacts: Iterable[Contact]) -> str:
    """Every contact as one .vcf file."""
    return "".join(card(contact) for contact in contacts)
