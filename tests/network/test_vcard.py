"""vCard text: escaping, folding at 75 octets (never inside a character), CRLF."""

from __future__ import annotations

from conference.network.vcard import Contact, card, escape, fold, split_name, vcards


def test_escape_backslash_comma_semicolon_and_newlines() -> None:
    assert escape("a\\b,c;d\ne\r\nf\rg") == "a\\\\b\\,c\\;d\\ne\\nf\\ng"
    assert escape("plain text: ok") == "plain text: ok"


def test_short_lines_are_not_folded() -> None:
    line = "FN:" + "a" * 72
    assert fold(line) == line


def test_long_lines_fold_at_75_octets_with_crlf_space() -> None:
    line = "NOTE:" + "x" * 200
    folded = fold(line)
    parts = folded.split("\r\n")
    assert [len(p.encode()) for p in parts] == [75, 75, 57]
    assert all(p.startswith(" ") for p in parts[1:])
    assert folded.replace("\r\n ", "") == line


def test_folding_never_splits_a_multibyte_character() -> None:
    line = "NOTE:" + "é" * 100 + "🎉" * 20
    parts = fold(line).split("\r\n")
    for part in parts:
        assert len(part.encode("utf-8")) <= 75
        part.encode("utf-8").decode("utf-8")  # each physical line is whole UTF-8
    assert fold(line).replace("\r\n ", "") == line


def test_split_name_guesses_given_and_family() -> None:
    assert split_name("Ana García Ruiz") == ("García Ruiz", "Ana")
    assert split_name("Madonna") == ("Madonna", "")


def test_a_card_holds_the_contact_and_ends_every_line_with_crlf() -> None:
    text = card(
        Contact(
            name="Ana García Ruiz",
            company="Northwind Labs",
            title="Staff Engineer",
            urls=["https://x.com/anagarcia_dev", "https://hachyderm.io/@anagarcia"],
            note="Talked about Rust",
        )
    )
    assert text == (
        "BEGIN:VCARD\r\n"
        "VERSION:3.0\r\n"
        "FN:Ana García Ruiz\r\n"
        "N:García Ruiz;Ana;;;\r\n"
        "ORG:Northwind Labs\r\n"
        "TITLE:Staff Engineer\r\n"
        "URL:https://x.com/anagarcia_dev\r\n"
        "URL:https://hachyderm.io/@anagarcia\r\n"
        "NOTE:Talked about Rust\r\n"
        "END:VCARD\r\n"
    )
    assert vcards([Contact(name="A B"), Contact(name="C D")]).count("BEGIN:VCARD") == 2
    assert "ORG" not in card(Contact(name="Only Name"))
